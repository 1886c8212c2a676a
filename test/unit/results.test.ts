// What a person reads first: the plain sentence, the level once, no nested parentheses,
// and a level matched with a guest only on positive identity.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evidenceFromMap } from '../../src/analyse/evidence.ts';
import { guestsOf, matchGuest } from '../../src/analyse/guests.ts';
import { flattenParentheses, plainSentence, withLevel } from '../../src/render/results.ts';
import { shortReport } from '../../src/render/short-report.ts';
import { analyseFixture } from '../helpers.ts';

const LOG = [
  '2026-11-20 10:00:00.000+0000: starting up libvirt version: 9.0.0',
  'LC_ALL=C /usr/bin/qemu-system-x86_64 -name guest=old-vm -machine pc,accel=tcg -uuid 11111111-2222-3333-4444-555555555555',
  '',
].join('\n');

test('the only guest in an old log of a stopped domain is not "the guest that runs" a level', () => {
  const files = evidenceFromMap(new Map([['L0/libvirt/old-vm.log', LOG]]));
  const guests = guestsOf(files, 'L0');
  assert.is(guests.length, 1);
  const none = matchGuest(guests, { hostname: 'l1-host', macs: ['52:54:00:aa:bb:cc'] });
  assert.is(none.guest, undefined);
  const byName = matchGuest(guests, { hostname: 'old-vm', macs: [] });
  assert.is(byName.guest?.name, 'old-vm');
  const byUuid = matchGuest(guests, { uuid: '11111111-2222-3333-4444-555555555555', macs: [] });
  assert.match(byUuid.how, /same UUID/);
});

test('nested parentheses are flattened; single ones stay', () => {
  assert.is(flattenParentheses('L1 (TCG (QEMU emulation, no KVM))'), 'L1 (TCG, QEMU emulation, no KVM)');
  assert.is(flattenParentheses('a (b) c (d)'), 'a (b) c (d)');
  assert.is(flattenParentheses('x (a (b (c)) d)'), 'x (a, b, c d)');
});

test('the level is said once', () => {
  assert.is(withLevel('L1 runs on TCG', 'L1'), 'L1 runs on TCG');
  assert.is(withLevel('L0: no cpuinfo', 'L0'), 'L0: no cpuinfo');
  assert.is(withLevel('no cpuinfo', 'L0'), 'L0: no cpuinfo');
});

test('the short report starts with a plain sentence, has no doubled level and no nested parentheses', async () => {
  const verdict = await analyseFixture('corpus', 'here-l2-kvm-in-l1-tcg');
  const lines = shortReport(verdict);
  assert.match(lines[0], /^L1 runs in QEMU's software emulation \(TCG\), not on KVM/);
  for (const line of lines) {
    assert.not.match(line, /\b(L[012]) \1\b/, line);
    assert.not.match(line, /\([^()]*\(/, line);
  }
});

test('plain sentences for the usual cases', async () => {
  const tcg = await analyseFixture('corpus', 'here-l1-tcg');
  assert.match(plainSentence(tcg), /L1 runs in QEMU's software emulation/);
});

test.run();
