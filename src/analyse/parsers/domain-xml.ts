// Pure: libvirt domain XML as `virsh dumpxml` prints it (one or more domains), read
// with patterns rather than a full XML parser: libvirt's output is regular.
export interface DomainFacts {
  name?: string;
  uuid?: string;
  /** `kvm`, `qemu` (TCG), `xen`, ... */
  type?: string;
  running: boolean;
  cpuMode?: string;
  cpuModel?: string;
  /** features required/forced or disabled in <cpu> */
  cpuFeatures: Array<{ name: string; policy: string }>;
  macs: string[];
  /** Extra QEMU arguments from <qemu:commandline>. */
  qemuArgs: string[];
  /** 1-based line of <domain ...> in the file. */
  line: number;
  typeLine: string;
  cpuLine?: { line: number; text: string };
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\b${name}\\s*=\\s*(['"])(.*?)\\1`).exec(tag);
  return m?.[2];
}

export function parseDomains(text: string): DomainFacts[] {
  const out: DomainFacts[] = [];
  const re = /<domain\b[^>]*>[\s\S]*?<\/domain>/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const block = m[0];
    const startLine = text.slice(0, m.index).split('\n').length;
    const openTag = /<domain\b[^>]*>/.exec(block)![0];
    const lineOf = (offset: number) => startLine + block.slice(0, offset).split('\n').length - 1;
    const cpu = /<cpu\b[^>]*\/?>/.exec(block);
    const cpuBody = /<cpu\b[^>]*>([\s\S]*?)<\/cpu>/.exec(block)?.[1] ?? '';
    const features = [...cpuBody.matchAll(/<feature\b[^>]*>/g)].map((f) => ({ name: attr(f[0], 'name') ?? '', policy: attr(f[0], 'policy') ?? 'require' }));
    out.push({
      name: /<name>([^<]*)<\/name>/.exec(block)?.[1],
      uuid: /<uuid>([^<]*)<\/uuid>/.exec(block)?.[1]?.toLowerCase(),
      type: attr(openTag, 'type'),
      running: attr(openTag, 'id') !== undefined,
      cpuMode: cpu ? attr(cpu[0], 'mode') ?? 'custom' : undefined,
      cpuModel: /<model\b[^>]*>([^<]*)<\/model>/.exec(cpuBody)?.[1],
      cpuFeatures: features,
      macs: [...block.matchAll(/<mac\s+address=['"]([^'"]+)['"]/g)].map((x) => x[1].toLowerCase()),
      qemuArgs: [...block.matchAll(/<qemu:arg\s+value=(['"])(.*?)\1/g)].map((x) => x[2]),
      line: startLine,
      typeLine: openTag,
      cpuLine: cpu ? { line: lineOf(cpu.index), text: cpu[0] } : undefined,
    });
  }
  return out;
}
