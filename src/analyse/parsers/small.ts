// Pure: one-line and small outputs.
/** `uname -a`: Linux HOST RELEASE ... */
export function parseUname(text: string): { hostname?: string; release?: string; machine?: string } {
  const words = text.trim().split(/\s+/);
  if (words.length < 3) return {};
  return { hostname: words[1], release: words[2], machine: words.length > 4 ? words[words.length - 2] : undefined };
}

export function parseOsRelease(text: string): string | undefined {
  const pretty = /^PRETTY_NAME=(.*)$/m.exec(text)?.[1];
  return pretty?.replace(/^["']|["']$/g, '');
}

export function parseDetectVirt(text: string): string | undefined {
  const word = text.trim().split('\n')[0]?.trim();
  return word && /^[a-z0-9-]+$/.test(word) ? word : undefined;
}

export interface KvmDevice {
  present: boolean;
  mode?: string;
  owner?: string;
  group?: string;
  line: string;
}

export function parseKvmDevice(text: string): KvmDevice | undefined {
  const line = text.trim().split('\n')[0] ?? '';
  if (!line) return undefined;
  if (/not present|No such file/i.test(line)) return { present: false, line };
  const m = /^([cb-][rwxsStT-]{9})\S*\s+\d+\s+(\S+)\s+(\S+)/.exec(line);
  if (!m) return { present: /\/dev\/kvm/.test(line), line };
  return { present: true, mode: m[1], owner: m[2], group: m[3], line };
}

export function parseIdentity(text: string): { hostname?: string; uuid?: string; macs: string[]; vendor?: string; product?: string } {
  const out: { hostname?: string; uuid?: string; macs: string[]; vendor?: string; product?: string } = { macs: [] };
  for (const line of text.split('\n')) {
    const m = /^(hostname|product_uuid|sys_vendor|product_name|mac [^=]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === 'hostname') out.hostname = m[2];
    else if (m[1] === 'product_uuid') out.uuid = m[2].toLowerCase();
    else if (m[1] === 'sys_vendor') out.vendor = m[2];
    else if (m[1] === 'product_name') out.product = m[2];
    else if (m[2] !== '00:00:00:00:00:00') out.macs.push(m[2].toLowerCase());
  }
  return out;
}

/** `qemu-system-x86_64 --version` (possibly several binaries): the first version line. */
export function parseQemuVersion(text: string): string | undefined {
  return /QEMU emulator version ([^\s(]+(?: \([^)]*\))?)/.exec(text)?.[1];
}

/** `virsh version`: "Using library: libvirt 9.0.0" or "Compiled against..."; or `virsh --version`. */
export function parseLibvirtVersion(text: string): string | undefined {
  return /Using library: libvirt ([\d.]+)/.exec(text)?.[1] ?? /libvirtd \(libvirt\) ([\d.]+)/.exec(text)?.[1] ?? /^([\d.]+)\s*$/m.exec(text)?.[1];
}

export interface KvmFd {
  pid: number;
  vm?: number;
  vcpu?: number;
  line: number;
  text: string;
}

export function parseKvmFds(text: string): KvmFd[] {
  const out: KvmFd[] = [];
  text.split('\n').forEach((raw, index) => {
    const m = /^pid (\d+) (?:kvm-vm=(\d+) kvm-vcpu=(\d+)|unreadable)/.exec(raw.trim());
    if (m) out.push({ pid: Number(m[1]), vm: m[2] === undefined ? undefined : Number(m[2]), vcpu: m[3] === undefined ? undefined : Number(m[3]), line: index + 1, text: raw.trim() });
  });
  return out;
}

export interface DmiSystem {
  manufacturer?: string;
  product?: string;
  uuid?: string;
  biosVendor?: string;
  line?: number;
  absent: boolean;
}

export function parseDmidecode(text: string): DmiSystem {
  const out: DmiSystem = { absent: !/Information\s*$/m.test(text) };
  let section = '';
  text.split('\n').forEach((raw, index) => {
    if (raw.trim() === '') return;
    if (!/^\s/.test(raw)) {
      section = raw.trim();
      return;
    }
    const m = /^\s*([^:]+):\s*(.*?)\s*$/.exec(raw);
    if (!m) return;
    const [, key, value] = m;
    if (section === 'System Information') {
      if (key === 'Manufacturer' && out.manufacturer === undefined) {
        out.manufacturer = value;
        out.line = index + 1;
      } else if (key === 'Product Name' && out.product === undefined) out.product = value;
      else if (key === 'UUID' && out.uuid === undefined && /^[0-9a-f-]{36}$/i.test(value)) out.uuid = value.toLowerCase();
    } else if (section === 'BIOS Information' && key === 'Vendor' && out.biosVendor === undefined) {
      out.biosVendor = value;
    }
  });
  return out;
}
