// Pure: the CPU as lscpu shows it, for a level whose /proc/cpuinfo is absent (a pasted
// report often has lscpu only). Its Flags line is the same list as cpuinfo's flags, so
// checks and level tables read the one CpuInfo, and citations name lscpu's file and line.
import type { CpuInfo } from './cpuinfo.js';
import { parseColonLines } from './key-value.js';

export function cpuFromLscpu(text: string | undefined, file: string): (CpuInfo & { file: string }) | undefined {
  if (!text) return undefined;
  const lines = parseColonLines(text);
  const get = (key: string) => lines.find((l) => l.key === key);
  const flags = get('Flags');
  if (!flags) return undefined;
  const vendor = get('Vendor ID')?.value;
  const architecture = get('Architecture')?.value ?? '';
  const arch = /s390/.test(architecture)
    ? 's390x'
    : /x86|i[3-6]86/.test(architecture)
      ? 'x86'
      : /aarch64|arm/.test(architecture)
        ? 'arm'
        : /ppc/.test(architecture)
          ? 'ppc'
          : 'unknown';
  const model = get('Model name');
  return {
    vendor: vendor === 'IBM/S390' || vendor ? vendor : undefined,
    modelName: model?.value,
    modelLine: model?.line,
    flags: new Set(flags.value.split(/\s+/).filter(Boolean)),
    flagsLine: flags.line,
    processors: Number(get('CPU(s)')?.value) || 0,
    arch,
    file,
  };
}
