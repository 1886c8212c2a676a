import type { Readable, Writable } from 'node:stream';
import { killGroupOnExit } from '../signals.js';
import { Semaphore } from '../util/semaphore.js';
import { withPrivilege } from './sudo.js';
import type { Privilege, RunRequest, RunResult, Transport } from './types.js';
import { STOPPED_BEFORE_START, StderrExcerpt } from './types.js';

const KILL_GRACE_MS = 2000;

/** Runs commands on this machine. Each command gets its own process group so that a
 * timeout kills the whole tree, not only the direct child. */
export class LocalTransport implements Transport {
  readonly label = 'local';
  privilege: Privilege = { mode: 'none', why: 'not probed yet' };
  /** Commands at once on this machine. */
  private readonly slots = new Semaphore(8);

  run(request: RunRequest): Promise<RunResult> {
    return this.slots.use(() => this.runNow(request));
  }

  runMany(requests: readonly RunRequest[]): Array<Promise<RunResult>> {
    return requests.map((request) => this.run(request));
  }

  private async runNow(request: RunRequest): Promise<RunResult> {
    if (request.stopSignal?.aborted) return STOPPED_BEFORE_START;
    const started = Date.now();
    request.onStart?.();
    const { argv, stdin } = withPrivilege(request.argv, request.asRoot, this.privilege);
    // Wrapped: the child is itself a promise, which await would resolve.
    const { child } = await spawnGroup(argv, stdin);
    const forgetGroup = child.pid === undefined ? () => {} : killGroupOnExit(child.pid);
    const stderr = new StderrExcerpt();
    const ended = { timedOut: false, stopped: false };
    const end = (why: keyof typeof ended) => {
      ended[why] = true;
      killGroup(child.pid);
    };
    const timer = setTimeout(() => end('timedOut'), request.timeoutMs);
    timer.unref();
    const onStop = () => end('stopped');
    request.stopSignal?.addEventListener('abort', onStop, { once: true });
    // Stopped while execa was loading or the process starting: the listener came too late.
    if (request.stopSignal?.aborted) onStop();
    child.stderr?.on('data', (chunk: Buffer) => stderr.add(chunk));
    const stdoutDone = pipeStdout(child.stdout, request.stdout);
    const result = await child;
    await stdoutDone;
    clearTimeout(timer);
    forgetGroup();
    request.stopSignal?.removeEventListener('abort', onStop);
    const spawnFailed = result.failed && result.exitCode === undefined && result.signal === undefined;
    return {
      exitCode: spawnFailed ? 127 : (result.exitCode ?? null),
      signal: result.signal ?? null,
      ...ended,
      stderr: spawnFailed ? `${argv[0]}: ${result.originalMessage ?? 'cannot run'}` : stderr.text(),
      durationMs: Date.now() - started,
    };
  }

  async close(): Promise<void> {}
}

async function spawnGroup(argv: readonly string[], stdin: string | undefined) {
  // execa loads on first use: an SSH-only collection never needs it.
  const { execa } = await import('execa');
  const child = execa(argv[0], argv.slice(1), {
    detached: true,
    buffer: false,
    reject: false,
    stdin: stdin === undefined ? 'ignore' : 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    stripFinalNewline: false,
    env: { LC_ALL: 'C', PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/local/sbin:/usr/sbin:/sbin` },
    extendEnv: true,
  });
  if (stdin !== undefined) child.stdin?.end(stdin);
  return { child };
}

/** TERM to the command's process group, KILL after a grace period. */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // already gone
    }
  };
  signalGroup('SIGTERM');
  setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS).unref();
}

function pipeStdout(from: Readable | null | undefined, to: Writable): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!from) return resolve();
    from.on('end', resolve);
    from.on('error', () => resolve());
    from.on('close', resolve);
    from.pipe(to, { end: false });
  });
}
