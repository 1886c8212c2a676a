// The wizard at a real terminal (tmux): questions before the task list, defaults on
// Enter, the equivalent command line at the end, Ctrl-C leaving nothing behind.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Manifest } from '../../src/bundle/manifest.ts';
import { newHome, readJson, unpack } from '../harness/cli.ts';
import { copyClientKey, have, isRoot, SUDO_TEST_PASSWORD, startHost, writeKnownHosts } from '../harness/hosts.ts';
import { skipTest } from '../harness/skip.ts';
import { Terminal } from '../harness/tmux.ts';

if (!have('tmux')) {
  skipTest('integration/wizard', 'needs tmux');
} else {
  test('answering the wizard collects, and prints the same collection as a command line', async () => {
    const home = newHome();
    writeFileSync(path.join(home, '.ssh', 'config'), 'Host lab-l0\n  HostName 192.0.2.1\n');
    const term = Terminal.start([], { home, cwd: home });
    try {
      let screen = await term.waitFor(/Where does this machine sit\?/);
      assert.match(screen, /detected: /);
      term.keys('Enter'); // detected level (L1 on a VM, L0 on bare metal)
      screen = await term.waitFor(/How to reach L[02]/);
      term.keys('Enter'); // skip
      screen = await term.waitFor(/How to reach L2|How to reach L1/);
      assert.ok(/lab-l0 \(from ~\/\.ssh\/config\)/.test(screen), 'Host aliases are offered');
      term.keys('Enter'); // skip
      await term.waitFor(/Use sudo/);
      term.type('n');
      term.keys('Enter');
      await term.waitFor(/Redact hostnames.*\(y\/N\)/);
      term.keys('Enter'); // default: no
      await term.waitFor(/Write the bundle to: \(nestbug-\d{8}-\d{6}\.zip\)/);
      term.keys('C-u');
      term.type('wizard.tar.gz');
      term.keys('Enter');
      screen = await term.waitFor(/EXIT=\d+/, 120000);
      assert.match(screen, /The same, without questions:\n\s+nestbug collect --l[01] local -o wizard\.tar\.gz/);
      const code = Number(/EXIT=(\d+)/.exec(screen)![1]);
      assert.ok([0, 3, 4].includes(code), screen);
      assert.ok(existsSync(path.join(home, 'wizard.tar.gz')));
      const manifest = readJson<Manifest>(path.join(unpack(path.join(home, 'wizard.tar.gz')), 'manifest.json'));
      assert.match(manifest.commandLine.join(' '), /^collect --l[01] local -o wizard\.tar\.gz$/);
    } finally {
      term.close();
    }
  });

  test('sudo password typed in the wizard: fed to sudo -S, privileged items collected, the password nowhere', async () => {
    if (!isRoot() || !have('sudo')) return console.log('  (needs root and sudo)');
    const host = await startHost({ name: 'wizard-sudo' });
    const home = newHome();
    writeKnownHosts(path.join(home, '.ssh', 'known_hosts'), [host]);
    copyClientKey(path.join(home, '.ssh', 'id_ed25519'));
    const term = Terminal.start([], { home, cwd: home });
    try {
      await term.waitFor(/Where does this machine sit\?/);
      await term.choose(/None of them/);
      await term.waitFor(/How to reach L0/);
      term.keys('Enter'); // skip
      await term.waitFor(/How to reach L1/);
      await term.choose(/type an address/);
      await term.waitFor(/L1 address/);
      term.type(`nbpass@127.0.0.1:${host.port}`);
      term.keys('Enter');
      await term.waitFor(/How to reach L2/);
      term.keys('Enter');
      await term.waitFor(/Use sudo.*\(Y\/n\)/);
      term.keys('Enter');
      await term.waitFor(/sudo password on the remote hosts/);
      term.type(SUDO_TEST_PASSWORD);
      term.keys('Enter');
      await term.waitFor(/Redact/);
      term.keys('Enter');
      await term.waitFor(/Write the bundle to/);
      term.keys('C-u');
      term.type('sudo.zip');
      term.keys('Enter');
      const screen = await term.waitFor(/EXIT=\d+/, 120000);
      assert.not.ok(screen.includes(SUDO_TEST_PASSWORD), 'the password is never shown');
      assert.match(screen, /nestbug collect --l1 nbpass@127\.0\.0\.1:\d+ --sudo -o sudo\.zip/);
      const top = unpack(path.join(home, 'sudo.zip'));
      const manifest = readJson<Manifest>(path.join(top, 'manifest.json'));
      const l1 = manifest.levels[0];
      assert.is(l1.facts?.privilege, 'sudo');
      const dmi = l1.items.find((i) => i.id === 'dmidecode')!;
      assert.is(dmi.asRoot, true);
      assert.is(dmi.status, 'ok', dmi.reason);
      const { spawnSync } = await import('node:child_process');
      const grep = spawnSync('grep', ['-rl', SUDO_TEST_PASSWORD, home, top], { encoding: 'utf8' });
      assert.is(grep.status, 1, `the password was written to: ${grep.stdout}`);
    } finally {
      term.close();
      await host.stop();
    }
  });

  test('Ctrl-C at a prompt exits 130 cleanly, with no file left', async () => {
    const home = newHome();
    const term = Terminal.start(['collect'], { home, cwd: home });
    try {
      await term.waitFor(/Where does this machine sit\?/);
      term.keys('C-c');
      const screen = await term.waitFor(/EXIT=\d+/);
      assert.match(screen, /EXIT=130/);
      assert.not.match(screen, /\n\s+at /, 'no stack trace');
      assert.equal(
        readdirSync(home).filter((f) => f !== '.ssh'),
        [],
      );
    } finally {
      term.close();
    }
  });

  test('--no-input at a terminal never prompts', async () => {
    const home = newHome();
    const term = Terminal.start(['collect', '--no-input', '--l1', 'local', '-o', 'n.zip', '-q'], { home, cwd: home });
    try {
      const screen = await term.waitFor(/EXIT=\d+/, 120000);
      assert.not.match(screen, /\?/);
      assert.ok(existsSync(path.join(home, 'n.zip')));
    } finally {
      term.close();
    }
  });

  test('CI set: a terminal is not enough to prompt; this machine alone is collected, as the level detected', async () => {
    const home = newHome();
    const term = Terminal.start(['collect', '-o', 'ci.zip', '-q'], { home, cwd: home, ci: true });
    try {
      const screen = await term.waitFor(/EXIT=\d+/, 120000);
      assert.not.match(screen, /Where does this machine sit/);
      assert.match(screen, /no level given; this machine is .*, so L[01]/);
      assert.ok(existsSync(path.join(home, 'ci.zip')));
    } finally {
      term.close();
    }
  });

  test.run();
}
