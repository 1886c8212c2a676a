// Hosts this project cannot run: an Intel L0 with nesting on and off, an s390x LPAR.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyseFixture } from '../helpers.ts';

const check = async (fixture: string, id: string) => (await analyseFixture('public', fixture)).checks.find((c) => c.id === id);

test('Intel L0 with kvm_intel.nested=Y: bare metal, vmx and KVM, nesting on; shadow VMCS/APICv off is a speed warning', async () => {
  const verdict = await analyseFixture('public', 'intel-l0-nested-on');
  assert.is(verdict.levels.L0!.runsOn, 'bare-metal');
  assert.is((await check('intel-l0-nested-on', 'l0-kvm'))?.status, 'pass');
  const nested = await check('intel-l0-nested-on', 'l0-nested');
  assert.is(nested?.status, 'pass');
  assert.equal(nested!.evidence[0], { file: 'L0/kvm-params.txt', line: 6, text: 'kvm_intel.nested=Y' });
  const speed = await check('intel-l0-nested-on', 'l0-speed');
  assert.is(speed?.status, 'warn');
  assert.match(speed!.summary, /enable_apicv, enable_shadow_vmcs off|enable_shadow_vmcs, enable_apicv off/);
});

test('Intel L0 with nested=N persisted in modprobe.d: fail, citing both lines, with the fix', async () => {
  const nested = await check('intel-l0-nested-off', 'l0-nested');
  assert.is(nested?.status, 'fail');
  assert.match(nested!.summary, /kvm_intel\.nested=N.*\/etc\/modprobe\.d\/kvm\.conf line 1 persists it/);
  assert.match(nested!.fix!, /remove the nested=0 option from \/etc\/modprobe\.d\/kvm\.conf/);
  assert.ok(nested!.evidence.some((e) => e.file === 'L0/modprobe-conf.txt'));
  assert.match(nested!.fix!, /options kvm-intel nested=1" > \/etc\/modprobe\.d\/kvm_intel\.conf/);
  assert.match(nested!.fix!, /modprobe -r kvm_intel/);
});

test('s390x LPAR with kvm.nested=1 but hpage=1: fail with the hpage fix; a missing sie flag is only a warning', async () => {
  const verdict = await analyseFixture('public', 's390x-l0-hpage');
  assert.is(verdict.levels.L0!.runsOn, 'lpar');
  const nested = await check('s390x-l0-hpage', 'l0-nested');
  assert.is(nested?.status, 'fail');
  assert.match(nested!.summary, /hpage/);
  assert.match(nested!.fix!, /nested=1 hpage=0/);
  const kvm = await check('s390x-l0-hpage', 'l0-kvm');
  assert.is(kvm?.status, 'warn');
  assert.match(kvm!.summary, /no sie feature/);
});

test('a folder with only L1/cpuinfo.txt and L1/dmesg.txt: unknowns, no crash', async () => {
  const { analyseTexts } = await import('../helpers.ts');
  const verdict = analyseTexts({ 'L1/dmesg.txt': '[    0.000000] Hypervisor detected: KVM\n' });
  assert.is(verdict.levels.L1!.runsOn, 'kvm');
  const byId = new Map(verdict.checks.map((c) => [c.id, c]));
  assert.is(byId.get('l1-on-kvm')?.status, 'pass');
  assert.equal(byId.get('l1-on-kvm')?.evidence, [{ file: 'L1/dmesg.txt', line: 1, text: '[    0.000000] Hypervisor detected: KVM' }]);
  // what was not pasted is unknown, never a failure
  assert.is(byId.get('l1-virt-flag')?.status, 'unknown');
  assert.match(byId.get('l1-virt-flag')!.summary, /cpuinfo was not collected/);
  assert.is(byId.get('l1-kvm')?.status, 'unknown');
  assert.equal(verdict.checks.filter((c) => c.status === 'fail'), []);
  const empty = analyseTexts({ 'L1/cpuinfo.txt': '' });
  assert.is(empty.levels.L1!.runsOn, 'unknown');
  assert.is(empty.checks.find((c) => c.id === 'l1-on-kvm')?.status, 'unknown');
});

test.run();
