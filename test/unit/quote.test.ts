import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loginShellCommand, quoteArg, quoteArgv } from '../../src/transport/quote.ts';

const HOSTILE = [
  "x';touch /tmp/pwned;'",
  '$(reboot)',
  '`id`',
  'a b\tc\nd',
  "'",
  "''",
  '"double" and \\backslash',
  '*?[abc]',
  '~root',
  '-n',
  '',
  'ünïcödé ✓',
  '!history',
  '${HOME}',
  'semi;colon|pipe&amp>redir<in',
];

// Each shell must give the arguments back byte for byte.
for (const shell of [
  ['bash', '-c'],
  ['dash', '-c'],
  ['busybox', 'sh', '-c'],
]) {
  test(`quoteArgv round-trips hostile arguments through ${shell[0]}`, () => {
    const script = `printf '%s\\0' ${quoteArgv(HOSTILE)}`;
    const out = execFileSync(shell[0], [...shell.slice(1), script], { encoding: 'utf8' });
    assert.equal(out.split('\0').slice(0, -1), HOSTILE);
  });
}

// sshd hands the command to the user's login shell with -c: whichever it is, sh must get
// the same argv back. tcsh once failed on a newline inside quotes, fish on backslashes.
const LOGIN_SHELLS = [
  ['bash', '-c'],
  ['dash', '-c'],
  ['busybox', 'sh', '-c'],
  ['zsh', '-c'],
  ['fish', '-c'],
  ['tcsh', '-c'],
  ['csh', '-c'],
];
const LOGIN_HOSTILE = [...HOSTILE, 'a\\b\\', "\\'", '%b %s \\0101 \\n', 'line\n\nend\n', '\x7f\x01\x1b[31m'];
for (const shell of LOGIN_SHELLS) {
  test(`loginShellCommand passes hostile arguments through ${shell[0]} unchanged`, () => {
    const text = loginShellCommand(['printf', '%s\\0', ...LOGIN_HOSTILE]);
    const out = execFileSync(shell[0], [...shell.slice(1), text], { encoding: 'utf8' });
    assert.equal(out.split('\0').slice(0, -1), LOGIN_HOSTILE);
  });
}

test('loginShellCommand: the login shell sees printable ASCII only, no newline, no ! and one exec', () => {
  const text = loginShellCommand(['sh', '-c', 'echo "$1"\nexit 3', 'nestbug', "it's\n!$(x)"]);
  assert.match(text, /^exec sh -c '/);
  assert.not.match(text, /[^\x20-\x7e]/);
  assert.not.match(text, /!/);
});

test('safe words stay readable, the rest is single-quoted', () => {
  assert.is(quoteArg('/proc/cpuinfo'), '/proc/cpuinfo');
  assert.is(quoteArg('--vm'), '--vm');
  assert.is(quoteArg('a b'), "'a b'");
  assert.is(quoteArg("it's"), "'it'\\''s'");
  assert.is(quoteArg(''), "''");
});

test('NUL cannot be passed to a shell and is refused', () => {
  assert.throws(() => quoteArg('a\0b'), /NUL/);
  assert.throws(() => quoteArgv([]), /empty/);
});

test.run();
