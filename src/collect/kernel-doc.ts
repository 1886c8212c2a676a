// The kernel's "Running nested guests with KVM" (Documentation/virt/kvm/x86/
// running-nested-guests.rst): the lines that ask bug reporters for something, as the
// document words them (RST markup removed). `nestbug collectors` quotes a line only when
// it is one of these; anything else a collector's doc says is shown as a note.

export const KERNEL_DOC_LINES: readonly string[] = [
  'Mention that you are in a "nested" setup.',
  'Ensure you are actually running KVM on KVM.',
  'Kernel, libvirt, and QEMU version from L0',
  'Kernel, libvirt and QEMU version from L1',
  "QEMU command-line of L1 -- when using libvirt, you'll find it here: /var/log/libvirt/qemu/instance.log",
  'QEMU command-line of L2 -- as above, when using libvirt, get the complete libvirt-generated QEMU command-line',
  'cat /sys/cpuinfo from L0',
  'cat /sys/cpuinfo from L1',
  'lscpu from L0',
  'lscpu from L1',
  'Full dmesg output from L0',
  'Full dmesg output from L1',
  'Output of: x86info -a from L0',
  'Output of: x86info -a from L1',
  'Output of: dmidecode from L0',
  'Output of: dmidecode from L1',
  '/proc/sysinfo from L1; this will also include the info from L0',
  'cat /sys/module/kvm_intel/parameters/nested',
  'options kvm-intel nested=y',
];

export function stripRst(text: string): string {
  return text.replace(/``([^`]*)``/g, '$1').replace(/\*([^*\s][^*]*)\*/g, '$1');
}

const loose = (s: string) =>
  s
    .toLowerCase()
    .replace(/[.,;:]/g, '')
    .replace(/\s+/g, ' ')
    .trim();

/** "X from L0 / from L1" and "X of L1 (...) / of L2 (...)" stand for two lines of the document. */
function candidates(doc: string): string[] {
  const from = /^(.*) from L0 \/ from L1(.*)$/.exec(doc);
  if (from) return [`${from[1]} from L0${from[2]}`, `${from[1]} from L1${from[2]}`];
  const of = /^(.*?) of (L\d)(.*?) \/ of (L\d)(.*)$/.exec(doc);
  if (of)
    return [`${of[1]} of ${of[2]}${of[3]}${of[5].startsWith(' --') ? of[5] : ''}`, `${of[1]} of ${of[4]}${of[5]}`];
  return [doc];
}

export interface DocColumn {
  quotes: string[];
  note?: string;
}

/** The document's lines a collector's doc refers to, and what it adds of its own. */
export function docColumn(doc: string): DocColumn {
  const text = stripRst(doc).trim();
  const quotes: string[] = [];
  const notes: string[] = [];
  for (const candidate of candidates(text)) {
    const words = candidate.split(/(?= -- | \(|: | \/ )/)[0];
    const line = KERNEL_DOC_LINES.find(
      (l) => loose(candidate).startsWith(loose(l)) || loose(l).startsWith(loose(words)),
    );
    if (!line) continue;
    if (!quotes.includes(line)) quotes.push(line);
    // What follows the quoted words is the collector's own remark.
    const rest = candidate
      .slice(words.length)
      .replace(/^\s*(--|:|\/)?\s*/, '')
      .replace(/^\((.*)\)$/, '$1');
    if (rest && !loose(line).includes(loose(rest)) && !notes.includes(rest)) notes.push(rest);
  }
  if (quotes.length === 0) return { quotes, note: text };
  return { quotes, note: notes.length ? notes.join('; ') : undefined };
}

export function docColumnText(doc: string, indent: string): string[] {
  const { quotes, note } = docColumn(doc);
  const lines = quotes.map((q) => `${indent}kernel doc: "${q}"`);
  if (note) lines.push(`${indent}note: ${note}`);
  return lines;
}
