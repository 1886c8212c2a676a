// Pure: what a Proxmox VE host or a Xen dom0 at L0 says about how it runs L1, from its
// own VM configurations (outside evidence nestbug can read there, and only there).

import { findLine, levelFile } from '../evidence.js';
import type { Guest } from '../guests.js';
import { pveCpuNests } from '../parsers/proxmox.js';
import { parseXlInfo } from '../parsers/xen.js';
import { cite, result } from './common.js';
import type { ChainContext, CheckDef, CheckResult } from './registry.js';

/** The L1 guest when identified, else every guest L0's stack describes. */
function l1Candidates(ctx: ChainContext, has: (g: Guest) => boolean): { guests: Guest[]; identified: boolean } {
  const matched = ctx.matches.L1?.guest;
  if (matched && has(matched)) return { guests: [matched], identified: true };
  return { guests: (ctx.guests.L0 ?? []).filter(has), identified: false };
}

function pveProblem(g: Guest): { summary: string; fix: string; line: number; text: string } | undefined {
  const vm = g.pve!;
  const id = vm.vmid ?? 'VMID';
  if (vm.kvm && !vm.kvm.on) {
    return {
      summary: `VM ${id} (${vm.name ?? '?'}) has kvm: 0: Proxmox runs it on TCG, QEMU's emulation`,
      fix: `qm set ${id} --kvm 1`,
      line: vm.kvm.line,
      text: vm.kvm.text,
    };
  }
  const cpu = pveCpuNests(vm.cpu?.value);
  if (!cpu.ok) {
    const text = vm.cpu ? `cpu: ${vm.cpu.value}` : '(no cpu: line: the default model)';
    return {
      summary: `VM ${id} (${vm.name ?? '?'}) has CPU type ${vm.cpu ? cpu.type : 'default'}: no vmx/svm for its guests`,
      fix: `qm set ${id} --cpu host`,
      line: vm.cpu?.line ?? vm.line,
      text,
    };
  }
  return undefined;
}

export const pveL1Config: CheckDef = {
  id: 'l1-proxmox-config',
  level: 'L1',
  titles: {
    pass: 'Proxmox VE starts L1 with KVM and the host CPU',
    fail: "Proxmox VE's VM configuration keeps L1 from nesting",
    warn: 'some Proxmox VE VMs cannot nest (L1 not identified among them)',
    unknown: 'how Proxmox VE starts L1 is not known',
  },
  // Only Proxmox/Xen hosts have them: `check` does not ask every host for them.
  reads: [],
  alsoReads: ['pve-vm-configs', 'pve-qm-list'],
  evaluate(ctx) {
    const { guests, identified } = l1Candidates(ctx, (g) => g.pve !== undefined);
    if (guests.length === 0) return undefined;
    const file = levelFile('L0', 'pve-vm-configs');
    const problems = guests.map((g) => ({ g, p: pveProblem(g) })).filter((x) => x.p !== undefined);
    const evidence = (
      problems.length
        ? problems.map((x) => cite(file, x.p!.line, x.p!.text))
        : guests.map((g) =>
            cite(file, g.pve!.cpu?.line ?? g.pve!.line, g.pve!.cpu ? `cpu: ${g.pve!.cpu.value}` : `VM ${g.pve!.vmid}`),
          )
    ).slice(0, 4);
    const hostFix =
      'with kvm_intel/kvm_amd nested=1 on the Proxmox host; then stop and start the VM ' +
      '(a reboot inside it is not enough)';
    if (problems.length === 0) {
      const which = guests
        .map((g) => `VM ${g.pve!.vmid} (${g.pve!.name ?? '?'}): cpu ${pveCpuNests(g.pve!.cpu?.value).type}`)
        .join(', ');
      return result(
        'pass',
        `${identified ? 'L1 is' : 'every VM is'} started with KVM and a CPU type that passes vmx/svm: ${which}`,
        evidence,
      );
    }
    const summary = problems.map((x) => x.p!.summary).join('; ');
    const fix = `On the Proxmox host: ${problems.map((x) => x.p!.fix).join('; ')}, ${hostFix}.`;
    return result(
      identified ? 'fail' : 'warn',
      identified ? `L1 is Proxmox VE ${summary}` : `${summary} (which VM is L1 was not identified)`,
      evidence,
      fix,
    );
  },
};

function xenProblem(g: Guest): string | undefined {
  const x = g.xen!;
  if (!x.hvm) return `${x.name ?? 'a guest'} is not an HVM guest (PV guests cannot run KVM)`;
  if (x.hap === false) return `${x.name ?? 'a guest'} has hap=0 (nested HVM needs hardware-assisted paging)`;
  if (x.nestedHvm === true) return undefined;
  const setting = x.nestedHvm === false ? 'nestedhvm=0' : 'no nestedhvm setting (off by default)';
  return `${x.name ?? 'a guest'} has ${setting}`;
}

export const xenGuestNesting: CheckDef = {
  id: 'l1-xen-config',
  level: 'L1',
  titles: {
    pass: 'the Xen dom0 gives L1 nested HVM (nestedhvm, hap)',
    fail: "the Xen dom0's guest configuration keeps L1 from nesting",
    warn: 'some Xen guests cannot nest (L1 not identified among them)',
    unknown: 'how the Xen dom0 starts L1 is not known',
  },
  reads: [],
  alsoReads: ['xen-domains', 'xen-info', 'xen-dmesg'],
  evaluate(ctx): CheckResult | undefined {
    const { guests, identified } = l1Candidates(ctx, (g) => g.xen !== undefined);
    if (guests.length === 0) return undefined;
    const infoFile = levelFile('L0', 'xen-info');
    const info = parseXlInfo(ctx.files.get(infoFile) ?? '');
    const evidence = guests.slice(0, 3).map((g) => cite(g.xen!.file, g.xen!.line, g.xen!.text));
    if (info.virtCapsLine) evidence.unshift(cite(infoFile, info.virtCapsLine, `virt_caps: ${info.virtCaps.join(' ')}`));
    // Xen lists hap/shadow in virt_caps only since 4.12 or so: an older list says nothing.
    const noHap = info.virtCaps.includes('shadow') && !info.virtCaps.includes('hap');
    const hapLine = findLine(
      ctx.files,
      levelFile('L0', 'xen-dmesg'),
      /Hardware Assisted Paging \(HAP\)|HVM: (VMX|SVM) enabled/,
    );
    if (hapLine) evidence.push(cite(hapLine.file, hapLine.line, hapLine.text));
    const problems = guests.map(xenProblem).filter((p): p is string => p !== undefined);
    if (noHap)
      problems.unshift(
        `Xen reports no HAP (virt_caps: ${info.virtCaps.join(' ')}): nested HVM needs EPT/NPT in the CPU and Xen`,
      );
    const names = guests.map((g) => g.xen!.name ?? '?');
    if (problems.length === 0)
      return result('pass', `${identified ? 'L1' : names.join(', ')}: HVM with hap and nestedhvm=1`, evidence);
    const which = identified ? names[0] : 'the guest hypervisor';
    const fix =
      `In the xl configuration of ${which} (/etc/xen/NAME.cfg): type="hvm", hap=1, nestedhvm=1; ` +
      'then xl shutdown NAME and xl create /etc/xen/NAME.cfg (the settings apply at start).';
    return result(
      identified ? 'fail' : 'warn',
      `${problems.join('; ')}${identified ? '' : ' (which guest is L1 was not identified)'}`,
      evidence,
      noHap
        ? `${fix} Xen needs HAP: enable VT-x/EPT or AMD-V/NPT in the firmware and do not boot Xen with hap=0.`
        : fix,
    );
  },
};
