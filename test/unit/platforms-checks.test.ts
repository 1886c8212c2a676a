// The platform checks and verdict fields on real captures (test/fixtures/platforms/SOURCES.md).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseKvmAccess } from '../../src/analyse/parsers/kvm-access.ts';
import { analyseTexts, FIXTURES } from '../helpers.ts';

const fixture = (...p: string[]) => readFileSync(path.join(FIXTURES, 'platforms', ...p), 'utf8');
const checkOf = (files: Record<string, string>, id: string) => analyseTexts(files).checks.find((c) => c.id === id);

test('this machine as root: container docker; only root can open /dev/kvm, libvirt-qemu cannot', () => {
  const files = {
    'L1/container.txt': fixture('this-machine', 'container.txt'),
    'L1/lscpu.txt': fixture('this-machine', 'lscpu.txt'),
    'L1/kvm-access.txt': fixture('this-machine', 'kvm-access-root.txt'),
  };
  const verdict = analyseTexts(files);
  assert.is(verdict.levels.L1?.container, 'docker');
  assert.ok(
    verdict.levels.L1?.containerEvidence?.some((e) => e.file === 'L1/container.txt' && /dockerenv/.test(e.text)),
  );
  const c = verdict.checks.find((x) => x.id === 'l1-kvm-access')!;
  assert.is(c.status, 'fail');
  assert.match(c.summary, /only root can open \/dev\/kvm in L1 \(0600 root:root\)/);
  assert.match(c.summary, /libvirt-qemu/);
  assert.match(c.summary, /docker container/);
  assert.match(c.fix!, /GROUP="kvm", MODE="0660"/);
  assert.match(c.fix!, /--group-add \$\(stat -c %g \/dev\/kvm\)/);
  assert.ok(c.evidence.some((e) => e.file === 'L1/kvm-access.txt' && /mode=600/.test(e.text)));
});

test('a user the collection ran as who cannot open it: that user is named, with the fix for that device', () => {
  const c = checkOf({ 'L0/kvm-access.txt': fixture('this-machine', 'kvm-access-nobody.txt') }, 'l0-kvm-access')!;
  assert.is(c.status, 'fail');
  assert.match(c.summary, /nobody/);
  assert.match(c.fix!, /udev/);
});

test('elbe#164: docker container given /dev/kvm as root:root 0660, then chgrp kvm: fail, then pass', () => {
  const [before, after] = fixture('containers', 'elbe-164-docker-ls-l-dev-kvm.excerpt.txt')
    .split('\n')
    .filter((l) => l.startsWith('crw'));
  const container = fixture('this-machine', 'container.txt');
  const fail = checkOf({ 'L1/kvm-device.txt': `${before}\n`, 'L1/container.txt': container }, 'l1-kvm-access')!;
  assert.is(fail.status, 'fail');
  assert.match(fail.summary, /only root can open/);
  const pass = checkOf({ 'L1/kvm-device.txt': `${after}\n`, 'L1/container.txt': container }, 'l1-kvm-access')!;
  assert.is(pass.status, 'pass');
});

test('systemd-nspawn container without /dev/kvm: its own fix (bind the device, allow it)', () => {
  const c = checkOf(
    {
      'L1/container.txt': fixture('nspawn', 'container-nokvm-root.txt'),
      'L1/kvm-access.txt': fixture('nspawn', 'kvm-access-nokvm-root.txt'),
    },
    'l1-kvm-access',
  )!;
  assert.is(c.status, 'fail');
  assert.match(c.title, /systemd-nspawn container was not given \/dev\/kvm/);
  assert.match(c.fix!, /--bind=\/dev\/kvm --property=DeviceAllow=\/dev\/kvm rw/);
  assert.is(
    analyseTexts({ 'L1/container.txt': fixture('nspawn', 'container-nokvm-root.txt') }).levels.L1?.container,
    'systemd-nspawn',
  );
});

test('docker container without /dev/kvm: --device /dev/kvm', () => {
  const c = checkOf(
    {
      'L1/container.txt': fixture('this-machine', 'container.txt'),
      'L1/kvm-access.txt': fixture('nspawn', 'kvm-access-nokvm-root.txt'),
    },
    'l1-kvm-access',
  )!;
  assert.is(c.status, 'fail');
  assert.match(c.fix!, /--device \/dev\/kvm/);
});

test('no container and no /dev/kvm: left to the KVM checks (no access check)', () => {
  assert.is(
    checkOf({ 'L1/kvm-access.txt': fixture('nspawn', 'kvm-access-nokvm-root.txt') }, 'l1-kvm-access'),
    undefined,
  );
});

test('lscpu container type with vendor Parallels: openvz container, not a Parallels VM underneath', () => {
  const v = analyseTexts({ 'L1/lscpu.txt': 'Hypervisor vendor:     Parallels\nVirtualization type:   container\n' })
    .levels.L1!;
  assert.is(v.container, 'openvz');
  assert.is.not(v.runsOn, 'parallels');
});

// An L1 seen from inside (a real KVM guest) on an L0 whose own stack describes its VMs.
const kvmGuestL1 = () => ({
  'L1/cpuinfo.txt': readFileSync(path.join(FIXTURES, 'corpus', 'virt-what-kvm', 'L1', 'cpuinfo.txt'), 'utf8'),
  'L1/dmidecode.txt': readFileSync(path.join(FIXTURES, 'corpus', 'virt-what-kvm', 'L1', 'dmidecode.txt'), 'utf8'),
});
const pveItem = (name: string) => `==> /etc/pve/qemu-server/100.conf <==\n${fixture('proxmox-ve', name)}\n`;

test('Proxmox VE L0 with cpu: host: L1 is its VM 100, started with KVM and the host CPU', () => {
  const verdict = analyseTexts({ ...kvmGuestL1(), 'L0/pve-vm-configs.txt': pveItem('qemu-server-100-cpu-host.conf') });
  const c = verdict.checks.find((x) => x.id === 'l1-proxmox-config')!;
  assert.is(c.status, 'pass');
  assert.match(c.summary, /VM 100 \(Windows11\): cpu host/);
  assert.ok(verdict.levels.L1!.evidence.some((e) => e.view === 'outside' && e.file === 'L0/pve-vm-configs.txt'));
  assert.is(verdict.levels.L1!.platform?.id, 'proxmox');
  assert.ok(verdict.levels.L1!.platform?.evidence.some((e) => e.file === 'L0/pve-vm-configs.txt'));
});

test('Proxmox VE L0 with kvm: 0: the outside view says TCG, and the fix is qm set --kvm 1', () => {
  const verdict = analyseTexts({
    ...kvmGuestL1(),
    // L1 is identified as VM 100 by its name; being the only VM would not identify it.
    'L1/identity.txt': 'hostname=windows-demo\n',
    'L0/pve-vm-configs.txt': pveItem('qemu-server-100-kvm0.conf.excerpt'),
  });
  assert.is(verdict.levels.L1!.outside, 'tcg');
  const clue = verdict.levels.L1!.evidence.find((e) => e.view === 'outside')!;
  assert.is(clue.text, 'kvm: 0');
  const c = verdict.checks.find((x) => x.id === 'l1-proxmox-config')!;
  assert.is(c.status, 'fail');
  assert.match(c.summary, /kvm: 0/);
  assert.match(c.fix!, /qm set 100 --kvm 1/);
});

test("Xen dom0 L0: the example HVM guest has no nestedhvm (Xen 4.2's virt_caps predates hap)", () => {
  const verdict = analyseTexts({
    ...kvmGuestL1(),
    'L1/identity.txt': 'hostname=example.hvm\n',
    'L0/xen-info.txt': fixture('xen', 'xl-info-manpage.txt'),
    'L0/xen-domains.txt': fixture('xen', 'xen-domains-xlexample.txt'),
  });
  const c = verdict.checks.find((x) => x.id === 'l1-xen-config')!;
  assert.is(c.status, 'fail');
  assert.match(c.summary, /example\.hvm has no nestedhvm setting/);
  assert.not.match(c.summary, /no HAP/, 'an old virt_caps list without hap or shadow says nothing about HAP');
  assert.match(c.fix!, /nestedhvm=1/);
  assert.ok(c.evidence.some((e) => e.file === 'L0/xen-info.txt' && /virt_caps/.test(e.text)));
  assert.not.ok(
    verdict.checks.some((x) => x.id === 'xen-nesting'),
    'the inside-only Xen check gives way to the dom0 evidence',
  );
});
test('a dmesg that lost the boot: the verdict reads the journal of this boot, and the level table says so', () => {
  const verdict = analyseTexts({
    'L1/dmesg.txt': fixture('this-machine', 'dmesg-without-boot.txt'),
    'L1/kernel-journal.txt': fixture('this-machine', 'kernel-journal.txt'),
  });
  const detected = verdict.levels.L1!.evidence.find((e) => /Hypervisor detected: KVM/.test(e.text))!;
  assert.is(detected.file, 'L1/kernel-journal.txt');
  assert.is(verdict.levels.L1!.runsOn, 'kvm');
  assert.match(verdict.tables[0].kernelLog!, /^journalctl -k -b 0 \(dmesg no longer starts at boot/);
  const dmesgOnly = analyseTexts({ 'L1/dmesg.txt': fixture('this-machine', 'dmesg-without-boot.txt') });
  assert.not.ok(
    dmesgOnly.levels.L1!.evidence.some((e) => /Hypervisor detected/.test(e.text)),
    'the wrapped dmesg alone lacks the line',
  );
});

test('root of a user namespace (rootless): /dev/kvm shows nobody:nogroup, is refused; keep-groups', () => {
  const c = checkOf({ 'L1/kvm-access.txt': fixture('this-machine', 'kvm-access-userns.txt') }, 'l1-kvm-access')!;
  assert.is(c.status, 'fail');
  assert.match(c.summary, /not mapped into this user namespace/);
  assert.match(c.fix!, /--group-add keep-groups/);
});

test('root:kvm 0660 with libvirt-qemu in group kvm (this machine later, udev rule applied): pass', () => {
  const files = { 'L1/kvm-access.txt': fixture('this-machine', 'kvm-access-root-0660.txt') };
  const c = checkOf(files, 'l1-kvm-access')!;
  assert.is(c.status, 'pass');
  assert.match(c.summary, /libvirt-qemu can open \/dev\/kvm in L1 \(0660 root:kvm, opened\)/);
  const access = parseKvmAccess(files['L1/kvm-access.txt']);
  assert.equal([access.kvmGroup?.gid, access.kvmGroup?.count], [107, 0]);
});

test.run();
