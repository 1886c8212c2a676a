import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadCollectors } from '../../src/collect/load-collectors.ts';
import { type PlanContext, planCollection } from '../../src/collect/plan.ts';
import type { HostFacts } from '../../src/collect/probe.ts';
import { parseProbe } from '../../src/collect/probe.ts';

const facts = (over: Partial<HostFacts> = {}): HostFacts => ({
  arch: 'x86_64',
  vendor: 'GenuineIntel',
  uid: 1000,
  user: 'u',
  hostname: 'h',
  dmesgRestricted: false,
  tools: new Set(['lscpu', 'dmesg', 'x86info', 'dmidecode', 'virsh', 'systemd-detect-virt']),
  virtualized: false,
  sudo: 'not-asked',
  ...over,
});
const ctx = (f: HostFacts, canBeRoot: boolean): PlanContext => ({
  level: 'L0',
  facts: f,
  canBeRoot,
  noRootReason: canBeRoot ? undefined : 'connected as u, not root; pass --sudo to use sudo',
  timeoutSeconds: 30,
});
const byId = (steps: ReturnType<typeof planCollection>) => Object.fromEntries(steps.map((s) => [s.collector.id, s]));

test('without root: root-only items skipped with the reason, prefer-root items run as the user', async () => {
  const steps = byId(planCollection(await loadCollectors(), ctx(facts(), false)));
  assert.is(steps.dmidecode.skip?.status, 'skipped');
  assert.match(steps.dmidecode.skip!.reason, /needs root: connected as u/);
  assert.is(steps['vmx-msrs'].skip?.status, 'skipped');
  assert.is(steps.x86info.skip, undefined);
  assert.is(steps.x86info.asRoot, false);
  assert.is(steps.dmesg.skip, undefined);
});

test('restricted dmesg needs root; with sudo it runs as root', async () => {
  const collectors = await loadCollectors();
  const restricted = facts({ dmesgRestricted: true });
  assert.match(byId(planCollection(collectors, ctx(restricted, false))).dmesg.skip!.reason, /needs root/);
  const withSudo = byId(planCollection(collectors, ctx(restricted, true)));
  assert.is(withSudo.dmesg.asRoot, true);
  assert.is(withSudo.dmidecode.asRoot, true);
  assert.is(withSudo.cpuinfo.asRoot, false);
});

test('architecture, vendor and missing tools decide what applies', async () => {
  const collectors = await loadCollectors();
  const s390 = byId(planCollection(collectors, ctx(facts({ arch: 's390x', vendor: 'IBM/S390', uid: 0 }), true)));
  assert.is(s390.sysinfo.skip, undefined);
  assert.match(s390.x86info.skip!.reason, /x86_64/);
  assert.match(s390['cpuid-signature'].skip!.reason, /s390x/);
  const amd = byId(planCollection(collectors, ctx(facts({ vendor: 'AuthenticAMD', uid: 0 }), true)));
  assert.match(amd['vmx-msrs'].skip!.reason, /GenuineIntel/);
  const bare = byId(planCollection(collectors, ctx(facts({ tools: new Set(), uid: 0 }), true)));
  assert.is(bare.x86info.skip?.status, 'not-installed');
  assert.match(bare.x86info.skip!.reason, /x86info is not installed \(package: x86info\)/);
  assert.is(bare.domains.skip?.status, 'not-installed');
  assert.is(bare['libvirt-qemu-logs'].skip, undefined, 'libvirt logs are files, read without virsh');
});

test('the probe output is parsed into facts', () => {
  const f = parseProbe(
    'arch=x86_64\nuid=0\nuser=root\nhostname=l1\nvendor=AuthenticAMD\ndmesg_restrict=1\nhypervisor_flag=1\ndetect_virt=qemu\ntool=lscpu\ntool=dmesg\n',
  );
  assert.is(f.arch, 'x86_64');
  assert.is(f.dmesgRestricted, true);
  assert.is(f.virtualized, true);
  assert.is(f.virtHint, 'qemu');
  assert.ok(f.tools.has('lscpu'));
  assert.throws(() => parseProbe('garbage'), /no architecture/);
});

test.run();
