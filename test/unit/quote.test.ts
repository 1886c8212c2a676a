import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { quoteArg, quoteArgv } from '../../src/transport/quote.ts';

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
for (const shell of [['bash', '-c'], ['dash', '-c'], ['busybox', 'sh', '-c']]) {
  test(`quoteArgv round-trips hostile arguments through ${shell[0]}`, () => {
    const script = `printf '%s\\0' ${quoteArgv(HOSTILE)}`;
    const out = execFileSync(shell[0], [...shell.slice(1), script], { encoding: 'utf8' });
    assert.equal(out.split('\0').slice(0, -1), HOSTILE);
  });
}

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
