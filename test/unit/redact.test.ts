import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildRedaction, leftovers, redactStrings, redactor } from '../../src/redact/redact.ts';
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
  const r = buildRedaction({ texts: [text], hostnames: ['db1.corp.example.com'], users: ['alice', 'root'], words: ['ACME-CLUSTER'] });
  const apply = redactor(r);
  const out = apply(`${text}\nhost db1.corp.example.com (db1) run by alice (not root) for ACME-CLUSTER; /home/alice/x`);
  for (const gone of ['203.0.113.77', '10.0.0.1', 'fe80::5054:ff:fe12:3456', '52:54:00:ab:cd:ef', '52:54:00:AB:CD:EF', '1f5f20a9-3f27', 'R96KY83', 'db1', 'alice', 'ACME-CLUSTER']) {
    assert.not.ok(out.toLowerCase().includes(gone.toLowerCase()), `${gone} survived:\n${out}`);
  }
  for (const kept of ['7.2.22', '6.1.0-56-amd64', '23:34:57', '127.0.0.1', '::1', 'Not Specified', 'root', 'e1000e']) assert.ok(out.includes(kept), kept);
  assert.match(out, /mac eth0=mac-1\n-device virtio-net-pci,mac=mac-1 /, 'the same MAC is the same placeholder, whatever its case');
  assert.equal(leftovers(out, r), []);
  assert.equal(leftovers('seen 203.0.113.77 here', r), ['203.0.113.77']);
});

test('an address given as the host is no name: "127" of 127.0.0.1 never becomes host-1', () => {
  const r = buildRedaction({ texts: [], hostnames: ['127.0.0.1', '10.1.2.3', '::1', 'fe80::1', '1234', 'db7.example.com'], users: [], words: [] });
  assert.equal([...r.map.keys()].sort(), ['db7', 'db7.example.com']);
  const manifest = { levels: [{ target: 'root@db7.example.com:22', items: [{ id: 'uname', durationMs: 127, bytes: 1234, reason: 'db7 said no' }] }], redacted: false };
  const out = redactStrings(manifest, redactor(r));
  assert.equal(out, { levels: [{ target: 'root@host-1:22', items: [{ id: 'uname', durationMs: 127, bytes: 1234, reason: 'host-2 said no' }] }], redacted: false });
});

test('a hostname that is also a technical word is kept, and said so', () => {
  const r = buildRedaction({ texts: [], hostnames: ['kvm', 'vm'], users: [], words: [] });
  assert.is(r.map.size, 0);
  assert.equal(r.kept.map((k) => k.value), ['kvm', 'vm']);
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
