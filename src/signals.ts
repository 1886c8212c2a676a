// How a run ends, whatever ends it. Temporary files and folders and local process groups
// are registered here and removed or killed at process exit, so a second Ctrl-C, SIGHUP
// or a crash leaves no `*.partial-*` archive, no spool (which holds unredacted outputs)
// and no child running. The first SIGINT, SIGTERM or SIGHUP only asks the run to stop and
// write what it has; the second ends the process at once, after the same clean-up.
import { rmSync } from 'node:fs';
import { EXIT } from './exit-codes.js';

const paths = new Set<string>();
const groups = new Set<number>();
let installed = false;

function cleanUpNow(): void {
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  groups.clear();
  for (const p of paths) {
    try {
      rmSync(p, { recursive: true, force: true });
    } catch {
      // best effort: the process is ending
    }
  }
  paths.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', cleanUpNow);
}

/** Removes `file` (or folder) when the process exits; call the result once it is gone or kept. */
export function removeOnExit(file: string): () => void {
  install();
  paths.add(file);
  return () => paths.delete(file);
}

/** Kills the process group `pid` leads when the process exits; call the result once it ended. */
export function killGroupOnExit(pid: number): () => void {
  install();
  groups.add(pid);
  return () => groups.delete(pid);
}

const ENDING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Until the returned function is called: the first ending signal calls `onFirst`, the
 * next one cleans up and exits with 130.
 */
export function onInterrupt(onFirst: (signal: NodeJS.Signals) => void): () => void {
  install();
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count++;
    if (count === 1) return onFirst(signal);
    cleanUpNow();
    process.exit(EXIT.interrupted);
  };
  for (const s of ENDING_SIGNALS) process.on(s, handler);
  return () => {
    for (const s of ENDING_SIGNALS) process.off(s, handler);
  };
}

/**
 * A closed pipe on stdout or stderr (`nestbug ... | head -2`) must not crash the run:
 * later writes to that stream are dropped and the run goes on to write its bundle.
 */
export function toleratePipeClose(stream: NodeJS.WritableStream): void {
  const s = stream as NodeJS.WritableStream & { nestbugGuarded?: boolean };
  if (s.nestbugGuarded) return;
  s.nestbugGuarded = true;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return;
    throw error;
  });
}

/** Settles with `promise`, or rejects as soon as `signal` aborts (Ctrl-C while connecting). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error(`interrupted before ${what} finished`));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error(`interrupted before ${what} finished`));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
