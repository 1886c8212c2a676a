// Every process a test starts is recorded and stopped by its PID, also when the test run
// dies: nothing is looked up or killed by name.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { openSync } from 'node:fs';

const running = new Map<number, string>();
const cleanups: Array<() => void> = [];

function stopAllSync(): void {
  // Cleanups first: they may need a daemon that is still running (virsh destroy).
  for (const c of cleanups.splice(0).reverse()) {
    try {
      c();
    } catch {
      // best effort
    }
  }
  for (const [pid] of running) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  running.clear();
}
process.on('exit', stopAllSync);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    stopAllSync();
    process.exit(130);
  });
}

/** Registered cleanups run at exit, last first, before tracked processes are killed. */
export function atExit(cleanup: () => void): void {
  cleanups.push(cleanup);
}

export function startProcess(name: string, argv: string[], logFile: string, env?: NodeJS.ProcessEnv): ChildProcess {
  const log = openSync(logFile, 'a');
  const child = spawn(argv[0], argv.slice(1), {
    stdio: ['ignore', log, log],
    env: env ?? process.env,
    detached: false,
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${argv[0]}`);
  running.set(child.pid, name);
  child.on('exit', () => running.delete(child.pid!));
  return child;
}

export async function stopProcess(child: ChildProcess, timeoutMs = 5000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
  running.delete(child.pid);
}

/** Runs a command to its end; `timeoutMs` kills it (a wedged guest must not hang a test run). */
export function run(argv: string[], options: { input?: string; allowFail?: boolean; timeoutMs?: number } = {}): string {
  const r = spawnSync(argv[0], argv.slice(1), {
    encoding: 'utf8',
    input: options.input,
    timeout: options.timeoutMs,
    killSignal: 'SIGKILL',
  });
  if (r.status !== 0 && !options.allowFail) {
    const why =
      r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT'
        ? `timed out after ${options.timeoutMs} ms`
        : `failed (${r.status})`;
    throw new Error(`${argv.join(' ')} ${why}: ${r.stderr}`);
  }
  return r.stdout ?? '';
}

/** Kill a process we did not spawn but know the PID of (a guest's QEMU from its pidfile). */
export function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}
