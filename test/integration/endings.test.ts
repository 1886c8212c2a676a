// Output paths and endings, against the real CLI process: -o never replaces a device, a
// FIFO or a link; an existing file only with --force; and whatever ends a run (a second
// Ctrl-C, SIGHUP, a closed pipe, Ctrl-C while connecting) leaves no `*.partial-*` file,
// no spool folder and no local child process.
import { spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Manifest } from '../../src/bundle/manifest.ts';
import { newHome, readJson, runCli, unpack } from '../harness/cli.ts';
import { HARNESS, have, isRoot } from '../harness/hosts.ts';
import { killPid, run } from '../harness/processes.ts';
import { processesMatching } from '../harness/procs.ts';
import { skipTest } from '../harness/skip.ts';
import { Terminal } from '../harness/tmux.ts';
import { ROOT } from '../helpers.ts';

const endings = suite('endings');

/** A private TMPDIR per run: the spool must be gone from it, whatever other runs do. */
function privateTmp(): string {
  return mkdtempSync(path.join(HARNESS, 'tmp-'));
}

function siteCollector(home: string, script: string): string {
  const file = path.join(home, 'site.yaml');
  writeFileSync(file, `- id: slow\n  title: slow\n  script: ${JSON.stringify(script)}\n  doc: test\n`);
  return file;
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function assertNoLeftovers(home: string, tmp: string, marker?: string): void {
  assert.equal(
    readdirSync(home).filter((f) => f.includes('.partial-')),
    [],
    'no partial archive',
  );
  assert.equal(readdirSync(tmp), [], 'no spool folder in TMPDIR');
  if (marker) {
    const left = processesMatching(marker);
    for (const p of left) killPid(p.pid);
    assert.equal(
      left.map((p) => p.cmdline),
      [],
      'no local child left running',
    );
  }
}

if (!isRoot()) {
  skipTest('integration/endings', 'needs root (mknod)');
} else {
  endings('-o: a device node, a FIFO, a socket-like link, a directory are refused; nothing is replaced', async () => {
    const home = newHome();
    run(['mknod', path.join(home, 'null-dev'), 'c', '1', '3']);
    run(['mkfifo', path.join(home, 'fifo.zip')]);
    writeFileSync(path.join(home, 'target.zip'), 'keep me');
    symlinkSync(path.join(home, 'target.zip'), path.join(home, 'link.zip'));
    symlinkSync('/proc/self/fd/1', path.join(home, 'stdout'));
    mkdirSync(path.join(home, 'dir.zip'));
    const cases: Array<[string, RegExp]> = [
      ['null-dev', /is a device, not a regular file/],
      ['fifo.zip', /is a FIFO, not a regular file/],
      ['link.zip', /is a symbolic link/],
      ['stdout', /is a symbolic link/],
      ['dir.zip', /is a directory/],
    ];
    for (const [name, message] of cases) {
      const r = await runCli(['collect', '--l1', 'local', '--no-input', '--force', '-o', name], {
        home,
        timeoutMs: 60000,
      });
      assert.is(r.code, 2, `${name}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, message);
      assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.ok(lstatSync(path.join(home, 'null-dev')).isCharacterDevice(), 'the device node is still there');
    assert.ok(lstatSync(path.join(home, 'fifo.zip')).isFIFO());
    assert.is(readlinkSync(path.join(home, 'link.zip')), path.join(home, 'target.zip'));
    assert.is(readlinkSync(path.join(home, 'stdout')), '/proc/self/fd/1');
    assert.is(readFileSync(path.join(home, 'target.zip'), 'utf8'), 'keep me');
  });

  endings('-o: an existing file is kept without --force and replaced with it', async () => {
    const home = newHome();
    const tmp = privateTmp();
    writeFileSync(path.join(home, 'old.zip'), 'previous bundle');
    const refused = await runCli(['collect', '--l1', 'local', '--no-input', '-o', 'old.zip'], {
      home,
      env: { TMPDIR: tmp },
    });
    assert.is(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /old\.zip: the file exists; pass --force/);
    assert.is(readFileSync(path.join(home, 'old.zip'), 'utf8'), 'previous bundle');
    const forced = await runCli(['collect', '--l1', 'local', '--no-input', '--force', '-o', 'old.zip'], {
      home,
      env: { TMPDIR: tmp },
      timeoutMs: 180000,
    });
    assert.ok([0, 3, 4].includes(forced.code!), forced.stderr);
    const manifest = readJson<Manifest>(path.join(unpack(path.join(home, 'old.zip')), 'manifest.json'));
    assert.is(manifest.levels[0].level, 'L1');
    assertNoLeftovers(home, tmp);
  });

  const askTest = have('tmux') ? endings : endings.skip;
  askTest('-o: at a terminal an existing file is asked about; no keeps it, yes replaces it', async () => {
    const home = newHome();
    writeFileSync(path.join(home, 'asked.zip'), 'previous bundle');
    for (const answer of ['n', 'y']) {
      const term = Terminal.start(['collect', '--l1', 'local', '-o', 'asked.zip'], { home, cwd: home });
      try {
        await term.waitFor(/asked\.zip exists\. Replace it\? \(y\/N\)/);
        term.type(answer);
        term.keys('Enter');
        const screen = await term.waitFor(/EXIT=\d+/, 180000);
        const code = Number(/EXIT=(\d+)/.exec(screen)![1]);
        if (answer === 'n') {
          assert.is(code, 2, screen);
          assert.is(readFileSync(path.join(home, 'asked.zip'), 'utf8'), 'previous bundle');
        } else {
          assert.ok([0, 3, 4].includes(code), screen);
          assert.is(
            readJson<Manifest>(path.join(unpack(path.join(home, 'asked.zip')), 'manifest.json')).levels[0].level,
            'L1',
          );
        }
      } finally {
        term.close();
      }
    }
  });

  endings(
    'a second Ctrl-C quits at once: no partial file, no spool, the local item that ignores SIGTERM is killed',
    async () => {
      const home = newHome();
      const tmp = privateTmp();
      const site = siteCollector(home, "trap '' TERM; sleep 37.1");
      let pid = 0;
      const done = runCli(['collect', '--l1', 'local', '--collectors', site, '--no-input', '-o', 'b.zip'], {
        home,
        env: { TMPDIR: tmp },
        onSpawn: (p) => (pid = p),
      });
      await waitFor(() => processesMatching('sleep 37.1').length > 0, 60000, 'the slow item');
      process.kill(pid, 'SIGINT');
      await new Promise((r) => setTimeout(r, 300));
      const second = Date.now();
      process.kill(pid, 'SIGINT');
      const r = await done;
      assert.is(r.code, 130, r.stderr);
      assert.ok(Date.now() - second < 3000, 'quits at once');
      await new Promise((r) => setTimeout(r, 300));
      assertNoLeftovers(home, tmp, 'sleep 37.1');
    },
  );

  endings(
    'SIGHUP (the terminal closed) stops like Ctrl-C: the bundle is written, marked interrupted, nothing left',
    async () => {
      const home = newHome();
      const tmp = privateTmp();
      const site = siteCollector(home, 'sleep 37.2');
      let pid = 0;
      const done = runCli(['collect', '--l1', 'local', '--collectors', site, '--no-input', '-o', 'h.zip'], {
        home,
        env: { TMPDIR: tmp },
        onSpawn: (p) => (pid = p),
      });
      await waitFor(() => processesMatching('sleep 37.2').length > 0, 60000, 'the slow item');
      const sent = Date.now();
      process.kill(pid, 'SIGHUP');
      const r = await done;
      assert.is(r.code, 130, r.stderr);
      assert.ok(Date.now() - sent < 15000, 'within seconds');
      assert.is(readJson<Manifest>(path.join(unpack(path.join(home, 'h.zip')), 'manifest.json')).interrupted, true);
      await new Promise((r) => setTimeout(r, 500));
      assertNoLeftovers(home, tmp, 'sleep 37.2');
    },
  );

  endings('a closed stdout/stderr pipe (| head -2): the run goes on, writes its bundle, leaves nothing', async () => {
    const home = newHome();
    const tmp = privateTmp();
    const cli = path.join(ROOT, 'bin', 'nestbug.js');
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(
        'bash',
        [
          '-c',
          `"${process.execPath}" "${cli}" collect --l1 local --no-input -o p.zip 2>&1 | head -2 >/dev/null; exit \${PIPESTATUS[0]}`,
        ],
        {
          cwd: home,
          env: { PATH: process.env.PATH, HOME: home, TMPDIR: tmp, LANG: 'C.UTF-8' },
          stdio: 'ignore',
        },
      );
      const timer = setTimeout(() => child.kill('SIGKILL'), 180000);
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.ok([0, 3, 4].includes(code!), `nestbug ended with ${code}`);
    const manifest = readJson<Manifest>(path.join(unpack(path.join(home, 'p.zip')), 'manifest.json'));
    assert.ok(
      manifest.levels[0].items.some((i) => i.status === 'ok'),
      'the bundle holds the collection',
    );
    assertNoLeftovers(home, tmp);
  });

  endings('Ctrl-C while connecting to a host that never answers ends the run within seconds', async () => {
    const home = newHome();
    const tmp = privateTmp();
    // Accepts and stays silent: the SSH banner never comes.
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      let pid = 0;
      const done = runCli(['collect', '--l1', `root@127.0.0.1:${port}`, '--no-input', '-o', 'c.zip'], {
        home,
        env: { TMPDIR: tmp },
        onSpawn: (p) => (pid = p),
      });
      await waitFor(() => sockets.length > 0, 20000, 'the connection attempt');
      await new Promise((r) => setTimeout(r, 500));
      const sent = Date.now();
      process.kill(pid, 'SIGINT');
      const r = await done;
      assert.ok(Date.now() - sent < 5000, `took ${Date.now() - sent} ms after Ctrl-C`);
      assert.is(r.code, 130, r.stderr);
      // Interrupted before any level was reached: nothing was collected, so no bundle.
      assert.not.ok(existsSync(path.join(home, 'c.zip')), 'no bundle of nothing');
      assert.match(r.stderr, /Nothing was collected/);
      assertNoLeftovers(home, tmp);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
}

endings.run();
