// Pure: which collected item a pasted text is, by its content (a file named `cpuinfo`,
// `proc-cpuinfo.txt` or `host-dmesg.log` is read for what it holds, not for its name),
// and the level a name or heading says it comes from.

import { shellWords } from '../analyse/parsers/shell-words.js';
import type { Level } from '../levels.js';

export type PastedItem =
  | 'cpuinfo'
  | 'lscpu'
  | 'dmesg'
  | 'domains'
  | 'qemu-cmdlines'
  | 'uname'
  | 'dmidecode'
  | 'os-release'
  | 'sysinfo'
  | 'kvm-modules'
  | 'cpuid-signature';

const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

/** Content signatures, most specific first. */
const SIGNATURES: Array<[PastedItem, (t: string) => boolean]> = [
  ['domains', (t) => /<domain\s[^>]*type=['"]\w+['"]/.test(t)],
  ['cpuinfo', (t) => /^processor\s*:\s*\d+\s*$/m.test(t) && /^(flags|features|model name|cpu family)\s*:/m.test(t)],
  ['sysinfo', (t) => /^Manufacturer:\s+IBM/m.test(t) && /^(LPAR|VM\d\d) /m.test(t)],
  ['cpuinfo', (t) => /^vendor_id\s*:\s*IBM\/S390/m.test(t) && /^features\s*:/m.test(t)],
  ['lscpu', (t) => /^Architecture:\s+\S+/m.test(t) && /^(CPU\(s\)|Model name|Vendor ID|Byte Order):/m.test(t)],
  ['dmidecode', (t) => /^Handle 0x[0-9A-Fa-f]{4}, DMI type \d+/m.test(t) || /^# dmidecode \d/m.test(t)],
  ['qemu-cmdlines', (t) => qemuCommandLine(t) !== undefined],
  ['dmesg', (t) => count(t, /^\s*\[\s*\d+\.\d+\]/gm) >= 2 || /^\s*(\[\s*\d+\.\d+\]\s*)?Linux version \d/m.test(t)],
  ['kvm-modules', (t) => /^Module\s+Size\s+Used by/m.test(t) || /^kvm(_intel|_amd)?\s+\d+\s+\d+/m.test(t)],
  ['os-release', (t) => /^PRETTY_NAME=/m.test(t) && /^ID=/m.test(t)],
  ['uname', (t) => /^Linux \S+ \d+\.\d+\S* #\S+/m.test(t.trim()) && t.trim().split('\n').length <= 2],
  [
    'cpuid-signature',
    (t) => /KVMKVMKVM|TCGTCGTCGTCG|Microsoft Hv|VMwareVMware|XenVMMXenVMM/.test(t) && t.split('\n').length < 40,
  ],
];

export function recognise(text: string): PastedItem | undefined {
  for (const [item, matches] of SIGNATURES) if (matches(text)) return item;
  return undefined;
}

/** A QEMU invocation typed or pasted as a shell command (continuations, a prompt, sudo,
 * environment assignments): its arguments, binary first. */
export function qemuCommandLine(text: string): string[] | undefined {
  const joined = text.replace(/\\\r?\n/g, ' ').split('\n');
  for (const line of joined) {
    const body = line.replace(/^\s*(\S+@\S+[:~][^$#]*)?[$#]\s+/, '').trim();
    let words: string[];
    try {
      words = shellWords(body);
    } catch {
      continue;
    }
    while (
      words.length &&
      (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]) || words[0] === 'sudo' || words[0] === 'exec' || words[0] === 'env')
    )
      words.shift();
    if (
      words.length >= 2 &&
      /(^|\/)(qemu-system-[\w]+|qemu-kvm|kvm)$/.test(words[0]) &&
      words.some((w) => w.startsWith('-'))
    )
      return words;
  }
  return undefined;
}

/** The item file in bundle layout: QEMU command lines become one argument per line. */
export function asItemText(item: PastedItem, text: string): string {
  if (item !== 'qemu-cmdlines') return text.endsWith('\n') ? text : `${text}\n`;
  const args = qemuCommandLine(text) ?? [];
  return `==> pid 0 <==\n${args.join('\n')}\n`;
}

/** "L1", "l2-dmesg.txt", "Inside the nested guest": the level a name or heading names. */
export function levelNamed(text: string): Level | undefined {
  const explicit = /(?:^|[^A-Za-z0-9])L([012])(?![0-9])/i.exec(text);
  if (explicit) return `L${explicit[1]}` as Level;
  if (/nested guest|\bguest'?s guest\b/i.test(text)) return 'L2';
  if (/guest hypervisor|\bguest\b|inside the vm|\bvm\b/i.test(text)) return 'L1';
  if (/bare[- ]metal|\bhost\b|hypervisor host|physical/i.test(text)) return 'L0';
  return undefined;
}

/** A level for items no name or heading places: a guest's own view says L1, else L0. */
export function defaultLevel(texts: string[]): Level {
  const inGuest = texts.some(
    (t) => /^flags\s*:.*\bhypervisor\b/m.test(t) || /Hypervisor detected:/.test(t) || /^Hypervisor vendor:/m.test(t),
  );
  return inGuest ? 'L1' : 'L0';
}
