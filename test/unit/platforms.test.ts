// Each platform people report nested KVM from, on a real capture: what the level runs on,
// the platform, and the fix nestbug prints (the switch of THAT platform, never KVM advice
// for a Hyper-V or VMware host). Sources: test/fixtures/platforms/SOURCES.md.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyseFixture } from '../helpers.ts';

const platform = async (name: string) => {
  const verdict = await analyseFixture('platforms', name);
  const check = (id: string) => verdict.checks.find((c) => c.id === id);
  return { verdict, check, l1: verdict.levels.L1, l0: verdict.levels.L0 };
};

const noKvmAdvice = (fix: string | undefined) => assert.not.match(fix ?? '', /kvm_intel|kvm_amd|host-passthrough|-cpu host/);

test('Hyper-V host (Windows 10), nesting not exposed: Set-VMProcessor on the Windows host, no KVM advice', async () => {
  const { verdict, check, l1 } = await platform('hyperv-guest-no-nested');
  assert.is(l1!.runsOn, 'hyperv');
  assert.is(l1!.platform, undefined, 'a plain Hyper-V host is no platform');
  const flag = check('l1-virt-flag')!;
  assert.is(flag.status, 'fail');
  assert.match(flag.fix!, /Set-VMProcessor -VMName NAME -ExposeVirtualizationExtensions \$true/);
  noKvmAdvice(flag.fix);
  assert.is(flag.title, 'L1 on Hyper-V: hardware virtualization not exposed');
  assert.is(verdict.chainName, 'L1 on Hyper-V: hardware virtualization not exposed');
  assert.not.match(verdict.chainName, /at L1/);
  assert.match(check('l1-on-kvm')!.summary, /runs on Hyper-V, not on KVM/);
});

test('WSL2 with nesting on: platform wsl2 from the kernel release, Enlightened VMCS cited, "KVM on Hyper-V (WSL2): nesting on"', async () => {
  const { verdict, check, l1 } = await platform('wsl2-nested-on');
  assert.is(l1!.runsOn, 'hyperv');
  assert.is(l1!.platform?.id, 'wsl2');
  assert.equal(l1!.platform!.evidence[0], { file: 'L1/dmesg.txt', line: 1, text: l1!.platform!.evidence[0].text, why: 'kernel 5.15.146.1-microsoft-standard-WSL2 is built for WSL2' });
  const flag = check('l1-virt-flag')!;
  assert.is(flag.status, 'pass');
  assert.ok(flag.evidence.some((e) => e.file === 'L1/dmesg.txt' && e.line === 216 && /Enlightened VMCS/.test(e.text)));
  assert.is(check('l1-kvm')!.status, 'pass');
  assert.is(verdict.chainName, 'KVM on Hyper-V (WSL2): nesting on');
  assert.is(verdict.chainLine, 'L1 (Hyper-V, WSL2)');
});

test('WSL2, only the head of dmesg pasted: the fix is .wslconfig nestedVirtualization, not modprobe.d', async () => {
  const { check, l1 } = await platform('wsl2-dmesg-head');
  assert.is(l1!.runsOn, 'hyperv');
  assert.is(l1!.platform?.id, 'wsl2');
  const flag = check('l1-virt-flag')!;
  assert.is(flag.status, 'unknown');
  assert.match(flag.fix!, /nestedVirtualization=true under \[wsl2\] in %UserProfile%\\\.wslconfig/);
  assert.match(flag.fix!, /wsl --shutdown/);
});

test('Azure VM of a nesting size: platform azure from the -azure kernel, VT-x seen by lscpu: nesting on', async () => {
  const { verdict, check, l1 } = await platform('azure-nested');
  assert.is(l1!.runsOn, 'hyperv');
  assert.is(l1!.platform?.id, 'azure');
  assert.is(l1!.platform!.evidence[0].file, 'L1/uname.txt');
  assert.is(check('l1-virt-flag')!.status, 'pass');
  assert.is(verdict.chainName, 'L1 on Hyper-V (Azure): nesting on');
});

test('a cpuinfo alone (Azure VM without nesting, nothing names the host): no platform, and the fix is not stated as KVM-only', async () => {
  const { check, l1 } = await platform('azure-no-nested-cpuinfo-only');
  assert.is(l1!.platform, undefined);
  assert.ok(['unknown', 'other'].includes(l1!.runsOn));
  const flag = check('l1-virt-flag')!;
  assert.is(flag.status, 'fail');
  assert.match(flag.fix!, /^If L0 is KVM: .* On another hypervisor, enable its nested virtualization setting/);
});

test('AWS EC2 t3 (Nitro KVM): platform aws from DMI, the fix is a .metal or nested-capable instance type', async () => {
  const { verdict, check, l1 } = await platform('aws-nitro');
  assert.is(l1!.runsOn, 'kvm');
  assert.is(l1!.platform?.id, 'aws');
  assert.ok(l1!.platform!.evidence.some((e) => e.file === 'L1/dmidecode.txt' && /Amazon EC2/.test(e.text)));
  const flag = check('l1-virt-flag')!;
  assert.is(flag.status, 'fail');
  assert.match(flag.fix!, /\.metal instance type/);
  assert.match(flag.fix!, /NestedVirtualization=enabled/);
  assert.is(verdict.chainName, 'L1 on KVM (AWS EC2): hardware virtualization not exposed');
});

test('Google Compute Engine (dmesg lines): KVM, platform gcp, the fix is --enable-nested-virtualization', async () => {
  const { check, l1 } = await platform('gcp-lines');
  assert.is(l1!.runsOn, 'kvm');
  assert.is(l1!.platform?.id, 'gcp');
  assert.match(check('l1-virt-flag')!.fix!, /--enable-nested-virtualization/);
});

test('VMware guest (dmesg lines): VMware, no platform, the fix is vhv.enable, never KVM advice', async () => {
  const { check, l1 } = await platform('vmware-lines');
  assert.is(l1!.runsOn, 'vmware');
  assert.is(l1!.platform, undefined);
  const fix = check('l1-virt-flag')!.fix!;
  assert.match(fix, /vhv\.enable = "TRUE"/);
  noKvmAdvice(fix);
});

test('VirtualBox guest (dmidecode): VirtualBox, the fix is VBoxManage --nested-hw-virt on', async () => {
  const { check, l1 } = await platform('virtualbox-guest');
  assert.is(l1!.runsOn, 'virtualbox');
  const fix = check('l1-virt-flag')!.fix!;
  assert.match(fix, /VBoxManage modifyvm "VM NAME" --nested-hw-virt on/);
  noKvmAdvice(fix);
});

test('KVM guest with L0 not collected: the fix says what to run on L0 and that nestbug can collect it (--l0)', async () => {
  const verdict = await analyseFixture('corpus', 'virt-what-kvm');
  const l1 = verdict.levels.L1!;
  assert.is(l1.runsOn, 'kvm');
  assert.is(l1.platform, undefined);
  const flag = verdict.checks.find((c) => c.id === 'l1-virt-flag')!;
  assert.is(flag.status, 'fail');
  assert.match(flag.fix!, /L0 is a KVM host that was not collected\. On L0: cat \/sys\/module\/kvm_intel\/parameters\/nested/);
  assert.match(flag.fix!, /--l0 USER@L0-HOST/);
  assert.match(flag.summary, /L0 was not collected/);
});

test('Xen HVM guest: Xen, the fix is hap=1 and nestedhvm=1 in the xl configuration', async () => {
  const verdict = await analyseFixture('corpus', 'virt-what-rhel5-xen-domU-hvm');
  assert.is(verdict.levels.L1!.runsOn, 'xen');
  const xen = verdict.checks.find((c) => c.id === 'xen-nesting')!;
  assert.match(xen.fix!, /hap=1 and nestedhvm=1/);
  const flag = verdict.checks.find((c) => c.id === 'l1-virt-flag');
  if (flag?.fix) noKvmAdvice(flag.fix);
});

test('the lines that decide are cited with file and line: kvm: disabled by bios, kvm: no hardware support', async () => {
  const bios = (await platform('l0-disabled-by-bios')).check('l0-kvm')!;
  assert.is(bios.status, 'fail');
  assert.equal(bios.evidence[0], { file: 'L0/dmesg.txt', line: 2, text: '[   38.526047] kvm: disabled by bios' });
  assert.match(bios.fix!, /firmware setup/);
  const none = (await platform('l0-no-hardware-support')).check('l0-kvm')!;
  assert.is(none.status, 'fail');
  assert.is(none.evidence[0].line, 2);
  assert.match(none.summary, /"kvm: no hardware support"/);
});

test("QEMU's KVM failures in its log: fallback to TCG, TCG without vmx, permission denied, each cited", async () => {
  const fallback = (await platform('qemu-back-to-tcg')).check('l0-qemu-kvm')!;
  assert.is(fallback.status, 'fail');
  assert.equal(fallback.evidence.map((e) => e.line), [2, 3, 4]);
  assert.match(fallback.summary, /"Back to tcg accelerator\."/);
  assert.match(fallback.fix!, /not kvm:tcg/);
  const tcg = (await platform('qemu-tcg-no-vmx')).check('l1-qemu-kvm')!;
  assert.is(tcg.status, 'fail');
  assert.equal(tcg.evidence[0], { file: 'L1/libvirt/zeldaos.log', line: 1, text: "warning: TCG doesn't support requested feature: CPUID.01H:ECX.vmx [bit 5]" });
  assert.match(tcg.fix!, /TCG, which cannot offer vmx/);
  const denied = (await platform('libvirt-kvm-permission')).check('l1-qemu-kvm')!;
  assert.match(denied.summary, /"Could not access KVM kernel module: Permission denied"/);
  assert.match(denied.fix!, /group owning \/dev\/kvm/);
});

test.run();
