// The check registry and the hypervisor table: every entry is consistent with the
// collectors and with the JSON contract, and the runner treats failed items as unknown.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CHECKS } from '../../src/analyse/checks/index.ts';
import { runCheck, type ChainContext, type CheckDef } from '../../src/analyse/checks/registry.ts';
import { evidenceFromMap } from '../../src/analyse/evidence.ts';
import { HYPERVISORS, bySignature } from '../../src/analyse/hypervisors.ts';
import { PASTED_ITEMS, checkItems, analysedItems, isAnalysed } from '../../src/analyse/items.ts';
import { RUNS_ON } from '../../src/analyse/types.ts';
import { loadCollectors } from '../../src/collect/load-collectors.ts';
import { analyseTexts } from '../helpers.ts';

test('every item a check or a verdict reads is defined by a collector (collectors/*.yaml)', async () => {
  const ids = new Set((await loadCollectors()).map((c) => c.id));
  for (const def of CHECKS) {
    for (const id of [...def.reads, ...(def.alsoReads ?? [])]) assert.ok(ids.has(id), `check ${def.id} reads ${id}, which no collector defines`);
  }
  for (const id of analysedItems()) assert.ok(ids.has(id) || PASTED_ITEMS.includes(id), `the analysis reads ${id}, which no collector defines`);
  for (const id of checkItems()) assert.ok(ids.has(id), `check mode collects ${id}, which no collector defines`);
});

test('check mode collects the small items that decide (derived from the registry), not the large ones', () => {
  for (const id of ['uname', 'cpuinfo', 'lscpu', 'detect-virt', 'cpuid-signature', 'identity', 'kvm-params', 'kvm-device', 'kvm-modules', 'modprobe-conf', 'cmdline', 'qemu-cmdlines', 'qemu-kvm-fds', 'domains']) {
    assert.ok(checkItems().has(id), id);
  }
  for (const id of ['x86info', 'vmx-msrs', 'libvirt-logs']) assert.not.ok(checkItems().has(id), id);
  assert.ok(isAnalysed('L1/vmx-msrs.txt') && isAnalysed('L0/dmesg.txt') && !isAnalysed('L0/x.txt'));
});

test('check ids are unique and every title states a finding for its status', () => {
  const ids = CHECKS.map((c) => c.id);
  assert.is(new Set(ids).size, ids.length);
  for (const def of CHECKS) {
    const titles = Object.values(def.titles);
    assert.is(new Set(titles).size, 4, `${def.id}: one distinct title per status`);
    for (const status of ['fail', 'warn', 'unknown'] as const) {
      assert.not.ok(def.titles[status].startsWith(def.titles.pass), `${def.id}: the ${status} title must not read as the pass one`);
    }
  }
});

const emptyContext = (files: Record<string, string>): ChainContext => ({
  files: evidenceFromMap(new Map(Object.entries(files))),
  collected: ['L0'],
  verdicts: {},
  guests: {},
  matches: {},
  itemStates: new Map(),
});

test('a check that reads an item it did not declare is a programming error', () => {
  const sneaky: CheckDef = {
    id: 'sneaky',
    level: 'L0',
    titles: { pass: 'a', fail: 'b', warn: 'c', unknown: 'd' },
    reads: ['cpuinfo'],
    evaluate: (ctx) => ({ status: 'pass', summary: ctx.files.get('L0/dmesg.txt') ?? '', evidence: [] }),
  };
  assert.throws(() => runCheck(sneaky, emptyContext({})), /sneaky reads item dmesg without declaring it/);
});

const manifestWith = (items: Array<{ id: string; status: string; reason?: string }>) =>
  JSON.stringify({ tool: 'nestbug', levels: [{ level: 'L0', target: 'local', reached: true, items: items.map((i) => ({ ...i, file: `L0/${i.id}.txt` })) }] });

test('a failed item is not evidence of absence: its checks are unknown with the reason, never fail', () => {
  const cpuinfo = 'processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vmx\n';
  const files = {
    'L0/cpuinfo.txt': cpuinfo,
    'L0/kvm-modules.txt': '',
    'L0/kvm-device.txt': '',
    'manifest.json': manifestWith([
      { id: 'cpuinfo', status: 'ok' },
      { id: 'kvm-modules', status: 'failed', reason: 'Channel open failure' },
      { id: 'kvm-device', status: 'timed-out' },
    ]),
  };
  const check = analyseTexts(files).checks.find((c) => c.id === 'l0-kvm')!;
  assert.is(check.status, 'unknown');
  assert.match(check.summary, /L0\/kvm-modules\.txt failed \(Channel open failure\)/);
  assert.match(check.title, /not known/);
  // Without the manifest the same empty file is evidence: no KVM module is loaded.
  const withoutManifest = analyseTexts({ 'L0/cpuinfo.txt': cpuinfo, 'L0/kvm-modules.txt': '' }).checks.find((c) => c.id === 'l0-kvm')!;
  assert.is(withoutManifest.status, 'fail');
  assert.match(withoutManifest.title, /cannot run KVM guests: no KVM module/);
});

test('hypervisor table: unique ids, 12-byte CPUID signatures found back, runsOn values in the JSON contract', () => {
  const ids = HYPERVISORS.map((h) => h.id);
  assert.is(new Set(ids).size, ids.length);
  for (const h of HYPERVISORS) {
    assert.ok(RUNS_ON.includes(h.runsOn), `${h.id}: runsOn ${h.runsOn}`);
    for (const c of 'cpuid' in h ? h.cpuid : []) {
      assert.is(c.signature.length, 12, `${h.id} ${c.name}`);
      assert.is(bySignature(c.signature)?.entry.id, h.id);
    }
  }
  assert.equal([...RUNS_ON].sort(), ['bare-metal', 'hyperv', 'kvm', 'lpar', 'other', 'parallels', 'powervm', 'tcg', 'unknown', 'virtualbox', 'vmware', 'xen', 'zvm']);
});

test.run();
