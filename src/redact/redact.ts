// Pure: redaction for public bug trackers. Hostnames, IP and MAC addresses, DMI serial
// numbers and UUIDs, user names and the user's own words become consistent placeholders
// (the same host is host-1 everywhere); CPU models, flags, versions and kernel messages stay.
export type Kind = 'host' | 'ip' | 'mac' | 'serial' | 'uuid' | 'user' | 'word';

export interface Redaction {
  /** original -> placeholder */
  map: Map<string, string>;
  /** Values seen but kept, with why (a hostname that is also a technical word). */
  kept: Array<{ value: string; why: string }>;
}

// Words kernel developers need: a host called "kvm" or "debian" keeps its name.
const TECHNICAL = new Set(['kvm', 'qemu', 'tcg', 'linux', 'debian', 'ubuntu', 'fedora', 'centos', 'rhel', 'localhost', 'root', 'host', 'guest', 'none', 'local', 'libvirt', 'amd', 'intel', 'x86_64', 'vm', 'l0', 'l1', 'l2']);
const USER_KEEP = new Set(['root', 'nobody', 'libvirt-qemu', 'qemu', 'kvm', 'daemon', 'sshd']);

const IPV4 = /(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\w.])/g;
// IPv6 with "::" or all eight groups; times like 23:34:57 do not match.
const IPV6 = /(?<![\w:.])(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){1,7}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6})?|::(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6}))(?![\w:])/gi;
const MAC = /(?<![\w:])(?:[0-9a-f]{2}:){5}[0-9a-f]{2}(?![\w:])/gi;
const UUID = /(?<![\w-])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![\w-])/gi;
const DMI_SERIAL = /^(\s*(?:Serial Number|Asset Tag|UUID|SKU Number|Service Tag):\s*)(.+?)\s*$/gm;

function keepIpv4(ip: string): boolean {
  return /^(127\.|0\.0\.0\.0$|255\.|224\.0\.0\.)/.test(ip);
}

function keepIpv6(ip: string): boolean {
  return ip === '::' || ip === '::1' || !/[0-9a-f]{3}|::/i.test(ip) || /^[0:]+$/.test(ip);
}

function keepDmiValue(value: string): boolean {
  return /^(Not Specified|Not Settable|Not Present|To Be Filled By O\.E\.M\.|Default string|None|Unknown|0+|\s*)$/i.test(value);
}

export interface RedactionInput {
  texts: Iterable<string>;
  hostnames: string[];
  users: string[];
  words: string[];
}

export function buildRedaction(input: RedactionInput): Redaction {
  const map = new Map<string, string>();
  const kept: Redaction['kept'] = [];
  const counters = new Map<Kind, number>();
  const add = (value: string, kind: Kind) => {
    if (!value || map.has(value)) return;
    const n = (counters.get(kind) ?? 0) + 1;
    counters.set(kind, n);
    map.set(value, `${kind}-${n}`);
  };
  for (const word of input.words) add(word, 'word');
  for (const host of input.hostnames) {
    // An address given as the host is redacted as an address; its first "label" ("127" of
    // 127.0.0.1) is no name, and replacing every 127 would rewrite numbers everywhere.
    if (/^\d+(\.\d+){3}$/.test(host) || host.includes(':')) continue;
    const names = new Set([host, host.split('.')[0]].filter(Boolean));
    for (const name of names) {
      const unsafe = TECHNICAL.has(name.toLowerCase()) || name.length < 3 || /^\d+$/.test(name);
      if (!unsafe) add(name, 'host');
      else if (!kept.some((k) => k.value === name)) kept.push({ value: name, why: 'also a technical word or too short to redact safely' });
    }
  }
  for (const user of input.users) if (!USER_KEEP.has(user) && user.length >= 2) add(user, 'user');
  for (const text of input.texts) {
    for (const m of text.matchAll(IPV4)) if (!keepIpv4(m[0])) add(m[0], 'ip');
    for (const m of text.matchAll(IPV6)) if (!keepIpv6(m[0])) add(m[0].toLowerCase(), 'ip');
    for (const m of text.matchAll(MAC)) if (!/^(00:){5}00$|^(ff:){5}ff$/i.test(m[0])) add(m[0].toLowerCase(), 'mac');
    for (const m of text.matchAll(UUID)) if (!/^[0-]+$/.test(m[0])) add(m[0].toLowerCase(), 'uuid');
    for (const m of text.matchAll(DMI_SERIAL)) {
      const value = m[2];
      if (!keepDmiValue(value) && !UUID.test(value)) add(value, 'serial');
      UUID.lastIndex = 0;
    }
    for (const m of text.matchAll(/\/home\/([a-z_][a-z0-9_.-]{1,31})\b/g)) if (!USER_KEEP.has(m[1])) add(m[1], 'user');
  }
  return { map, kept };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** One regular expression for all values, longest first, case-insensitive for names. */
export function redactor(redaction: Redaction): (text: string) => string {
  if (redaction.map.size === 0) return (t) => t;
  const values = [...redaction.map.keys()].sort((a, b) => b.length - a.length);
  const re = new RegExp(values.map((v) => (/^[\w.-]+$/.test(v) ? `(?<![\\w.-])${escapeRe(v)}(?![\\w-])` : escapeRe(v))).join('|'), 'gi');
  const lower = new Map([...redaction.map].map(([k, v]) => [k.toLowerCase(), v]));
  return (text) => text.replace(re, (m) => lower.get(m.toLowerCase()) ?? m);
}

/** A JSON value with the redactor applied to its strings only: keys, numbers and the
 * shape stay as they are, so the result is always valid JSON of the same schema. */
export function redactStrings<T>(value: T, apply: (text: string) => string): T {
  if (typeof value === 'string') return apply(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactStrings(v, apply)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactStrings(v, apply)])) as T;
  return value;
}

/** Originals still present in a text (for the final scan of the bundle). */
export function leftovers(text: string, redaction: Redaction): string[] {
  const found: string[] = [];
  const hay = text.toLowerCase();
  for (const value of redaction.map.keys()) {
    const v = value.toLowerCase();
    let at = hay.indexOf(v);
    while (at >= 0) {
      const before = hay[at - 1] ?? ' ';
      const after = hay[at + v.length] ?? ' ';
      // A whole occurrence, not part of a longer name (the redactor works by words).
      if (!/[\w.-]/.test(before) && !/[\w-]/.test(after)) {
        found.push(value);
        break;
      }
      at = hay.indexOf(v, at + 1);
    }
  }
  return found;
}
