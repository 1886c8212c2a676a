// Pure: the VMX (Intel) and SVM (AMD) sub-features a level's CPU offers, read from
// /proc/cpuinfo, and what L1 lost compared with L0. Linux >= 5.8 prints a `vmx flags`
// line; older kernels (and every AMD kernel) show a few of them among the plain flags.
// What a loss costs L2 is stated per feature, so a general rule speaks, not a file match.

export interface FeatureSet {
  /** Where the names come from: the dedicated line, or the plain flags. */
  source: 'vmx flags' | 'flags';
  features: Set<string>;
  /** 1-based line in cpuinfo, for citations. */
  line: number;
}

export interface FeatureCost {
  /** Short name as Linux prints it. */
  name: string;
  /** What L2 pays when L1 does not have it. */
  cost: string;
  /** Losing it makes L2 much slower or breaks a feature; the rest is a few more exits. */
  major: boolean;
}

const cost = (name: string, major: boolean, text: string): FeatureCost => ({ name, cost: text, major });

export const VMX_COSTS: FeatureCost[] = [
  cost('ept', true, 'no EPT in L1: L1 runs L2 on shadow page tables, every guest page-table change exits (very slow)'),
  cost(
    'unrestricted_guest',
    true,
    'no unrestricted guest: L2 real mode and big-real mode are emulated (slow boot, some firmware fails)',
  ),
  cost('vpid', true, 'no VPID: the TLB is flushed on every L2 entry and exit'),
  cost('shadow_vmcs', true, 'no VMCS shadowing: each VMREAD/VMWRITE of L1 exits to L0 (many more exits per L2 exit)'),
  cost('ept_ad', false, 'no EPT accessed/dirty bits: dirty tracking and live migration of L2 cost more'),
  cost('pml', false, 'no page-modification logging: dirty-page logging of L2 falls back to write protection'),
  cost('posted_intr', false, 'no posted interrupts: interrupts to L2 go through extra exits'),
  cost('apicv', false, 'no APIC virtualization: L2 APIC accesses exit'),
  cost('vid', false, 'no virtual interrupt delivery: interrupt delivery to L2 exits'),
  cost('vapic_reg', false, 'no APIC-register virtualization: L2 APIC register reads exit'),
  cost('flexpriority', false, 'no FlexPriority: L2 TPR accesses exit'),
  cost('vtpr', false, 'no TPR shadow: every L2 TPR write exits'),
  cost('tsc_scaling', false, 'no TSC scaling: L2 cannot run at a different TSC frequency (migration between hosts)'),
  cost('tsc_offset', false, 'no TSC offsetting: L2 TSC reads exit'),
  cost('preemption_timer', false, 'no VMX preemption timer: L2 timers use a slower path'),
  cost('vnmi', false, 'no virtual NMIs: NMI handling in L2 is emulated'),
  cost('ept_1gb', false, 'no 1 GiB EPT pages: more TLB misses in L2'),
  cost('ept_mode_based_exec', false, 'no mode-based execute control: Windows VBS/HVCI in L2 is slower'),
  cost('ple', false, 'no pause-loop exiting: spinning L2 vCPUs are not descheduled'),
  cost('invvpid', false, 'no INVVPID: TLB invalidation of L2 is coarser'),
];

export const SVM_COSTS: FeatureCost[] = [
  cost('npt', true, 'no NPT in L1: L1 runs L2 on shadow page tables (very slow)'),
  cost(
    'nrip_save',
    true,
    'no NRIP save: L1 must decode every intercepted L2 instruction (required by some hypervisors)',
  ),
  cost('vgif', false, 'no virtual GIF: STGI/CLGI of L1 exit to L0'),
  cost('v_vmsave_vmload', false, 'no virtual VMSAVE/VMLOAD: every L1 VMSAVE/VMLOAD exits to L0'),
  cost('avic', false, 'no AVIC: interrupts to L2 go through extra exits'),
  cost('x2avic', false, 'no x2AVIC: x2APIC guests get no interrupt virtualization'),
  cost('vnmi', false, 'no virtual NMIs: NMI handling in L2 is emulated'),
  cost('lbrv', false, 'no LBR virtualization: L2 cannot use last-branch records cheaply'),
  cost('tsc_scale', false, 'no TSC scaling: L2 cannot run at a different TSC frequency'),
  cost('vmcb_clean', false, 'no VMCB clean bits: L0 reloads the whole VMCB on each L2 entry'),
  cost('flushbyasid', false, 'no flush-by-ASID: TLB flushes of L2 are whole-TLB'),
  cost('decodeassists', false, 'no decode assists: L1 decodes intercepted instructions itself'),
  cost('pausefilter', false, 'no pause filter: spinning L2 vCPUs are not descheduled'),
  cost('pfthreshold', false, 'no pause filter threshold'),
];

/** The VMX features Linux also shows among the plain flags (before and after 5.8). */
const VMX_IN_FLAGS = new Map([
  ['tpr_shadow', 'vtpr'],
  ['vnmi', 'vnmi'],
  ['flexpriority', 'flexpriority'],
  ['ept', 'ept'],
  ['vpid', 'vpid'],
  ['ept_ad', 'ept_ad'],
]);
const SVM_NAMES = new Set(SVM_COSTS.map((c) => c.name).concat(['svm_lock', 'v_spec_ctrl', 'vmcb_clean', 'avic']));

function firstLine(text: string, key: RegExp): { value: string; line: number } | undefined {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^:]+?)\s*:\s?(.*)$/.exec(lines[i]);
    if (m && key.test(m[1].trim())) return { value: m[2].trim(), line: i + 1 };
  }
  return undefined;
}

const words = (s: string) => new Set(s.split(/\s+/).filter(Boolean));

/** VMX features of one level; undefined when the CPU has no vmx (or no cpuinfo). */
export function vmxFeatures(cpuinfo: string): FeatureSet | undefined {
  const line = firstLine(cpuinfo, /^vmx flags$/);
  if (line) return { source: 'vmx flags', features: words(line.value), line: line.line };
  const flags = firstLine(cpuinfo, /^flags$/);
  if (!flags) return undefined;
  const all = words(flags.value);
  if (!all.has('vmx')) return undefined;
  const features = new Set([...all].filter((f) => VMX_IN_FLAGS.has(f)).map((f) => VMX_IN_FLAGS.get(f)!));
  return { source: 'flags', features, line: flags.line };
}

/** SVM features of one level (always among the plain flags); undefined without svm. */
export function svmFeatures(cpuinfo: string): FeatureSet | undefined {
  const flags = firstLine(cpuinfo, /^flags$/);
  if (!flags) return undefined;
  const all = words(flags.value);
  if (!all.has('svm')) return undefined;
  return { source: 'flags', features: new Set([...all].filter((f) => SVM_NAMES.has(f))), line: flags.line };
}

export interface FeatureLoss {
  kind: 'vmx' | 'svm';
  /** Features L0 has and L1 does not, most costly first. */
  lost: FeatureCost[];
  /** Other names L0 has and L1 does not (no known cost). */
  otherLost: string[];
  /** When one side only had the plain flags, only the names both can show were compared. */
  compared: 'vmx flags' | 'flags';
}

/** What L1 lost; undefined when there is nothing to compare (no vmx/svm on one side). */
export function compareFeatures(
  kind: 'vmx' | 'svm',
  l0: FeatureSet | undefined,
  l1: FeatureSet | undefined,
): FeatureLoss | undefined {
  if (!l0 || !l1) return undefined;
  const costs = kind === 'vmx' ? VMX_COSTS : SVM_COSTS;
  let l0Names = l0.features;
  let compared: FeatureLoss['compared'] = 'vmx flags';
  if (kind === 'svm' || l0.source !== l1.source) {
    // The plain flags carry only a few VMX names: compare just those.
    const shared = kind === 'svm' ? undefined : new Set(VMX_IN_FLAGS.values());
    l0Names = shared ? new Set([...l0.features].filter((f) => shared.has(f))) : l0.features;
    compared = 'flags';
  }
  const missing = [...l0Names].filter((f) => !l1.features.has(f));
  const lost = costs.filter((c) => missing.includes(c.name)).sort((a, b) => Number(b.major) - Number(a.major));
  const otherLost = missing.filter((f) => !costs.some((c) => c.name === f)).sort();
  return { kind, lost, otherLost, compared };
}
