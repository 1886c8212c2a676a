// Pure: "Key:   value" outputs (lscpu, /proc/sysinfo, dmidecode sections).
export interface KeyValueLine {
  key: string;
  value: string;
  line: number;
}

export function parseColonLines(text: string): KeyValueLine[] {
  const out: KeyValueLine[] = [];
  text.split('\n').forEach((raw, index) => {
    const m = /^\s*([^:]+?):\s*(.*?)\s*$/.exec(raw);
    if (m) out.push({ key: m[1], value: m[2], line: index + 1 });
  });
  return out;
}

export function firstValue(lines: readonly KeyValueLine[], key: string): KeyValueLine | undefined {
  return lines.find((l) => l.key.toLowerCase() === key.toLowerCase());
}
