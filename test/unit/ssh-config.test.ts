import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadSshConfig } from '../../src/transport/ssh-config.ts';

const home = mkdtempSync(path.join(os.tmpdir(), 'nestbug-home-'));
mkdirSync(path.join(home, '.ssh', 'config.d'), { recursive: true });
writeFileSync(
  path.join(home, '.ssh', 'config'),
  `Include config.d/*.conf\nHost lab-l0\n  HostName 192.0.2.10\n  User admin\n  Port 2200\n  IdentityFile ~/.ssh/lab_key\nHost *\n  ServerAliveInterval 30\n  Match exec "touch ${home}/executed"\n`,
);
writeFileSync(
  path.join(home, '.ssh', 'config.d', 'l1.conf'),
  'Host lab-l1\n  HostName 10.0.0.2\n  ProxyJump lab-l0\n  User root\n',
);

test('Host alias gives HostName, User, Port, IdentityFile (~ expanded)', () => {
  const config = loadSshConfig(home);
  const l0 = config.lookup('lab-l0');
  assert.is(l0.hostName, '192.0.2.10');
  assert.is(l0.user, 'admin');
  assert.is(l0.port, 2200);
  assert.equal(l0.identityFiles, [path.join(home, '.ssh', 'lab_key')]);
  assert.ok(config.aliases.includes('lab-l0'));
});

test('Include files are read and ProxyJump is reported', () => {
  const config = loadSshConfig(home);
  const l1 = config.lookup('lab-l1');
  assert.is(l1.hostName, '10.0.0.2');
  assert.is(l1.proxyJump, 'lab-l0');
  assert.ok(config.aliases.includes('lab-l1'));
});

test('Match exec is never run', async () => {
  loadSshConfig(home).lookup('anything');
  const { existsSync } = await import('node:fs');
  assert.is(existsSync(path.join(home, 'executed')), false);
});

test('no config at all is an empty config', () => {
  const empty = loadSshConfig(path.join(home, 'no-such-home'));
  assert.equal(empty.lookup('x').identityFiles, []);
  assert.is(empty.lookup('x').hostName, undefined);
});

test.after(() => rmSync(home, { recursive: true, force: true }));

test.run();
