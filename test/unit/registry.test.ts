// The check registry and the hypervisor table: every entry is consistent with the
// collectors and with the JSON contract, and the runner treats failed items as unknown.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CHECKS } from '../../src/analyse/checks/index.ts';
import { type ChainContext, type CheckDef, runCheck } from '../../src/analyse/checks/registry.ts';
import { evidenceFromMap } from '../../src/analyse/evidence.ts';
import { bySignature, HYPERVISORS } from '../../src/analyse/hypervisors.ts';
import { analyse } from '../../src/analyse/index.ts';
import { analysedItems, checkItems, isAnalysed, PASTED_ITEMS } from '../../src/analyse/items.ts';
import { RUNS_ON } from '../../src/analyse/types.ts';
import type { ItemStatus, LevelRecord } from '../../src/bundle/manifest.ts';
import { loadCollectors } from '../../src/collect/load-collectors.ts';
import { analyseTexts } from '../helpers.ts';

test('every item a check or a verdict reads is defined by a collector (collectors/*.yaml)', async () => {
  const ids = new Set((await loadCollectors()).map((c) => c.id));
  for (const def of CHECKS) {
    for (const id of def.reads) assert.ok(ids.has(id), `check ${def.id} reads ${id}, which no collector defines`);
    for (const id of def.alsoReads ?? [])
      assert.ok(ids.has(id) || PASTED_ITEMS.includes(id), `check ${def.id} reads ${id}, which no collector defines`);
  }
  for (const id of analysedItems())
    assert.ok(ids.has(id) || PASTED_ITEMS.includes(id), `the analysis reads ${id}, which no collector defines`);
  for (const id of checkItems()) assert.ok(ids.has(id), `check mode collects ${id}, which no collector defines`);
});

test('check mode collects the small items that decide (derived from the registry), not the large ones', () => {
  for (const id of [
    'uname',
    'cpuinfo',
    'lscpu',
    'detect-virt',
    'cpuid-signature',
    'identity',
    'kvm-params',
    'kvm-device',
    'kvm-modules',
    'modprobe-conf',
    'cmdline',
    'qemu-cmdlines',
    'qemu-kvm-fds',
    'domains',
  ]) {
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
      assert.not.ok(
        def.titles[status].startsWith(def.titles.pass),
        `${def.id}: the ${status} title must not read as the pass one`,
      );
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

const levelWith = (items: Array<{ id: string; status: ItemStatus; reason?: string }>): LevelRecord[] => [
  {
    level: 'L0',
    target: 'local',
    reached: true,
    items: items.map((i) => ({ ...i, title: i.id, source: i.id, asRoot: false, file: `L0/${i.id}.txt` })),
  },
];

test('a failed item is not evidence of absence: its checks are unknown with the reason, never fail', () => {
  const cpuinfo = 'processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vmx\n';
  const files = evidenceFromMap(
    new Map(Object.entries({ 'L0/cpuinfo.txt': cpuinfo, 'L0/kvm-modules.txt': '', 'L0/kvm-device.txt': '' })),
  );
  const levels = levelWith([
    { id: 'cpuinfo', status: 'ok' },
    { id: 'kvm-modules', status: 'failed', reason: 'Channel open failure' },
    { id: 'kvm-device', status: 'timed-out' },
  ]);
  const check = analyse(files, levels).checks.find((c) => c.id === 'l0-kvm')!;
  assert.is(check.status, 'unknown');
  assert.match(check.summary, /L0\/kvm-modules\.txt failed \(Channel open failure\)/);
  assert.match(check.title, /not known/);
  // Without the manifest the same empty file is evidence: no KVM module is loaded.
  const withoutManifest = analyseTexts({ 'L0/cpuinfo.txt': cpuinfo, 'L0/kvm-modules.txt': '' }).checks.find(
    (c) => c.id === 'l0-kvm',
  )!;
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
  assert.equal([...RUNS_ON].sort(), [
    'bare-metal',
    'hyperv',
    'kvm',
    'lpar',
    'other',
    'parallels',
    'powervm',
    'tcg',
    'unknown',
    'virtualbox',
    'vmware',
    'xen',
    'zvm',
  ]);
});

test.run();

test(
  'decisive lines: the firmware switch as old and new kernels print it (arch/x86/kernel/cpu/feat_ctl.c, ' +
    'arch/x86/kvm)',
  async () => {
    const { decisiveLine, HARDWARE_OFF } = await import('../../src/analyse/decisive-lines.ts');
    for (const line of [
      '[   38.526047] kvm: disabled by bios',
      '[    0.712345] kvm_intel: VMX not enabled (by BIOS) in MSR_IA32_FEAT_CTL on CPU 0',
      '[    0.000000] x86/cpu: VMX (outside TXT) disabled by BIOS',
      '[    1.234567] kvm_amd: SVM disabled (by BIOS) in MSR_VM_CR on CPU 0',
    ]) {
      assert.is(decisiveLine(line, HARDWARE_OFF)?.id, 'kvm-disabled-by-bios', line);
    }
    assert.is(decisiveLine('[    0.9] kvm_intel: VMX not supported by CPU 3', HARDWARE_OFF)?.id, 'vmx-not-supported');
    assert.is(decisiveLine('[    0.9] kvm: already loaded the other module', HARDWARE_OFF), undefined);
  },
);

test(
  'platform names are specific: a Chromebook (DMI vendor Google) is not Google Cloud, a plain ' +
    'Hyper-V VM is not Azure',
  async () => {
    const { platformByDmi } = await import('../../src/analyse/hypervisors.ts');
    assert.is(platformByDmi('Google'), undefined);
    assert.is(platformByDmi('Google Compute Engine')?.id, 'gcp');
    assert.is(platformByDmi('Microsoft Corporation Virtual Machine'), undefined);
    assert.is(platformByDmi('7783-7084-3265-9085-8269-3286-77')?.id, 'azure');
  },
);

test(
  'a built-in kvm_intel with nested=N: the fix is the kernel command line (on WSL2: .wslconfig), never ' + 'modprobe.d',
  () => {
    const files = {
      'L0/kvm-params.txt': 'kvm_intel.nested=N\nkvm_intel.ept=Y\n',
      'L0/kvm-modules.txt': 'kvm builtin\nkvm_intel builtin\n',
    };
    const plain = analyseTexts(files).checks.find((c) => c.id === 'l0-nested')!;
    assert.is(plain.status, 'fail');
    assert.match(plain.fix!, /boot L0 with kvm_intel\.nested=1 on the kernel command line/);
    assert.not.match(plain.fix!, /modprobe\.d\/|modprobe -r/);
    assert.equal(plain.evidence.at(-1), { file: 'L0/kvm-modules.txt', line: 2, text: 'kvm_intel builtin' });
    const wsl = analyseTexts({
      ...files,
      'L0/uname.txt':
        'Linux host 5.15.146.1-microsoft-standard-WSL2 #1 SMP Thu Jan 11 04:09:03 UTC 2024 x86_64 GNU/Linux\n',
    });
    assert.is(wsl.levels.L0!.platform?.id, 'wsl2');
    assert.match(
      wsl.checks.find((c) => c.id === 'l0-nested')!.fix!,
      /kernelCommandLine = kvm_intel\.nested=1 under \[wsl2\]/,
    );
  },
);

test('a level whose host runs a Proxmox VE kernel (-pve) is on platform proxmox; its fix is qm set --cpu host', () => {
  // The uname line has the form Proxmox VE kernels print; no public capture with provenance was found.
  const verdict = analyseTexts({
    'L0/uname.txt':
      'Linux pve1 6.8.12-4-pve #1 SMP PREEMPT_DYNAMIC PMX 6.8.12-4 (2024-11-06T15:04Z) x86_64 GNU/Linux\n',
    'L1/cpuinfo.txt': 'processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu hypervisor\n',
    'L1/dmesg.txt': '[    0.000000] Hypervisor detected: KVM\n',
  });
  assert.is(verdict.levels.L1!.runsOn, 'kvm');
  assert.is(verdict.levels.L1!.platform?.id, 'proxmox');
  assert.equal(verdict.levels.L1!.platform!.evidence[0].file, 'L0/uname.txt');
  assert.is(verdict.levels.L0!.platform, undefined, 'the Proxmox host itself runs on bare metal');
  assert.match(verdict.checks.find((c) => c.id === 'l1-virt-flag')!.fix!, /qm set VMID --cpu host/);
});
