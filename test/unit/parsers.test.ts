import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseQemuCmdlines, qemuFacts } from '../../src/analyse/parsers/qemu-cmdline.ts';
import { libvirtCommandLines } from '../../src/analyse/parsers/libvirt-log.ts';
import { parseDomains } from '../../src/analyse/parsers/domain-xml.ts';
import { hypervisorSignatures, signatureVendor } from '../../src/analyse/parsers/cpuid.ts';
import { parseKvmParams, isOn } from '../../src/analyse/parsers/kvm-params.ts';
import { parseDmidecode, parseKvmDevice } from '../../src/analyse/parsers/small.ts';
import { shellWords } from '../../src/analyse/parsers/shell-words.ts';
import { lostVmxFeatures, parseVmxMsrs } from '../../src/analyse/vmx.ts';
import { FIXTURES } from '../helpers.ts';

const corpus = (...p: string[]) => readFileSync(path.join(FIXTURES, 'corpus', ...p), 'utf8');
const captured = (...p: string[]) => readFileSync(path.join(FIXTURES, 'captured', ...p), 'utf8');

test('QEMU accelerators in every spelling, in the order QEMU tries them', () => {
  const accel = (...args: string[]) => qemuFacts(['/usr/bin/qemu-system-x86_64', ...args]).accels;
  assert.equal(accel('-enable-kvm'), ['kvm']);
  assert.equal(accel('--enable-kvm'), ['kvm']);
  assert.equal(accel('-accel', 'kvm', '-accel', 'tcg'), ['kvm', 'tcg']);
  assert.equal(accel('-machine', 'q35,accel=kvm:tcg'), ['kvm', 'tcg']);
  assert.equal(accel('-M', 'pc,accel=tcg'), ['tcg']);
  assert.equal(accel('-accel', 'tcg,thread=multi'), ['tcg']);
  assert.equal(accel('-machine', '{"type":"q35","accel":"kvm"}'), ['kvm']);
  assert.equal(qemuFacts(['/usr/bin/qemu-system-x86_64']).accels, ['tcg']);
  assert.is(qemuFacts(['/usr/bin/qemu-system-x86_64']).accelDefaulted, true);
  assert.equal(qemuFacts(['/usr/libexec/qemu-kvm']).accels, ['kvm']);
});

test('-cpu decides whether the guest can nest; kvm=off hides KVM', () => {
  const f = (cpu: string) => qemuFacts(['qemu-system-x86_64', '-cpu', cpu]);
  assert.is(f('host').cpu, 'host');
  assert.equal(f('Skylake-Server,+vmx').nestedCpuFlag, { flag: 'vmx', on: true });
  assert.equal(f('EPYC,svm=on').nestedCpuFlag, { flag: 'svm', on: true });
  assert.equal(f('qemu64,-svm').nestedCpuFlag, { flag: 'svm', on: false });
  assert.equal(f('host,vmx=off').nestedCpuFlag, { flag: 'vmx', on: false });
});

test('qemu-cmdlines item keeps argument boundaries; older space-joined captures still parse', () => {
  const procs = parseQemuCmdlines(captured('chain-kvm-on-tcg', 'L0', 'qemu-cmdlines.txt'));
  assert.is(procs.length, 1);
  assert.ok(procs[0].args.includes('-accel'));
  assert.is(procs[0].args[procs[0].args.indexOf('-accel') + 1], 'tcg');
  const old = parseQemuCmdlines(corpus('here-l1-tcg', 'L0', 'qemu-cmdlines.txt'));
  assert.equal(qemuFacts(old[0].args).accels, ['tcg']);
  assert.equal(qemuFacts(old[0].args).hostForwards, [{ hostAddress: '127.0.0.1', hostPort: 22200, guestPort: 22 }]);
});

test("libvirt's log: the last start's argv, without the environment, with line numbers", () => {
  const starts = libvirtCommandLines(corpus('here-l2-kvm-in-l1-tcg', 'L1', 'libvirt', 'l2-virt.log'));
  assert.is(starts.length, 1);
  const s = starts[0];
  assert.is(s.args[0], '/usr/bin/qemu-system-x86_64');
  assert.not.ok(s.args.some((a) => a.startsWith('PATH=')));
  assert.ok(s.args.includes('{"qom-type":"secret","id":"masterKey0","format":"raw","file":"/var/lib/libvirt/qemu/domain-1-l2-virt/master-key.aes"}'));
  assert.equal(qemuFacts(s.args).accels, ['kvm']);
  assert.is(s.args[s.argLines.indexOf(s.argLines[s.args.indexOf('-accel')])], '-accel');
  assert.ok(s.messages.some((m) => /tainted/.test(m.text)));
  assert.equal(shellWords(`-append 'console=ttyS0 a=b' -x "q\\"x" \\'`), ['-append', 'console=ttyS0 a=b', '-x', 'q"x', "'"]);
});

test('domain XML: type, name, UUID, CPU mode, running state', () => {
  const [d] = parseDomains(corpus('here-l2-kvm-in-l1-tcg', 'L1', 'domains.txt'));
  assert.is(d.type, 'kvm');
  assert.is(d.name, 'l2-virt');
  assert.is(d.uuid, '373139c2-ef91-45b8-b7af-b6bccb10e094');
  assert.is(d.cpuMode, 'host-passthrough');
  assert.is(d.running, true);
  const [l1] = parseDomains(captured('chain-kvm-on-tcg', 'L0', 'domains.txt'));
  assert.is(l1.type, 'qemu');
  assert.is(l1.cpuMode, 'maximum');
});

test('CPUID signatures from cpuid -r, cpuid (escaped) and the dd fallback', () => {
  const raw = hypervisorSignatures('   0x40000000 0x00: eax=0x40000001 ebx=0x4b4d564b ecx=0x564b4d56 edx=0x0000004d\n');
  assert.equal(signatureVendor(raw[0].signature), { vendor: 'kvm', name: 'KVM' });
  const escaped = hypervisorSignatures(corpus('here-l1-tcg', 'L1', 'extra-cpuid-dump.txt'));
  assert.equal(signatureVendor(escaped.find((s) => s.leaf === 0x40000000)!.signature)?.vendor, 'tcg');
  assert.is(signatureVendor(escaped.find((s) => s.leaf === 0x40000100)!.signature), undefined, 'garbage at 0x40000100 names nothing');
  const hv = hypervisorSignatures('   0x40000000 0x00: eax=0x40000005 ebx=0x7263694d ecx=0x666f736f edx=0x76482074\n   0x40000100 0x00: eax=0x40000101 ebx=0x4b4d564b ecx=0x564b4d56 edx=0x0000004d\n');
  assert.is(signatureVendor(hv[0].signature)?.vendor, 'hyperv');
  assert.is(signatureVendor(hv[1].signature)?.vendor, 'kvm');
});

test('kvm parameters in both written forms; Y/1/N/0', () => {
  const params = parseKvmParams('kvm_amd.nested=1\n/sys/module/kvm_intel/parameters/nested=Y\nkvm.hpage = 0\n');
  assert.equal(params.map((p) => `${p.module}.${p.name}=${p.value}`), ['kvm_amd.nested=1', 'kvm_intel.nested=Y', 'kvm.hpage=0']);
  assert.equal([isOn('Y'), isOn('1'), isOn('N'), isOn('0'), isOn('maybe')], [true, true, false, false, undefined]);
});

test('dmidecode and /dev/kvm lines', () => {
  const dmi = parseDmidecode(corpus('here-l1-tcg', 'L1', 'dmidecode.txt'));
  assert.is(dmi.manufacturer, 'QEMU');
  assert.is(dmi.product, 'Standard PC (Q35 + ICH9, 2009)');
  assert.is(parseDmidecode('# dmidecode 3.4\nScanning /dev/mem for entry point.\n').absent, true);
  assert.equal(parseKvmDevice('crw-rw---- 1 root kvm 10, 232 Nov 26 23:34 /dev/kvm\n'), { present: true, mode: 'crw-rw----', owner: 'root', group: 'kvm', line: 'crw-rw---- 1 root kvm 10, 232 Nov 26 23:34 /dev/kvm' });
  assert.is(parseKvmDevice('/dev/kvm: not present\n')?.present, false);
});

test('VMX capability MSRs: features L1 lost, per the SDM bit layout', () => {
  // 0x482 allowed-1 bit 31 (secondary controls) is bit 63; 0x48b allowed-1 bits 1 EPT,
  // 5 VPID, 7 unrestricted guest, 14 VMCS shadowing are bits 33, 37, 39, 46.
  const bits = (...n: number[]) => `0x${n.reduce((v, b) => v | (1n << BigInt(b)), 0n).toString(16)}`;
  const l0 = parseVmxMsrs(`0x482=${bits(63)}\n0x48b=${bits(33, 37, 39, 46)}\n0x48c=${bits(6, 16, 17, 21, 32)}\n`);
  const l1 = parseVmxMsrs(`0x482=${bits(63)}\n0x48b=${bits(33, 37, 39)}\n0x48c=${bits(6, 16, 21, 32)}\n`);
  assert.equal(lostVmxFeatures(l0, l1), ['VMCS shadowing', 'EPT 1GB pages']);
  const noSecondary = parseVmxMsrs(`0x482=0x0\n0x48b=${bits(33, 37, 39, 46)}\n`);
  assert.equal(lostVmxFeatures(l0, noSecondary), ['Activate secondary controls', 'Enable EPT', 'Enable VPID', 'Unrestricted guest', 'VMCS shadowing']);
  assert.equal(lostVmxFeatures(l0, new Map()), [], 'nothing known, nothing claimed');
});

test.run();
