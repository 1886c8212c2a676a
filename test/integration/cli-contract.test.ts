// The scripting contract: exit codes from real runs, JSON alone on stdout, one-line errors.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Manifest } from '../../src/bundle/manifest.ts';
import { newHome, readJson, runCli, unpack } from '../harness/cli.ts';
import { testUnless } from '../harness/skip.ts';
import { FIXTURES } from '../helpers.ts';

function parseJson(text: string) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function oneLineError(stderr: string) {
  const lines = stderr.trim().split('\n');
  assert.is(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0], /^nestbug: /);
  assert.not.match(stderr, /\n\s+at /, 'no stack trace');
}

test('exit 2: bad flags, targets, identity files, collectors files, numbers', async () => {
  const home = newHome();
  writeFileSync(path.join(home, 'bad.yaml'), '- id: x\n  title: X\n');
  writeFileSync(path.join(home, 'notakey'), 'hello');
  const cases: Array<[string[], RegExp]> = [
    [['collect', '--bogus'], /unknown option/],
    [['collect', '--l1', "x';reboot;'", '--no-input'], /--l1: .* not a valid target/],
    [['collect', '--l1', 'root@host:99999', '--no-input'], /port 99999 out of range/],
    [
      ['collect', '--l1', 'h', '-i', 'missing-key', '--no-input'],
      /identity file .*missing-key: cannot read it \(ENOENT\)/,
    ],
    [['collect', '--l1', 'h', '-i', 'notakey', '--no-input'], /identity file .*notakey: not a private key/],
    [
      ['collect', '--l1', 'local', '--collectors', 'bad.yaml', '--no-input'],
      /bad\.yaml: entry 1 \(x\): needs exactly one of/,
    ],
    [['collect', '--l1', 'local', '--timeout', 'soon', '--no-input'], /--timeout soon/],
    [['collect', '--l1', 'local', '-o', '/nonexistent-dir/b.zip', '--no-input'], /cannot write in \/nonexistent-dir/],
    [
      ['collect', '--l1', 'local', '-o', 'b.zip', '--format', 'tar.gz', '--no-input'],
      /ends in \.zip but --format is tar\.gz/,
    ],
    [['collect', '--l2-jump', 'l1', '--l2', 'h', '--no-input'], /pass --l1 too/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args, { home });
    assert.is(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    if (args[1] === '--bogus') assert.match(r.stderr, message);
    else {
      oneLineError(r.stderr);
      assert.match(r.stderr, message);
    }
    assert.is(r.stdout, '');
  }
  assert.equal(
    readdirSync(home).filter((f) => /\.zip|partial/.test(f)),
    [],
    'nothing written on a usage error',
  );
});

test('exit 2: an encrypted key with a wrong passphrase, or none when no one can be asked', async () => {
  const home = newHome();
  const key = path.join(home, 'enc_ed25519');
  const { execFileSync } = await import('node:child_process');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'right-passphrase', '-f', key]);
  const wrong = await runCli(['collect', '--l1', 'h', '-i', key, '--no-input'], {
    home,
    env: { NESTBUG_KEY_PASSPHRASE: 'wrong' },
  });
  assert.is(wrong.code, 2);
  oneLineError(wrong.stderr);
  assert.match(wrong.stderr, /enc_ed25519: wrong passphrase/);
  assert.not.match(wrong.stderr, /right-passphrase|wrong'/);
  const none = await runCli(['collect', '--l1', 'h', '-i', key, '--no-input'], { home });
  assert.is(none.code, 2);
  assert.match(none.stderr, /it is encrypted; .*NESTBUG_KEY_PASSPHRASE/);
});

// Exit 0 needs a machine where every check passes: known only once it has been collected.
const okHome = newHome();
const okRun = await runCli(['collect', '--l2', 'local', '--no-input', '-o', 'ok.zip', '--json'], { home: okHome });
const okRunsOn = parseJson(okRun.stdout)?.levels?.L2?.runsOn;
const okCannotRun =
  okRunsOn === 'kvm' || okRunsOn === 'bare-metal' || okRunsOn === undefined
    ? undefined
    : `this machine runs on ${okRunsOn}`;

testUnless(
  okCannotRun,
  'exit 0: complete bundle, every check passed (this machine as L2: it runs on KVM)',
  async () => {
    const result = JSON.parse(okRun.stdout);
    assert.equal(
      result.checks.filter((c: { status: string }) => c.status === 'fail'),
      [],
    );
    assert.is(okRun.code, 0, okRun.stderr);
    assert.is(result.exitCode, 0);
  },
);

test('exit 3: a host that cannot be reached; the bundle is still written and says why', async () => {
  const home = newHome();
  const r = await runCli(
    ['collect', '--l0', 'local', '--l1', 'root@127.0.0.1:1', '--no-input', '-o', 'p.tar.gz', '--json'],
    { home },
  );
  assert.is(r.code, 3, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.is(result.exitCode, 3);
  assert.is(result.levels.L1.reached, false);
  assert.match(result.levels.L1.error, /connection refused/);
  const top = unpack(path.join(home, 'p.tar.gz'));
  const manifest = readJson<Manifest>(path.join(top, 'manifest.json'));
  assert.is(manifest.levels.find((l) => l.level === 'L0')!.reached, true);
  assert.ok(existsSync(path.join(top, 'L0', 'cpuinfo.txt')));
  assert.match(readFileSync(path.join(top, 'summary.md'), 'utf8'), /L1.*connection refused/);
});

test('exit 4: a check failed (inspect of the TCG capture); 3 wins over 4', async () => {
  const home = newHome();
  const r = await runCli(['inspect', path.join(FIXTURES, 'corpus', 'here-l1-tcg')], { home });
  assert.is(r.code, 4);
  assert.match(r.stdout, /FAIL\s+L1 is not on KVM: it runs on TCG\n\s+L1 runs on TCG/);
  assert.not.match(r.stdout, /\b(L[0-2]) \1\b/, 'no level said twice');
  // the fallback capture has a failed item in its manifest: partial wins
  const partial = await runCli(['inspect', path.join(FIXTURES, 'captured', 'qemu-accel-kvm-tcg-fallback'), '--json'], {
    home,
  });
  assert.is(partial.code, 3);
  assert.is(JSON.parse(partial.stdout).exitCode, 3);
});

test('exit 1: an unexpected failure is one line, no stack trace', async () => {
  const home = newHome();
  writeFileSync(path.join(home, 'not-a-dir'), '');
  const r = await runCli(['collect', '--l1', 'local', '--no-input', '-o', 'x.zip'], {
    home,
    env: { TMPDIR: path.join(home, 'not-a-dir') },
  });
  assert.is(r.code, 1, r.stderr);
  oneLineError(
    r.stderr
      .split('\n')
      .filter((l) => l.startsWith('nestbug:'))
      .join('\n'),
  );
  assert.not.match(r.stderr, /\n\s+at /);
});

test('--json: stdout holds exactly one JSON document with the stable keys', async () => {
  const home = newHome();
  const r = await runCli(['check', '--l1', 'local', '--json'], { home });
  const result = JSON.parse(r.stdout);
  for (const key of ['bundle', 'exitCode', 'chain', 'levels', 'checks', 'collectors']) assert.ok(key in result, key);
  assert.is(result.bundle, null);
  for (const c of result.checks)
    for (const key of ['id', 'level', 'status', 'summary', 'fix', 'evidence']) assert.ok(key in c, key);
  assert.ok(Array.isArray(result.levels.L1.evidence));
  assert.is(r.code, result.exitCode);
  assert.match(r.stderr, /L1 local/, 'progress went to stderr');
});

test('--dry-run prints the plan and collects nothing', async () => {
  const home = newHome();
  const r = await runCli(['collect', '--l1', 'local', '--dry-run', '--no-input', '-o', 'never.zip'], { home });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /run {2}cpuinfo\s+\/proc\/cpuinfo/);
  assert.match(r.stdout, /skip sysinfo\s+skipped: applies to s390x only/);
  assert.match(r.stdout, /Dry run: nothing was collected/);
  assert.is(existsSync(path.join(home, 'never.zip')), false);
});

test('--version, help COMMAND and collectors', async () => {
  const home = newHome();
  const version = await runCli(['--version'], { home });
  assert.is(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  const help = await runCli(['help', 'collect'], { home });
  assert.is(help.code, 0);
  assert.match(help.stdout, /--l1-jump/);
  assert.match(help.stdout, /Exit status:/);
  const list = await runCli(['collectors', '--json'], { home });
  const items = JSON.parse(list.stdout);
  assert.ok(items.find((i: { id: string; doc: string }) => i.id === 'x86info' && /x86info -a/.test(i.doc)));
  const text = await runCli(['collectors'], { home });
  assert.match(text.stdout, /kernel doc: "Full dmesg output from L0"/);
});

test('without a TTY and without host flags, this machine is collected as the level it detects', async () => {
  const home = newHome();
  const r = await runCli(['collect', '-o', 'auto.zip'], { home });
  assert.ok([0, 3, 4].includes(r.code!), r.stderr);
  assert.match(r.stderr, /no level given; this machine is (inside a VM .*, so L1|no hypervisor seen, so L0)/);
  const top = unpack(path.join(home, 'auto.zip'));
  assert.ok(readdirSync(top).some((n) => n === 'L0' || n === 'L1'));
});

test.run();
