import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HostKeyStore } from '../../src/transport/host-key-store.ts';
import {
  fingerprint,
  hostKeyName,
  knownHostsLine,
  knownKeyAlgorithms,
  parseKnownHosts,
  verifyHostKey,
} from '../../src/transport/known-hosts.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nestbug-kh-'));
function keypair(name: string, type = 'ed25519'): { blob: Buffer; line: string } {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-f', file]);
  const pub = readFileSync(`${file}.pub`, 'utf8').trim();
  return { blob: Buffer.from(pub.split(' ')[1], 'base64'), line: pub.split(' ').slice(0, 2).join(' ') };
}
const a = keypair('a');
const b = keypair('b');
const rsa = keypair('r', 'rsa');

test('fingerprints match ssh-keygen -l', () => {
  const shown = execFileSync('ssh-keygen', ['-l', '-f', path.join(dir, 'a.pub')], { encoding: 'utf8' }).split(' ')[1];
  assert.is(fingerprint(a.blob), shown);
});

test('plain entries: ok, changed, unknown, ports in brackets, wildcards, negation', () => {
  const entries = parseKnownHosts(
    `# comment\nl0.example,10.0.0.1 ${a.line}\n[127.0.0.1]:2222 ${b.line}\n*.lab,!bad.lab ${a.line}\n`,
    'kh',
  );
  assert.is(verifyHostKey(entries, hostKeyName('l0.example', 22), a.blob).status, 'ok');
  assert.is(verifyHostKey(entries, hostKeyName('10.0.0.1', 22), b.blob).status, 'changed');
  assert.is(verifyHostKey(entries, hostKeyName('127.0.0.1', 2222), b.blob).status, 'ok');
  assert.is(verifyHostKey(entries, hostKeyName('127.0.0.1', 22), b.blob).status, 'unknown');
  assert.is(verifyHostKey(entries, hostKeyName('x.lab', 22), a.blob).status, 'ok');
  assert.is(verifyHostKey(entries, hostKeyName('bad.lab', 22), a.blob).status, 'unknown');
});

test('hashed entries written by ssh-keygen -H are matched', () => {
  const file = path.join(dir, 'known_hosts_hashed');
  writeFileSync(file, `l1.example ${a.line}\n[10.1.2.3]:2022 ${b.line}\n`);
  execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
  const text = readFileSync(file, 'utf8');
  assert.not.match(text, /l1\.example/);
  const entries = parseKnownHosts(text, file);
  assert.is(verifyHostKey(entries, 'l1.example', a.blob).status, 'ok');
  assert.is(verifyHostKey(entries, '[10.1.2.3]:2022', b.blob).status, 'ok');
  assert.is(verifyHostKey(entries, '[10.1.2.3]:2022', a.blob).status, 'changed');
});

test('@revoked wins; only known key types are offered', () => {
  const entries = parseKnownHosts(`@revoked h ${a.line}\nh ${a.line}\nr ${rsa.line}\n`, 'kh');
  assert.is(verifyHostKey(entries, 'h', a.blob).status, 'revoked');
  assert.equal(knownKeyAlgorithms(entries, 'r'), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  assert.is(knownKeyAlgorithms(entries, 'nobody'), undefined);
});

test('accept-new records a line OpenSSH accepts, and never overrides a changed key', () => {
  const file = path.join(dir, 'known_hosts_new');
  const store = new HostKeyStore(file, []);
  const refused = store.check('10.9.9.9', 2200, a.blob, false);
  assert.is(refused.ok, false);
  assert.match((refused as { message: string }).message, new RegExp(fingerprint(a.blob).replace(/[+/]/g, '\\$&')));
  assert.equal(store.check('10.9.9.9', 2200, a.blob, true), { ok: true, added: true });
  assert.equal(store.check('10.9.9.9', 2200, a.blob, false), { ok: true });
  const changed = store.check('10.9.9.9', 2200, b.blob, true);
  assert.is(changed.ok, false);
  assert.match((changed as { message: string }).message, /HOST KEY CHANGED/);
  // ssh-keygen -F finds the recorded host the way ssh will.
  const found = execFileSync('ssh-keygen', ['-F', '[10.9.9.9]:2200', '-f', file], { encoding: 'utf8' });
  assert.match(found, /ssh-ed25519/);
  const hashed = knownHostsLine('h.example', a.blob, true);
  assert.is(verifyHostKey(parseKnownHosts(hashed, 'x'), 'h.example', a.blob).status, 'ok');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
