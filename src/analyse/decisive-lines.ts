// Pure data: the lines that decide, wherever a level logged them (kernel log, libvirt's
// per-domain QEMU logs, pasted QEMU output), what each means, and a finder that cites
// them with file and line. Sources: Linux (arch/x86/kvm), QEMU (accel/kvm, target/i386),
// libvirt (qemu_capabilities.c), and the public reports in the project's platform notes.
import type { Level } from '../levels.js';
import { kernelLog } from './kernel-log.js';
import { type Citation, type EvidenceFiles, levelFile } from './evidence.js';

export type DecisiveId =
  | 'kvm-no-hardware'
  | 'kvm-disabled-by-bios'
  | 'vmx-not-supported'
  | 'hyperv-evmcs'
  | 'qemu-no-kvm-module'
  | 'qemu-kvm-init-failed'
  | 'qemu-back-to-tcg'
  | 'qemu-no-accelerator'
  | 'qemu-kvm-unsupported'
  | 'tcg-no-vmx'
  | 'libvirt-no-kvm-domain';

export interface DecisiveLine {
  id: DecisiveId;
  re: RegExp;
  /** What the line means, in a sentence part: "KVM found no VT-x/AMD-V". */
  means: string;
  /** Where it is logged: the kernel log, or QEMU / libvirt output. */
  source: 'kernel' | 'qemu';
}

const line = (id: DecisiveId, source: DecisiveLine['source'], re: RegExp, means: string): DecisiveLine => ({ id, re, means, source });

export const DECISIVE_LINES: readonly DecisiveLine[] = [
  line('kvm-no-hardware', 'kernel', /\bkvm: no hardware support\b/i, 'KVM found no usable VT-x/AMD-V here'),
  // Linux < 5.6 says "kvm: disabled by bios"; later kernels name the MSR (Intel and AMD).
  line(
    'kvm-disabled-by-bios',
    'kernel',
    /\bkvm: disabled by bios\b|\b(VMX|SVM) (not enabled|disabled) \(by BIOS\)|VMX \(outside TXT\) disabled by BIOS/i,
    'VT-x/AMD-V is disabled in the firmware',
  ),
  line('vmx-not-supported', 'kernel', /\b(VMX|SVM) not supported\b|kvm: no virtualization/i, 'the CPU offers no VT-x/AMD-V to this kernel'),
  line('hyperv-evmcs', 'kernel', /using Hyper-V Enlightened VMCS/i, 'KVM runs here on Hyper-V with nested virtualization on'),
  line('qemu-no-kvm-module', 'qemu', /Could not access KVM kernel module/i, 'QEMU could not open /dev/kvm'),
  line('qemu-kvm-init-failed', 'qemu', /failed to initiali[sz]e kvm/i, 'QEMU could not start KVM'),
  line('qemu-back-to-tcg', 'qemu', /Back to tcg accelerator|falling back to tcg/i, 'QEMU fell back to TCG emulation'),
  line('qemu-no-accelerator', 'qemu', /No accelerator found/i, 'QEMU found no accelerator it was asked for'),
  line(
    'qemu-kvm-unsupported',
    'qemu',
    /KVM not supported/i,
    'this QEMU cannot use KVM for the guest (another architecture, or no KVM support built in)',
  ),
  line(
    'tcg-no-vmx',
    'qemu',
    /TCG doesn't support requested feature/i,
    'QEMU runs this guest on TCG while a host CPU feature (vmx/svm) was asked for',
  ),
  line(
    'libvirt-no-kvm-domain',
    'qemu',
    /Host does not support domain type kvm|could not find capabilities for domaintype=kvm/i,
    'libvirt sees no usable KVM on this host',
  ),
];

export interface DecisiveHit extends Citation {
  id: DecisiveId;
  means: string;
  /** The line from the decisive words on, without timestamps and prefixes. */
  quote: string;
}

/** Files of a level where decisive lines may be: its kernel log and its QEMU/libvirt logs. */
function logFiles(files: EvidenceFiles, level: Level, source: DecisiveLine['source']): string[] {
  if (source === 'kernel') return [kernelLog(files, level).file, levelFile(level, 'extra-dmesg-grep')];
  const libvirtLogs = [...files.list(`${level}/libvirt/`), ...files.list(`${level}/libvirt-session/`)].filter((f) =>
    f.endsWith('.log'),
  );
  return [...libvirtLogs, levelFile(level, 'libvirt-qemu-logs'), levelFile(level, 'extra-qemu-stderr')];
}

/** libvirt appends every start of a domain to its log: only the last start is the present. */
function lastStart(lines: string[]): number {
  for (let i = lines.length - 1; i >= 0; i--) if (/: starting up\b/.test(lines[i])) return i;
  return 0;
}

/** The first line of each kind asked for, in the level's logs, cited with file and line. */
export function findDecisive(files: EvidenceFiles, level: Level, ids: readonly DecisiveId[]): DecisiveHit[] {
  const hits: DecisiveHit[] = [];
  for (const id of ids) {
    const line = DECISIVE_LINES.find((l) => l.id === id)!;
    for (const file of logFiles(files, level, line.source)) {
      const lines = (files.get(file) ?? '').split('\n');
      const from = lastStart(lines);
      const i = lines.findIndex((l, n) => n >= from && line.re.test(l));
      if (i < 0) continue;
      const quote = lines[i].slice(line.re.exec(lines[i])!.index).trim().slice(0, 160);
      hits.push({ id: line.id, means: line.means, file, line: i + 1, text: lines[i].trim().slice(0, 300), quote });
      break;
    }
  }
  return hits;
}

export const HARDWARE_OFF: readonly DecisiveId[] = ['kvm-disabled-by-bios', 'vmx-not-supported', 'kvm-no-hardware'];
export const QEMU_NO_KVM: readonly DecisiveId[] = [
  'qemu-no-kvm-module',
  'qemu-kvm-init-failed',
  'qemu-back-to-tcg',
  'qemu-no-accelerator',
  'qemu-kvm-unsupported',
  'tcg-no-vmx',
  'libvirt-no-kvm-domain',
];

/** Lines after a QEMU start that mean this guest runs on TCG (or did not get KVM). */
export const GUEST_ON_TCG: readonly DecisiveId[] = [
  'qemu-back-to-tcg',
  'qemu-no-kvm-module',
  'qemu-kvm-init-failed',
  'qemu-kvm-unsupported',
  'tcg-no-vmx',
  'kvm-no-hardware',
];

/** The decisive line a log line is, among those asked for. */
export function decisiveLine(text: string, ids: readonly DecisiveId[]): DecisiveLine | undefined {
  return DECISIVE_LINES.find((l) => ids.includes(l.id) && l.re.test(text));
}
