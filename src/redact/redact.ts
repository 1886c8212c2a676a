// Pure: redaction for public bug trackers. Hostnames (and their domain suffix), IP and MAC
// addresses, DMI and guest serial numbers, UUIDs, user names and the user's own words
// become consistent placeholders (the same host is host-1 everywhere, in every spelling:
// db7.prod.example.org is host-1.domain-1, a MAC is mac-1 with colons, hyphens or none);
// CPU models, flags, versions and kernel messages stay.
export type Kind = 'host' | 'domain' | 'ip' | 'mac' | 'serial' | 'uuid' | 'user' | 'word';

export interface Redaction {
  /** every spelling of an original -> its placeholder */
  map: Map<string, string>;
  /** How each spelling is matched (see `patternFor`); missing: as a name. */
  style: Map<string, Style>;
  /** Values seen but kept, with why (a hostname that is also a technical word). */
  kept: Array<{ value: string; why: string }>;
}

/**
 * name: any case, not inside a longer word or number (`hv01` in `hv01--vg-root`);
 * word: a host name that is an ordinary word ("nested"): exact case, and not where it is
 *   a key or a path part (`nested=1`, `/parameters/nested`, `kvm_intel.nested`);
 * afterDot: a truncated domain suffix, only right after a dot (`db7.prod.example.o`);
 * ipv4, colon (IPv6, MAC), hex (a MAC without separators), uuid.
 */
type Style = 'name' | 'word' | 'afterDot' | 'ipv4' | 'colon' | 'hex' | 'uuid';

// Words kernel developers need: a host called "kvm" or "debian" keeps its name.
const TECHNICAL = new Set([
  'kvm',
  'qemu',
  'tcg',
  'linux',
  'debian',
  'ubuntu',
  'fedora',
  'centos',
  'rhel',
  'localhost',
  'root',
  'host',
  'guest',
  'none',
  'local',
  'libvirt',
  'amd',
  'intel',
  'x86_64',
  'vm',
  'l0',
  'l1',
  'l2',
  'cpu',
  'processor',
  'flags',
  'model',
  'vendor',
  'domain',
  'default',
  'www',
  'mail',
  'localdomain',
  'lan',
  'home',
  'example',
]);
const USER_KEEP = new Set(['root', 'nobody', 'libvirt-qemu', 'qemu', 'kvm', 'daemon', 'sshd']);
// Public names that appear in evidence (URLs in kernel messages, package origins).
const PUBLIC_DOMAINS =
  /(^|\.)(kernel\.org|debian\.org|ubuntu\.com|redhat\.com|fedoraproject\.org|qemu\.org|libvirt\.org|gnu\.org|github\.com|freedesktop\.org)$/i;

const IPV4 = /(?<![\w.:])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\w]|\.\d)/g;
// IPv6 with "::" or all eight groups; times like 23:34:57 do not match. An IPv4 tail
// (::ffff:10.1.2.3) is part of the address.
const IPV6_V4 =
  /(?<![\w:.])(?:(?:[0-9a-f]{1,4}:){1,6}:?|::(?:[0-9a-f]{1,4}:){0,5})((?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d))(?![\w.:])/gi;
const IPV6 =
  /(?<![\w:.])(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){1,7}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6})?|::(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6}))(?![\w:]|\.\d)/gi;
const MAC = /(?<![\w:-])[0-9a-f]{2}([:-])(?:[0-9a-f]{2}\1){4}[0-9a-f]{2}(?![\w:-])/gi;
// systemd's interface names spell the MAC without separators: enx0011223344aa
const MAC_IN_IFNAME = /(?<![\w])enx([0-9a-f]{12})(?![\w])/gi;
const UUID = /(?<![\w-])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![\w-])/gi;
const DMI_SERIAL = /^(\s*(?:Serial Number|Asset Tag|UUID|SKU Number|Service Tag):\s*)(.+?)\s*$/gm;
// Guest serials: libvirt <sysinfo> entries, disk <serial>, QEMU -smbios/-device serial=.
const XML_SERIAL = /<entry\s+name=['"](?:serial|asset|sku)['"]\s*>([^<]+)<\/entry>|<serial>([^<]+)<\/serial>/g;
const ARG_SERIAL = /(?:^|[,\s])serial=([^,\s]+)/gm;
const HOME_DIR = /\/home\/([a-z_][a-z0-9_.-]{1,31})\b/g;
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const TLD =
  '(?:com|org|net|edu|gov|mil|int|info|biz|io|dev|cloud|local|lan|internal|intranet|corp|home|localdomain' +
  '|example|test|arpa)';
// Two-letter country domains, but not the file extensions evidence is full of (.so, .gz).
const CC_TLD =
  '(?!(?:gz|xz|so|ko|py|sh|pl|js|ts|md|rs|go|cc|hh|el|mo|po|ps|db|rc|in|am|ac|hs|ml|mk|ld|cf|ok|fd)\\b)' + '[a-z]{2}';
// Another host's name seen in the evidence: at least three labels (two with a generic
// top-level domain), the last one a top-level domain.
const FQDN = new RegExp(
  `(?<![\\w.-])(?:${LABEL}\\.(?:${LABEL}\\.)*${TLD}|${LABEL}\\.(?:${LABEL}\\.)+${CC_TLD})(?![\\w-]|\\.\\w)`,
  'gi',
);

function keepIpv4(ip: string): boolean {
  return /^(127\.|0\.0\.0\.0$|255\.|224\.0\.0\.)/.test(ip);
}

function keepIpv6(ip: string): boolean {
  return ip === '::' || ip === '::1' || !/[0-9a-f]{3}|::/i.test(ip) || /^[0:]+$/.test(ip);
}

function keepDmiValue(value: string): boolean {
  const placeholders =
    /^(Not Specified|Not Settable|Not Present|To Be Filled By O\.E\.M\.|Default string|None|Unknown)$/i;
  return placeholders.test(value) || /^(System Serial Number|0+|\s*)$/i.test(value);
}

export interface RedactionInput {
  texts: Iterable<string>;
  hostnames: string[];
  users: string[];
  words: string[];
}

class Builder {
  readonly map = new Map<string, string>();
  readonly style = new Map<string, Style>();
  readonly kept: Redaction['kept'] = [];
  private readonly counters = new Map<Kind, number>();
  private readonly lower = new Map<string, string>();

  /** A new original (or one already known, in any case): its placeholder. */
  add(value: string, kind: Kind, style: Style = 'name'): string | undefined {
    if (!value) return undefined;
    const known = this.map.get(value) ?? this.lower.get(value.toLowerCase());
    if (known) return known;
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    const placeholder = `${kind}-${n}`;
    this.spelling(value, placeholder, style);
    return placeholder;
  }

  spelling(value: string, placeholder: string, style: Style): void {
    if (this.map.has(value)) return;
    this.map.set(value, placeholder);
    this.style.set(value, style);
    if (style !== 'word') this.lower.set(value.toLowerCase(), placeholder);
  }

  keep(value: string, why: string): void {
    if (!this.kept.some((k) => k.value === value)) this.kept.push({ value, why });
  }

  /** A host label: kept when it is technical or too short, matched as a word when it is one. */
  hostLabel(label: string): void {
    if (TECHNICAL.has(label.toLowerCase()) || label.length < 3 || /^\d+$/.test(label)) {
      this.keep(label, 'also a technical word or too short to redact safely');
      return;
    }
    this.add(label, 'host', /^[a-z]+$/i.test(label) ? 'word' : 'name');
  }

  /** A domain suffix, and the truncations libvirt makes of names that end in it. */
  domain(suffix: string): void {
    if (PUBLIC_DOMAINS.test(suffix)) return;
    const placeholder = this.add(suffix, 'domain');
    if (!placeholder) return;
    const firstDot = suffix.indexOf('.');
    for (let end = suffix.length - 1; end > firstDot + 1; end--) {
      this.spelling(suffix.slice(0, end), placeholder, 'afterDot');
    }
  }

  /** A hostname: its first label and its domain suffix are redacted apart, so the FQDN
   * becomes host-1.domain-1 and the short name host-1, wherever each is written. */
  hostname(name: string): void {
    // An address given as the host is redacted as an address; its first "label" ("127"
    // of 127.0.0.1) is no name, and replacing every 127 would rewrite numbers everywhere.
    if (/^\d+(\.\d+){3}$/.test(name) || name.includes(':')) return;
    const [label, ...rest] = name.replace(/\.$/, '').split('.');
    this.hostLabel(label);
    // A one-label suffix ("com", "lan") is no secret, and replacing it would rewrite words.
    if (rest.length >= 2) this.domain(rest.join('.'));
  }

  mac(value: string): void {
    const hex = value.replace(/[^0-9a-f]/gi, '').toLowerCase();
    if (/^0+$|^f+$/.test(hex)) return;
    const pairs = hex.match(/../g)!;
    const placeholder = this.add(pairs.join(':'), 'mac', 'colon')!;
    this.spelling(pairs.join('-'), placeholder, 'colon');
    this.spelling(hex, placeholder, 'hex');
    this.spelling(hex.match(/..../g)!.join('.'), placeholder, 'colon');
  }
}

/** Redaction built text by text, so that a collection is read one file at a time. */
export class RedactionScanner {
  private readonly b = new Builder();
  private readonly fqdns = new Set<string>();

  constructor(known: Omit<RedactionInput, 'texts'>) {
    for (const word of known.words) this.b.add(word, 'word');
    for (const host of known.hostnames) this.b.hostname(host);
    for (const user of known.users) if (!USER_KEEP.has(user) && user.length >= 2) this.b.add(user, 'user');
  }

  scan(text: string): void {
    const b = this.b;
    for (const m of text.matchAll(IPV6_V4)) {
      if (keepIpv4(m[1])) continue;
      b.add(m[0].toLowerCase(), 'ip', 'colon');
      b.add(m[1], 'ip', 'ipv4');
    }
    for (const m of text.matchAll(IPV4)) if (!keepIpv4(m[0])) b.add(m[0], 'ip', 'ipv4');
    for (const m of text.matchAll(IPV6)) if (!keepIpv6(m[0])) b.add(m[0].toLowerCase(), 'ip', 'colon');
    for (const m of text.matchAll(MAC)) b.mac(m[0]);
    for (const m of text.matchAll(MAC_IN_IFNAME)) b.mac(m[1]);
    for (const m of text.matchAll(UUID)) if (!/^[0-]+$/.test(m[0])) b.add(m[0].toLowerCase(), 'uuid', 'uuid');
    for (const m of text.matchAll(DMI_SERIAL)) {
      if (!keepDmiValue(m[2]) && !new RegExp(UUID.source, 'i').test(m[2])) b.add(m[2], 'serial');
    }
    for (const m of text.matchAll(XML_SERIAL)) {
      const value = (m[1] ?? m[2]).trim();
      if (!keepDmiValue(value)) b.add(value, 'serial');
    }
    for (const m of text.matchAll(ARG_SERIAL)) if (!keepDmiValue(m[1])) b.add(m[1], 'serial');
    for (const m of text.matchAll(HOME_DIR)) if (!USER_KEEP.has(m[1])) b.add(m[1], 'user');
    for (const m of text.matchAll(FQDN)) if (!PUBLIC_DOMAINS.test(m[0])) this.fqdns.add(m[0]);
  }

  result(): Redaction {
    // Other hosts' names, after the known ones: a name in a known domain shares its placeholder.
    for (const name of this.fqdns) this.b.hostname(name);
    return { map: this.b.map, style: this.b.style, kept: this.b.kept };
  }
}

export function buildRedaction(input: RedactionInput): Redaction {
  const scanner = new RedactionScanner(input);
  for (const text of input.texts) scanner.scan(text);
  return scanner.result();
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Letters as [aA] classes: one regular expression mixes exact-case and any-case values. */
function anyCase(s: string): string {
  return escapeRe(s).replace(/[a-z]/gi, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`);
}

function patternFor(value: string, style: Style): string {
  switch (style) {
    case 'word':
      return `(?<![A-Za-z0-9_/.])${escapeRe(value)}(?![A-Za-z0-9_=/])`;
    case 'afterDot':
      return `(?<=\\.)${anyCase(value)}(?![A-Za-z0-9.-])`;
    case 'ipv4':
      return `(?<![\\w.])${escapeRe(value)}(?!\\w|\\.\\d)`;
    case 'colon':
      return `(?<![\\w:])${anyCase(value)}(?![\\w:])`;
    case 'hex':
      return `(?<![0-9A-Fa-f])${anyCase(value)}(?![0-9A-Fa-f])`;
    case 'uuid':
      return `(?<![\\w-])${anyCase(value)}(?![\\w-])`;
    default:
      return `(?<![A-Za-z0-9])${anyCase(value)}(?![A-Za-z0-9])`;
  }
}

/** One regular expression for every spelling (or those `keep` keeps), longest first. */
function matcher(redaction: Redaction, keep: (value: string) => boolean = () => true): RegExp | undefined {
  const values = [...redaction.map.keys()].filter(keep).sort((a, b) => b.length - a.length);
  if (values.length === 0) return undefined;
  return new RegExp(values.map((v) => patternFor(v, redaction.style.get(v) ?? 'name')).join('|'), 'g');
}

function placeholderOf(redaction: Redaction, lower: Map<string, string>, match: string): string {
  return redaction.map.get(match) ?? lower.get(match.toLowerCase()) ?? match;
}

function lowerMap(redaction: Redaction): Map<string, string> {
  const anyCaseValues = [...redaction.map].filter(([k]) => redaction.style.get(k) !== 'word');
  return new Map(anyCaseValues.map(([k, v]) => [k.toLowerCase(), v]));
}

export function redactor(redaction: Redaction): (text: string) => string {
  const re = matcher(redaction);
  if (!re) return (t) => t;
  const lower = lowerMap(redaction);
  return (text) => text.replace(re, (m) => placeholderOf(redaction, lower, m));
}

/** A JSON value with the redactor applied to its strings only: keys, numbers and the
 * shape stay as they are, so the result is always valid JSON of the same schema. */
export function redactStrings<T>(value: T, apply: (text: string) => string): T {
  if (typeof value === 'string') return apply(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactStrings(v, apply)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactStrings(v, apply)])) as T;
  }
  return value;
}

/** Originals still present in a text, matched exactly as the redactor matches them (the
 * final scan of the archive's entry names, files, summary and the JSON result). In
 * nestbug's own text (`ownText`: summary.md, the JSON), made from the redacted evidence,
 * a host name that is an ordinary word is nestbug's word ("nested parameter"), no leak. */
export function leftovers(text: string, redaction: Redaction, options: { ownText?: boolean } = {}): string[] {
  const re = matcher(redaction, (v) => !options.ownText || redaction.style.get(v) !== 'word');
  if (!re) return [];
  const found = new Set<string>();
  for (const m of text.matchAll(re)) found.add(m[0]);
  return [...found];
}

/** placeholder -> every spelling it replaced, for the private mapping file. */
export function spellingsByPlaceholder(redaction: Redaction): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [value, placeholder] of redaction.map) {
    out[placeholder] ??= [];
    out[placeholder].push(value);
  }
  return out;
}
