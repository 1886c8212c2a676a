// Flags -> options: the one place where the command line becomes what collect uses.
import { Command } from '@commander-js/extra-typings';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseManifest } from '../../src/bundle/manifest-shape.ts';
import { UsageError } from '../../src/errors.ts';
import {
  addCheckOptions,
  addCollectOptions,
  buildCollectOptions,
  type CollectEnv,
  commandLineOf,
} from '../../src/options.ts';

const env: CollectEnv = { cwd: '/work', home: '/home/u', now: new Date(2026, 10, 26, 10, 15, 0), terminal: false };

/** Flags exactly as commander produces them from a command line. */
function collectFlags(args: string[]) {
  return addCollectOptions(new Command('collect')).exitOverride().parse(args, { from: 'user' }).opts();
}
function checkFlags(args: string[]) {
  return addCheckOptions(new Command('check')).exitOverride().parse(args, { from: 'user' }).opts();
}

test('defaults: zip in the working folder, 30 s, 64 MiB, known_hosts in the home, no redaction', () => {
  const o = buildCollectOptions('bundle', collectFlags(['--l1', 'local']), env, ['collect', '--l1', 'local']);
  assert.is(o.mode, 'bundle');
  assert.equal(o.levels, [{ level: 'L1', target: { kind: 'local' } }]);
  assert.is(o.output, '/work/nestbug-20261126-101500.zip');
  assert.is(o.format, 'zip');
  assert.is(o.timeoutSeconds, 30);
  assert.is(o.maxOutputBytes, 64 * 1024 * 1024);
  assert.is(o.knownHosts, '/home/u/.ssh/known_hosts');
  assert.equal(o.identityFiles, []);
  assert.is(o.redact, undefined);
  assert.is(o.sudo, false);
  assert.is(o.interactive, false);
  assert.equal(o.commandLine, ['collect', '--l1', 'local']);
});

test('every flag lands in its option; paths are resolved against the working folder', () => {
  const args = ['--l0', 'local', '--l1', 'root@10.0.0.2', '--l1-jump', 'l0', '-i', 'k1', '-i', '/abs/k2'];
  args.push('--known-hosts', 'kh', '--accept-new-host-keys', '--sudo', '--timeout', '5', '--max-output', '1M');
  args.push('-o', '~/b.tar.gz', '--collectors', 'x.yaml', '-q', '--json', '--redact-word', 'secret');
  const o = buildCollectOptions('bundle', collectFlags(args), { ...env, sshAuthSock: '/run/agent' }, ['collect']);
  assert.equal(o.levels[1].jump, { kind: 'level', level: 'L0' });
  assert.equal(o.identityFiles, ['/work/k1', '/abs/k2']);
  assert.is(o.knownHosts, '/work/kh');
  assert.is(o.acceptNewHostKeys, true);
  assert.is(o.sudo, true);
  assert.is(o.timeoutSeconds, 5);
  assert.is(o.maxOutputBytes, 1024 * 1024);
  assert.is(o.output, '/home/u/b.tar.gz');
  assert.is(o.format, 'tar.gz');
  assert.equal(o.collectorFiles, ['x.yaml']);
  assert.is(o.quiet, true);
  assert.is(o.json, true);
  assert.is(o.agent, '/run/agent');
  assert.equal(o.redact, { words: ['secret'] });
});

test('--dry-run is the dry-run mode; check never prompts and reads its own flags', () => {
  assert.is(buildCollectOptions('bundle', collectFlags(['--dry-run']), env, []).mode, 'dry-run');
  const terminal = { ...env, terminal: true };
  assert.is(buildCollectOptions('bundle', collectFlags([]), terminal, []).interactive, true);
  assert.is(buildCollectOptions('bundle', collectFlags(['--no-input']), terminal, []).interactive, false);
  assert.is(buildCollectOptions('bundle', collectFlags(['--json']), terminal, []).interactive, false);
  const check = buildCollectOptions('check', checkFlags(['--l1', 'local', '-q']), terminal, []);
  assert.is(check.mode, 'check');
  assert.is(check.interactive, false);
  assert.is(check.quiet, true);
});

test('bad values are usage errors naming the flag', () => {
  const bad: Array<[string[], RegExp]> = [
    [['--timeout', '0'], /^--timeout 0/],
    [['--max-output', 'lots'], /^--max-output lots/],
    [['-o', 'b.zip', '--format', 'tar.gz'], /ends in .zip/],
    [['--l2-jump', 'l1'], /--l2-jump needs --l2/],
    [['--l1', 'a b'], /^--l1/],
  ];
  for (const [args, message] of bad) {
    assert.throws(
      () => buildCollectOptions('bundle', collectFlags(args), env, []),
      (e: Error) => e instanceof UsageError && message.test(e.message),
      args.join(' '),
    );
  }
});

test('the recorded command line hides --redact-word values', () => {
  const argv = ['collect', '--redact-word', 'acme', '--redact-word=corp', '--l1', 'local'];
  const o = buildCollectOptions('bundle', collectFlags(argv.slice(1)), env, argv);
  assert.equal(o.commandLine, ['collect', '--redact-word', '<redacted>', '--redact-word=<redacted>', '--l1', 'local']);
});

test('the wizard answers as the flags a person would type, and as their command line', () => {
  const answers = { l0: 'local', l1: 'root@10.0.0.2', l1Jump: 'l0', sudo: true as const, output: 'b.zip' };
  assert.equal(commandLineOf(answers), [
    'collect',
    '--l0',
    'local',
    '--l1',
    'root@10.0.0.2',
    '--l1-jump',
    'l0',
    '--sudo',
    '-o',
    'b.zip',
  ]);
  const again = collectFlags(commandLineOf(answers).slice(1));
  const o = buildCollectOptions('bundle', again, env, commandLineOf(answers));
  assert.equal(
    o.levels.map((l) => l.level),
    ['L0', 'L1'],
  );
  assert.is(o.output, '/work/b.zip');
  assert.is(o.sudo, true);
});

test('manifest reader: a manifest typed; none is undefined; anything else is "not a nestbug manifest"', () => {
  assert.is(parseManifest(undefined), undefined);
  for (const bad of ['not json', '{"levels": "x"}', '{"levels": [null]}']) {
    assert.throws(
      () => parseManifest(bad),
      (e: Error) => e instanceof UsageError && /not a nestbug manifest/.test(e.message),
    );
  }
  const level = { level: 'L1', target: 'local', reached: true, items: [{ id: 'uname', status: 'ok' }] };
  const text = JSON.stringify({ tool: 'nestbug', version: '0', started: 'x', levels: [level] });
  let parsed: ReturnType<typeof parseManifest>;
  try {
    parsed = parseManifest(text);
  } catch (e) {
    // the strict reader names the field it misses: the fixture above must then grow it
    throw new Error(`a minimal manifest was refused: ${(e as Error).message}`);
  }
  assert.equal(
    parsed?.levels.map((l) => [l.level, l.target, l.reached, l.items.length]),
    [['L1', 'local', true, 1]],
  );
});

test.run();
