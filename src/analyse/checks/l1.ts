// Pure: the checks of L1, the guest hypervisor: vmx/svm visible, KVM usable, CPU flags it
// lost compared to L0, and the AMD migration warning.
import type { Level } from '../../levels.js';
import { type Citation, type EvidenceFiles, levelFile } from '../evidence.js';
import type { CpuInfo } from '../parsers/cpuinfo.js';
import { firstValue, parseColonLines } from '../parsers/key-value.js';
import type { Guest } from '../guests.js';
import { parseKvmDevice } from '../parsers/small.js';
import type { CheckStatus } from '../types.js';
import { lostVmxFeatures, parseVmxMsrs } from '../vmx.js';
import { cite, cpuOrLscpu, expectedFlag, kvmLoaded, result, vendorModule, virtFlagOf } from './common.js';
import { HARDWARE_OFF, findDecisive } from '../decisive-lines.js';
import { nestingFix, underLabel } from './platform-fix.js';
import type { CheckDef } from './registry.js';

/** How the level below started this level: does the virtual CPU offer vmx/svm? */
export function startedWithNestingCpu(guest: Guest | undefined, flag: string): { ok: boolean | undefined; cite?: Citation; text?: string } {
  if (!guest) return { ok: undefined };
  if (guest.domain?.cpuMode) {
    const d = guest.domain as NonNullable<Guest['domain']> & { cpuMode: string };
    const feature = d.cpuFeatures.find((f) => f.name === 'vmx' || f.name === 'svm');
    const c = d.cpuLine ? cite(d.file, d.cpuLine.line, d.cpuLine.text) : undefined;
    if (feature) return { ok: feature.policy !== 'disable' && feature.policy !== 'forbid', cite: c, text: `<feature policy='${feature.policy}' name='${feature.name}'/>` };
    if (['host-passthrough', 'host-model', 'maximum'].includes(d.cpuMode)) return { ok: true, cite: c, text: `cpu mode='${d.cpuMode}'` };
    return { ok: false, cite: c, text: `cpu mode='${d.cpuMode}'${d.cpuModel ? ` model ${d.cpuModel}` : ''} without ${flag}` };
  }
  const cpuArg = guest.qemu?.cpuArg;
  if (!guest.qemu) return { ok: undefined };
  const file = guest.qemu.file;
  const line = guest.qemu.argLine?.(cpuArg ? cpuArg.slice(5) : '-cpu') ?? guest.qemu.line;
  if (!cpuArg) return { ok: false, cite: cite(file, guest.qemu.line, `${guest.qemu.binary} (no -cpu)`), text: 'no -cpu option: the default CPU model has no vmx/svm' };
  const c = cite(file, line, cpuArg);
  if (guest.qemu.nestedCpuFlag) return { ok: guest.qemu.nestedCpuFlag.on, cite: c, text: cpuArg };
  if (guest.qemu.cpu === 'host' || guest.qemu.cpu === 'max') return { ok: true, cite: c, text: cpuArg };
  return { ok: false, cite: c, text: `${cpuArg} without +${flag}` };
}

interface VirtualizationSeen {
  /** False when nothing tells: no cpuinfo, lscpu or deciding kernel line. */
  known: boolean;
  seen?: 'vmx' | 'svm' | 'sie';
  arch: CpuInfo['arch'];
  where: string;
  cite?: Citation;
}

/** Whether a level sees vmx/svm: from cpuinfo, else lscpu's Virtualization line, else the kernel log. */
function virtualizationSeen(files: EvidenceFiles, level: Level): VirtualizationSeen {
  const cpu = cpuOrLscpu(files, level);
  if (cpu) {
    const seen = virtFlagOf(cpu);
    const c = cpu.flagsLine ? cite(cpu.file, cpu.flagsLine, seen ? `flags: ... ${seen} ...` : `flags: (no vmx, svm or sie)`) : undefined;
    return { known: true, seen, arch: cpu.arch, where: 'in its CPU flags', cite: c };
  }
  const lscpuFile = levelFile(level, 'lscpu');
  const lscpu = parseColonLines(files.get(lscpuFile) ?? '');
  const archLine = firstValue(lscpu, 'Architecture');
  if (archLine) {
    const virt = firstValue(lscpu, 'Virtualization');
    const seen = virt ? (/VT-x/i.test(virt.value) ? 'vmx' : /AMD-V/i.test(virt.value) ? 'svm' : undefined) : undefined;
    const arch = /x86|i[3-6]86/.test(archLine.value) ? 'x86' : /s390/.test(archLine.value) ? 's390x' : 'unknown';
    const c = virt ? cite(lscpuFile, virt.line, `Virtualization: ${virt.value}`) : cite(lscpuFile, archLine.line, `Architecture: ${archLine.value} (no Virtualization line)`);
    return { known: arch !== 'unknown', seen, arch, where: 'per lscpu', cite: c };
  }
  const evmcs = findDecisive(files, level, ['hyperv-evmcs'])[0];
  if (evmcs) return { known: true, seen: 'vmx', arch: 'x86', where: 'per its kernel log', cite: evmcs };
  const off = findDecisive(files, level, HARDWARE_OFF)[0];
  if (off) return { known: true, arch: 'unknown', where: 'per its kernel log', cite: off };
  return { known: false, arch: 'unknown', where: '' };
}

export const l1VirtFlag: CheckDef = {
  id: 'l1-virt-flag',
  level: 'L1',
  titles: {
    pass: 'L1 sees vmx/svm: it can run KVM guests',
    fail: 'L1 has no vmx/svm: hardware virtualization is not exposed to it',
    warn: 'L1 sees vmx/svm, but only emulated',
    unknown: 'whether L1 sees vmx/svm is not known',
  },
  reads: ['cpuinfo', 'lscpu', 'kvm-modules', 'kvm-params'],
  alsoReads: ['dmesg', 'kernel-journal', 'extra-dmesg-grep'],
  evaluate(ctx) {
    const { files } = ctx;
    if (!ctx.collected.includes('L1')) return undefined;
    const l0cpu = cpuOrLscpu(files, 'L0');
    const vis = virtualizationSeen(files, 'L1');
    const flag = expectedFlag(l0cpu ?? cpuOrLscpu(files, 'L1'));
    const started = startedWithNestingCpu(ctx.matches.L1?.guest, flag);
    const evidence: Citation[] = [];
    if (vis.cite) evidence.push(vis.cite);
    if (started.cite) evidence.push(started.cite);
    const fix = nestingFix(ctx, 'L1', { startedWithoutFlag: started.ok === false, flag });
    if (!vis.known) {
      const ifNone = fix.text.startsWith('If ') ? `If L1 has no vmx/svm and ${fix.text.slice(3)}` : `If L1 has no vmx/svm: ${fix.text}`;
      return result('unknown', "L1's cpuinfo was not collected (nor its lscpu, nor a kernel line that decides)", evidence, ifNone);
    }
    // arm64 and ppc64 have no such flag: arm64-el2 and ppc64-nested-hv check them.
    if (vis.arch === 'arm' || vis.arch === 'ppc') return undefined;
    const kvm = kvmLoaded(files, 'L1');
    const under = underLabel(ctx, 'L1');
    const seen = vis.seen;
    if (seen) {
      const how = started.text ? `; started with ${started.text}` : '';
      if (ctx.verdicts.L1?.runsOn === 'tcg') {
        return result('warn', `L1 sees ${seen} ${vis.where}${how}, but TCG emulates it: its guests run KVM on an emulated CPU, slowly`, evidence, `Run L1 itself on KVM (see the L1 check); then -cpu host passes the real ${seen}.`);
      }
      const evmcs = findDecisive(files, 'L1', ['hyperv-evmcs'])[0];
      if (evmcs && evmcs !== vis.cite && !evidence.some((e) => e.file === evmcs.file && e.line === evmcs.line)) evidence.push(evmcs);
      return result('pass', `L1 sees ${seen} ${vis.where}${how}${evmcs ? `; its kernel log says ${evmcs.means}` : ''}`, evidence, undefined, under ? `L1 on ${under}: nesting on (${seen} exposed)` : undefined);
    }
    const hardwareOff = findDecisive(files, 'L1', HARDWARE_OFF).filter((h) => h !== vis.cite && !(h.file === vis.cite?.file && h.line === vis.cite?.line));
    evidence.push(...hardwareOff);
    if (vis.arch === 's390x') {
      return result(
        'warn',
        'L1 lists no sie feature in /proc/cpuinfo: its guests cannot use KVM, unless its kernel predates the sie flag',
        evidence,
        ctx.verdicts.L1?.runsOn === 'tcg'
          ? "QEMU's TCG does not emulate SIE: run the s390x L1 with KVM on an s390x host (an LPAR or z/VM guest with sie), with kvm nested=1 hpage=0 there."
          : 'On the host: load kvm with nested=1 (and hpage=0), e.g. "options kvm nested=1 hpage=0" in /etc/modprobe.d/kvm.conf; the guest then sees sie.',
        'L1 lists no sie: its guests may not be able to use KVM',
      );
    }
    const pvm = kvm.modules.includes('kvm_pvm');
    const said = findDecisive(files, 'L1', HARDWARE_OFF)[0];
    return result(
      'fail',
      `L1 has no ${vis.arch === 'x86' ? 'vmx or svm' : 'vmx/svm/sie'} ${vis.where}: its guests cannot use hardware-assisted KVM${said ? ` (its kernel says "${said.quote}")` : ''}${pvm ? '; its /dev/kvm comes from kvm_pvm (software nesting: only PVM-enabled guest kernels can use it)' : ''}${started.text ? `; started with ${started.text}` : ''}${fix.note ? `; ${fix.note}` : ''}`,
      evidence,
      fix.text,
      fix.title,
    );
  },
};

export const l1Kvm: CheckDef = {
  id: 'l1-kvm',
  level: 'L1',
  titles: {
    pass: 'L1 has KVM and /dev/kvm',
    fail: 'L1 cannot run KVM guests',
    warn: 'L1 has KVM, but /dev/kvm is for root only',
    unknown: 'whether L1 has KVM is not known',
  },
  reads: ['kvm-modules', 'kvm-params', 'kvm-device', 'cpuinfo', 'lscpu', 'kvm-access'],
  alsoReads: ['dmesg', 'kernel-journal', 'extra-dmesg-grep', 'libvirt-qemu-logs', 'extra-qemu-stderr'],
  evaluate(ctx) {
    const { files } = ctx;
    if (!ctx.collected.includes('L1')) return undefined;
    const kvm = kvmLoaded(files, 'L1');
    const device = parseKvmDevice(files.get(levelFile('L1', 'kvm-device')) ?? '');
    const evidence: Citation[] = [];
    if (kvm.cite) evidence.push(kvm.cite);
    if (device) evidence.push(cite(levelFile('L1', 'kvm-device'), 1, device.line));
    const cpu = cpuOrLscpu(files, 'L1');
    if (kvm.loaded === undefined && !device) {
      // kvm_intel prints this only once it has set up VMX: KVM is there (WSL2 builds it in).
      const evmcs = findDecisive(files, 'L1', ['hyperv-evmcs'])[0];
      if (evmcs) return result('pass', `L1's kernel log shows KVM started on VMX (${evmcs.means}); its modules and /dev/kvm were not collected`, [evmcs], undefined, 'L1 has KVM (per its kernel log)');
      return result('unknown', "L1's KVM modules and /dev/kvm were not collected", evidence);
    }
    if (kvm.loaded === false || (device && !device.present)) {
      evidence.push(...findDecisive(files, 'L1', [...HARDWARE_OFF, 'libvirt-no-kvm-domain']));
      const what = device && !device.present ? '/dev/kvm does not exist' : 'no KVM module is loaded';
      return result(
        'fail',
        `${what} in L1: L1 cannot run KVM guests`,
        evidence,
        `In L1: modprobe ${vendorModule(cpu)}; if it fails, dmesg says why (usually no ${expectedFlag(cpu)} in L1: see the L1 CPU check).`,
        `L1 cannot run KVM guests: ${what}`,
      );
    }
    const modules = kvm.modules.join(', ');
    const pvm = kvm.modules.includes('kvm_pvm') ? ' (kvm_pvm: software nesting without VMX/SVM)' : '';
    if (device?.mode && !/^c.{5}rw/.test(device.mode) && device.group !== 'root') {
      return result('pass', `L1 has KVM (${modules})${pvm} and /dev/kvm (${device.mode} ${device.owner}:${device.group})`, evidence);
    }
    // With the kvm-access item, l1-kvm-access says who can open it.
    if (device?.mode && !/^c.{3}rw/.test(device.mode) && files.get(levelFile('L1', 'kvm-access')) === undefined) {
      return result(
        'warn',
        `L1 has KVM (${modules})${pvm}, but /dev/kvm is ${device.mode} ${device.owner}:${device.group}: only root can use it`,
        evidence,
        'Let QEMU users open it: chgrp kvm /dev/kvm && chmod 660 /dev/kvm (udev does this on most distributions), and add the user to group kvm.',
      );
    }
    return result('pass', `L1 has KVM (${modules})${pvm}${device ? ` and /dev/kvm (${device.mode ?? 'present'})` : ''}`, evidence);
  },
};

const IMPORTANT_FLAGS = ['vmx', 'svm', 'sie', 'ept', 'npt', 'vpid', 'ept_ad', 'vnmi', 'flexpriority', 'tpr_shadow', 'avic', 'vgif', 'v_vmsave_vmload', 'nrip_save', 'lbrv', 'tsc_scale', 'x2apic', 'pdpe1gb'];

export const l0L1Flags: CheckDef = {
  id: 'l0-l1-flags',
  level: 'L1',
  titles: {
    pass: "L1 keeps L0's important CPU features",
    fail: "L1 lost L0's CPU features",
    warn: "L1 lost some of L0's virtualization features",
    unknown: "the CPU features L1 lost are not known",
  },
  reads: ['cpuinfo', 'lscpu'],
  alsoReads: ['vmx-msrs'],
  evaluate(ctx) {
    const l0 = cpuOrLscpu(ctx.files, 'L0');
    const l1 = cpuOrLscpu(ctx.files, 'L1');
    if (!l0 || !l1 || l0.flags.size === 0 || l1.flags.size === 0) return undefined;
    // An L1 of another architecture (under TCG) shares no flag names with L0.
    if (l0.arch !== l1.arch) return undefined;
    const lost = [...l0.flags].filter((f) => !l1.flags.has(f)).sort();
    const evidence = [cite(l0.file, l0.flagsLine, `${l0.flags.size} flags`), cite(l1.file, l1.flagsLine, `${l1.flags.size} flags`)];
    const important = lost.filter((f) => IMPORTANT_FLAGS.includes(f));
    const vmx = lostVmxFeatures(parseVmxMsrs(ctx.files.get(levelFile('L0', 'vmx-msrs')) ?? ''), parseVmxMsrs(ctx.files.get(levelFile('L1', 'vmx-msrs')) ?? ''));
    const list = (xs: string[], n = 40) => (xs.length > n ? `${xs.slice(0, n).join(' ')} ... (${xs.length - n} more)` : xs.join(' '));
    const vmxText = vmx.length ? `; VMX features L1 lost: ${vmx.join(', ')}` : '';
    if (lost.length === 0 && vmx.length === 0) return result('pass', 'L1 sees every CPU flag L0 has', evidence, undefined, "L1 sees every CPU flag L0 has");
    const status: CheckStatus = important.length || vmx.length ? 'warn' : 'pass';
    return result(
      status,
      `L1 lacks ${lost.length} of L0's CPU flags${important.length ? ` including ${important.join(', ')}` : ''}: ${list(lost)}${vmxText}`,
      evidence,
      "Start L1 with -cpu host (libvirt host-passthrough) to pass L0's features through; host-model and named models drop some.",
      status === 'pass' ? `L1 lacks ${lost.length} minor CPU flags of L0` : undefined,
    );
  },
};

export const l1Migration: CheckDef = {
  id: 'l1-migration',
  level: 'L1',
  titles: {
    pass: 'migrating L1 is safe',
    fail: 'L1 must not be migrated while L2 runs',
    warn: 'do not migrate or save L1 while its L2 guests run (AMD)',
    unknown: 'whether L1 can be migrated is not known',
  },
  reads: ['cpuinfo', 'lscpu'],
  evaluate(ctx) {
    const l0 = cpuOrLscpu(ctx.files, 'L0') ?? cpuOrLscpu(ctx.files, 'L1');
    const running = (ctx.guests.L1 ?? []).filter((g) => g.running);
    if (!l0 || running.length === 0) return undefined;
    const evidence = running.slice(0, 3).map((g) => cite(g.qemu?.file ?? g.domain?.file ?? g.log?.file ?? '', g.qemu?.line ?? g.domain?.line ?? g.log?.line, g.name ?? `pid ${g.pid}`));
    if (l0.vendor === 'AuthenticAMD' || l0.vendor === 'HygonGenuine') {
      return result('warn', `L1 runs ${running.length} L2 guest(s) on AMD: do not live-migrate or save/restore L1 while they run (kernel BUG, oops or panic)`, evidence, 'Stop the L2 guests before migrating, saving or snapshotting L1.');
    }
    return undefined;
  },
};
