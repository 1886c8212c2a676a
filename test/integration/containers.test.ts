// Containers for real: this machine (a Docker container: /.dockerenv) and systemd-nspawn
// containers the test starts and stops itself, with and without /dev/kvm.
import { chownSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decideContainer } from '../../src/analyse/parsers/container.ts';
import { isNode, parseKvmAccess } from '../../src/analyse/parsers/kvm-access.ts';
import { newHome, runCli, unpack } from '../harness/cli.ts';
import { nestbugInContainer, nspawnAvailable } from '../harness/container.ts';
import { run } from '../harness/processes.ts';
import { ROOT } from '../helpers.ts';

const item = (top: string, id: string) => readFileSync(path.join(top, 'L1', `${id}.txt`), 'utf8');

// This project's machines are Docker containers in KVM guests; elsewhere the test is skipped.
const dockerTest = existsSync('/.dockerenv') ? test : test.skip;
if (!existsSync('/.dockerenv'))
  console.log('  integration/containers: no /.dockerenv here: the docker test is skipped');

dockerTest(
  'this machine: collect --l1 local says container docker, and the kernel underneath still runs on KVM',
  async () => {
    const home = newHome();
    const r = await runCli(['collect', '--l1', 'local', '--no-input', '--json', '-o', 'b.zip'], { home });
    const result = JSON.parse(r.stdout);
    assert.is(result.levels.L1.runsOn, 'kvm');
    assert.is(result.levels.L1.container, 'docker');
    const access = result.checks.find((c: { id: string }) => c.id === 'l1-kvm-access');
    assert.ok(access, 'the /dev/kvm access check ran');
    const top = unpack(path.join(home, 'b.zip'));
    const verdict = decideContainer(item(top, 'container'), item(top, 'lscpu'));
    assert.is(verdict.container, 'docker');
    assert.ok(verdict.clues.some((c) => /\.dockerenv/.test(c.text)));
  },
);

const skipWhy = nspawnAvailable();
const nspawnTest = skipWhy ? test.skip : test;
if (skipWhy) console.log(`  integration/containers: ${skipWhy}: the systemd-nspawn tests are skipped`);

nspawnTest('systemd-nspawn container without /dev/kvm: container systemd-nspawn, /dev/kvm absent', async () => {
  const r = await nestbugInContainer(['collect', '--l1', 'local', '--no-input', '--json', '-o', 'c.zip'], {
    kvm: false,
  });
  assert.ok(r.stdout.trim().startsWith('{'), `no JSON from nestbug in the container (exit ${r.code})\n${r.stderr}`);
  const top = unpack(path.join(r.outDir, 'c.zip'));
  const verdict = decideContainer(item(top, 'container'), item(top, 'lscpu'));
  assert.is(verdict.container, 'systemd-nspawn');
  assert.not.ok(item(top, 'container').includes('/.dockerenv'), "the container's own root, not the machine's");
  const access = parseKvmAccess(item(top, 'kvm-access'));
  assert.ok(access.device && 'absent' in access.device);
  // The kernel underneath is still the same KVM guest.
  const result = JSON.parse(r.stdout);
  assert.is(result.levels.L1.runsOn, 'kvm');
  assert.is(result.levels.L1.container, 'systemd-nspawn');
  const check = result.checks.find((c: { id: string }) => c.id === 'l1-kvm-access');
  assert.is(check.status, 'fail');
  assert.match(check.fix, /--bind=\/dev\/kvm/);
});

nspawnTest(
  'systemd-nspawn container handed /dev/kvm, collected as nobody: the device is there, nobody cannot open it',
  async () => {
    const r = await nestbugInContainer(['collect', '--l1', 'local', '--no-input', '--json', '-o', 'c.zip'], {
      kvm: true,
      user: 'nobody',
    });
    assert.ok(r.stdout.trim().startsWith('{'), `no JSON from nestbug in the container (exit ${r.code})\n${r.stderr}`);
    const top = unpack(path.join(r.outDir, 'c.zip'));
    assert.is(decideContainer(item(top, 'container')).container, 'systemd-nspawn');
    const access = parseKvmAccess(item(top, 'kvm-access'));
    assert.ok(isNode(access.device));
    assert.is(access.user?.name, 'nobody');
    assert.is(access.open?.ok, false);
    assert.match(item(top, 'container'), / \/dev\/kvm /, 'the bind mount of /dev/kvm is in the evidence');
    const check = JSON.parse(r.stdout).checks.find((c: { id: string }) => c.id === 'l1-kvm-access');
    assert.is(check.status, 'fail');
    assert.match(check.summary, /nobody/);
  },
);

const rootTest = process.getuid?.() === 0 && existsSync('/dev/kvm') ? test : test.skip;

rootTest("a user namespace made by nobody (rootless): /dev/kvm's ids do not map, its root cannot open it", async () => {
  const home = newHome();
  chownSync(home, 65534, 65534);
  const argv = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', 'unshare', '-U', '-r'];
  const cli = [
    process.execPath,
    path.join(ROOT, 'bin', 'nestbug.js'),
    'collect',
    '--l1',
    'local',
    '--no-input',
    '--json',
  ];
  const out = run([...argv, ...cli, '-o', path.join(home, 'u.zip')], { allowFail: true, timeoutMs: 120000 });
  const result = JSON.parse(out);
  const check = result.checks.find((c: { id: string }) => c.id === 'l1-kvm-access');
  assert.is(check.status, 'fail');
  assert.match(check.summary, /not mapped into this user namespace/);
  assert.is(result.levels.L1.runsOn, 'kvm');
});

test.run();
