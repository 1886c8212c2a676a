// Hosts that flood, never answer, or allow one session at a time, made with a real sshd's
// own settings (ForceCommand, MaxSessions). nestbug stays bounded in time and memory,
// fails only the host in question with a clear reason, and keeps what it collected.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Manifest } from '../../src/bundle/manifest.ts';
import { type CliResult, newHome, readJson, runCli, unpack } from '../harness/cli.ts';
import { CLIENT_KEY, isRoot, startHost, type TestHost, writeKnownHosts } from '../harness/hosts.ts';
import { processesMatching } from '../harness/procs.ts';
import { skipTest } from '../harness/skip.ts';

const hostile = suite('hostile hosts');

/** Runs nestbug against `host` as L1 (L0 local) and records its peak memory. */
async function collectFrom(host: TestHost, extra: string[], options: { onPid?: (pid: number) => void } = {}) {
  const home = newHome();
  writeKnownHosts(path.join(home, '.ssh', 'known_hosts'), [host]);
  let peakKiB = 0;
  let pid = 0;
  const watch = setInterval(() => {
    try {
      const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (hwm) peakKiB = Math.max(peakKiB, Number(hwm[1]));
    } catch {
      // not started yet, or gone
    }
  }, 50);
  const started = Date.now();
  let r: CliResult;
  try {
    const args = [
      'collect',
      '--l0',
      'local',
      '--l1',
      `root@127.0.0.1:${host.port}`,
      '-i',
      CLIENT_KEY,
      '--no-input',
      '-o',
      'b.zip',
      ...extra,
    ];
    r = await runCli(args, {
      home,
      timeoutMs: 90000,
      onSpawn: (p) => {
        pid = p;
        options.onPid?.(p);
      },
    });
  } finally {
    clearInterval(watch);
  }
  const seconds = (Date.now() - started) / 1000;
  const manifest = readJson<Manifest>(path.join(unpack(path.join(home, 'b.zip')), 'manifest.json'));
  return {
    r,
    seconds,
    peakMiB: peakKiB / 1024,
    manifest,
    l1: manifest.levels.find((l) => l.level === 'L1')!,
    l0: manifest.levels.find((l) => l.level === 'L0')!,
  };
}

/** Ends the ForceCommand processes a test host left (by pid, found by their marker). */
function endLeftovers(marker: string): void {
  for (const p of processesMatching(marker)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

if (!isRoot()) {
  skipTest('integration/hostile-hosts', 'needs root (sshd with ForceCommand)');
} else {
  hostile(
    'ForceCommand yes: the probe stops at its cap, L1 fails with the reason, L0 is kept, memory stays small',
    async () => {
      const host = await startHost({ name: 'flooder', sshdExtra: ['ForceCommand yes nestbug-flood-probe'] });
      try {
        const { r, seconds, peakMiB, l1, l0 } = await collectFrom(host, []);
        assert.is(r.code, 3, r.stderr);
        assert.ok(seconds < 60, `took ${seconds} s`);
        assert.ok(peakMiB < 300, `peak memory ${peakMiB} MiB`);
        assert.is(l1.reached, false);
        assert.match(l1.error ?? '', /probe failed: .*more than 64 KiB/);
        assert.is(l0.reached, true);
        assert.ok(l0.items.some((i) => i.id === 'cpuinfo' && i.status === 'ok'));
      } finally {
        await host.stop();
        endLeftovers('nestbug-flood-probe');
      }
    },
  );

  hostile('ForceCommand sleep 3600 with --timeout 10: the probe gives up, the run ends, L0 is kept', async () => {
    const host = await startHost({ name: 'sleeper', sshdExtra: ['ForceCommand sleep 3600.25'] });
    try {
      const { r, seconds, l1, l0 } = await collectFrom(host, ['--timeout', '10']);
      assert.is(r.code, 3, r.stderr);
      assert.ok(seconds < 30, `took ${seconds} s`);
      assert.match(l1.error ?? '', /probe got no answer within 10 s/);
      assert.is(l0.reached, true);
    } finally {
      await host.stop();
      endLeftovers('sleep 3600.25');
    }
  });

  hostile(
    'ForceCommand sleep 3600: one SIGTERM while probing ends the run within seconds, with the bundle',
    async () => {
      const host = await startHost({ name: 'sleeper2', sshdExtra: ['ForceCommand sleep 3600.5'] });
      try {
        let sent = 0;
        const { r, manifest } = await collectFrom(host, ['--timeout', '600'], {
          onPid: (pid) => {
            const poll = setInterval(() => {
              if (processesMatching('sleep 3600.5').length === 0) return;
              clearInterval(poll);
              sent = Date.now();
              process.kill(pid, 'SIGTERM');
            }, 100);
          },
        });
        const afterSignal = (Date.now() - sent) / 1000;
        assert.ok(sent > 0, 'the host was reached');
        assert.is(r.code, 130, r.stderr);
        assert.ok(afterSignal < 10, `ended ${afterSignal} s after SIGTERM`);
        assert.is(manifest.interrupted, true);
      } finally {
        await host.stop();
        endLeftovers('sleep 3600.5');
      }
    },
  );

  hostile('MaxSessions 1: every item is collected, one channel at a time', async () => {
    const host = await startHost({ name: 'onesession', sshdExtra: ['MaxSessions 1'] });
    try {
      const { r, l1 } = await collectFrom(host, []);
      assert.ok([0, 4].includes(r.code!), `exit ${r.code}\n${r.stderr}`);
      const failed = l1.items.filter((i) => i.status === 'failed' || i.status === 'timed-out');
      // libvirt may be absent or not answering on the test machine: only transport failures count here.
      assert.equal(
        failed.filter((i) => /channel|open fail/i.test(i.reason ?? '')).map((i) => `${i.id}: ${i.reason}`),
        [],
      );
      assert.ok(l1.items.filter((i) => i.status === 'ok').length >= 10, 'most items collected');
      assert.is(l1.items.find((i) => i.id === 'cpuinfo')?.status, 'ok');
    } finally {
      await host.stop();
    }
  });
}

hostile.run();
