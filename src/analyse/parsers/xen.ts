// Pure: a Xen dom0's view: `xl info` (virt_caps: hvm, hap), and each guest's nesting
// switches from `xl list -l` (libxl JSON) or the xl configuration files.
import { parseColonLines } from './key-value.js';

export interface XlInfo {
  virtCaps: string[];
  virtCapsLine?: number;
  version?: string;
  commandLine?: string;
}

export function parseXlInfo(text: string): XlInfo {
  const kv = parseColonLines(text);
  const get = (k: string) => kv.find((l) => l.key.trim() === k);
  const caps = get('virt_caps');
  const major = get('xen_major')?.value;
  const minor = get('xen_minor')?.value;
  return {
    virtCaps: caps ? caps.value.split(/\s+/).filter(Boolean) : [],
    virtCapsLine: caps?.line,
    version: major !== undefined ? `${major}.${minor ?? '?'}${get('xen_extra')?.value ?? ''}` : undefined,
    commandLine: get('xen_commandline')?.value,
  };
}

export interface XenGuest {
  name?: string;
  hvm: boolean;
  /** undefined: not set (libxl's default: hap on when the hardware has it, nestedhvm off). */
  hap?: boolean;
  nestedHvm?: boolean;
  file: string;
  line: number;
  text: string;
}

const truth = (v: unknown): boolean | undefined => {
  const s = String(v).replace(/^["']|["']$/g, '');
  if (/^(1|true|yes|on)$/i.test(s)) return true;
  if (/^(0|false|no|off)$/i.test(s)) return false;
  return undefined;
};

function findKey(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  if (key in (value as Record<string, unknown>)) return (value as Record<string, unknown>)[key];
  for (const v of Object.values(value as Record<string, unknown>)) {
    const found = findKey(v, key);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** `xl list -l`: a JSON array of {domid, config: {c_info, b_info}}; dom0 has no config. */
function fromJson(text: string, file: string): XenGuest[] | undefined {
  const start = text.indexOf('[');
  if (start < 0) return undefined;
  let list: unknown;
  try {
    list = JSON.parse(text.slice(start));
  } catch {
    return undefined;
  }
  if (!Array.isArray(list)) return undefined;
  return list.flatMap((d) => {
    const config = (d as { config?: { c_info?: { name?: string; type?: string }; b_info?: unknown } }).config;
    if (!config?.b_info) return [];
    const name = config.c_info?.name;
    const nameLine = name ? text.slice(0, text.indexOf(`"${name}"`)).split('\n').length : 1;
    return [
      {
        name,
        hvm: config.c_info?.type === 'hvm' || findKey(config.b_info, 'type.hvm') !== undefined,
        hap: truth(findKey(config.b_info, 'hap')),
        nestedHvm: truth(findKey(config.b_info, 'nested_hvm')),
        file,
        line: nameLine,
        text: `"name": "${name ?? '?'}"`,
      },
    ];
  });
}

/** xl configuration files, each after `==> /etc/xen/NAME.cfg <==`. */
function fromConfigs(text: string, file: string): XenGuest[] {
  const guests: XenGuest[] = [];
  let g: XenGuest | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const header = /^==> (\/\S+) <==$/.exec(raw);
    if (header) {
      g = { hvm: false, file, line, text: raw };
      guests.push(g);
      return;
    }
    const m = /^\s*([a-z_]+)\s*=\s*(.*?)\s*(?:#.*)?$/.exec(raw);
    if (!m || !g) return;
    const [, key, value] = m;
    if (key === 'name') g.name = value.replace(/^["']|["']$/g, '');
    else if (key === 'type' || key === 'builder') g.hvm = /hvm/.test(value);
    else if (key === 'hap') g.hap = truth(value);
    else if (key === 'nestedhvm') {
      g.nestedHvm = truth(value);
      g.line = line;
      g.text = raw.trim();
    }
  });
  return guests;
}

export function parseXenGuests(text: string, file = 'xen-domains.txt'): XenGuest[] {
  return fromJson(text, file) ?? fromConfigs(text, file);
}
