import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UsageError } from '../../src/errors.ts';
import { defaultOutputName, levelSpecs, parseSeconds, parseSize, resolveOutput } from '../../src/options.ts';
import { parseTarget } from '../../src/target.ts';

test('targets: local, user@host:port, IPv6 in brackets, aliases', () => {
  assert.equal(parseTarget('local', '--l1'), { kind: 'local' });
  assert.equal(parseTarget('root@192.168.122.10', '--l1'), {
    kind: 'ssh',
    user: 'root',
    host: '192.168.122.10',
    port: undefined,
    spec: 'root@192.168.122.10',
  });
  assert.equal(parseTarget('kvm@host.example:2222', '--l0'), {
    kind: 'ssh',
    user: 'kvm',
    host: 'host.example',
    port: 2222,
    spec: 'kvm@host.example:2222',
  });
  assert.equal(parseTarget('root@[fe80::1]:22', '--l1'), {
    kind: 'ssh',
    user: 'root',
    host: 'fe80::1',
    port: 22,
    spec: 'root@[fe80::1]:22',
  });
  assert.equal(parseTarget('myl0', '--l0'), {
    kind: 'ssh',
    user: undefined,
    host: 'myl0',
    port: undefined,
    spec: 'myl0',
  });
});

test('bad targets are usage errors naming the flag', () => {
  for (const bad of [
    '',
    'root@',
    'host:99999',
    'host:abc',
    "x';touch /tmp/p;'",
    '$(reboot)',
    '-oProxyCommand=x',
    'a b',
  ]) {
    assert.throws(
      () => parseTarget(bad, '--l1'),
      (e: Error) => e instanceof UsageError && e.message.startsWith('--l1'),
    );
  }
});

test('jumps refer to lower levels that are given', () => {
  const specs = levelSpecs({ l0: 'local', l1: 'root@10.0.0.2', l1Jump: 'l0' });
  assert.equal(specs[1].jump, { kind: 'level', level: 'L0' });
  const chain = levelSpecs({ l0: 'h0', l1: 'h1', l2: 'h2', l1Jump: 'L0', l2Jump: 'l1' });
  assert.equal(chain[2].jump, { kind: 'level', level: 'L1' });
  const viaHost = levelSpecs({ l1: 'root@10.0.0.2', l1Jump: 'admin@bastion:2200' });
  assert.is(viaHost[0].jump?.kind, 'target');
  assert.throws(() => levelSpecs({ l1: 'h1', l1Jump: 'l0' }), /pass --l0/);
  assert.throws(() => levelSpecs({ l0: 'h0', l1Jump: 'l0' }), /needs --l1/);
  assert.throws(() => levelSpecs({ l0: 'h0', l1: 'h1', l1Jump: 'l1' }), /lower level/);
  assert.throws(() => levelSpecs({ l1: 'local', l0: 'h0', l1Jump: 'l0' }), /local/);
});

test('timeouts, sizes and output names', () => {
  assert.is(parseSeconds('2.5', '--timeout'), 2.5);
  assert.throws(
    () => parseSeconds('0', '--timeout'),
    (e: Error) => e instanceof UsageError,
  );
  assert.throws(
    () => parseSeconds('x', '--timeout'),
    (e: Error) => e instanceof UsageError,
  );
  assert.is(parseSize('64M', '--max-output'), 64 * 1024 * 1024);
  assert.is(parseSize('512k', '--max-output'), 512 * 1024);
  assert.throws(
    () => parseSize('lots', '--max-output'),
    (e: Error) => e instanceof UsageError,
  );
  const at = { cwd: '/w', home: '/h', now: new Date('2026-11-26T10:15:00Z') };
  const name = defaultOutputName(at.now, 'zip');
  assert.match(name, /^nestbug-\d{8}-\d{6}\.zip$/);
  assert.equal(resolveOutput(undefined, undefined, at), { output: `/w/${name}`, format: 'zip' });
  assert.equal(resolveOutput('b.tar.gz', undefined, at), { output: '/w/b.tar.gz', format: 'tar.gz' });
  assert.equal(resolveOutput('out', 'tar.gz', at), { output: '/w/out', format: 'tar.gz' });
  assert.throws(() => resolveOutput('b.zip', 'tar.gz', at), /ends in .zip/);
  assert.throws(() => resolveOutput('b', 'rar', at), /--format/);
  assert.equal(resolveOutput('~/b.zip', undefined, at), { output: '/h/b.zip', format: 'zip' });
});

test.run();
