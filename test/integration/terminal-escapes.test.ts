// Terminal control characters from hosts are shown escaped: a real hostname with an OSC
// title sequence (set in a UTS namespace), a real QEMU process named with one, and
// archive entry names with them. Nothing nestbug prints, nor summary.md, holds them raw.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { newHome, runCli, unpack } from '../harness/cli.ts';
import { HARNESS, have, isRoot } from '../harness/hosts.ts';
import { startProcess, stopProcess } from '../harness/processes.ts';
import { skipTest } from '../harness/skip.ts';
import { ROOT } from '../helpers.ts';

// ESC, BEL, CSI as one C1 byte, a bidi override: what a terminal would act on.
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/;
const HOSTNAME = '\u001b]0;host-title\u0007nb-esc-host';
const GUEST = '\u001b]0;guest-title\u0007nb-esc-guest\u009b2J\u202e';

const escapes = suite<{ qemu?: ReturnType<typeof startProcess> }>('terminal escapes');

function assertClean(what: string, text: string): void {
  const m = RAW.exec(text);
  assert.not.ok(
    m,
    `${what} holds a raw control character ${JSON.stringify(m?.[0])} near ${JSON.stringify(text.slice(Math.max(0, (m?.index ?? 0) - 40), (m?.index ?? 0) + 40))}`,
  );
}

/** The CLI in its own UTS namespace, under a hostname with control characters. */
function runUnderHostname(
  args: string[],
  home: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const script = 'printf "%s" "$NB_HOSTNAME" > /proc/sys/kernel/hostname && exec "$@"';
    const child = spawn(
      'unshare',
      ['--uts', 'sh', '-c', script, 'sh', process.execPath, path.join(ROOT, 'bin', 'nestbug.js'), ...args],
      {
        cwd: home,
        env: { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', NO_COLOR: '1', NB_HOSTNAME: HOSTNAME },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

escapes.before((ctx) => {
  if (!isRoot() || !have('qemu-system-x86_64')) return;
  ctx.qemu = startProcess(
    'escape-named qemu',
    [
      'qemu-system-x86_64',
      '-name',
      `guest=${GUEST}`,
      '-machine',
      'q35,accel=tcg',
      '-S',
      '-display',
      'none',
      '-nodefaults',
    ],
    path.join(HARNESS, 'escape-qemu.log'),
  );
});
escapes.after(async (ctx) => {
  if (ctx.qemu) await stopProcess(ctx.qemu);
});

if (!isRoot() || !have('qemu-system-x86_64')) {
  skipTest('integration/terminal-escapes', 'needs root (unshare) and QEMU');
} else {
  escapes(
    'a hostname and a guest name with escape sequences: progress, report, JSON and summary.md show them escaped',
    async () => {
      const home = newHome();
      const r = await runUnderHostname(['collect', '--l1', 'local', '--no-input', '-o', 'e.zip'], home);
      assert.ok([0, 3, 4].includes(r.code!), `exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, /\\x1b\]0;host-title\\x07nb-esc-host/, 'the hostname is shown, escaped');
      assertClean('stderr', r.stderr);
      const top = unpack(path.join(home, 'e.zip'));
      const summary = readFileSync(path.join(top, 'summary.md'), 'utf8');
      assert.match(summary, /nb-esc-guest/, 'the guest is named in the summary');
      assertClean('summary.md', summary);
      const json = await runUnderHostname(['collect', '--l1', 'local', '--no-input', '--json', '-o', 'j.zip'], home);
      assertClean('--json stdout', json.stdout);
      assertClean('--json stderr', json.stderr);
      assert.match(JSON.stringify(JSON.parse(json.stdout)), /nb-esc-guest/);
      for (const args of [['e.zip'], ['e.zip', '--summary'], ['e.zip', '--json']]) {
        const i = await runCli(['inspect', ...args], { home, env: { NO_COLOR: '1' } });
        assert.match(i.stdout, /nb-esc-guest/, `inspect ${args.join(' ')} names the guest`);
        assertClean(`inspect ${args.join(' ')}`, i.stdout + i.stderr);
      }
    },
  );
}

escapes('archive entry names with escape sequences are shown escaped by inspect', async () => {
  const home = newHome();
  execFileSync(
    'python3',
    [
      '-c',
      `
import zipfile
z = zipfile.ZipFile('names.zip', 'w')
z.writestr('nestbug-x/L1/cpuinfo.txt', 'flags : vmx\\n')
z.writestr('nestbug-x/L0/libvirt/\\x1b]0;entry-title\\x07nb-esc-entry.log', '2026-11-26 10:00:00.000+0000: starting up libvirt version: 9.0.0\\nLC_ALL=C /usr/bin/qemu-system-x86_64 -name guest=x -accel tcg\\n')
z.writestr('nestbug-x/L1/' + '\\x1b]0;long-title\\x07' + 'a' * 300 + '.txt', 'x')
z.close()`,
    ],
    { cwd: home },
  );
  const r = await runCli(['inspect', 'names.zip'], { home });
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /too long/);
  assertClean('inspect stderr', r.stderr);
});

escapes.run();
