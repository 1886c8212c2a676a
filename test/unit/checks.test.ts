// Checks not covered by the platform and public suites, on this project's captured bundles
// (test/fixtures/captured/SOURCES.md): the chain KVM on TCG, QEMU falling back to TCG.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyseFixture } from '../helpers.ts';

test('chain KVM on TCG: L2 on KVM, L1 lost L0 flags, AMD migration warning; titles state each finding', async () => {
  const verdict = await analyseFixture('captured', 'chain-kvm-on-tcg');
  const check = (id: string) => verdict.checks.find((c) => c.id === id)!;
  assert.is(check('l2-on-kvm').status, 'pass');
  assert.is(check('l2-on-kvm').title, 'L2 runs on KVM');
  const flags = check('l0-l1-flags');
  assert.is(flags.status, 'warn');
  assert.match(flags.summary, /L1 lacks \d+ of L0's CPU flags including x2apic/);
  assert.equal(flags.evidence.map((e) => e.file), ['L0/cpuinfo.txt', 'L1/cpuinfo.txt']);
  const migration = check('l1-migration');
  assert.is(migration.status, 'warn');
  assert.match(migration.title, /do not migrate or save L1/);
  assert.is(check('l1-on-kvm').title, 'L1 is not on KVM: it runs on TCG');
  assert.match(verdict.chainName, /^KVM on TCG/);
  // L0 is a VM itself (kvm_pvm, no svm): the fix is its host's nesting, not the firmware.
  const l0 = check('l0-kvm');
  assert.is(l0.status, 'fail');
  assert.match(l0.fix!, /L0 is itself a virtual machine/);
  assert.not.match(l0.fix!, /firmware setup/);
});

test("QEMU's own stderr (accel kvm then tcg, /dev/kvm root-only): the check cites it and gives the group fix", async () => {
  const verdict = await analyseFixture('captured', 'qemu-accel-kvm-tcg-fallback');
  const qemu = verdict.checks.find((c) => c.id === 'l0-qemu-kvm')!;
  assert.is(qemu.status, 'fail');
  assert.ok(qemu.evidence.every((e) => e.file === 'L0/extra-qemu-stderr.txt' && e.line !== undefined));
  assert.match(qemu.summary, /failed to initialize kvm: Permission denied/);
  assert.match(qemu.fix!, /cannot open it: add that user to the group owning \/dev\/kvm/);
});

test.run();
