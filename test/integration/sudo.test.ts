// Privileged items as a normal user: skipped with the reason, or run through sudo -n.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Manifest } from '../../src/bundle/manifest.ts';
import { newHome, readJson, runCli, unpack } from '../harness/cli.ts';
import { CLIENT_KEY, have, isRoot, startHost, type TestHost, writeKnownHosts } from '../harness/hosts.ts';
import { skipTest } from '../harness/skip.ts';

const sudo = suite<{ host?: TestHost }>('sudo');
sudo.before(async (ctx) => {
  ctx.host = await startHost({ name: 'sudohost' });
});
sudo.after(async (ctx) => {
  await ctx.host?.stop();
});

async function collect(host: TestHost, user: string, extra: string[]) {
  const home = newHome();
  writeKnownHosts(path.join(home, '.ssh', 'known_hosts'), [host]);
  const r = await runCli(
    ['collect', '--l0', `${user}@127.0.0.1:${host.port}`, '-i', CLIENT_KEY, '--no-input', '-o', 'b.zip', ...extra],
    { home },
  );
  const top = unpack(path.join(home, 'b.zip'));
  const manifest = readJson<Manifest>(path.join(top, 'manifest.json'));
  return {
    r,
    top,
    level: manifest.levels[0],
    item: (id: string) => manifest.levels[0].items.find((i) => i.id === id)!,
  };
}

if (!isRoot() || !have('sudo')) {
  skipTest('integration/sudo', 'needs root and sudo');
} else {
  sudo('without root or --sudo, root-only items are skipped with the reason, the rest collected', async ({ host }) => {
    const { r, level, item } = await collect(host!, 'nbplain', []);
    assert.ok([0, 4].includes(r.code!), `a skipped item is not a failure: exit ${r.code}\n${r.stderr}`);
    assert.is(level.facts?.privilege, 'none');
    assert.is(level.facts?.user, 'nbplain');
    assert.is(item('dmidecode').status, 'skipped');
    assert.match(item('dmidecode').reason!, /needs root.*--sudo/);
    assert.is(item('cpuinfo').status, 'ok');
    assert.is(item('cpuinfo').asRoot, false);
  });

  sudo('with --sudo and NOPASSWD sudo, privileged items run through sudo -n', async ({ host }) => {
    const { r, top, level, item } = await collect(host!, 'nbsudo', ['--sudo']);
    assert.ok([0, 4].includes(r.code!), `exit ${r.code}\n${r.stderr}`);
    assert.is(level.facts?.privilege, 'sudo');
    assert.is(item('dmidecode').asRoot, true);
    assert.is(item('dmidecode').status, 'ok');
    assert.is(item('identity').asRoot, true);
    // kvm-params and cpuinfo need no root and do not use it
    assert.is(item('kvm-params').asRoot, false);
    assert.equal(readFileSync(path.join(top, 'L0', 'cpuinfo.txt')), readFileSync('/proc/cpuinfo'));
    // Who can open /dev/kvm is asked as the connecting user, the one who starts QEMU.
    assert.is(item('kvm-access').asRoot, false);
    assert.match(readFileSync(path.join(top, 'L0', 'kvm-access.txt'), 'utf8'), /^user: nbsudo\(/m);
  });

  sudo(
    'with --sudo but no sudo rights, privileged items are skipped saying sudo wants a password',
    async ({ host }) => {
      const { r, level, item } = await collect(host!, 'nbplain', ['--sudo']);
      assert.ok([0, 4].includes(r.code!), `exit ${r.code}\n${r.stderr}`);
      assert.is(level.facts?.privilege, 'none');
      assert.match(level.facts!.privilegeNote!, /password/);
      assert.is(item('dmidecode').status, 'skipped');
    },
  );

  sudo(
    'sudo that asks for a password: the right one is fed on stdin, a wrong one leaves root items skipped',
    async ({ host }) => {
      const { SshTransport } = await import('../../src/transport/ssh.ts');
      const { HostKeyStore } = await import('../../src/transport/host-key-store.ts');
      const { loadIdentity } = await import('../../src/transport/identities.ts');
      const { probeHost, runCaptured } = await import('../../src/collect/probe.ts');
      const { SUDO_TEST_PASSWORD } = await import('../harness/hosts.ts');
      const home = newHome();
      const kh = writeKnownHosts(path.join(home, 'known_hosts'), [host!]);
      const connect = () =>
        SshTransport.connect(
          {
            host: '127.0.0.1',
            port: host!.port,
            user: 'nbpass',
            hostKeyName: '127.0.0.1',
            identities: [loadIdentity(CLIENT_KEY, { explicit: true })!],
            label: 'nbpass',
          },
          { hostKeys: new HostKeyStore(kh, []), acceptNewHostKeys: false },
        );
      const right = await connect();
      const facts = await probeHost(right, [], { sudo: true, sudoPassword: SUDO_TEST_PASSWORD, timeoutMs: 20000 });
      assert.is(facts.sudo, 'needs-password');
      assert.is(right.privilege.mode, 'sudo');
      const id = await runCaptured(right, ['id', '-u'], 20000, true);
      assert.is(id.stdout.trim(), '0');
      assert.not.ok(id.stderr.includes(SUDO_TEST_PASSWORD));
      await right.close();
      const wrong = await connect();
      await probeHost(wrong, [], { sudo: true, sudoPassword: 'not-the-password', timeoutMs: 20000 });
      assert.equal(wrong.privilege, { mode: 'none', why: 'sudo refused the password' });
      await wrong.close();
    },
  );

  sudo.run();
}
