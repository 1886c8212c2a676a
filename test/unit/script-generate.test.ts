import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCollectors } from '../../src/collect/collectors.ts';
import { loadCollectors } from '../../src/collect/load-collectors.ts';
import { generateScript, portableOutcome } from '../../src/script/generate.ts';

const ROOT = path.join(import.meta.dirname, '../..');
const templates = () => ({
  head: readFileSync(path.join(ROOT, 'templates/collect-head.sh'), 'utf8'),
  tail: readFileSync(path.join(ROOT, 'templates/collect-tail.sh'), 'utf8'),
});

test('the generated script parses in dash, bash and busybox sh and holds every collector', async () => {
  const collectors = await loadCollectors();
  const script = generateScript({ collectors, version: '9.9.9', sources: ['collectors/*.yaml'], ...templates() });
  for (const shell of [
    ['dash', '-n'],
    ['bash', '-n'],
    ['busybox', 'sh', '-n'],
  ])
    execFileSync(shell[0], [...shell.slice(1)], { input: script });
  for (const c of collectors) assert.ok(script.includes(`  id=${c.id}\n`), c.id);
  assert.not.match(script, /@@[A-Z_]+@@/, 'every token filled');
  assert.ok(script.startsWith('#!/bin/sh\n'));
});

test('the script answers --help and refuses bad arguments with one line and exit 2', async () => {
  const script = generateScript({ collectors: await loadCollectors(), version: '1', sources: [], ...templates() });
  assert.match(
    execFileSync('dash', ['-s', '--', '--help'], { input: script, encoding: 'utf8' }),
    /Usage: sh nestbug-collect.sh/,
  );
  for (const bad of [['--level', 'L7'], ['--timeout', 'x'], ['--bogus']]) {
    try {
      execFileSync('dash', ['-s', '--', ...bad], { input: script, stdio: ['pipe', 'pipe', 'pipe'] });
      assert.unreachable(`accepted ${bad.join(' ')}`);
    } catch (error) {
      const e = error as { status: number; stderr: Buffer };
      assert.is(e.status, 2, bad.join(' '));
      assert.is(e.stderr.toString().trim().split('\n').length, 1);
    }
  }
});

test('outcomes that only JavaScript understands are refused, naming the entry', () => {
  assert.is(portableOutcome(/No SMBIOS|\/dev\/mem: No such/, 'x'), 'No SMBIOS|/dev/mem: No such');
  const [site] = parseCollectors(
    '- id: t\n  title: t\n  command: [t]\n  outcomes:\n    - when: "code \\\\d+"\n      status: ok\n      reason: r\n',
    'site.yaml',
  );
  assert.throws(
    () => generateScript({ collectors: [site], version: '1', sources: [], ...templates() }),
    /site\.yaml \(t\) outcomes\[0\].*POSIX ERE/,
  );
});

test.run();
