// The first minutes of a new user, driven as that user would: an sshd whose host key is
// not known yet, a password-only login, names that do not resolve, another ssh_config,
// mistyped commands. Terminal cases run in tmux, the servers are real sshd.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Manifest } from '../../src/bundle/manifest.ts';
import { newHome, readJson, runCli, unpack } from '../harness/cli.ts';
import { copyClientKey, have, isRoot, SUDO_TEST_PASSWORD, startHost, type TestHost } from '../harness/hosts.ts';
import { skipTest } from '../harness/skip.ts';
import { Terminal } from '../harness/tmux.ts';

function sshKeygenFingerprint(pub: string): string {
  const r = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', '-'], { input: `${pub}\n`, encoding: 'utf8' });
  return /(SHA256:\S+)/.exec(r.stdout)![1];
}

test('a mistyped command is an error with a suggestion, exit 2', async () => {
  const home = newHome();
  const r = await runCli(['colect', '--l1', 'local'], { home });
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /unknown command 'colect' \(did you mean collect\?\)/);
  assert.not.ok(existsSync(path.join(home, 'nestbug.zip')));
});

test('help on something that is not a command is an error; help on a command is not', async () => {
  const home = newHome();
  const bad = await runCli(['help', 'nonsense'], { home });
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /no help for 'nonsense'/);
  const good = await runCli(['help', 'inspect'], { home });
  assert.is(good.code, 0, good.stderr);
  assert.match(good.stdout, /Usage: nestbug inspect/);
});

test('nestbug version prints the version, like --version', async () => {
  const home = newHome();
  const word = await runCli(['version'], { home });
  const flag = await runCli(['--version'], { home });
  assert.is(word.code, 0, word.stderr);
  assert.match(word.stdout.trim(), /^\d+\.\d+\.\d+/);
  assert.is(word.stdout, flag.stdout);
});

test('a name that does not resolve is said in the words typed', async () => {
  const home = newHome();
  const r = await runCli(['check', '--l2', 'root@lab-l2', '--no-input'], { home });
  assert.is(r.code, 3, r.stderr);
  assert.match(r.stderr, /cannot resolve 'lab-l2' \(not a Host in ~\/\.ssh\/config either\)/);
  assert.not.match(r.stderr, /getaddrinfo|EAI_|ENOTFOUND/);
});

test('-F FILE that does not exist is a usage error', async () => {
  const home = newHome();
  const r = await runCli(['check', '-F', 'no-such-config', '--l1', 'lab-l1', '--no-input'], { home });
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /-F no-such-config: cannot read/);
});

test('every level unreachable: no bundle, no attach advice, what to fix, exit 3', async () => {
  const home = newHome();
  const { freePort } = await import('../harness/hosts.ts');
  const port = await freePort();
  const r = await runCli(['collect', '--l1', `root@127.0.0.1:${port}`, '--no-input', '-o', 'none.zip'], { home });
  assert.is(r.code, 3, r.stderr);
  assert.match(r.stderr, /Nothing was collected: no level could be reached, so no bundle was written/);
  assert.match(r.stderr, new RegExp(`nothing listens on port ${port} of '127\\.0\\.0\\.1'`));
  assert.not.match(r.stderr, /Attach the bundle/i);
  assert.not.ok(existsSync(path.join(home, 'none.zip')));
});

if (!isRoot()) {
  skipTest('integration/first-contact', 'the sshd cases need root');
} else {
  let host: TestHost;
  let passwordHost: TestHost;
  test.before(async () => {
    host = await startHost({ name: 'first-contact' });
    passwordHost = await startHost({
      name: 'password-only',
      sshdExtra: ['PasswordAuthentication yes', 'PubkeyAuthentication no'],
    });
  });
  test.after(async () => {
    await host?.stop();
    await passwordHost?.stop();
  });

  test('-F FILE selects another ssh_config: its Host alias is collected', async () => {
    const home = newHome();
    const key = copyClientKey(path.join(home, 'key'));
    writeFileSync(
      path.join(home, 'other.conf'),
      `Host lab-l1\n  HostName 127.0.0.1\n  Port ${host.port}\n  User root\n  IdentityFile ${key}\n`,
    );
    writeFileSync(path.join(home, '.ssh', 'known_hosts'), `${host.knownHostsLine}\n`);
    const r = await runCli(['check', '-F', 'other.conf', '--l1', 'lab-l1', '--no-input', '--json'], { home });
    assert.ok([0, 4].includes(r.code!), r.stderr);
    const json = JSON.parse(r.stdout) as { levels: Record<string, { reached: boolean }> };
    assert.is(json.levels.L1.reached, true);
    const without = await runCli(['check', '--l1', 'lab-l1', '--no-input'], { home });
    assert.match(without.stderr, /cannot resolve 'lab-l1'/);
  });

  test('not root: the kernel doc items that need root are listed up front with how to get them', async () => {
    const home = newHome();
    const key = copyClientKey(path.join(home, 'id_test'));
    writeFileSync(path.join(home, '.ssh', 'known_hosts'), `${host.knownHostsLine}\n`);
    const target = `nbplain@127.0.0.1:${host.port}`;
    const plain = await runCli(['collect', '-i', key, '--l1', target, '--no-input', '-o', 'plain.zip'], { home });
    assert.match(plain.stderr, /missing L1 dmidecode \(dmidecode\): needs root: rerun with --sudo, or connect as root/);
    const top = unpack(path.join(home, 'plain.zip'));
    const summary = readFileSync(path.join(top, 'summary.md'), 'utf8');
    const text = readFileSync(path.join(top, 'summary.txt'), 'utf8');
    assert.match(text, /Missing items the kernel doc asks for:\n\s+- L1 dmidecode/);
    const missingAt = summary.indexOf('dmidecode');
    assert.ok(missingAt > 0 && missingAt < summary.indexOf('## Chain'), 'listed before the chain');
    const sudo = await runCli(['collect', '-i', key, '--l1', target, '--sudo', '--no-input', '-o', 'sudo.zip'], {
      home,
    });
    assert.match(sudo.stderr, /missing L1 dmidecode \(dmidecode\): --sudo was given, but sudo/);
  });

  if (!have('tmux')) {
    skipTest('integration/first-contact', 'terminal cases need tmux');
  } else {
    test('unknown host key at a terminal: asked as ssh asks, recorded on yes, and the wizard command carries it', async () => {
      const home = newHome();
      const key = copyClientKey(path.join(home, 'id_test'));
      const knownHosts = path.join(home, '.ssh', 'known_hosts');
      const term = Terminal.start(['-i', key], { home, cwd: home });
      try {
        await term.waitFor(/Where does this machine sit\?/);
        await term.choose(/None of them/);
        await term.waitFor(/How to reach L0/);
        term.keys('Enter');
        await term.waitFor(/How to reach L1/);
        await term.choose(/type an address/);
        await term.waitFor(/L1 address/);
        term.type(`root@127.0.0.1:${host.port}`);
        term.keys('Enter');
        await term.waitFor(/How to reach L2/);
        term.keys('Enter');
        await term.waitFor(/Use sudo/);
        term.type('n');
        term.keys('Enter');
        await term.waitFor(/Redact/);
        term.keys('Enter');
        await term.waitFor(/Write the bundle to/);
        term.keys('C-u');
        term.type('hk.zip');
        term.keys('Enter');
        let screen = await term.waitFor(/continue connecting \(yes\/no\/\[fingerprint\]\)/, 30000);
        const name = `[127.0.0.1]:${host.port}`;
        assert.ok(screen.includes(`The authenticity of host '${name}' can't be established.`), screen);
        assert.ok(screen.includes(`ED25519 key fingerprint is ${sshKeygenFingerprint(host.hostKeyPub)}.`), screen);
        assert.not.ok(existsSync(knownHosts), 'nothing recorded before the answer');
        term.type('yes');
        term.keys('Enter');
        screen = await term.waitFor(/EXIT=\d+/, 120000);
        assert.ok(screen.includes(`Permanently added '${name}' (ED25519) to the list of known hosts`), screen);
        const code = Number(/EXIT=(\d+)/.exec(screen)![1]);
        assert.ok([0, 3, 4].includes(code), screen);
        const lookup = spawnSync('ssh-keygen', ['-F', name, '-f', knownHosts], { encoding: 'utf8' });
        assert.is(lookup.status, 0, 'ssh-keygen finds the recorded key');
        assert.ok(lookup.stdout.includes(host.hostKeyPub.split(' ')[1]));
        assert.match(
          screen,
          new RegExp(
            `nestbug collect -i \\S+id_test --l1 root@127\\.0\\.0\\.1:${host.port} --accept-new-host-keys -o hk\\.zip`,
          ),
        );
        const manifest = readJson<Manifest>(path.join(unpack(path.join(home, 'hk.zip')), 'manifest.json'));
        assert.ok(manifest.commandLine.includes('--accept-new-host-keys'), manifest.commandLine.join(' '));
        assert.is(manifest.levels[0].reached, true);
      } finally {
        term.close();
      }
    });

    test("the wizard's default file name and the bundle's top folder carry the same time stamp", async () => {
      const home = newHome();
      const term = Terminal.start([], { home, cwd: home });
      try {
        await term.waitFor(/Where does this machine sit\?/);
        term.keys('Enter');
        await term.waitFor(/How to reach L[01]/);
        term.keys('Enter');
        await term.waitFor(/skip L[01]\n[\s\S]*How to reach L2/);
        term.keys('Enter');
        await term.waitFor(/Use sudo/);
        term.type('n');
        term.keys('Enter');
        await term.waitFor(/Redact/);
        term.keys('Enter');
        const screen = await term.waitFor(/Write the bundle to: \((nestbug-\d{8}-\d{6})\.zip\)/);
        const name = /Write the bundle to: \((nestbug-\d{8}-\d{6})\.zip\)/.exec(screen)![1];
        // A person reads the question before answering: the clock moves on.
        await new Promise((r) => setTimeout(r, 2100));
        term.keys('Enter');
        await term.waitFor(/EXIT=\d+/, 120000);
        assert.is(path.basename(unpack(path.join(home, `${name}.zip`))), name);
      } finally {
        term.close();
      }
    });

    test('unknown host key answered no: nothing recorded, the level is not collected', async () => {
      const home = newHome();
      const key = copyClientKey(path.join(home, 'id_test'));
      const term = Terminal.start(['check', '-i', key, '--l1', `root@127.0.0.1:${host.port}`], { home, cwd: home });
      try {
        await term.waitFor(/continue connecting/);
        term.type('no');
        term.keys('Enter');
        const screen = await term.waitFor(/EXIT=\d+/, 60000);
        assert.match(screen, /EXIT=3/);
        assert.match(screen, /unknown host key/);
        assert.not.ok(existsSync(path.join(home, '.ssh', 'known_hosts')));
      } finally {
        term.close();
      }
    });

    test('Ctrl-C at the host-key question stops the run: exit 130, nothing recorded', async () => {
      const home = newHome();
      const key = copyClientKey(path.join(home, 'id_test'));
      const term = Terminal.start(['check', '-i', key, '--l1', `root@127.0.0.1:${host.port}`], { home, cwd: home });
      try {
        await term.waitFor(/continue connecting/);
        term.keys('C-c');
        const screen = await term.waitFor(/EXIT=\d+/, 60000);
        assert.ok(/EXIT=130/.test(screen), screen);
        assert.not.ok(existsSync(path.join(home, '.ssh', 'known_hosts')));
      } finally {
        term.close();
      }
    });

    test('password-only server at a terminal: the password is asked, used, and found nowhere', async () => {
      const home = newHome();
      writeFileSync(path.join(home, '.ssh', 'known_hosts'), `${passwordHost.knownHostsLine}\n`);
      const target = `nbpass@127.0.0.1:${passwordHost.port}`;
      const term = Terminal.start(['collect', '--l1', target, '-o', 'pw.zip'], { home, cwd: home });
      try {
        await term.waitFor(new RegExp(`${target.replace(/\./g, '\\.')}'s password`));
        term.type(SUDO_TEST_PASSWORD);
        term.keys('Enter');
        const screen = await term.waitFor(/EXIT=\d+/, 120000);
        assert.not.ok(screen.includes(SUDO_TEST_PASSWORD));
        const top = unpack(path.join(home, 'pw.zip'));
        const manifest = readJson<Manifest>(path.join(top, 'manifest.json'));
        assert.is(manifest.levels[0].reached, true, manifest.levels[0].error);
        assert.is(manifest.levels[0].facts?.hostname, 'password-only');
        const grep = spawnSync('grep', ['-rl', SUDO_TEST_PASSWORD, home, top], { encoding: 'utf8' });
        assert.is(grep.status, 1, `the password was written to: ${grep.stdout}`);
      } finally {
        term.close();
      }
    });
  }

  test('password-only server without a terminal: the error says how to use a key', async () => {
    const home = newHome();
    writeFileSync(path.join(home, '.ssh', 'known_hosts'), `${passwordHost.knownHostsLine}\n`);
    const r = await runCli(['check', '--l1', `nbpass@127.0.0.1:${passwordHost.port}`, '--no-input'], { home });
    assert.is(r.code, 3, r.stderr);
    assert.match(r.stderr, /wants a password for nbpass/);
    assert.match(r.stderr, new RegExp(`ssh-copy-id -p ${passwordHost.port} nbpass@127\\.0\\.0\\.1`));
  });

  test('unknown host key without a terminal: refused as before, nothing recorded', async () => {
    const home = newHome();
    const key = copyClientKey(path.join(home, 'id_test'));
    const r = await runCli(['check', '-i', key, '--l1', `root@127.0.0.1:${host.port}`], { home });
    assert.is(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      /unknown host key ssh-ed25519 SHA256:\S+; check the fingerprint, then rerun with --accept-new-host-keys/,
    );
    assert.not.ok(existsSync(path.join(home, '.ssh', 'known_hosts')));
    assert.not.ok(readFileSync(path.join(home, 'id_test'), 'utf8').length === 0);
  });
}

test.run();
