// A real systemd-journald holding this boot's kernel log, in a private mount namespace
// (a tmpfs over /run: nothing it writes reaches the machine), and a dmesg whose ring
// buffer "lost" the boot: the real dmesg without its first lines, first on PATH. The
// journald is stopped by its PID when nestbug is done.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers.ts';
import type { CliResult } from './cli.ts';
import { HARNESS } from './hosts.ts';
import { atExit } from './processes.ts';

const SCRIPT = `set -e
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/journal
/lib/systemd/systemd-journald & jpid=$!
trap 'kill $jpid 2>/dev/null; wait $jpid 2>/dev/null || true' EXIT
i=0
until journalctl -k -b 0 -q -n 1 -o cat 2>/dev/null | grep -q .; do
  i=$((i + 1)); [ $i -lt 40 ] || { echo "journald holds no kernel message after 20 s" >&2; exit 1; }
  sleep 0.5
done
shift
"$@"
`;

export function journaldAvailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (mount namespace)';
  return undefined;
}

export function nestbugWithWrappedDmesg(
  args: string[],
  options: { home: string; dropLines: number; timeoutMs?: number },
): Promise<CliResult> {
  const bin = mkdtempSync(path.join(HARNESS, 'bin-'));
  const realDmesg = ['/usr/bin/dmesg', '/bin/dmesg'].find((p) => p) ?? 'dmesg';
  writeFileSync(path.join(bin, 'dmesg'), `#!/bin/sh\n${realDmesg} "$@" | tail -n +${options.dropLines + 1}\n`);
  chmodSync(path.join(bin, 'dmesg'), 0o755);
  const env = { PATH: `${bin}:${process.env.PATH}`, HOME: options.home, LANG: 'C.UTF-8' };
  const argv = [
    '-m',
    '--propagation',
    'private',
    'sh',
    '-c',
    SCRIPT,
    'journal',
    '--',
    process.execPath,
    path.join(ROOT, 'bin', 'nestbug.js'),
    ...args,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', argv, { cwd: options.home, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const pid = child.pid;
    atExit(() => {
      if (pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`nestbug with a journal did not finish in ${options.timeoutMs ?? 120000} ms\n${stderr}`));
    }, options.timeoutMs ?? 120000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
