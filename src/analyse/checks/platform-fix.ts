// Pure: how to switch nesting on for a level, from what runs it: the platform's switch
// (WSL2, Azure, GCP, AWS, ...), else the hypervisor's (Hyper-V, VMware, VirtualBox, Xen),
// else, on KVM, the nested parameter and CPU model on the KVM host. Never KVM advice for a
// level that is not on KVM. The switches themselves are data in the hypervisor table.
import { type Level, levelBelow } from '../../levels.js';
import type { Citation } from '../evidence.js';
import { type HypervisorEntry, hypervisorById, hypervisorForRunsOn } from '../hypervisors.js';
import { runsOnLabel } from '../runs-on.js';
import type { ChainContext } from './registry.js';

export interface NestingFix {
  text: string;
  /** The finding, naming what runs on what: "L1 on VMware: hardware virtualization not exposed". */
  title: string;
  /** Said after the summary: where the switch is, or what to collect. */
  note?: string;
  evidence: Citation[];
}

/** "Hyper-V (WSL2)", "KVM (Google Cloud)", "VMware". */
export function underLabel(ctx: ChainContext, level: Level): string | undefined {
  const v = ctx.verdicts[level];
  if (!v || v.runsOn === 'unknown') return v?.platform?.name;
  const base = v.runsOn === 'tcg' ? 'TCG' : runsOnLabel(v.runsOn);
  return v.platform ? `${base} (${v.platform.name})` : base;
}

function kvmHostFix(
  ctx: ChainContext,
  level: Level,
  startedWithoutFlag: boolean,
  flag: string,
): { text: string; note?: string } {
  const below = levelBelow(level);
  const host = below ?? `the host under ${level}`;
  if (below && ctx.collected.includes(below)) {
    return {
      text: startedWithoutFlag
        ? `Give ${level} the host CPU's virtualization: libvirt <cpu mode='host-passthrough'/> (or host-model), ` +
          `or QEMU -cpu host (or -cpu MODEL,+${flag}); ${below} also needs nested=1.`
        : `Check ${below}'s nested parameter and how ${level} is started: ` +
          `libvirt <cpu mode='host-passthrough'/> or QEMU -cpu host.`,
    };
  }
  const collect =
    below === 'L0' ? ' Or let nestbug collect it too: add --l0 USER@L0-HOST (and --l1-jump l0 when L1 is reached through it).' : '';
  return {
    text:
      `${host} is a KVM host that was not collected. ` +
      `On ${host}: cat /sys/module/kvm_intel/parameters/nested (kvm_amd on AMD) must say Y or 1, ` +
      `else load the module with nested=1 ("options kvm_intel nested=1" in /etc/modprobe.d/kvm.conf, ` +
      `reloaded with all guests stopped); and ${level} must be started with libvirt ` +
      `<cpu mode='host-passthrough'/> or QEMU -cpu host (virsh dumpxml NAME shows it).${collect}`,
    note: `${host} was not collected: its nested parameter and how it starts ${level} are unknown`,
  };
}

export function nestingFix(
  ctx: ChainContext,
  level: Level,
  how: { startedWithoutFlag: boolean; flag: string },
): NestingFix {
  const verdict = ctx.verdicts[level];
  const flag = how.flag === 'vmx/svm' ? 'vmx' : how.flag;
  const under = underLabel(ctx, level);
  const title = `${level}${under ? ` on ${under}` : ''}: hardware virtualization not exposed`;
  const platform: HypervisorEntry | undefined = verdict?.platform ? hypervisorById(verdict.platform.id) : undefined;
  const entry = platform?.nesting ? platform : verdict ? hypervisorForRunsOn(verdict.runsOn) : undefined;
  if (entry?.nesting && entry.id !== 'kvm') {
    const note = `the setting that exposes it is ${entry.nesting.where}`;
    return { text: entry.nesting.fix, title, note, evidence: [] };
  }
  if (verdict?.runsOn === 'kvm') {
    return { ...kvmHostFix(ctx, level, how.startedWithoutFlag, flag), title, evidence: [] };
  }
  // Unknown hypervisor: the KVM advice, said as a guess.
  const generic = kvmHostFix(ctx, level, how.startedWithoutFlag, flag);
  const text =
    `If ${levelBelow(level) ?? 'the host'} is KVM: ${generic.text} ` +
    'On another hypervisor, enable its nested virtualization setting for this VM.';
  return { text, title, evidence: [] };
}
