// The one place where an argv becomes text for a shell.
//
// quoteArgv gives POSIX shell text (bash, dash, busybox sh): single quotes protect every
// byte except the single quote itself, which is closed, escaped and reopened: it'\''s.
//
// loginShellCommand gives the text sshd hands to the remote user's login shell, which may
// be bash, dash, busybox sh, zsh, fish or tcsh/csh. Those shells agree on little: tcsh
// rejects a newline inside quotes and expands `!` even there, fish reads `\\` and `\'`
// inside single quotes. So the text is `exec sh -c '...'` where the quoted part holds
// only printable ASCII other than `'`, `\` and `!`; the backslashes that printf needs are
// written as `\\` outside the quotes, which every one of these shells reads the same way.
// Inside, sh decodes the POSIX text of the argv with printf %b (octal escapes) and runs it.
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function quoteArg(arg: string): string {
  if (arg.includes('\0')) throw new Error('a shell argument cannot contain a NUL byte');
  if (arg !== '' && SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function quoteArgv(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(quoteArg).join(' ');
}

/** Bytes that may stand as themselves in the printf %b argument (and in login-shell quotes). */
function isPlainByte(byte: number): boolean {
  return byte >= 0x20 && byte <= 0x7e && byte !== 0x27 && byte !== 0x5c && byte !== 0x21;
}

/** `text` as a printf %b argument made of plain bytes and `\0ooo` octal escapes. */
export function printfEscape(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out += isPlainByte(byte) ? String.fromCharCode(byte) : `\\0${byte.toString(8).padStart(3, '0')}`;
  }
  return out;
}

/** Single-quotes text of plain bytes and backslashes for any of the login shells above. */
function loginQuote(text: string): string {
  return text
    .split(/([\\'])/)
    .map((part, i) => (i % 2 ? `\\${part}` : part && `'${part}'`))
    .join('');
}

/** The command text for sshd: the login shell execs sh, which runs `argv`. */
export function loginShellCommand(argv: readonly string[]): string {
  const posix = `exec ${quoteArgv(argv)}`;
  return `exec sh -c ${loginQuote(`eval "$(printf %b '${printfEscape(posix)}')"`)}`;
}
