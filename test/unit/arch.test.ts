// The architectures KVM nests on, on real captures (test/fixtures/arch/SOURCES.md): Intel's
// `vmx flags`, AMD's SVM features, kvm_intel/kvm_amd parameters, arm64, ppc64 and s390x.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kernelAtLeast, kvmArmMode, machineGivesEl2, parseArm64Dmesg } from '../../src/analyse/arch/arm64.ts';
import { combinedFix, interpretKvmParams } from '../../src/analyse/arch/kvm-x86-params.ts';
import { machineNestedHv, parseDeviceTree, parsePpcPlatform, ppcNestedErrors } from '../../src/analyse/arch/ppc64.ts';
import { levelsBelow, parseSysinfoLayers, reconstructedLevels, sysinfoSaysTcg } from '../../src/analyse/arch/s390x.ts';
import { compareFeatures, svmFeatures, vmxFeatures } from '../../src/analyse/arch/x86-features.ts';
import { parseKvmParams } from '../../src/analyse/parsers/kvm-params.ts';
import { loadCollectors } from '../../src/collect/load-collectors.ts';
import { analyseFixture, analyseTexts, FIXTURES } from '../helpers.ts';

const fx = (name: string) => readFileSync(path.join(FIXTURES, 'arch', name), 'utf8');
const corpus = (...p: string[]) => readFileSync(path.join(FIXTURES, 'corpus', ...p), 'utf8');
const SPR = fx('cpuinfo-xeon8480-sapphirerapids.txt');
const GNR = fx('cpuinfo-xeon6972P-graniterapids.txt');
/** A KVM guest's flags line (kcli #518): vmx with the legacy VMX names only, no `vmx flags`. */
const KVM_GUEST = fx('kcli-518-kvm-guest-flags.excerpt.txt')
  .split('\n')
  .filter((l) => l.startsWith('flags'))
  .join('\n');

test('vmx flags: parsed from bare-metal Xeons; Granite Rapids has what Sapphire Rapids has, plus more', () => {
  const spr = vmxFeatures(SPR)!;
  const gnr = vmxFeatures(GNR)!;
  assert.is(spr.source, 'vmx flags');
  for (const f of [
    'ept',
    'vpid',
    'unrestricted_guest',
    'shadow_vmcs',
    'posted_intr',
    'apicv',
    'ept_ad',
    'pml',
    'tsc_scaling',
  ])
    assert.ok(spr.features.has(f), f);
  assert.match(SPR.split('\n')[spr.line - 1], /^vmx flags/);
  const loss = compareFeatures('vmx', gnr, spr)!;
  assert.is(loss.compared, 'vmx flags');
  assert.equal(loss.lost, []);
  assert.equal(loss.otherLost.sort(), ['ept_5level', 'ept_violation_ve', 'ipi_virt', 'notify_vm_exiting']);
  assert.equal(compareFeatures('vmx', spr, gnr)!.otherLost, []);
});

test('vmx: an L1 without the `vmx flags` line is compared on the VMX names of the plain flags only', () => {
  const l1 = vmxFeatures(KVM_GUEST)!;
  assert.is(l1.source, 'flags');
  assert.equal([...l1.features].sort(), ['ept', 'ept_ad', 'flexpriority', 'vnmi', 'vpid', 'vtpr']);
  const loss = compareFeatures('vmx', vmxFeatures(SPR), l1)!;
  assert.is(loss.compared, 'flags');
  assert.equal(loss.lost, [], 'the guest kept every VMX name the plain flags can show');
});

test('vmx: what L1 lost, the costly losses first, each with what L2 pays', () => {
  // The same Xeon seen by an L1 given a CPU model without EPT and shadow VMCS.
  const l1Text = SPR.replace(/^(vmx flags\s*:.*)$/m, (line) =>
    line
      .replace(/ ept /, ' ')
      .replace(/ shadow_vmcs/, '')
      .replace(/ posted_intr/, ''),
  );
  const loss = compareFeatures('vmx', vmxFeatures(SPR), vmxFeatures(l1Text))!;
  assert.equal(
    loss.lost.map((l) => l.name),
    ['ept', 'shadow_vmcs', 'posted_intr'],
  );
  assert.match(loss.lost[0].cost, /shadow page tables/);
  assert.match(loss.lost[1].cost, /VMREAD\/VMWRITE/);
  assert.is(loss.lost[2].major, false);
});

test(
  'svm: features read from the flags of real AMD guests; ' + 'the one without npt lost it against the one with it',
  () => {
    const tcg = svmFeatures(fx('here-l1-tcg-amd-svm-cpuinfo.txt'))!;
    const old = svmFeatures(fx('virt-what-qemu-amd-cpuinfo.txt'))!;
    assert.equal([...tcg.features].sort(), ['npt', 'vgif']);
    assert.equal([...old.features], []);
    const loss = compareFeatures('svm', tcg, old)!;
    assert.equal(
      loss.lost.map((l) => l.name),
      ['npt', 'vgif'],
    );
    assert.ok(loss.lost[0].major);
    assert.is(vmxFeatures(fx('here-l1-tcg-amd-svm-cpuinfo.txt')), undefined);
    assert.is(svmFeatures(SPR), undefined);
  },
);

test('l1-virt-features: Intel L0 and L1 in bundle layout; the CPU model is the cause named', () => {
  const l1Text = SPR.replace(/^(vmx flags\s*:.*)$/m, (line) => line.replace(/ ept /, ' ')).replace(
    /^(flags\s*:.*)$/m,
    '$1 hypervisor',
  );
  const verdict = analyseTexts({ 'L0/cpuinfo.txt': SPR, 'L1/cpuinfo.txt': l1Text });
  const c = verdict.checks.find((x) => x.id === 'l1-virt-features')!;
  assert.is(c.status, 'warn');
  assert.match(c.summary, /lost VMX features of L0: ept — no EPT in L1/);
  assert.match(c.fix!, /host-passthrough/);
  assert.equal(
    c.evidence.map((e) => e.file),
    ['L0/cpuinfo.txt', 'L1/cpuinfo.txt'],
  );
  const same = analyseTexts({ 'L0/cpuinfo.txt': SPR, 'L1/cpuinfo.txt': SPR }).checks.find(
    (x) => x.id === 'l1-virt-features',
  )!;
  assert.is(same.status, 'pass');
});

test('kvm parameters: nested=N on L0 fails with the modprobe fix; on L1 it only limits a third level', () => {
  // `cat .../nested` -> N, as a real host printed it (dosemu2 #1274), in the kvm-params item form.
  const value = fx('dosemu2-1274-debian-host-nested-N.excerpt.txt').trim().split('\n').pop()!.trim();
  const params = parseKvmParams(`kvm_intel.nested=${value}\nkvm_intel.nested_early_check=Y\nkvm_intel.vpid=N\n`);
  const l0 = interpretKvmParams(params, 'L0');
  const nested = l0.find((f) => f.param.name === 'nested')!;
  assert.is(nested.status, 'fail');
  assert.match(nested.fix!, /options kvm-intel nested=1/);
  assert.is(l0.find((f) => f.param.name === 'vpid')!.status, 'warn');
  assert.match(l0.find((f) => f.param.name === 'nested_early_check')!.meaning, /debug aid/);
  assert.is(interpretKvmParams(params, 'L1').find((f) => f.param.name === 'nested')!.status, 'pass');
  const amd = interpretKvmParams(parseKvmParams('kvm_amd.npt=0\nkvm_amd.nested=1\nkvm_amd.avic=0\n'), 'L1');
  assert.equal(
    amd.map((f) => `${f.param.name}:${f.status}`),
    ['nested:pass', 'npt:warn', 'avic:warn'],
  );
  // Several options of one module are set in one line and one module reload; other fixes follow.
  const fix = combinedFix(
    [...amd, ...l0].filter((f) => f.status !== 'pass'),
    'L1',
  );
  assert.match(fix, /options kvm-amd npt=1 avic=1" >> \/etc\/modprobe.d\/kvm_amd.conf/);
  assert.is(fix.match(/modprobe -r kvm_amd/g)?.length, 1);
  assert.match(fix, /options kvm-intel nested=1 vpid=1/);
  assert.match(fix, /nested_early_check=0/);
});

test('l0-kvm-params / l1-kvm-params registered: L0 leaves nested and EPT to their own checks', () => {
  const v = analyseTexts({
    'L0/cpuinfo.txt': SPR,
    'L0/kvm-params.txt': 'kvm_intel.nested=N\nkvm_intel.ept=Y\nkvm_intel.unrestricted_guest=N\n',
    'L1/cpuinfo.txt': KVM_GUEST,
    'L1/kvm-params.txt': 'kvm_intel.ept=N\n',
  });
  const l0 = v.checks.find((c) => c.id === 'l0-kvm-params')!;
  assert.is(l0.status, 'warn');
  assert.match(l0.summary, /unrestricted_guest=N/);
  assert.not.match(l0.summary, /nested/);
  const l1 = v.checks.find((c) => c.id === 'l1-kvm-params')!;
  assert.is(l1.status, 'warn');
  assert.match(l1.summary, /ept=N .*shadow page tables/);
});

test('arm64 kernel logs: EL1 + HYP mode not available (bare-metal laptop, WSL2), EL2 + KVM ready (NV2 guest)', () => {
  const laptop = parseArm64Dmesg(fx('aarch64-laptops-35-c630-el1.excerpt.txt'));
  assert.is(laptop.startedAt?.el, 1);
  assert.ok(laptop.hypUnavailable);
  const wsl = parseArm64Dmesg(fx('wsl-9794-wsl-arm64-el1-hyp-not-available.excerpt.txt'));
  assert.is(wsl.startedAt?.el, 1);
  assert.ok(wsl.hypUnavailable);
  const nv2 = parseArm64Dmesg(fx('fcvm-pr28-graviton-nv2-guest-el2.excerpt.txt'));
  assert.is(nv2.startedAt?.el, 2);
  assert.match(nv2.kvmReady!.text, /Hyp nVHE mode initialized successfully/);
  const phone = parseArm64Dmesg(fx('kernel_msm-5.15-14-phone-kvm-arm-mode-ignored.excerpt.txt'));
  assert.ok(phone.modeIgnored);
  assert.equal(
    [
      kernelAtLeast('6.16.0-1-arm64', [6, 16]),
      kernelAtLeast('6.1.0-57-cloud-arm64', [6, 16]),
      kernelAtLeast('7.0', [6, 16]),
    ],
    [true, false, true],
  );
  assert.is(kvmArmMode('BOOT_IMAGE=/vmlinuz root=/dev/vda1 kvm-arm.mode=nested quiet'), 'nested');
  assert.is(machineGivesEl2('-machine virt,gic-version=3,virtualization=on'), true);
  assert.is(machineGivesEl2('-machine virt,accel=kvm'), false);
});

test('arm64-el2: an L1 that started at EL1 fails with the VMM fix; at EL2 with KVM up it passes', () => {
  const cpuinfo =
    'processor\t: 0\nBogoMIPS\t: 48.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 cpuid\n' +
    'CPU implementer\t: 0x41\n';
  const el1 = analyseTexts({
    'L1/cpuinfo.txt': cpuinfo,
    'L1/dmesg.txt': fx('wsl-9794-wsl-arm64-el1-hyp-not-available.excerpt.txt'),
  });
  const c = el1.checks.find((x) => x.id === 'arm64-el2')!;
  assert.is(c.status, 'fail');
  assert.match(c.fix!, /virtualization=on/);
  assert.match(c.fix!, /kvm-arm\.mode=nested/);
  assert.is(
    el1.checks.find((x) => x.id === 'l1-virt-flag'),
    undefined,
    'no vmx/svm on arm64: not asked for',
  );
  const el2 = analyseTexts({
    'L1/cpuinfo.txt': cpuinfo,
    'L1/dmesg.txt': fx('fcvm-pr28-graviton-nv2-guest-el2.excerpt.txt'),
  });
  assert.is(el2.checks.find((x) => x.id === 'arm64-el2')!.status, 'pass');
});

test('arm64-l0-nested: an L0 kernel older than 6.16 or without kvm-arm.mode=nested fails', () => {
  const cpuinfo = 'processor\t: 0\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n';
  const run = (uname: string, cmdline: string) =>
    analyseTexts({ 'L0/cpuinfo.txt': cpuinfo, 'L0/uname.txt': uname, 'L0/cmdline.txt': cmdline }).checks.find(
      (x) => x.id === 'arm64-l0-nested',
    )!;
  const old = run('Linux host 6.8.0-45-generic #45 SMP aarch64 GNU/Linux', 'root=/dev/nvme0n1p2 kvm-arm.mode=nested');
  assert.is(old.status, 'fail');
  assert.match(old.summary, /6\.16/);
  assert.is(run('Linux host 6.17.1 #1 SMP aarch64 GNU/Linux', 'root=/dev/nvme0n1p2').status, 'fail');
  assert.is(
    run('Linux host 6.17.1 #1 SMP aarch64 GNU/Linux', 'root=/dev/nvme0n1p2 kvm-arm.mode=nested').status,
    'pass',
  );
  // QEMU's own words when asked for EL2 on a KVM host that cannot nest
  const log =
    '==> l1 <==\n2025-01-01 10:00:00.000+0000: starting up\n' +
    'qemu-system-aarch64: host kernel KVM does not support providing Virtualization extensions\n';
  const refused = analyseTexts({
    'L0/cpuinfo.txt': cpuinfo,
    'L0/uname.txt': 'Linux host 6.8.0-45-generic #45 SMP aarch64 GNU/Linux',
    'L0/libvirt-qemu-logs.txt': log,
  }).checks.find((x) => x.id === 'arm64-l0-nested')!;
  assert.is(refused.status, 'fail');
  assert.match(refused.summary, /could not give L1 EL2 \(host kernel KVM does not support/);
  assert.ok(refused.evidence.some((e) => e.file === 'L0/libvirt-qemu-logs.txt' && e.line === 3));
});

test('arm64 DMI: AWS Graviton (Amazon EC2) is KVM, a .metal instance is bare metal', () => {
  const dmi = (vendor: string, product: string) =>
    `Handle 0x0001, DMI type 1, 27 bytes\nSystem Information\n\tManufacturer: ${vendor}\n\tProduct Name: ${product}\n`;
  const text = fx('systemd-18929-aws-graviton-dmi.excerpt.txt');
  const vendor = /^Amazon EC2$/m.exec(text)![0];
  const metal = /^m6g\.metal$/m.exec(text)![0];
  const arm = 'processor\t: 0\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n';
  assert.is(
    analyseTexts({ 'L1/dmidecode.txt': dmi(vendor, 'm6g.large'), 'L1/cpuinfo.txt': arm }).levels.L1!.runsOn,
    'kvm',
  );
  assert.is(analyseTexts({ 'L0/dmidecode.txt': dmi(vendor, metal) }).levels.L0!.runsOn, 'bare-metal');
});

test('ppc64 platform: PowerVM LPARs by their IBM machine type (POWER7 big-endian, POWER8), a PowerKVM guest', () => {
  for (const [file, model] of [
    ['cpuinfo-power7-8231-E2B-lpar.txt', 'IBM,8231-E2B'],
    ['cpuinfo-power8-8247-21L-lpar.txt', 'IBM,8247-21L'],
  ]) {
    const p = parsePpcPlatform(fx(file));
    assert.is(p.kind, 'powervm', file);
    assert.is(p.model, model);
    const v = analyseTexts({ 'L1/cpuinfo.txt': fx(file) });
    assert.is(v.levels.L1!.runsOn, 'powervm', file);
    assert.match(v.chainLine, /L1 \(PowerVM/);
  }
  assert.is(
    parsePpcPlatform('processor\t: 0\ncpu\t: POWER9\nplatform\t: PowerNV\nmodel\t: 9006-22P\n').kind,
    'powernv',
  );
});

test('ppc64 nested KVM-HV errors: NESTEDv2 and IRQ_XIVE, each with its fix', () => {
  const v2 = ppcNestedErrors(fx('linuxppc-issues-498-nestedv2-error.excerpt.txt'));
  assert.is(v2.length, 1);
  assert.match(v2[0].meaning, /nested API v2/);
  const xive = ppcNestedErrors(fx('kata-pr13848-nested-ppc64le-irqchip.excerpt.txt'));
  assert.is(xive.length, 1);
  assert.match(xive[0].fix, /kernel-irqchip/);
  assert.is(machineNestedHv('-machine pseries-8.2,accel=kvm,cap-nested-hv=on'), true);
  assert.is(machineNestedHv('-machine pseries,cap-nested-hv=off'), false);
  assert.is(machineNestedHv(undefined), false);
});

test('ppc64-nested-hv: a pSeries L1 whose kernel says the parent has no nesting fails with cap-nested-hv', () => {
  const cpuinfo =
    'processor\t: 0\ncpu\t\t: POWER9 (architected), altivec supported\n\ntimebase\t: 512000000\n' +
    'platform\t: pSeries\nmodel\t\t: IBM pSeries (emulated by qemu)\n' +
    'machine\t\t: CHRP IBM pSeries (emulated by qemu)\n';
  const v = analyseTexts({
    'L1/cpuinfo.txt': cpuinfo,
    'L1/dmesg.txt': '[    5.318904] kvm-hv: Parent hypervisor does not support nesting (rc=-2)\n',
  });
  const c = v.checks.find((x) => x.id === 'ppc64-nested-hv')!;
  assert.is(c.status, 'fail');
  assert.match(c.fix!, /cap-nested-hv=on/);
  assert.equal(
    c.evidence.map((e) => e.file),
    ['L1/cpuinfo.txt', 'L1/dmesg.txt'],
  );
  // with its device tree: KVM adds /hypervisor (linux,kvm); TCG does not
  const kvm = analyseTexts({
    'L1/cpuinfo.txt': cpuinfo,
    'L1/device-tree.txt':
      'model=IBM pSeries (emulated by qemu)\ncompatible=qemu,pseries\nhypervisor.compatible=linux,kvm\n',
  });
  assert.is(kvm.levels.L1!.runsOn, 'kvm');
  const tcg = analyseTexts({
    'L1/cpuinfo.txt': cpuinfo,
    'L1/device-tree.txt': 'model=IBM pSeries (emulated by qemu)\ncompatible=qemu,pseries\n',
  });
  assert.is(tcg.levels.L1!.runsOn, 'tcg');
});

test('s390x sysinfo layers: KVM guest in an LPAR (L0 reconstructed as a KVM host in that LPAR), bare LPAR', () => {
  const kvm = corpus('util-linux-s390-kvm', 'L1', 'sysinfo.txt');
  const layers = parseSysinfoLayers(kvm);
  assert.equal(
    layers.map((l) => l.kind),
    ['vm', 'lpar', 'machine'],
  );
  const below = levelsBelow(layers);
  assert.is(below.length, 1);
  assert.is(below[0].runsOn, 'lpar');
  assert.match(below[0].is, /^a KVM host in LPAR R17LP39$/);
  assert.match(
    reconstructedLevels('L1', kvm).L0!,
    /KVM host in LPAR R17LP39, from L1's \/proc\/sysinfo; not collected/,
  );
  const v = analyseTexts({
    'L1/sysinfo.txt': kvm,
    'L1/cpuinfo.txt': corpus('util-linux-s390-kvm', 'L1', 'cpuinfo.txt'),
  });
  assert.match(
    v.chainLine,
    /^L0 \(a KVM host in LPAR R17LP39, from L1's \/proc\/sysinfo; not collected\) -> L1 \(KVM\)$/,
  );
  assert.match(v.checks.find((c) => c.id === 's390x-layers')!.summary, /L0 is a KVM host in LPAR R17LP39/);
  assert.equal(levelsBelow(parseSysinfoLayers(corpus('util-linux-s390-lpar', 'L1', 'sysinfo.txt'))), []);
});

test('s390x: KVM under z/VM; a TCG guest that claims KVM/Linux is seen through', () => {
  const lpar = corpus('util-linux-s390-kvm', 'L1', 'sysinfo.txt');
  // The same layers with a z/VM level between the KVM host and the LPAR (VM01), as sysinfo lists them.
  const zvm = lpar.replace(
    /(VM00 CPUs Reserved:.*\n)/,
    '$1VM01 Name:            ZVMHOST\nVM01 Control Program: z/VM    7.3.0\n',
  );
  const below = levelsBelow(parseSysinfoLayers(zvm));
  assert.equal(
    below.map((b) => b.is),
    ['a KVM host on z/VM', 'z/VM in LPAR R17LP39'],
  );
  const tcg = lpar
    .replace(/^Manufacturer:.*$/m, 'Manufacturer:         QEMU')
    .replace(/^VM00 Name:.*$/m, 'VM00 Name:            TCGguest');
  assert.ok(sysinfoSaysTcg(parseSysinfoLayers(tcg)));
  assert.equal(levelsBelow(parseSysinfoLayers(tcg)), []);
  assert.is(analyseTexts({ 'L1/sysinfo.txt': tcg }).levels.L1!.runsOn, 'tcg');
});

test('TCG guests captured here: each inside view says TCG or stays silent, never KVM; arch checks fire', async () => {
  const s390 = await analyseFixture('arch', 'tcg-s390x');
  assert.match(s390.checks.find((c) => c.id === 'l1-virt-flag')!.fix!, /TCG does not emulate SIE/);
  assert.is(s390.levels.L1!.inside, 'tcg', 'sysinfo says KVM/Linux, but the manufacturer is QEMU');
  assert.match(s390.checks.find((c) => c.id === 's390x-layers')!.summary, /written by QEMU's emulation/);
  const ppc = await analyseFixture('arch', 'tcg-ppc64el');
  assert.is(ppc.levels.L1!.inside, 'tcg', 'no /hypervisor node in the device tree');
  const hv = ppc.checks.find((c) => c.id === 'ppc64-nested-hv')!;
  assert.is(hv.status, 'fail');
  assert.ok(hv.evidence.some((e) => /Parent hypervisor does not support nesting/.test(e.text)));
  const arm = await analyseFixture('arch', 'tcg-arm64');
  assert.is(arm.levels.L1!.inside, 'tcg', 'a virt machine whose whole 6.1 boot log has no smccc KVM services line');
  const dmesg = readFileSync(path.join(FIXTURES, 'arch', 'tcg-arm64', 'L1', 'dmesg.txt'), 'utf8');
  const withKvm = dmesg.replace(
    /^(\[[^\]]*\] psci: SMC Calling Convention.*)$/m,
    '$1\n[    0.000000] smccc: KVM: hypervisor services detected (0x00000000 0x00000000 0x00000000 0x00000003)',
  );
  assert.is(analyseTexts({ 'L1/dmesg.txt': withKvm }).levels.L1!.inside, 'kvm');
  const wrapped = dmesg.split('\n').slice(50).join('\n');
  assert.is(analyseTexts({ 'L1/dmesg.txt': wrapped }).levels.L1!.inside, 'unknown', 'a wrapped log proves no absence');
  assert.is(arm.checks.find((c) => c.id === 'arm64-el2')!.status, 'pass');
  assert.is(
    arm.checks.find((c) => c.id === 'l1-virt-flag'),
    undefined,
  );
});

test(
  'l1-virt-features: a VMX sub-feature disabled in the domain XML is cited by its line; a -cpu minus by its ' +
    'argument',
  () => {
    const l1Text = SPR.replace(/^(vmx flags\s*:.*)$/m, (line) => line.replace(/ posted_intr/, '')).replace(
      /^(flags\s*:.*)$/m,
      '$1 hypervisor',
    );
    const uuid = '6f1c3c52-1111-4e8e-9a0e-3b5a2f0c9d11';
    const domain = [
      "<domain type='kvm' id='3'>",
      '  <name>l1</name>',
      `  <uuid>${uuid}</uuid>`,
      "  <cpu mode='host-model' check='partial'>",
      "    <feature policy='disable' name='vmx-posted-intr'/>",
      '  </cpu>',
      '</domain>',
    ].join('\n');
    const v = analyseTexts({
      'L0/cpuinfo.txt': SPR,
      'L0/domains.txt': domain,
      'L1/cpuinfo.txt': l1Text,
      'L1/identity.txt': `hostname=l1\nproduct_uuid=${uuid}\n`,
    });
    const c = v.checks.find((x) => x.id === 'l1-virt-features')!;
    assert.is(c.status, 'warn');
    assert.match(c.summary, /posted_intr/);
    assert.ok(
      c.evidence.some((e) => e.file === 'L0/domains.txt' && e.line === 5 && /vmx-posted-intr/.test(e.text)),
      JSON.stringify(c.evidence),
    );
    assert.match(c.fix!, /disables <feature policy='disable' name='vmx-posted-intr'\/>/);
    const cmdline =
      `==> pid 4242 <==\n/usr/bin/qemu-system-x86_64\n-name\nguest=l1\n-uuid\n${uuid}\n-accel\nkvm\n` +
      `-cpu\nSkylake-Server,vmx=on,-vmx-posted-intr\n`;
    const q = analyseTexts({
      'L0/cpuinfo.txt': SPR,
      'L0/qemu-cmdlines.txt': cmdline,
      'L1/cpuinfo.txt': l1Text,
      'L1/identity.txt': `hostname=l1\nproduct_uuid=${uuid}\n`,
    });
    const qc = q.checks.find((x) => x.id === 'l1-virt-features')!;
    assert.ok(
      qc.evidence.some((e) => e.file === 'L0/qemu-cmdlines.txt' && /-cpu Skylake-Server/.test(e.text)),
      JSON.stringify(qc.evidence),
    );
    assert.match(qc.fix!, /switches off -vmx-posted-intr/);
  },
);

test('device-tree item: NUL-separated properties become one name=value line each, read by the parser', async () => {
  const item = (await loadCollectors()).find((c) => c.id === 'device-tree')!;
  assert.ok(item.arch!.includes('aarch64') && item.arch!.includes('ppc64le'));
  const root = mkdtempSync(path.join(os.tmpdir(), 'nb-dt-'));
  mkdirSync(path.join(root, 'hypervisor'));
  writeFileSync(path.join(root, 'model'), 'IBM pSeries (emulated by qemu)\0');
  writeFileSync(path.join(root, 'compatible'), 'qemu,pseries\0');
  writeFileSync(path.join(root, 'hypervisor', 'compatible'), 'linux,kvm\0');
  // busybox sh, as in the guests (dash and bash behave the same for this script)
  const out = spawnSync('busybox', ['sh', '-c', item.script!.replaceAll('/proc/device-tree', root)], {
    encoding: 'utf8',
  });
  rmSync(root, { recursive: true });
  assert.is(out.status, 0, out.stderr);
  assert.is(
    out.stdout,
    'model=IBM pSeries (emulated by qemu)\ncompatible=qemu,pseries\nhypervisor.compatible=linux,kvm\n',
  );
  assert.is(parseDeviceTree(out.stdout).get('hypervisor.compatible')!.value, 'linux,kvm');
});

test('an arm64 or PowerNV L0 with KVM loaded is not failed for lacking vmx/svm', () => {
  const arm = 'processor\t: 0\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n';
  const powernv =
    'processor\t: 0\ncpu\t\t: POWER9, altivec supported\n\nplatform\t: PowerNV\nmodel\t\t: 9006-22P\n' +
    'machine\t\t: PowerNV 9006-22P\n';
  for (const [cpuinfo, module] of [
    [arm, 'kvm'],
    [powernv, 'kvm_hv'],
  ]) {
    const v = analyseTexts({ 'L0/cpuinfo.txt': cpuinfo, 'L0/kvm-modules.txt': `${module} 1234 0 - Live 0x0\n` });
    const c = v.checks.find((x) => x.id === 'l0-kvm')!;
    assert.is(c.status, 'pass', c.summary);
    assert.match(c.summary, new RegExp(`KVM loaded \\(${module}\\)`));
  }
  assert.is(analyseTexts({ 'L0/cpuinfo.txt': powernv }).levels.L0!.runsOn, 'bare-metal');
});

test(
  'ppc64-nested-hv: the libvirt domain of L1 without <nested-hv state=on/> is cited; with it and ' + 'kvm_hv, pass',
  () => {
    const cpuinfo =
      'processor\t: 0\ncpu\t\t: POWER9 (architected), altivec supported\n\nplatform\t: pSeries\n' +
      'model\t\t: IBM pSeries (emulated by qemu)\n';
    const uuid = '0b6a2d61-2222-4c7e-8f44-4a1f9e0d2c33';
    const domain = (features: string) =>
      [
        "<domain type='kvm' id='7'>",
        '  <name>l1-ppc</name>',
        `  <uuid>${uuid}</uuid>`,
        `  <features>${features}</features>`,
        '</domain>',
      ].join('\n');
    const identity = `hostname=l1-ppc\nproduct_uuid=${uuid}\n`;
    const off = analyseTexts({
      'L0/domains.txt': domain('<acpi/>'),
      'L1/cpuinfo.txt': cpuinfo,
      'L1/identity.txt': identity,
    });
    const c = off.checks.find((x) => x.id === 'ppc64-nested-hv')!;
    assert.is(c.status, 'fail', c.summary);
    assert.match(c.summary, /no <nested-hv state='on'\/>/);
    assert.ok(c.evidence.some((e) => e.file === 'L0/domains.txt' && e.line === 1));
    const on = analyseTexts({
      'L0/domains.txt': domain("<nested-hv state='on'/>"),
      'L1/cpuinfo.txt': cpuinfo,
      'L1/identity.txt': identity,
      'L1/kvm-modules.txt': 'kvm_hv 327680 0 - Live 0xc008000000f10000\nkvm 524288 1 kvm_hv, Live 0xc0080000006a0000\n',
    });
    const p = on.checks.find((x) => x.id === 'ppc64-nested-hv')!;
    assert.is(p.status, 'pass', p.summary);
    assert.ok(p.evidence.some((e) => e.file === 'L0/domains.txt' && e.line === 4 && /nested-hv/.test(e.text)));
  },
);

test.run();
