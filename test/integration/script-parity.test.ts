// nestbug-collect.sh against collect: the same items with the same statuses and the same
// verdict JSON, on this machine (under bash, dash and busybox sh) and on a real sshd host
// (the script sent over ssh and run there by the login shell). Then the script's own
// rules: timeouts kill the process group, the cap, scrubbing, root, sudo, outcomes.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ItemRecord, Manifest } from '../../src/bundle/manifest.ts';
import { newHome, readJson, runCli, unpack } from '../harness/cli.ts';
import { CLIENT_KEY, have, isRoot, startHost, type TestHost, writeKnownHosts } from '../harness/hosts.ts';
import { assertParity, manifestOf, type Run, spawnRun, statuses, verdictJson, writeScript } from '../harness/parity.ts';
import { skipTest } from '../harness/skip.ts';

const parity = suite<{ host?: TestHost }>('script-parity');
parity.before(async (ctx) => {
  ctx.host = await startHost({ name: 'parity-l0' });
});
parity.after(async (ctx) => {
  await ctx.host?.stop();
});

if (!isRoot() || !have('busybox') || !have('dash')) {
  skipTest('integration/script-parity', 'needs root, busybox and dash');
} else {
  parity(
    'this machine: collect --l1 local and script + merge give the same items, statuses and verdict (bash, dash, busybox sh)',
    async () => {
      const home = newHome();
      const script = await writeScript(home);
      const collectNow = async (name: string) => {
        const r = await runCli(
          ['collect', '--l1', 'local', '--timeout', '20', '--no-input', '--json', '-q', '-o', name],
          { home },
        );
        assert.ok([0, 3, 4].includes(r.code!), r.stderr);
        return { ...r, manifest: manifestOf(path.join(home, name)) };
      };
      let collect = await collectNow('collect.zip');
      for (const shell of [['bash'], ['dash'], ['busybox', 'sh']]) {
        const archive = path.join(home, `${shell[0]}-L1.tar.gz`);
        const run = await spawnRun([...shell, script, '--level', 'L1', '--timeout', '20', '-o', archive], {
          cwd: home,
        });
        assert.ok([0, 3].includes(run.code!), `${shell[0]}: exit ${run.code}\n${run.stderr}`);
        const merged = await runCli(['merge', archive, '--json', '-q', '-o', `${shell[0]}.zip`], { home });
        const mergedManifest = manifestOf(path.join(home, `${shell[0]}.zip`));
        const same = () =>
          merged.code === collect.code &&
          JSON.stringify(statuses(mergedManifest)) === JSON.stringify(statuses(collect.manifest)) &&
          JSON.stringify(verdictJson(merged.stdout)) === JSON.stringify(verdictJson(collect.stdout));
        // Other tests may start or stop QEMU guests on this machine between two runs: the
        // script's run is compared with collect before it, or else with collect after it.
        if (!same()) collect = await collectNow(`collect-after-${shell[0]}.zip`);
        assertParity(shell[0], { ...merged, manifest: mergedManifest }, collect);
      }
    },
  );

  parity(
    'a real sshd host: the script sent over ssh and run by the login shell matches collect over SSH',
    async ({ host }) => {
      const home = newHome();
      const kh = writeKnownHosts(path.join(home, '.ssh', 'known_hosts'), [host!]);
      const target = `root@127.0.0.1:${host!.port}`;
      const script = await writeScript(home);
      const collect = await runCli(
        [
          'collect',
          '--l0',
          target,
          '-i',
          CLIENT_KEY,
          '--timeout',
          '20',
          '--no-input',
          '--json',
          '-q',
          '-o',
          'collect.zip',
        ],
        { home },
      );
      assert.ok([0, 3, 4].includes(collect.code!), collect.stderr);
      // The archive comes back on stdout; the script's progress on stderr.
      const remote = `d=$(mktemp -d) && cat >"$d/s.sh" && sh "$d/s.sh" --level L0 --timeout 20 --target ${target} -o "$d/l0.tar.gz" >/dev/null; cat "$d/l0.tar.gz"; rm -rf "$d"`;
      const ssh = await spawnRun(
        [
          'ssh',
          '-i',
          CLIENT_KEY,
          '-o',
          `UserKnownHostsFile=${kh}`,
          '-o',
          'BatchMode=yes',
          '-p',
          String(host!.port),
          'root@127.0.0.1',
          remote,
        ],
        { input: readFileSync(script) },
      );
      assert.ok(ssh.stdout.length > 1000, `no archive came back:\n${ssh.stderr}`);
      writeFileSync(path.join(home, 'l0.tar.gz'), ssh.stdout);
      const merged = await runCli(['merge', 'l0.tar.gz', '--json', '-q', '-o', 'merged.zip'], { home });
      const m = manifestOf(path.join(home, 'merged.zip'));
      assert.is(m.levels[0].facts?.hostname, 'parity-l0', 'collected inside the sshd host');
      assertParity(
        'sshd host',
        { ...merged, manifest: m },
        { ...collect, manifest: manifestOf(path.join(home, 'collect.zip')) },
      );
    },
  );

  parity(
    'merge --redact: two levels from two hosts share one mapping; inspect of the archives gives the merged verdict',
    async ({ host }) => {
      const home = newHome();
      const kh = writeKnownHosts(path.join(home, '.ssh', 'known_hosts'), [host!]);
      const script = await writeScript(home);
      const remote = `d=$(mktemp -d) && cat >"$d/s.sh" && sh "$d/s.sh" --level L0 --timeout 20 -o "$d/l0.tar.gz" >/dev/null; cat "$d/l0.tar.gz"; rm -rf "$d"`;
      const ssh = await spawnRun(
        [
          'ssh',
          '-i',
          CLIENT_KEY,
          '-o',
          `UserKnownHostsFile=${kh}`,
          '-o',
          'BatchMode=yes',
          '-p',
          String(host!.port),
          'root@127.0.0.1',
          remote,
        ],
        { input: readFileSync(script) },
      );
      writeFileSync(path.join(home, 'l0.tar.gz'), ssh.stdout);
      const l1 = await spawnRun(
        ['sh', script, '--level', 'L1', '--timeout', '20', '-o', path.join(home, 'l1.tar.gz')],
        { cwd: home },
      );
      assert.ok([0, 3].includes(l1.code!), l1.stderr);
      const merged = await runCli(['merge', 'l0.tar.gz', 'l1.tar.gz', '--redact', '--json', '-q', '-o', 'red.zip'], {
        home,
      });
      assert.ok([0, 3, 4].includes(merged.code!), merged.stderr);
      const top = unpack(path.join(home, 'red.zip'));
      assert.ok(existsSync(path.join(top, 'L0', 'cpuinfo.txt')) && existsSync(path.join(top, 'L1', 'cpuinfo.txt')));
      const map = readJson<{ placeholders: Record<string, string> }>(path.join(home, 'red.zip.redaction-map.json'));
      const originals = Object.values(map.placeholders);
      assert.ok(originals.includes('parity-l0'), 'the L0 host name is in the one mapping');
      const l1Host = readFileSync('/proc/sys/kernel/hostname', 'utf8').trim();
      const manifest = readFileSync(path.join(top, 'manifest.json'), 'utf8');
      assert.not.ok(manifest.includes('"parity-l0"'), 'L0 host name replaced in the manifest');
      for (const level of ['L0', 'L1']) {
        const uname = readFileSync(path.join(top, level, 'uname.txt'), 'utf8');
        assert.not.ok(uname.includes(' parity-l0 '), `${level}/uname.txt redacted`);
        if (originals.includes(l1Host)) assert.not.ok(uname.includes(` ${l1Host} `), `${level}/uname.txt redacted`);
      }
      const plain = await runCli(['merge', 'l0.tar.gz', 'l1.tar.gz', '--json', '-q', '-o', 'plain.zip'], { home });
      const inspect = await runCli(['inspect', 'l0.tar.gz', 'l1.tar.gz', '--json'], { home });
      assert.is(inspect.code, plain.code, inspect.stderr);
      const strip = (text: string) => {
        const j = JSON.parse(text) as Record<string, unknown>;
        delete j.bundle;
        return j;
      };
      assert.equal(strip(inspect.stdout), strip(plain.stdout));
      const twice = await runCli(['merge', 'l0.tar.gz', 'l0.tar.gz', '-o', 'x.zip'], { home });
      assert.is(twice.code, 2);
      assert.match(twice.stderr, /two archives for L0/);
    },
  );

  const SITE = `
- id: slow-tree
  title: a process tree that outlives its timeout
  timeout: 2
  script: |
    sh -c 'echo $$ > "$NB_TEST_DIR/child.pid"; exec sleep 300' &
    echo started; wait
- id: big
  title: more output than the cap
  script: "yes nestbug | head -c 300000"
- id: planted-secret
  title: a QEMU command line with a password
  scrub: qemu-secrets
  script: |
    printf '%s\\n' '-spice port=5900,password=hunter2,addr=0.0.0.0' 'HOME=/root/secretplace \\' '-vnc :0,password=on'
- id: root-only
  title: needs root
  needsRoot: always
  command: [id, -u]
- id: known-fact
  title: a known non-zero outcome
  script: "echo 'this host has no such table' >&2; exit 3"
  outcomes:
    - when: "no such (table|thing)"
      status: skipped
      reason: "the host has none"
- id: plain-failure
  title: a real failure
  script: "echo 'broken here' >&2; exit 5"
- id: missing-tool
  title: a tool that is not installed
  command: [nestbug-no-such-tool]
  tool: nestbug-no-such-tool
  package: nestbug-tools
`;

  parity(
    'the script kills a timed-out item with its process group, caps, scrubs, and reports outcomes (dash and busybox)',
    async () => {
      const home = newHome();
      writeFileSync(path.join(home, 'site.yaml'), SITE);
      const script = await writeScript(home, ['--collectors', 'site.yaml']);
      for (const shell of [['dash'], ['busybox', 'sh']]) {
        const dir = path.join(home, shell[0]);
        (await import('node:fs')).mkdirSync(dir);
        const archive = path.join(dir, 'l0.tar.gz');
        const run = await spawnRunEnv([...shell, script, '--level', 'L0', '--max-output', '100000', '-o', archive], {
          NB_TEST_DIR: dir,
        });
        assert.is(run.code, 3, `a failed item gives exit 3 (${shell[0]})\n${run.stderr}`);
        const top = unpack(archive);
        const items = readJson<Manifest>(path.join(top, 'manifest.json')).levels[0].items;
        const item = (id: string) => items.find((i) => i.id === id) as ItemRecord;
        assert.is(item('slow-tree').status, 'timed-out');
        assert.match(item('slow-tree').reason!, /no answer within 2 s; the command was killed/);
        const pid = Number(readFileSync(path.join(dir, 'child.pid'), 'utf8'));
        await new Promise((r) => setTimeout(r, 300));
        assert.ok(gone(pid), `the grandchild ${pid} was killed with the group (${shell[0]})`);
        assert.is(item('big').status, 'ok');
        assert.is(item('big').truncated, true);
        const big = readFileSync(path.join(top, 'L0', 'big.txt'), 'utf8');
        assert.ok(
          big.endsWith('[nestbug: output truncated here at 100000 bytes (--max-output); the manifest records it]\n'),
        );
        assert.is(item('big').bytes, Buffer.byteLength(big));
        const secret = readFileSync(path.join(top, 'L0', 'planted-secret.txt'), 'utf8');
        assert.is(
          secret,
          '-spice port=5900,password=<redacted>,addr=0.0.0.0\nHOME=<redacted> \\\n-vnc :0,password=on\n',
        );
        assert.is(item('root-only').status, 'ok', 'root runs root-only items');
        assert.is(item('known-fact').status, 'skipped');
        assert.is(item('known-fact').reason, 'the host has none');
        assert.is(item('plain-failure').status, 'failed');
        assert.is(item('plain-failure').reason, 'exit code 5: broken here');
        assert.is(item('plain-failure').stderr, 'broken here\n');
        assert.is(item('missing-tool').status, 'not-installed');
        assert.is(item('missing-tool').reason, 'nestbug-no-such-tool is not installed (package: nestbug-tools)');
        const all = readdirSync(path.join(top, 'L0'), { recursive: true, encoding: 'utf8' })
          .filter((f) => statSync(path.join(top, 'L0', f)).isFile())
          .map((f) => readFileSync(path.join(top, 'L0', f), 'latin1'))
          .join('\n');
        // (the manifest names the item's own script as its source, as collect's does)
        assert.not.match(all, /hunter2|secretplace/);
      }
    },
  );

  parity(
    'as a normal user: root items skipped with the reason; with --sudo (NOPASSWD) they run through sudo',
    async ({ host }) => {
      const home = newHome();
      const kh = writeKnownHosts(path.join(home, '.ssh', 'known_hosts'), [host!]);
      const script = readFileSync(await writeScript(home));
      for (const [user, flags] of [
        ['nbplain', ''],
        ['nbsudo', '--sudo'],
      ]) {
        const remote = `d=$(mktemp -d) && cat >"$d/s.sh" && sh "$d/s.sh" --level L0 ${flags} -o "$d/a.tar.gz" >/dev/null; cat "$d/a.tar.gz"; rm -rf "$d"`;
        const ssh = await spawnRun(
          [
            'ssh',
            '-i',
            CLIENT_KEY,
            '-o',
            `UserKnownHostsFile=${kh}`,
            '-o',
            'BatchMode=yes',
            '-p',
            String(host!.port),
            `${user}@127.0.0.1`,
            remote,
          ],
          { input: script },
        );
        assert.ok(ssh.stdout.length > 1000, `${user}: no archive came back:\n${ssh.stderr}`);
        writeFileSync(path.join(home, `${user}.tar.gz`), ssh.stdout);
        const level = readJson<Manifest>(path.join(unpack(path.join(home, `${user}.tar.gz`)), 'manifest.json'))
          .levels[0];
        const dmidecode = level.items.find((i) => i.id === 'dmidecode')!;
        if (user === 'nbplain') {
          assert.is(level.facts?.privilege, 'none');
          assert.is(dmidecode.status, 'skipped');
          assert.match(dmidecode.reason!, /^needs root: running as nbplain, not root; pass --sudo/);
        } else {
          assert.is(level.facts?.privilege, 'sudo');
          assert.is(dmidecode.status, 'ok', JSON.stringify(dmidecode));
          assert.is(dmidecode.asRoot, true);
          assert.is(level.items.find((i) => i.id === 'kvm-params')!.asRoot, false);
        }
      }
    },
  );
}

/** Gone, or a zombie: PID 1 here may not reap orphans, but a zombie runs nothing. */
function gone(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return true;
  return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

function spawnRunEnv(argv: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
  });
}

parity.run();
