// A systemd-nspawn container on this machine's own root (volatile: nothing it writes
// stays), with the repository read-only inside, running the built CLI. Each run starts
// its container and stops it by PID; nothing on the machine is changed.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers.ts';
import { HARNESS } from './hosts.ts';
import { atExit, run } from './processes.ts';

export interface ContainerRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Host folder mounted at /mnt/out inside (the container's HOME and working folder). */
  outDir: string;
}

export function nspawnAvailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  const which = run(['sh', '-c', 'command -v systemd-nspawn || true']).trim();
  return which ? undefined : 'systemd-nspawn is not installed (package systemd-container)';
}

// systemd-nspawn leaves these (empty) on the host; the tests remove what they created.
const NSPAWN_STATE = ['/run/systemd/nspawn/propagate', '/run/systemd/nspawn', '/run/systemd/nspawn-root'];
const stateBefore = new Set(NSPAWN_STATE.filter((d) => existsSync(d)));
atExit(() => {
  for (const dir of NSPAWN_STATE) {
    if (stateBefore.has(dir)) continue;
    try {
      rmdirSync(dir);
    } catch {
      // not empty (another container runs) or gone
    }
  }
});
let runs = 0;

/** Runs `nestbug ARGS` in a fresh container; `kvm` hands it /dev/kvm, `user` runs it as that user. */
export function nestbugInContainer(
  args: string[],
  options: { kvm: boolean; user?: string; timeoutMs?: number },
): Promise<ContainerRun> {
  const outDir = mkdtempSync(path.join(HARNESS, 'container-'));
  chmodSync(outDir, 0o777);
  const argv = [
    '--register=no',
    '--keep-unit',
    '--quiet',
    '--pipe',
    `--machine=nestbug-${process.pid}-${++runs}`,
    '--directory=/',
    '--volatile=yes',
    '--as-pid2',
    '--bind-ro=/etc',
    `--bind-ro=${ROOT}`,
    `--bind=${outDir}:/mnt/out`,
    '--chdir=/mnt/out',
    '--setenv=HOME=/mnt/out',
    '--setenv=LANG=C.UTF-8',
    ...(options.kvm ? ['--bind=/dev/kvm'] : []),
    ...(options.user ? [`--user=${options.user}`] : []),
    '--',
    process.execPath,
    path.join(ROOT, 'bin', 'nestbug.js'),
    ...args,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('systemd-nspawn', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const pid = child.pid;
    const killIt = () => {
      if (pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
    };
    atExit(killIt);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // SIGTERM first: nspawn then stops the container's processes itself.
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      setTimeout(killIt, 5000).unref();
      reject(new Error(`the container did not finish in ${options.timeoutMs ?? 150000} ms\n${stderr}`));
    }, options.timeoutMs ?? 150000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, outDir });
    });
  });
}
