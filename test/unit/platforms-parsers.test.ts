// Parsers of the platform items, on real captures (test/fixtures/platforms/SOURCES.md).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decideContainer, lscpuContainer } from '../../src/analyse/parsers/container.ts';
import { chooseKernelLog, dmesgStartsAtBoot } from '../../src/analyse/parsers/kernel-log.ts';
import {
  bitsAllow,
  groupUnmapped,
  isNode,
  onlyRoot,
  parseKvmAccess,
  parseLsLine,
} from '../../src/analyse/parsers/kvm-access.ts';
import { parsePveConfigs, parseQmList, pveCpuNests } from '../../src/analyse/parsers/proxmox.ts';
import { parseXenGuests, parseXlInfo } from '../../src/analyse/parsers/xen.ts';
import { scrubQemuSecretsLine } from '../../src/collect/scrub.ts';
import { FIXTURES } from '../helpers.ts';

const fixture = (...p: string[]) => readFileSync(path.join(FIXTURES, 'platforms', ...p), 'utf8');
const lines = (text: string, re: RegExp) => text.split('\n').filter((l) => re.test(l));

test('this machine: /.dockerenv makes it a docker container (systemd agrees)', () => {
  const v = decideContainer(fixture('this-machine', 'container.txt'), fixture('this-machine', 'lscpu.txt'));
  assert.is(v.container, 'docker');
  assert.ok(v.clues.some((c) => c.why === '/.dockerenv exists' && c.strength === 3));
  assert.ok(
    v.clues.every((c) => c.says === 'docker'),
    'no other container named',
  );
});

test('podman: libpod scope in the cgroup path; a cgroup namespace root above / is a container', () => {
  const cgroup = lines(
    fixture('containers', 'freeipa-healthcheck-pr99-podman-proc-self-cgroup.excerpt.txt'),
    /libpod-/,
  );
  assert.is(decideContainer(`==> /proc/1/cgroup <==\n${cgroup.join('\n')}\n`).container, 'podman');
  const mount = lines(fixture('containers', 'systemd-pr17902-cgroupns-mountinfo.excerpt.txt'), /^1118 /);
  const v = decideContainer(`==> /proc/self/mountinfo (/, cgroup) <==\n${mount.join('\n')}\n`);
  assert.is(v.container, 'container-other');
  assert.is(v.clues[0].strength, 1);
});

test('docker on cgroup v1: the cgroup mount root /docker/ID', () => {
  const mount = lines(fixture('containers', 'systemd-pr17902-cgroupns-mountinfo.excerpt.txt'), /^74[01] /);
  const v = decideContainer(`==> /proc/self/mountinfo (/, cgroup) <==\n${mount.join('\n')}\n`);
  assert.is(v.container, 'docker');
  assert.match(v.clues[0].text, /\/docker\/1ebedb/);
});

test('old systemd answers none inside docker: /.dockerenv still decides; none alone is not a container', () => {
  const word = /^none$/m.exec(fixture('containers', 'systemd-15393-detect-virt-in-docker.excerpt.txt'))![0];
  assert.is(decideContainer(`systemd-detect-virt --container: ${word}\n`).container, null);
  assert.is(decideContainer(`systemd-detect-virt --container: ${word}\nexists: /.dockerenv\n`).container, 'docker');
});

test('lscpu "Virtualization type: container" with vendor Parallels is OpenVZ, not a Parallels VM', () => {
  const lscpu = 'Hypervisor vendor:     Parallels\nVirtualization type:   container\n';
  const clue = lscpuContainer(lscpu)!;
  assert.is(clue.says, 'openvz');
  assert.is(decideContainer(undefined, lscpu).container, 'openvz');
  assert.is(lscpuContainer(fixture('this-machine', 'lscpu.txt')), undefined, 'full virtualization is no container');
});

test('/dev/kvm here: 0600 root:root; root opens it, nobody is refused; libvirt-qemu is in group kvm but cannot', () => {
  const root = parseKvmAccess(fixture('this-machine', 'kvm-access-root.txt'));
  assert.ok(isNode(root.device));
  if (!isNode(root.device)) return;
  assert.is(root.device.mode, 0o600);
  assert.ok(onlyRoot(root.device));
  assert.is(root.open?.ok, true);
  assert.is(root.user?.name, 'root');
  const qemu = root.qemuUsers.find((u) => u.name === 'libvirt-qemu')!;
  assert.ok(qemu.groups.includes('kvm'));
  assert.is(bitsAllow(root.device, qemu), false);
  const nobody = parseKvmAccess(fixture('this-machine', 'kvm-access-nobody.txt'));
  assert.is(nobody.user?.name, 'nobody');
  assert.equal(nobody.open, {
    ok: false,
    error: 'Permission denied',
    line: nobody.open!.line,
    text: nobody.open!.text,
  });
  assert.is(bitsAllow(root.device, nobody.user!), false);
});

test('elbe#164: passed into docker as root:root 0660, then chgrp kvm: only then group kvm can', () => {
  const text = fixture('containers', 'elbe-164-docker-ls-l-dev-kvm.excerpt.txt');
  const [before, after] = lines(text, /^crw/).map((l, i) => parseLsLine(l, i + 1)!);
  const user = { name: 'builder', uid: 1000, groups: ['builder', 'kvm'], line: 1, text: '' };
  assert.is(before.mode, 0o660);
  assert.ok(onlyRoot(before));
  assert.is(bitsAllow(before, user), false);
  assert.not.ok(onlyRoot(after));
  assert.is(bitsAllow(after, user), true);
  assert.not.ok(groupUnmapped(before));
  assert.ok(groupUnmapped({ ...before, group: 'nogroup', gid: 65534 }));
});

test('Proxmox VE: cpu host nests; kvm: 0 runs the VM on TCG; qemu64 has no vmx', () => {
  const host = parsePveConfigs(
    `==> /etc/pve/qemu-server/100.conf <==\n${fixture('proxmox-ve', 'qemu-server-100-cpu-host.conf')}`,
  );
  assert.is(host.length, 1);
  assert.is(host[0].vmid, 100);
  assert.is(host[0].name, 'Windows11');
  assert.is(host[0].cpu?.value, 'host');
  assert.is(host[0].cpu?.line, 5);
  assert.is(host[0].kvm, undefined);
  assert.is(host[0].uuid, 'c1978846-014d-4714-a560-e209d9f93809');
  assert.equal(host[0].macs, ['ce:36:83:df:6e:58']);
  assert.is(pveCpuNests(host[0].cpu?.value).ok, true);
  const tcg = parsePveConfigs(fixture('proxmox-ve', 'qemu-server-100-kvm0.conf.excerpt'), '100.conf');
  assert.is(tcg[0].kvm?.on, false);
  assert.is(tcg[0].kvm?.text, 'kvm: 0');
  assert.equal(pveCpuNests(tcg[0].cpu?.value), { ok: false, type: 'qemu64' });
  assert.is(pveCpuNests('kvm64,flags=+vmx').ok, true);
});

test('Proxmox VE: a snapshot section is not the running configuration', () => {
  const text = `${fixture('proxmox-ve', 'qemu-server-100-cpu-host.conf')}\n[before-upgrade]\ncpu: qemu64\nkvm: 0\n`;
  const [vm] = parsePveConfigs(text);
  assert.is(vm.cpu?.value, 'host');
  assert.is(vm.kvm, undefined);
});

test('qm list rows', () => {
  const rows = parseQmList(
    [
      '      VMID NAME                 STATUS     MEM(MB)    BOOTDISK(GB) PID',
      '       100 Windows11            running    28672            1500.00 2345',
      '',
    ].join('\n'),
  );
  assert.equal(
    rows.map((r) => [r.vmid, r.name, r.status, r.pid]),
    [[100, 'Windows11', 'running', 2345]],
  );
});

test('xl info (the man page sample): virt_caps hvm without hap', () => {
  const info = parseXlInfo(fixture('xen', 'xl-info-manpage.txt'));
  assert.equal(info.virtCaps, ['hvm', 'hvm_directio']);
  assert.is(info.version, '4.2-unstable');
  assert.ok(info.virtCapsLine);
});

test("Xen's example HVM config: an HVM guest with neither hap nor nestedhvm set", () => {
  const [guest] = parseXenGuests(fixture('xen', 'xen-domains-xlexample.txt'));
  assert.is(guest.name, 'example.hvm');
  assert.is(guest.hvm, true);
  assert.is(guest.hap, undefined);
  assert.is(guest.nestedHvm, undefined);
});

test('dmesg that lost the boot: the journal is used, and the choice says why', () => {
  assert.is(dmesgStartsAtBoot('[    0.000000] Linux version 6.1.0\n'), true);
  assert.is(dmesgStartsAtBoot('[123456.789012] kvm: exiting hardware virtualization\n'), false);
  assert.is(
    chooseKernelLog('[123456.789012] x\n', '[    0.000000] host kernel: Linux version 6.1\n')?.item,
    'kernel-journal',
  );
  assert.is(chooseKernelLog('[    0.000000] Linux version\n', undefined)?.item, 'dmesg');
  assert.is(chooseKernelLog(undefined, undefined), undefined);
  assert.is(chooseKernelLog(undefined, 'dmesg still starts at boot: the journal adds nothing\n'), undefined);
});

test('Proxmox and xl passwords are scrubbed, keys kept; the Proxmox configurations keep their cpu and kvm lines', () => {
  assert.is(scrubQemuSecretsLine('cipassword: $5$rounds=5000$abc$def'), 'cipassword: <redacted>');
  assert.is(scrubQemuSecretsLine('vncpasswd="s3cret"'), 'vncpasswd="<redacted>"');
  assert.is(scrubQemuSecretsLine('spicepasswd=s3cret'), 'spicepasswd=<redacted>');
  assert.is(scrubQemuSecretsLine('"passwd": "s3cret",'), '"passwd": "<redacted>",');
  for (const line of fixture('proxmox-ve', 'qemu-server-100-kvm0.conf.excerpt').split('\n')) {
    assert.is(scrubQemuSecretsLine(line), line);
  }
});

test.run();
