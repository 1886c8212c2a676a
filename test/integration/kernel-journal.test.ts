// When dmesg no longer starts at boot, nestbug collects the journal's kernel log and the
// analysis reads it: a real journald (private namespace) and a dmesg that lost the boot.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Manifest } from '../../src/bundle/manifest.ts';
import { newHome, readJson, unpack } from '../harness/cli.ts';
import { journaldAvailable, nestbugWithWrappedDmesg } from '../harness/journal.ts';

const why = journaldAvailable();
const journalTest = why ? test.skip : test;
if (why) console.log(`  integration/kernel-journal: ${why}: skipped`);

journalTest('dmesg without its boot lines: kernel-journal is collected and the verdict cites it', async () => {
  const home = newHome();
  const r = await nestbugWithWrappedDmesg(['collect', '--l1', 'local', '--no-input', '--json', '-o', 'j.zip'], {
    home,
    dropLines: 100,
  });
  assert.ok(r.stdout.trim().startsWith('{'), `exit ${r.code}\n${r.stderr}`);
  const top = unpack(path.join(home, 'j.zip'));
  const manifest = readJson<Manifest>(path.join(top, 'manifest.json'));
  const item = manifest.levels[0].items.find((i) => i.id === 'kernel-journal')!;
  assert.is(item.status, 'ok', item.reason);
  const journal = readFileSync(path.join(top, 'L1', 'kernel-journal.txt'), 'utf8');
  assert.match(journal.split('\n')[0], /^\[\s*0\.000000\]/);
  assert.not.match(readFileSync(path.join(top, 'L1', 'dmesg.txt'), 'utf8').split('\n')[0], /^\[\s*0\.000000\]/);
  const result = JSON.parse(r.stdout);
  if (/Hypervisor detected/.test(journal)) {
    assert.ok(
      result.levels.L1.evidence.some((e: { file: string }) => e.file === 'L1/kernel-journal.txt'),
      'a verdict line comes from the journal',
    );
  }
  const summary = readFileSync(path.join(top, 'summary.md'), 'utf8');
  assert.match(
    summary,
    /\| Kernel log \| `?journalctl -k -b 0 \(dmesg no longer starts at boot/,
    summary
      .split('\n')
      .filter((l) => /Kernel|dmesg/.test(l))
      .join('\n'),
  );
});

journalTest('dmesg that starts at boot: the journal item is skipped with the reason', async () => {
  const home = newHome();
  const r = await nestbugWithWrappedDmesg(['collect', '--l1', 'local', '--no-input', '-o', 'k.zip'], {
    home,
    dropLines: 0,
  });
  const top = unpack(path.join(home, 'k.zip'));
  const manifest = readJson<Manifest>(path.join(top, 'manifest.json'));
  const item = manifest.levels[0].items.find((i) => i.id === 'kernel-journal')!;
  assert.is(item.status, 'skipped', `${r.code} ${r.stderr}`);
  assert.match(item.reason!, /dmesg still starts at boot/);
});

test.run();
