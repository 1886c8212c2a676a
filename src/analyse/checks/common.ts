// Pure: small helpers the checks share.
import type { Level } from '../../levels.js';
import { type Citation, type EvidenceFiles, findLine, levelFile } from '../evidence.js';
import { type CpuInfo, parseCpuinfo } from '../parsers/cpuinfo.js';
import { cpuFromLscpu } from '../parsers/lscpu-cpu.js';
import { parseKvmParams } from '../parsers/kvm-params.js';
import type { CheckStatus } from '../types.js';
import type { CheckResult } from './registry.js';

export const cite = (file: string, line: number | undefined, text: string): Citation => ({ file, line, text: text.slice(0, 300) });

export function result(status: CheckStatus, summary: string, evidence: Citation[], fix?: string, title?: string): CheckResult {
  return { status, summary, evidence, ...(fix ? { fix } : {}), ...(title ? { title } : {}) };
}

/** The CPU of a level from /proc/cpuinfo (file: where to cite it). */
export function cpuOf(files: EvidenceFiles, level: Level): (CpuInfo & { file: string }) | undefined {
  const file = levelFile(level, 'cpuinfo');
  const text = files.get(file);
  return text ? { ...parseCpuinfo(text), file } : undefined;
}

/** /proc/cpuinfo, else lscpu's Flags line (a pasted report often has lscpu only), as the
 * level table reads it; checks that use it declare lscpu among the items they read. */
export function cpuOrLscpu(files: EvidenceFiles, level: Level): (CpuInfo & { file: string }) | undefined {
  return cpuOf(files, level) ?? cpuFromLscpu(files.get(levelFile(level, 'lscpu')), levelFile(level, 'lscpu'));
}

export function virtFlagOf(cpu: CpuInfo): 'vmx' | 'svm' | 'sie' | undefined {
  return (['vmx', 'svm', 'sie'] as const).find((f) => cpu.flags.has(f));
}

export function expectedFlag(cpu: CpuInfo | undefined): string {
  if (cpu?.arch === 's390x') return 'sie';
  if (cpu?.vendor === 'GenuineIntel') return 'vmx';
  if (cpu?.vendor === 'AuthenticAMD' || cpu?.vendor === 'HygonGenuine') return 'svm';
  return 'vmx/svm';
}

export function vendorModule(cpu: CpuInfo | undefined): string {
  if (cpu?.arch === 's390x') return 'kvm';
  if (cpu?.vendor === 'GenuineIntel') return 'kvm_intel';
  if (cpu?.vendor === 'AuthenticAMD' || cpu?.vendor === 'HygonGenuine') return 'kvm_amd';
  return 'kvm_intel or kvm_amd';
}

export function kvmLoaded(files: EvidenceFiles, level: Level): { loaded: boolean | undefined; modules: string[]; cite?: Citation } {
  const text = files.get(levelFile(level, 'kvm-modules'));
  const params = parseKvmParams(files.get(levelFile(level, 'kvm-params')) ?? '');
  const fromModules = (text ?? '').split('\n').map((l) => l.split(/\s+/)[0]).filter((m) => /^kvm/.test(m));
  const modules = [...new Set([...fromModules, ...params.map((p) => p.module)])];
  if (text === undefined && params.length === 0) return { loaded: undefined, modules };
  const first = text ? findLine(files, levelFile(level, 'kvm-modules'), /^kvm/) : undefined;
  const p = params[0];
  const c = first ?? (p ? cite(levelFile(level, 'kvm-params'), p.line, `${p.module}.${p.name}=${p.value}`) : undefined);
  return { loaded: modules.length > 0, modules, cite: c };
}
