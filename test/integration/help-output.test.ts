// Help and output names as a new user meets them: each command's own exit codes, defaults
// shown as values, the collection list in plain text quoting the kernel doc, -o refusing
// a name that is not an archive.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KERNEL_DOC_LINES } from '../../src/collect/kernel-doc.ts';
import { newHome, runCli } from '../harness/cli.ts';
import { ROOT } from '../helpers.ts';

test('help check and help inspect show their own exit codes', async () => {
  const home = newHome();
  const check = await runCli(['help', 'check'], { home });
  assert.is(check.code, 0);
  assert.match(check.stdout, /3 +a level was unreachable or a read failed \(check never writes a bundle\)/);
  assert.not.match(check.stdout, /bundle written/);
  const inspect = await runCli(['help', 'inspect'], { home });
  assert.match(inspect.stdout, /2 +PATH is missing or not a bundle/);
  assert.match(inspect.stdout, /3 +the bundle is partial/);
  assert.not.match(inspect.stdout, /usage error \(bad flag, target, identity file/);
});

test('defaults and choices are shown as values, not JSON strings', async () => {
  const r = await runCli(['help', 'collect'], { home: newHome() });
  assert.match(r.stdout, /\(default: 30\)/);
  assert.match(r.stdout, /\(default: 64M\)/);
  assert.match(r.stdout, /choices: zip,\s+tar\.gz/);
  assert.not.match(r.stdout, /"30"|"64M"|"zip"/);
});

test('collectors: plain text, the kernel doc column quotes the document, the rest is a note', async () => {
  const r = await runCli(['collectors'], { home: newHome() });
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stdout, /``/);
  const quoted = [...r.stdout.matchAll(/kernel doc: (.*)$/gm)].map((m) => m[1]);
  assert.ok(quoted.length >= 10);
  for (const q of quoted) {
    const m = /^"(.*)"$/.exec(q);
    assert.ok(m && KERNEL_DOC_LINES.includes(m[1]), `not a quote of the kernel doc: ${q}`);
  }
  assert.match(r.stdout, /kernel doc: "Full dmesg output from L0"/);
  assert.match(r.stdout, /note: x86info -a \/ vmxcap: which VMX features L0 gives and L1 lost/);
});

test('-o bug.txt is refused with the name to use', async () => {
  const home = newHome();
  const r = await runCli(['collect', '--l1', 'local', '--no-input', '-o', 'bug.txt'], { home });
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /-o bug\.txt: a bundle is a \.zip or \.tar\.gz archive, not \.txt; use -o bug\.zip/);
  assert.not.ok(existsSync(path.join(home, 'bug.txt')));
});

test("the README's first command runs on this machine alone, its second runs the tests", async () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /```sh\n([\s\S]*?)```/.exec(readme)![1].trim().split('\n');
  assert.is(block[0], 'npm install && npx nestbug check');
  assert.is(block[1], 'npm test');
  // npm install has run (the tests are running): the rest of the line, as a user runs it.
  const home = newHome();
  const r = await runCli(['check'], { home });
  assert.ok([0, 4].includes(r.code!), r.stderr);
  assert.match(r.stderr, /no level given; this machine is/);
  assert.match(r.stderr, /Checked 1 level\(s\)/);
});

test.run();
