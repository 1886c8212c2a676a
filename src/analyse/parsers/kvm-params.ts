// Pure: `module.param=value` lines (kvm-params item).
export interface KvmParam {
  module: string;
  name: string;
  value: string;
  line: number;
}

export function parseKvmParams(text: string): KvmParam[] {
  const out: KvmParam[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    // Also accept `/sys/module/kvm_amd/parameters/nested=1` and `...nested = 1` forms.
    const m = /^(?:\/sys\/module\/)?([a-z0-9_]+)(?:\.|\/parameters\/)([a-z0-9_]+)\s*[=:]\s*(.*)$/i.exec(line);
    if (m) out.push({ module: m[1], name: m[2], value: m[3].trim(), line: index + 1 });
  });
  return out;
}

export function isOn(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (/^(y|1|yes|on|true)$/i.test(value)) return true;
  if (/^(n|0|no|off|false)$/i.test(value)) return false;
  return undefined;
}
