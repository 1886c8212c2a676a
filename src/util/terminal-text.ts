// Pure: text from hosts (hostnames, QEMU -name, domain names, archive entry names) may
// hold terminal control sequences: a guest named "\e]0;...\a" would retitle the terminal
// of whoever reads nestbug's output or summary.md with cat. Every such character is shown
// escaped instead; newlines and tabs stay.
//  C0 controls but \t and \n, DEL and C1 controls (0x9b is a one-byte CSI), and the
// bidirectional overrides that reorder what a line appears to say.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escaped(c: string): string {
  const n = c.codePointAt(0)!;
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
}

/** `text` with every control character shown as \xNN (\uNNNN), safe on a terminal. */
export function terminalText(text: string): string {
  return text.replace(CONTROL, escaped);
}

/** JSON text with the controls JSON.stringify leaves raw (C1, bidi) as \u escapes:
 * the same value for a parser, nothing a terminal acts on. */
export function terminalSafeJson(json: string): string {
  return json.replace(CONTROL, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}
