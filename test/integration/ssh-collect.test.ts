// Collection over a real OpenSSH sshd on loopback, with real host-key verification.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Manifest } from '../../src/bundle/manifest.ts';
import { fingerprint } from '../../src/transport/known-hosts.ts';
import { newHome, readJson, runCli, unpack } from '../harness/cli.ts';
import { CLIENT_KEY, isRoot, startHost, type TestHost, writeKnownHosts } from '../harness/hosts.ts';
import { skipTest } from '../harness/skip.ts';

const ssh = suite<{ host?: TestHost; other?: TestHost }>('ssh');

ssh.before(async (ctx) => {
  ctx.host = await startHost({ name: 'l0-loop' });
  ctx.other = await startHost({ name: 'impostor' });
});
ssh.after(async (ctx) => {
  await ctx.host?.stop();
  await ctx.other?.stop();
});

if (!isRoot()) {
  skipTest('integration/ssh', 'needs root (namespaces for the test sshd)');
} else {
  ssh('collects L0 over SSH: files equal what the host has, host key verified', async ({ host }) => {
    const home = newHome();
    const kh = writeKnownHosts(path.join(home, '.ssh', 'known_hosts'), [host!]);
    const r = await runCli(
      ['collect', '--l0', `root@127.0.0.1:${host!.port}`, '-i', CLIENT_KEY, '--no-input', '-o', 'b.zip'],
      { home },
    );
    assert.ok([0, 4].includes(r.code!), `exit ${r.code}\n${r.stderr}`);
    const top = unpack(path.join(home, 'b.zip'));
    assert.equal(readFileSync(path.join(top, 'L0', 'cpuinfo.txt')), readFileSync('/proc/cpuinfo'));
    const uname = readFileSync(path.join(top, 'L0', 'uname.txt'), 'utf8');
    assert.match(uname, / l0-loop /, 'the hostname of the sshd namespace');
    const manifest = readJson<Manifest>(path.join(top, 'manifest.json'));
    assert.is(manifest.levels[0].target, `root@127.0.0.1:${host!.port}`);
    assert.is(manifest.levels[0].facts?.hostname, 'l0-loop');
    assert.ok(readFileSync(kh, 'utf8').split('\n').filter(Boolean).length === 1, 'known_hosts untouched');
  });

  ssh(
    'an unknown host key stops that host with its fingerprint; --accept-new-host-keys records it',
    async ({ host }) => {
      const home = newHome();
      const args = ['collect', '--l0', `root@127.0.0.1:${host!.port}`, '-i', CLIENT_KEY, '--no-input', '-o', 'b.zip'];
      const r = await runCli(args, { home });
      assert.is(r.code, 3, r.stderr);
      const fp = fingerprint(Buffer.from(host!.hostKeyPub.split(' ')[1], 'base64'));
      assert.ok(r.stderr.includes(fp), `fingerprint ${fp} not in:\n${r.stderr}`);
      assert.match(r.stderr, /unknown host key/);
      // The only level was not reached: nothing to attach, so no bundle.
      assert.match(r.stderr, /Nothing was collected/);
      assert.not.ok(existsSync(path.join(home, 'b.zip')));

      const accepted = await runCli([...args, '--accept-new-host-keys', '-o', 'c.zip'], { home });
      assert.ok([0, 4].includes(accepted.code!), accepted.stderr);
      const kh = readFileSync(path.join(home, '.ssh', 'known_hosts'), 'utf8');
      assert.ok(kh.includes(host!.hostKeyPub.split(' ')[1]));
      const again = await runCli([...args, '-o', 'd.zip'], { home });
      assert.ok([0, 4].includes(again.code!), again.stderr);
    },
  );

  ssh('a changed host key always stops, even with --accept-new-host-keys', async ({ host, other }) => {
    const home = newHome();
    // known_hosts says the impostor's key belongs to the real host's address and port
    writeFileSync(path.join(home, '.ssh', 'known_hosts'), `[127.0.0.1]:${host!.port} ${other!.hostKeyPub}\n`);
    const r = await runCli(
      [
        'collect',
        '--l0',
        `root@127.0.0.1:${host!.port}`,
        '-i',
        CLIENT_KEY,
        '--accept-new-host-keys',
        '--no-input',
        '-o',
        'b.zip',
      ],
      { home },
    );
    assert.is(r.code, 3);
    assert.match(r.stderr, /HOST KEY CHANGED/);
    const fp = fingerprint(Buffer.from(host!.hostKeyPub.split(' ')[1], 'base64'));
    assert.ok(r.stderr.includes(fp));
    assert.ok(!readFileSync(path.join(home, '.ssh', 'known_hosts'), 'utf8').includes(host!.hostKeyPub.split(' ')[1]));
  });

  ssh('hashed known_hosts entries are accepted (ssh-keygen -H), and --known-hosts picks the file', async ({ host }) => {
    const home = newHome();
    const kh = writeKnownHosts(path.join(home, 'custom_known_hosts'), [host!]);
    const { run } = await import('../harness/processes.ts');
    run(['ssh-keygen', '-H', '-f', kh]);
    assert.not.match(readFileSync(kh, 'utf8'), /127\.0\.0\.1/);
    const r = await runCli(
      [
        'collect',
        '--l0',
        `root@127.0.0.1:${host!.port}`,
        '-i',
        CLIENT_KEY,
        '--known-hosts',
        kh,
        '--no-input',
        '-o',
        'b.tar.gz',
      ],
      { home },
    );
    assert.ok([0, 4].includes(r.code!), r.stderr);
    assert.ok(existsSync(path.join(home, 'b.tar.gz')));
  });

  ssh('a Host alias from ~/.ssh/config gives user, port and key', async ({ host }) => {
    const home = newHome();
    writeKnownHosts(path.join(home, '.ssh', 'known_hosts'), [host!]);
    writeFileSync(
      path.join(home, '.ssh', 'config'),
      `Host labl0\n  HostName 127.0.0.1\n  Port ${host!.port}\n  User root\n  IdentityFile ${CLIENT_KEY}\n`,
    );
    const r = await runCli(['collect', '--l0', 'labl0', '--no-input', '-o', 'b.zip', '--json'], { home });
    assert.ok([0, 4].includes(r.code!), r.stderr);
    const result = JSON.parse(r.stdout);
    assert.is(result.levels.L0.reached, true);
    assert.is(result.bundle, path.join(home, 'b.zip'));
    assert.equal(
      readdirSync(home).filter((f) => f.includes('partial')),
      [],
    );
  });

  ssh.run();
}
