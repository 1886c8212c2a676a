// Pure: which items the analysis reads, derived from the check registry plus what the
// verdicts (runs-on, guests, level tables) read. The readers load only these and the
// libvirt logs: a large site-specific item is never pulled into memory for nothing.
// Functions, not constants: evidence.ts re-exports isAnalysed and the checks import
// evidence.ts, so CHECKS may not be initialised yet when this module is evaluated.
import { CHECKS } from './checks/index.js';

/** Items the verdicts read apart from the checks: the quick ones are collected by `check`. */
const VERDICT_ITEMS = {
  quick: [
    'uname', 'cpuinfo', 'lscpu', 'detect-virt', 'cpuid-signature', 'identity', 'qemu-cmdlines', 'qemu-kvm-fds', 'domains',
    'container',
    'device-tree',
  ],
  more: [
    'dmesg', 'kernel-journal', 'dmidecode', 'x86info', 'sysinfo', 'os-release', 'qemu-version', 'libvirt-version',
    'libvirt-qemu-logs', 'libvirt-session-domains', 'pve-vm-configs', 'pve-qm-list', 'xen-domains',
  ],
  // what people paste next to the layout: a raw CPUID dump, a grep of dmesg (no collector)
  pasted: ['extra-cpuid-dump', 'extra-dmesg-grep', 'extra-qemu-stderr'],
} as const;

/** Items `nestbug check` collects: small reads that decide the verdicts and the checks. */
export function checkItems(): ReadonlySet<string> {
  return new Set([...VERDICT_ITEMS.quick, ...CHECKS.flatMap((c) => c.reads)]);
}

/** Every item the analysis reads. */
export function analysedItems(): ReadonlySet<string> {
  const fromChecks = CHECKS.flatMap((c) => [...c.reads, ...(c.alsoReads ?? [])]);
  return new Set([...Object.values(VERDICT_ITEMS).flat(), ...fromChecks]);
}

/** Ids that name no collector on purpose: raw captures pasted next to a bundle's files. */
export const PASTED_ITEMS: readonly string[] = VERDICT_ITEMS.pasted;

let analysed: ReadonlySet<string> | undefined;

/** True for the bundle paths the analysis reads: `L1/cpuinfo.txt`, `L0/libvirt/x.log`. */
export function isAnalysed(bundlePath: string): boolean {
  analysed ??= analysedItems();
  const m = /^L[0-2]\/(?:libvirt(?:-session)?\/.+|([^/]+)\.txt)$/.exec(bundlePath);
  return m !== null && (m[1] === undefined || analysed.has(m[1]));
}
