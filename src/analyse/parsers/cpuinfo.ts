// Pure: /proc/cpuinfo on x86 (per-processor blocks) and s390x (one header block).
export interface CpuInfo {
  vendor?: string;
  modelName?: string;
  flags: Set<string>;
  /** 1-based line of the first flags/features line, for citations. */
  flagsLine?: number;
  modelLine?: number;
  processors: number;
  arch: 'x86' | 's390x' | 'arm' | 'ppc' | 'unknown';
}

export function parseCpuinfo(text: string): CpuInfo {
  const info: CpuInfo = { flags: new Set(), processors: 0, arch: 'unknown' };
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    const m = /^([^:]+?)\s*:\s?(.*)$/.exec(line);
    if (!m) return;
    const key = m[1].trim().toLowerCase();
    const value = m[2].trim();
    if (key === 'processor') info.processors++;
    if (key === 'vendor_id' && info.vendor === undefined) {
      info.vendor = value;
      if (value === 'IBM/S390') info.arch = 's390x';
      else if (/Intel|AMD|Hygon|Centaur|Zhaoxin/i.test(value)) info.arch = 'x86';
    }
    if (key === 'model name' && info.modelName === undefined) {
      info.modelName = value;
      info.modelLine = index + 1;
    }
    if ((key === 'flags' || key === 'features') && info.flagsLine === undefined) {
      for (const f of value.split(/\s+/)) if (f) info.flags.add(f);
      info.flagsLine = index + 1;
    }
    if (key === 'cpu implementer' && info.arch === 'unknown') info.arch = 'arm';
    if (key === 'cpu' && /POWER/i.test(value) && info.arch === 'unknown') info.arch = 'ppc';
    if (/^processor \d+$/.test(key)) info.processors++;
    if (key === '# processors') info.processors = Number(value) || info.processors;
  });
  return info;
}

/** The hardware virtualization flag this CPU architecture would show, if any. */
export function virtualizationFlags(info: CpuInfo): string[] {
  return ['vmx', 'svm', 'sie'].filter((f) => info.flags.has(f));
}
