// Faults against real processes: hangs, floods, odd bytes, a connection dropped mid-way,
// Ctrl-C, a full disk. Nothing collected is lost, nothing is left running.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Manifest } from '../../src/bundle/manifest.ts';
import { newHome, readJson, runCli, unpack } from '../harness/cli.ts';
import { CLIENT_KEY, isRoot, startHost, type TestHost, writeKnownHosts } from '../harness/hosts.ts';
import { run } from '../harness/processes.ts';
import { childrenOf, processesMatching } from '../harness/procs.ts';
import { skipTest } from '../harness/skip.ts';

const faults = suite<{ host?: TestHost }>('faults');
faults.before(async (ctx) => {
  ctx.host = await startHost({ name: 'faulty' });
});
faults.after(async (ctx) => {
  await ctx.host?.stop();
});

function collectorsFile(home: string, yaml: string): string {
  const file = path.join(home, 'site.yaml');
  writeFileSync(file, yaml);
  return file;
}

// The command itself, not the shells whose argv carries its text.
const sleepers = (marker: string) => processesMatching(marker).filter((p) => p.cmdline.startsWith(marker));

if (!isRoot()) {
  skipTest('integration/faults', 'needs root');
} else {
  faults('a hanging command is killed on the remote host at --timeout, its children too', async ({ host }) => {
    const home = newHome();
    writeKnownHosts(path.join(home, '.ssh', 'known_hosts'), [host!]);
    const site = collectorsFile(
      home,
      `- id: hang\n  title: hangs\n  script: |\n    sleep 41.7 &\n    sleep 41.8\n    echo never\n  doc: test\n`,
    );
    const started = Date.now();
    const r = await runCli(
      [
        'collect',
        '--l1',
        `root@127.0.0.1:${host!.port}`,
        '-i',
        CLIENT_KEY,
        '--collectors',
        site,
        '--timeout',
        '2',
        '--no-input',
        '-o',
        'b.zip',
      ],
      { home },
    );
    assert.ok(Date.now() - started < 30000, 'returns soon after the timeout');
    assert.is(r.code, 3);
    const manifest = readJson<Manifest>(path.join(unpack(path.join(home, 'b.zip')), 'manifest.json'));
    const item = manifest.levels[0].items.find((i) => i.id === 'hang')!;
    assert.is(item.status, 'timed-out');
    await new Promise((res) => setTimeout(res, 3500));
    assert.equal(sleepers('sleep 41.'), [], 'no orphan left on the host');
  });

  faults('a flood is capped with a marker in the file and the manifest; the command is stopped', async ({ host }) => {
    const home = newHome();
    writeKnownHosts(path.join(home, '.ssh', 'known_hosts'), [host!]);
    const site = collectorsFile(
      home,
      `- id: flood\n  title: floods\n  script: exec yes nestbug-flood-7\n  doc: test\n`,
    );
    const r = await runCli(
      [
        'collect',
        '--l1',
        `root@127.0.0.1:${host!.port}`,
        '-i',
        CLIENT_KEY,
        '--collectors',
        site,
        '--max-output',
        '1M',
        '--no-input',
        '-o',
        'b.zip',
      ],
      { home, timeoutMs: 60000 },
    );
    assert.ok([0, 4].includes(r.code!), `a capped item is not a failure: ${r.code}\n${r.stderr}`);
    const top = unpack(path.join(home, 'b.zip'));
    const item = readJson<Manifest>(path.join(top, 'manifest.json')).levels[0].items.find((i) => i.id === 'flood')!;
    assert.is(item.truncated, true);
    const data = readFileSync(path.join(top, 'L1', 'flood.txt'), 'utf8');
    assert.ok(data.length < 1024 * 1024 + 200);
    assert.match(data, /\[nestbug: output truncated here at 1048576 bytes/);
    assert.match(readFileSync(path.join(top, 'summary.md'), 'utf8'), /`flood`: truncated/);
    await new Promise((res) => setTimeout(res, 3500));
    assert.equal(sleepers('yes nestbug-flood-7'), []);
  });

  faults('bytes that are not UTF-8, and NUL bytes, are stored exactly', async ({ host }) => {
    const home = newHome();
    writeKnownHosts(path.join(home, '.ssh', 'known_hosts'), [host!]);
    const site = collectorsFile(
      home,
      `- id: binary\n  title: odd bytes\n  script: printf 'a\\000b\\377\\376\\300\\015\\012end'\n  doc: test\n`,
    );
    await runCli(
      [
        'collect',
        '--l1',
        `root@127.0.0.1:${host!.port}`,
        '-i',
        CLIENT_KEY,
        '--collectors',
        site,
        '--no-input',
        '-o',
        'b.tar.gz',
      ],
      { home },
    );
    const top = unpack(path.join(home, 'b.tar.gz'));
    assert.equal(
      [...readFileSync(path.join(top, 'L1', 'binary.txt'))],
      [0x61, 0, 0x62, 0xff, 0xfe, 0xc0, 0x0d, 0x0a, 0x65, 0x6e, 0x64],
    );
  });

  faults(
    'a connection dropped mid-collection: that host is marked lost, the other level and what came before are kept',
    async ({ host }) => {
      const home = newHome();
      writeKnownHosts(path.join(home, '.ssh', 'known_hosts'), [host!]);
      const site = collectorsFile(home, `- id: slow\n  title: slow\n  script: sleep 12.3\n  doc: test\n`);
      const sshdPid = host!.process.pid!;
      const before = new Set(childrenOf(sshdPid));
      const killer = setInterval(() => {
        // the per-connection sshd process appears under the listener; kill it once items run
        const fresh = childrenOf(sshdPid).filter((p) => !before.has(p));
        if (fresh.length && sleepers('sleep 12.3').length) {
          for (const p of fresh) run(['kill', '-9', String(p)], { allowFail: true });
          clearInterval(killer);
        }
      }, 100);
      const r = await runCli(
        [
          'collect',
          '--l0',
          'local',
          '--l1',
          `root@127.0.0.1:${host!.port}`,
          '-i',
          CLIENT_KEY,
          '--collectors',
          site,
          '--timeout',
          '20',
          '--no-input',
          '-o',
          'b.zip',
        ],
        { home },
      );
      clearInterval(killer);
      assert.is(r.code, 3, r.stderr);
      const top = unpack(path.join(home, 'b.zip'));
      const manifest = readJson<Manifest>(path.join(top, 'manifest.json'));
      const l1 = manifest.levels.find((l) => l.level === 'L1')!;
      assert.ok(l1.lostAt, 'the time the connection was lost');
      assert.match(l1.error!, /connection lost/);
      assert.ok(
        l1.items.some((i) => i.status === 'ok'),
        'items finished before the drop are kept',
      );
      assert.is(manifest.levels.find((l) => l.level === 'L0')!.reached, true);
      assert.ok(readdirSync(path.join(top, 'L0')).includes('cpuinfo.txt'));
      assert.match(readFileSync(path.join(top, 'summary.md'), 'utf8'), /connection lost/);
      await new Promise((res) => setTimeout(res, 3500));
      assert.equal(sleepers('sleep 12.3'), [], 'the dropped connection killed its commands');
    },
  );

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    faults(
      `${signal} during collection: stops quickly, writes the partial bundle marked interrupted, leaves no temp files`,
      async ({ host }) => {
        const home = newHome();
        writeKnownHosts(path.join(home, '.ssh', 'known_hosts'), [host!]);
        const site = collectorsFile(
          home,
          `- id: slow\n  title: slow\n  script: sleep 33.${signal.length}\n  doc: test\n`,
        );
        // A temp folder of this run only: other test runs on the machine come and go in /tmp.
        const tmp = path.join(home, 'tmp');
        mkdirSync(tmp);
        let pid = 0;
        const sent = setInterval(() => {
          if (pid && sleepers(`sleep 33.${signal.length}`).length) {
            process.kill(pid, signal);
            clearInterval(sent);
          }
        }, 100);
        const started = Date.now();
        const r = await runCli(
          [
            'collect',
            '--l0',
            'local',
            '--l1',
            `root@127.0.0.1:${host!.port}`,
            '-i',
            CLIENT_KEY,
            '--collectors',
            site,
            '--no-input',
            '-o',
            'i.zip',
          ],
          { home, env: { TMPDIR: tmp }, onSpawn: (p) => (pid = p) },
        );
        clearInterval(sent);
        assert.is(r.code, 130, r.stderr);
        assert.ok(Date.now() - started < 25000, 'stopped quickly');
        const top = unpack(path.join(home, 'i.zip'));
        const manifest = readJson<Manifest>(path.join(top, 'manifest.json'));
        assert.is(manifest.interrupted, true);
        assert.match(readFileSync(path.join(top, 'summary.md'), 'utf8'), /interrupted/);
        assert.equal(
          readdirSync(home).filter((f) => f.includes('partial')),
          [],
        );
        assert.equal(readdirSync(tmp), [], 'spool removed');
        await new Promise((res) => setTimeout(res, 3500));
        assert.equal(sleepers(`sleep 33.${signal.length}`), []);
      },
    );
  }

  faults('a full disk at the output: a clean one-line failure, no broken archive, no temp file', async () => {
    const home = newHome();
    const small = path.join(home, 'small');
    mkdirSync(small);
    run(['mount', '-t', 'tmpfs', '-o', 'size=16k', 'nestbug-test-full', small]);
    try {
      const r = await runCli(['collect', '--l1', 'local', '--no-input', '-o', path.join(small, 'b.zip')], { home });
      assert.is(r.code, 1, r.stderr);
      assert.match(r.stderr, /nestbug: .*cannot write the bundle .*ENOSPC|no space/i);
      assert.not.match(r.stderr, /\n\s+at /);
      assert.equal(readdirSync(small), []);
    } finally {
      run(['umount', small], { allowFail: true });
    }
  });

  faults.run();
}
