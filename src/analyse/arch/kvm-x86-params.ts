// Pure: kvm_intel / kvm_amd module parameters read on one level, each one that matters for
// nesting interpreted, with the fix when it is off. The L0 parameters decide what L1 can
// be given; L1's decide what L2 gets (and whether L1 offers nesting to L2 at all).
import { isOn, type KvmParam } from '../parsers/kvm-params.js';

export interface ParamFinding {
  param: KvmParam;
  /** 'fail': nesting does not work; 'warn': it works, slower or with a feature missing. */
  status: 'pass' | 'warn' | 'fail';
  meaning: string;
  fix?: string;
  /** The module option that turns it on ("nrips=1"), so that one fix can set several. */
  setting?: string;
}

interface Rule {
  module: 'kvm_intel' | 'kvm_amd';
  name: string;
  /** Status when the parameter is off. */
  off: 'warn' | 'fail';
  meaning: string;
  /** Only on the level that runs the nested hypervisor (L0), or on any level running guests. */
  where: 'L0' | 'any';
}

const RULES: Rule[] = [
  {
    module: 'kvm_intel',
    name: 'nested',
    off: 'fail',
    where: 'L0',
    meaning: 'nested VMX: without it no guest of this level sees vmx',
  },
  {
    module: 'kvm_intel',
    name: 'ept',
    off: 'warn',
    where: 'any',
    meaning: 'EPT: off, every guest (and L2 below it) runs on shadow page tables',
  },
  {
    module: 'kvm_intel',
    name: 'enable_shadow_vmcs',
    off: 'warn',
    where: 'L0',
    meaning: 'VMCS shadowing: off, each VMREAD/VMWRITE of the guest hypervisor exits',
  },
  {
    module: 'kvm_intel',
    name: 'enable_apicv',
    off: 'warn',
    where: 'any',
    meaning: 'APIC virtualization and posted interrupts: off, interrupts cost exits',
  },
  {
    module: 'kvm_intel',
    name: 'unrestricted_guest',
    off: 'warn',
    where: 'any',
    meaning: 'unrestricted guest: off, real-mode guest code is emulated',
  },
  {
    module: 'kvm_intel',
    name: 'vpid',
    off: 'warn',
    where: 'any',
    meaning: 'VPID: off, the TLB is flushed on each guest entry and exit',
  },
  {
    module: 'kvm_intel',
    name: 'enable_ipiv',
    off: 'warn',
    where: 'any',
    meaning: 'IPI virtualization: off, IPIs between guest vCPUs exit',
  },
  {
    module: 'kvm_amd',
    name: 'nested',
    off: 'fail',
    where: 'L0',
    meaning: 'nested SVM: without it no guest of this level sees svm',
  },
  {
    module: 'kvm_amd',
    name: 'npt',
    off: 'warn',
    where: 'any',
    meaning: 'NPT: off, every guest (and L2 below it) runs on shadow page tables',
  },
  {
    module: 'kvm_amd',
    name: 'nrips',
    off: 'warn',
    where: 'L0',
    meaning: 'NRIP save: off, guest hypervisors must decode intercepted instructions',
  },
  {
    module: 'kvm_amd',
    name: 'vgif',
    off: 'warn',
    where: 'L0',
    meaning: 'virtual GIF: off, STGI/CLGI of the guest hypervisor exit',
  },
  { module: 'kvm_amd', name: 'vls', off: 'warn', where: 'L0', meaning: 'virtual VMLOAD/VMSAVE: off, they exit' },
  {
    module: 'kvm_amd',
    name: 'avic',
    off: 'warn',
    where: 'any',
    meaning: 'AVIC: off (the default before Linux 6.3 on most CPUs), interrupts cost exits',
  },
  {
    module: 'kvm_amd',
    name: 'vnmi',
    off: 'warn',
    where: 'any',
    meaning: 'virtual NMI: off, NMIs to guests are emulated',
  },
];

/** Parameters that change behaviour in a nesting-specific way whatever their value. */
const NOTES: Record<string, (value: string) => Omit<ParamFinding, 'param'> | undefined> = {
  'kvm_intel.nested_early_check': (v) =>
    isOn(v)
      ? {
          status: 'warn',
          meaning: 'nested_early_check is on: every L2 entry is checked by hardware first (debug aid, slower)',
          fix: 'Turn it off unless you are debugging VM-entry failures: kvm_intel nested_early_check=0.',
        }
      : undefined,
};

function fixFor(module: string, settings: readonly string[], level: string): string {
  const option = module.replace('_', '-');
  const conf = `/etc/modprobe.d/${module}.conf`;
  const boot = settings.map((s) => `${option}.${s}`).join(' ');
  return (
    `On ${level}, with all guests stopped: echo "options ${option} ${settings.join(' ')}" >> ${conf}; modprobe -r ` +
    `${module}; modprobe ${module} (or boot with ${boot}). If ${settings.length > 1 ? 'one' : 'it'} stays off, ` +
    `the CPU (or, in a VM, the CPU model it was given) lacks the feature.`
  );
}

/** One fix for several findings: the options of one module set in one line, then the other fixes. */
export function combinedFix(findings: readonly ParamFinding[], level: string): string {
  const settings = new Map<string, string[]>();
  for (const f of findings)
    if (f.setting) settings.set(f.param.module, [...(settings.get(f.param.module) ?? []), f.setting]);
  const others = findings.filter((f) => !f.setting && f.fix).map((f) => f.fix);
  return [...[...settings].map(([module, list]) => fixFor(module, list, level)), ...others].join(' ');
}

/** Findings for the parameters of one level, in rule order; parameters not collected are absent. */
const NO_THIRD_LEVEL = 'its own guests cannot nest further (fine for L0 -> L1 -> L2)';

export function interpretKvmParams(params: readonly KvmParam[], level: 'L0' | 'L1' | 'L2'): ParamFinding[] {
  const out: ParamFinding[] = [];
  for (const rule of RULES) {
    if (rule.where === 'L0' && level === 'L2') continue;
    const param = params.find((p) => p.module === rule.module && p.name === rule.name);
    if (!param) continue;
    const on = isOn(param.value);
    if (on === undefined) continue;
    if (on) out.push({ param, status: 'pass', meaning: rule.meaning.replace(/: (off|without).*$/, ' on') });
    // L1's `nested` only matters when L1 wants to offer nesting to L2 (a third level).
    else if (rule.name === 'nested' && level !== 'L0')
      out.push({
        param,
        status: 'pass',
        meaning: `${rule.module}.nested is off on ${level}: ${NO_THIRD_LEVEL}`,
      });
    else {
      const setting = `${rule.name}=1`;
      out.push({ param, status: rule.off, meaning: rule.meaning, fix: fixFor(rule.module, [setting], level), setting });
    }
  }
  for (const param of params) {
    const note = NOTES[`${param.module}.${param.name}`]?.(param.value);
    if (note) out.push({ param, ...note });
  }
  return out;
}
