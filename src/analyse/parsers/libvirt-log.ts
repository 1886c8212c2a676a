// Pure: /var/log/libvirt/qemu/NAME.log. Every domain start appends a block:
//   2026-11-26 21:51:15.291+0000: starting up libvirt version: ..., hostname: ...
//   LC_ALL=C \            <- environment, one NAME=value per line
//   /usr/bin/qemu-system-x86_64 \
//   -name guest=l2-virt,debug-threads=on \
//   ...
//   -msg timestamp=on     <- last argument: no trailing backslash
// followed by what QEMU printed (errors, "falling back to tcg", ...).
import { shellWords } from './shell-words.js';

export interface LibvirtStart {
  /** 1-based line of the "starting up" header. */
  line: number;
  header: string;
  /** argv of QEMU, binary first. */
  args: string[];
  /** 1-based line of each argument (binary included), for citations. */
  argLines: number[];
  /** Lines QEMU and libvirt logged after this start, up to the next one. */
  messages: Array<{ line: number; text: string }>;
}

const START = /: starting up\b/;

export function libvirtCommandLines(text: string): LibvirtStart[] {
  const lines = text.split('\n');
  const starts: LibvirtStart[] = [];
  let current: LibvirtStart | undefined;
  let inCommand = false;
  let seenBinary = false;
  lines.forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (START.test(line)) {
      current = { line: index + 1, header: line.trim(), args: [], argLines: [], messages: [] };
      starts.push(current);
      inCommand = true;
      seenBinary = false;
      return;
    }
    if (!current) return;
    if (inCommand) {
      const continued = /\s\\$/.test(line);
      const body = continued ? line.replace(/\s\\$/, '') : line;
      const words = shellWords(body);
      if (!seenBinary && words.length === 1 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) {
        // environment assignment
      } else if (words.length > 0) {
        seenBinary = true;
        for (const w of words) {
          current.args.push(w);
          current.argLines.push(index + 1);
        }
      }
      if (!continued) inCommand = false;
      return;
    }
    if (line.trim() !== '') current.messages.push({ line: index + 1, text: line });
  });
  return starts.filter((s) => s.args.length > 0);
}
