// nestbug collect --l1 local on this machine: the bundle must hold what the host has.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Manifest } from '../../src/bundle/manifest.ts';
import { newHome, readJson, runCli, unpack } from '../harness/cli.ts';
import { testUnless } from '../harness/skip.ts';

const REQUIRED = [
  'uname',
  'os-release',
  'cpuinfo',
  'lscpu',
  'dmesg',
  'kvm-params',
  'kvm-device',
  'kvm-modules',
  'cmdline',
  'modprobe-conf',
  'qemu-version',
  'libvirt-version',
  'qemu-cmdlines',
  'libvirt-qemu-logs',
  'domains',
  'detect-virt',
  'x86info',
  'dmidecode',
  'sysinfo',
  'cpuid-signature',
];

for (const ext of ['zip', 'tar.gz']) {
  test(`collect --l1 local -o b.${ext}: one top folder, byte-identical evidence, a manifest that matches`, async () => {
    const home = newHome();
    const r = await runCli(['collect', '--l1', 'local', '--no-input', '-o', `b.${ext}`], { home });
    assert.ok([0, 4].includes(r.code!), `exit ${r.code}\n${r.stderr}`);
    const bundle = path.join(home, `b.${ext}`);
    assert.ok(existsSync(bundle));
    assert.equal(
      readdirSync(home).filter((f) => f.includes('partial')),
      [],
      'no temporary file left',
    );
    const top = unpack(bundle);
    assert.match(path.basename(top), /^nestbug-\d{8}-\d{6}$/);
    assert.equal(readFileSync(path.join(top, 'L1', 'cpuinfo.txt')), readFileSync('/proc/cpuinfo'));
    assert.equal(readFileSync(path.join(top, 'L1', 'cmdline.txt')), readFileSync('/proc/cmdline'));
    const manifest = readJson<Manifest>(path.join(top, 'manifest.json'));
    assert.is(manifest.tool, 'nestbug');
    assert.equal(manifest.commandLine, ['collect', '--l1', 'local', '--no-input', '-o', `b.${ext}`]);
    const level = manifest.levels.find((l) => l.level === 'L1')!;
    assert.ok(level.reached);
    const ids = level.items.map((i) => i.id);
    for (const id of REQUIRED) assert.ok(ids.includes(id), `manifest lacks ${id}`);
    for (const item of level.items) {
      assert.ok(['ok', 'failed', 'timed-out', 'not-installed', 'skipped'].includes(item.status), item.id);
      if (item.status === 'skipped' || item.status === 'not-installed')
        assert.ok(item.reason, `${item.id} skipped without a reason`);
      if (item.file) {
        const data = readFileSync(path.join(top, item.file));
        assert.is(data.length, item.bytes, item.id);
        assert.is(createHash('sha256').update(data).digest('hex'), item.sha256, item.id);
      }
    }
    // x86 only: sysinfo is skipped with the reason
    const sysinfo = level.items.find((i) => i.id === 'sysinfo')!;
    assert.is(sysinfo.status, 'skipped');
    assert.match(sysinfo.reason!, /s390x/);
    const summary = readFileSync(path.join(top, 'summary.md'), 'utf8');
    // The headline is a GitHub alert: the plain sentence, then the chain.
    const alert = summary.split('\n\n')[0];
    assert.match(alert, /^> \[!(CAUTION|WARNING|NOTE)\]\n> \*\*/);
    assert.match(alert, /Nested virtualization setup/);
    assert.match(alert, /L1/);
    assert.ok(existsSync(path.join(top, 'summary.txt')), 'summary.txt beside summary.md');
    assert.ok(Buffer.byteLength(summary) < 60 * 1024);
  });
}

const isKvmPvmGuest = readFileSync('/proc/cpuinfo', 'utf8').includes('hypervisor') && existsSync('/sys/module/kvm_pvm');

testUnless(
  isKvmPvmGuest ? undefined : 'not a kvm_pvm guest',
  'this machine: L1 runs on KVM, no vmx/svm visible, /dev/kvm through kvm_pvm',
  async () => {
    const home = newHome();
    const r = await runCli(['collect', '--l1', 'local', '--no-input', '--json', '-o', 'b.zip'], { home });
    const result = JSON.parse(r.stdout);
    assert.is(result.levels.L1.runsOn, 'kvm');
    const flag = result.checks.find((c: { id: string }) => c.id === 'l1-virt-flag');
    assert.is(flag.status, 'fail');
    assert.match(flag.summary, /no vmx or svm/);
    assert.match(flag.summary, /kvm_pvm/);
    assert.is(r.code, 4);
  },
);

test.run();
