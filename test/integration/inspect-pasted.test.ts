// inspect on what a person triaging a report has: files named as the reporter liked, and
// one text file holding several pasted outputs under the reporter's own headings. The
// outputs are real ones, from the captured chain (test/fixtures/captured/SOURCES.md).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newHome, runCli } from '../harness/cli.ts';
import { FIXTURES } from '../helpers.ts';

const CHAIN = path.join(FIXTURES, 'captured', 'chain-kvm-on-tcg');
const read = (file: string) => readFileSync(path.join(CHAIN, file), 'utf8');

interface Json {
  levels: Record<string, { runsOn: string }>;
  checks: Array<{ id: string; status: string; evidence: Array<{ file: string }> }>;
}

/** The QEMU process of L1 as `ps -ww -o args=` shows it: one shell line. */
function psLine(): string {
  const args = read('L0/qemu-cmdlines.txt').split('==> pid ')[1].split('\n').slice(1).filter(Boolean);
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
}

function report(): string {
  const cpuinfo = read('L0/cpuinfo.txt').split(/\n(?=processor\s*:\s*1\b)/)[0];
  const dmesg = read('L1/dmesg.txt').split('\n').slice(0, 60).join('\n');
  const xml = read('L1/domains.txt').slice(read('L1/domains.txt').indexOf('<domain'));
  return [
    'Hello, I run a VM inside a VM and the inner one is very slow. Details below.',
    '',
    '## The host (L0)',
    '',
    'cpuinfo from L0:',
    '```',
    cpuinfo.trimEnd(),
    '```',
    '',
    'QEMU command line of L1:',
    '$ ps -ww -o args= -C qemu-system-x86_64',
    psLine(),
    '',
    '## Inside L1',
    '',
    'L1 lscpu:',
    read('L1/lscpu.txt').trimEnd(),
    '',
    'dmesg (excerpt):',
    dmesg,
    '',
    'The domain XML of L2:',
    xml.trimEnd(),
    '',
    'Thanks for any help! I also tried rebooting twice.',
    '',
  ].join('\n');
}

test('one pasted report is split into items by content, placed by its headings, and analysed', async () => {
  const home = newHome();
  const file = path.join(home, 'report.txt');
  writeFileSync(file, report());
  const r = await runCli(['inspect', file, '--json'], { home });
  assert.ok([0, 3, 4].includes(r.code!), r.stderr);
  for (const placed of ['cpuinfo of L0', 'qemu-cmdlines of L0', 'lscpu of L1', 'dmesg of L1', 'domains of L1']) {
    assert.ok(r.stderr.includes(placed), `${placed} in:\n${r.stderr}`);
  }
  assert.match(r.stderr, /not placed \(Hello, I run a VM/);
  assert.match(r.stderr, /not placed \(Thanks for any help/);
  const json = JSON.parse(r.stdout) as Json;
  assert.is(json.levels.L1.runsOn, 'tcg');
  // No cpuinfo for L1: lscpu's Flags line decides the check, and is cited.
  const flag = json.checks.find((c) => c.id === 'l1-virt-flag')!;
  assert.not.equal(flag.status, 'unknown');
  assert.ok(
    flag.evidence.some((e) => e.file === 'L1/lscpu.txt'),
    JSON.stringify(flag),
  );
});

test('files named as the reporter liked are recognised by their content', async () => {
  const home = newHome();
  const dir = path.join(home, 'pasted');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'cpuinfo'), read('L1/cpuinfo.txt'));
  writeFileSync(path.join(dir, 'l1-kernel-log.log'), read('L1/dmesg.txt'));
  writeFileSync(path.join(dir, 'proc-cpuinfo-host.txt'), read('L0/cpuinfo.txt'));
  writeFileSync(path.join(dir, 'notes.txt'), 'it used to work with kernel 5.10\n');
  const r = await runCli(['inspect', dir, '--json'], { home });
  assert.ok([0, 4].includes(r.code!), r.stderr);
  assert.match(r.stderr, /cpuinfo: cpuinfo of L1 \(no level in its name: assumed\)/);
  assert.match(r.stderr, /l1-kernel-log\.log: dmesg of L1/);
  assert.match(r.stderr, /proc-cpuinfo-host\.txt: cpuinfo of L0/);
  assert.match(r.stderr, /notes\.txt: not placed/);
  const json = JSON.parse(r.stdout) as Json;
  assert.is(json.levels.L1.runsOn, 'tcg');
  assert.ok(json.levels.L0, 'L0 analysed from its pasted cpuinfo');
});

test('nothing decides what a level runs on: the report says which files would', async () => {
  const home = newHome();
  const file = path.join(home, 'uname-only.txt');
  writeFileSync(file, `L1 uname:\n${read('L1/uname.txt')}`);
  const r = await runCli(['inspect', file], { home });
  assert.match(r.stdout, /L1\/dmesg\.txt \(Hypervisor detected\), L1\/lscpu\.txt or L1\/cpuinfo\.txt/);
  assert.match(r.stdout, /L0\/qemu-cmdlines\.txt or L0\/domains\.txt would decide it/);
});

test.run();
