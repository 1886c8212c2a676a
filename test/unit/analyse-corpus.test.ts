// The shared corpus of real captures: each case's expected runsOn (expected.tsv).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyseFixture, FIXTURES } from '../helpers.ts';

const expected = readFileSync(path.join(FIXTURES, 'corpus', 'expected.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split('\t'));

for (const [folder, level, runsOn, why] of expected) {
  test(`${folder}: ${level} runs on ${runsOn} (${why})`, async () => {
    const verdict = await analyseFixture('corpus', folder);
    const got = verdict.levels[level as 'L1'];
    assert.ok(got, `no verdict for ${level}`);
    assert.is(
      got!.runsOn,
      runsOn,
      `${got!.reason}\n${got!.evidence.map((e) => `${e.says}/${e.strength} ${e.why}`).join('\n')}`,
    );
    assert.ok(got!.evidence.length > 0);
    for (const e of got!.evidence)
      assert.ok(e.file.startsWith(`${level}/`) || e.file.startsWith('L0/') || e.file.startsWith('L1/'));
  });
}

test('here-l2-kvm-in-l1-tcg is "KVM on TCG", with L1 failing its KVM check', async () => {
  const verdict = await analyseFixture('corpus', 'here-l2-kvm-in-l1-tcg');
  assert.is(verdict.chainName, 'KVM on TCG');
  const l1 = verdict.checks.find((c) => c.id === 'l1-on-kvm');
  assert.is(l1?.status, 'fail');
  assert.match(l1!.fix!, /type='kvm'/);
  // The outside view comes from L0's QEMU command line: accel=tcg.
  assert.is(verdict.levels.L1!.outside, 'tcg');
  assert.is(verdict.levels.L2!.outside, 'kvm');
  assert.is(verdict.checks.find((c) => c.id === 'l1-guests-on-kvm')?.status, 'pass');
});

test('here-l1-tcg: the CPUID signature TCGTCGTCGTCG is cited as the strongest inside clue', async () => {
  const verdict = await analyseFixture('corpus', 'here-l1-tcg');
  const best = verdict.levels.L1!.evidence[0];
  assert.is(best.strength, 3);
  assert.match(best.text, /TCGTCGTCGTCG/);
  assert.is(best.file, 'L1/extra-cpuid-dump.txt');
  assert.is(verdict.levels.L1!.disagree, false);
});

test.run();
