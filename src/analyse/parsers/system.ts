// Pure: what the system says about itself (kernel, distribution, virtualisation, firmware).
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

export function parseIdentity(text: string): {
  hostname?: string;
  uuid?: string;
  macs: string[];
  vendor?: string;
  product?: string;
} {
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
      else if (key === 'UUID' && out.uuid === undefined && /^[0-9a-f-]{36}$/i.test(value))
        out.uuid = value.toLowerCase();
    } else if (section === 'BIOS Information' && key === 'Vendor' && out.biosVendor === undefined) {
      out.biosVendor = value;
    }
  });
  return out;
}
