import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildRedaction, leftovers, redactor, redactStrings } from '../../src/redact/redact.ts';
import { FIXTURES } from '../helpers.ts';

test('addresses, MACs, UUIDs and DMI serials get consistent placeholders; versions and times stay', () => {
  const text = [
    '[    1.2] e1000e: eth0 link up, peer 203.0.113.77 via 10.0.0.1, gw fe80::5054:ff:fe12:3456',
    'mac eth0=52:54:00:ab:cd:ef',
    '-device virtio-net-pci,mac=52:54:00:AB:CD:EF -uuid 1f5f20a9-3f27-4ca2-a9ef-55bbdefc0593',
    'QEMU emulator version 7.2.22, kernel 6.1.0-56-amd64, at 23:34:57, loopback 127.0.0.1 and ::1',
    '\tSerial Number: R96KY83',
    '\tSerial Number: Not Specified',
  ].join('\n');
  const r = buildRedaction({
    texts: [text],
    hostnames: ['db1.corp.example.com'],
    users: ['alice', 'root'],
    words: ['ACME-CLUSTER'],
  });
  const apply = redactor(r);
  const out = apply(`${text}\nhost db1.corp.example.com (db1) run by alice (not root) for ACME-CLUSTER; /home/alice/x`);
  for (const gone of [
    '203.0.113.77',
    '10.0.0.1',
    'fe80::5054:ff:fe12:3456',
    '52:54:00:ab:cd:ef',
    '52:54:00:AB:CD:EF',
    '1f5f20a9-3f27',
    'R96KY83',
    'db1',
    'alice',
    'ACME-CLUSTER',
  ]) {
    assert.not.ok(out.toLowerCase().includes(gone.toLowerCase()), `${gone} survived:\n${out}`);
  }
  for (const kept of ['7.2.22', '6.1.0-56-amd64', '23:34:57', '127.0.0.1', '::1', 'Not Specified', 'root', 'e1000e'])
    assert.ok(out.includes(kept), kept);
  assert.match(
    out,
    /mac eth0=mac-1\n-device virtio-net-pci,mac=mac-1 /,
    'the same MAC is the same placeholder, whatever its case',
  );
  assert.equal(leftovers(out, r), []);
  assert.equal(leftovers('seen 203.0.113.77 here', r), ['203.0.113.77']);
});

test('an address given as the host is no name: "127" of 127.0.0.1 never becomes host-1', () => {
  const r = buildRedaction({
    texts: [],
    hostnames: ['127.0.0.1', '10.1.2.3', '::1', 'fe80::1', '1234', 'db7.example.com'],
    users: [],
    words: [],
  });
  assert.equal([...new Set(r.map.values())].sort(), ['domain-1', 'host-1']);
  assert.ok(r.map.has('db7') && r.map.has('example.com'));
  const manifest = {
    levels: [
      {
        target: 'root@db7.example.com:22',
        items: [{ id: 'uname', durationMs: 127, bytes: 1234, reason: 'db7 said no' }],
      },
    ],
    redacted: false,
  };
  const out = redactStrings(manifest, redactor(r));
  assert.equal(out, {
    levels: [
      {
        target: 'root@host-1.domain-1:22',
        items: [{ id: 'uname', durationMs: 127, bytes: 1234, reason: 'host-1 said no' }],
      },
    ],
    redacted: false,
  });
});

test('every spelling: hyphen-joined and truncated names, other hosts in the domain, MACs, IPv4 in IPv6, guest serials', () => {
  const evidence = [
    'Linux db7.prod.example.org 6.1.0-13-amd64 #1 SMP',
    '/dev/mapper/hv01--vg-root on / type ext4',
    'qemu: -name guest=db7,debug-threads=on -drive file=/var/lib/libvirt/images/hv01-db7.qcow2',
    'machine: domain-1-db7.prod.example.o',
    'peer db8.prod.example.org and mirror.example.net; search prod.example.org',
    '2: enx0011223344aa: <BROADCAST> mtu 1500; link/ether 00:11:22:33:44:aa',
    'nic 52-54-00-AB-CD-EF and 525400abcdef',
    'from ::ffff:10.1.2.3 and 10.1.2.3, not 10.1.2.34',
    "<sysinfo type='smbios'><system><entry name='serial'>GUEST-SN-77</entry></system></sysinfo>",
    '<disk><serial>DISK-SN-88</serial></disk>',
    '-smbios type=1,serial=ARG-SN-99',
    'flags : fpu vmx; https://bugzilla.kernel.org/ and libc.so.6 and pci.ids.gz',
  ].join('\n');
  const r = buildRedaction({ texts: [evidence], hostnames: ['db7.prod.example.org', 'hv01'], users: [], words: [] });
  const out = redactor(r)(evidence);
  for (const gone of [
    'db7',
    'hv01',
    'prod.example',
    'db8',
    'mirror',
    'example.net',
    '0011223344aa',
    '00:11:22:33:44:aa',
    '52-54-00',
    '525400abcdef',
    '10.1.2.3',
    'ffff:10',
    'GUEST-SN-77',
    'DISK-SN-88',
    'ARG-SN-99',
  ]) {
    assert.not.ok(out.toLowerCase().includes(gone.toLowerCase()), `${gone} survived:\n${out}`);
  }
  assert.match(out, /Linux host-1\.domain-1 6\.1\.0-13-amd64/);
  assert.match(out, /host-2--vg-root/);
  assert.match(out, /host-2-host-1\.qcow2/);
  assert.match(out, /domain-1-host-1\.domain-1\n/, 'the truncated domain is the same placeholder');
  assert.match(out, /peer host-\d\.domain-1 /, 'another host in the same domain');
  assert.match(out, /enxmac-1: .* link\/ether mac-1/, 'one MAC, two spellings, one placeholder');
  assert.match(out, /nic mac-2 and mac-2/);
  assert.match(out, /not ip-\d+\n/, '10.1.2.34 is another address');
  for (const kept of ['bugzilla.kernel.org', 'libc.so.6', 'pci.ids.gz', 'flags : fpu vmx', '6.1.0-13-amd64'])
    assert.ok(out.includes(kept), kept);
  assert.equal(leftovers(out, r), []);
  assert.ok(leftovers('file hv01-db7.qcow2', r).length > 0, 'the scan finds hyphen-joined originals');
});

test("a host name that is an ordinary word is replaced where it names the host, not in nestbug's words or parameters", () => {
  const evidence =
    'Linux nested 6.1.0 #1\nhostname=nested\noptions kvm_intel nested=1\n/sys/module/kvm_intel/parameters/nested: Y\nkvm-intel.nested=1\nkvm: Nested Virtualization enabled';
  const r = buildRedaction({ texts: [evidence], hostnames: ['nested'], users: [], words: [] });
  const out = redactor(r)(evidence);
  assert.match(out, /^Linux host-1 6\.1\.0/);
  assert.match(out, /hostname=host-1/);
  for (const kept of ['nested=1', 'parameters/nested: Y', 'kvm-intel.nested=1', 'Nested Virtualization enabled'])
    assert.ok(out.includes(kept), kept);
  assert.is(redactor(r)('Nested virtualization setup: KVM on TCG.'), 'Nested virtualization setup: KVM on TCG.');
});

test('a hostname that is also a technical word is kept, and said so', () => {
  const r = buildRedaction({ texts: [], hostnames: ['kvm', 'vm'], users: [], words: [] });
  assert.is(r.map.size, 0);
  assert.equal(
    r.kept.map((k) => k.value),
    ['kvm', 'vm'],
  );
  assert.is(redactor(r)('kvm: Nested Virtualization enabled'), 'kvm: Nested Virtualization enabled');
});

test('real dmidecode capture: serial and UUID gone, manufacturer and product kept', () => {
  const dmi = readFileSync(path.join(FIXTURES, 'corpus', 'virt-what-baremetal', 'L1', 'dmidecode.txt'), 'latin1');
  const r = buildRedaction({ texts: [dmi], hostnames: [], users: [], words: [] });
  const out = redactor(r)(dmi);
  assert.not.match(out, /R96KY83/);
  assert.not.match(out, /806F8C2B-5CB1-DF11-9CFD-B727E82CF6BB/i);
  assert.match(out, /Manufacturer: LENOVO/);
  assert.match(out, /Version: ThinkPad T510/);
  assert.equal(leftovers(out, r), []);
});

test.run();
