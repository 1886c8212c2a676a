// Pure: the files of a bundle (or a partial folder) as the analysers see them.
import type { Level } from '../levels.js';

export interface EvidenceFiles {
  /** Text of `L1/cpuinfo.txt` and the like; undefined when absent. */
  get(bundlePath: string): string | undefined;
  /** Bundle paths under a folder, e.g. `L1/libvirt/`. */
  list(prefix: string): string[];
}

export function evidenceFromMap(files: Map<string, string>): EvidenceFiles {
  return {
    get: (p) => files.get(p),
    list: (prefix) => [...files.keys()].filter((k) => k.startsWith(prefix)).sort(),
  };
}

export interface Citation {
  file: string;
  line?: number;
  text: string;
}

/** First line matching `re` in a file, as a citation. */
export function findLine(files: EvidenceFiles, file: string, re: RegExp): Citation | undefined {
  const text = files.get(file);
  if (text === undefined) return undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (re.test(lines[i])) return { file, line: i + 1, text: lines[i].trim().slice(0, 300) };
  }
  return undefined;
}

/** Every item the analysis reads (typed, so an id missing here does not compile). The
 * readers load only these and the libvirt logs: a large site-specific item is never
 * pulled into memory for nothing. */
export const ANALYSED_ITEMS = [
  'cmdline', 'cpuid-signature', 'cpuinfo', 'detect-virt', 'dmesg', 'dmidecode', 'domains', 'identity',
  'kvm-device', 'kvm-modules', 'kvm-params', 'libvirt-version',
  'lscpu', 'modprobe-conf', 'os-release', 'qemu-cmdlines', 'qemu-kvm-fds', 'qemu-version', 'sysinfo', 'uname',
  'vmx-msrs', 'x86info',
  // what people paste next to the layout: a raw CPUID dump, a grep of dmesg
  'extra-cpuid-dump', 'extra-dmesg-grep',
] as const;
export type AnalysedItem = (typeof ANALYSED_ITEMS)[number];

const ANALYSED = new Set<string>(ANALYSED_ITEMS);

/** True for the bundle paths the analysis reads: `L1/cpuinfo.txt`, `L0/libvirt/x.log`. */
export function isAnalysed(bundlePath: string): boolean {
  const m = /^L[0-2]\/(?:libvirt\/.+|([^/]+)\.txt)$/.exec(bundlePath);
  return m !== null && (m[1] === undefined || ANALYSED.has(m[1]));
}

export function levelFile(level: Level, id: AnalysedItem): string {
  return `${level}/${id}.txt`;
}
