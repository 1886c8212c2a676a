import { Semaphore } from '../util/semaphore.js';
import { withPrivilege } from './sudo.js';
import { type Privilege, type RunRequest, type RunResult, STOPPED_BEFORE_START, StderrExcerpt, type Transport } from './types.js';

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

  private async runNow(request: RunRequest): Promise<RunResult> {
    if (request.stopSignal?.aborted) return STOPPED_BEFORE_START;
    const started = Date.now();
    request.onStart?.();
    const { argv, stdin } = withPrivilege(request.argv, request.asRoot, this.privilege);
    const stderr = new StderrExcerpt();
    let timedOut = false;
    let stopped = false;
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
    const killGroup = (): void => {
      if (child.pid === undefined) return;
      const signalGroup = (sig: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, sig);
        } catch {
          // already gone
        }
      };
      signalGroup('SIGTERM');
      setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS).unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, request.timeoutMs);
    timer.unref();
    const onStop = () => {
      stopped = true;
      killGroup();
    };
    request.stopSignal?.addEventListener('abort', onStop, { once: true });
    // Stopped while execa was loading or the process starting: the listener came too late.
    if (request.stopSignal?.aborted) onStop();
    child.stderr?.on('data', (chunk: Buffer) => stderr.add(chunk));
    const stdoutDone = new Promise<void>((resolve) => {
      if (!child.stdout) return resolve();
      child.stdout.on('end', resolve);
      child.stdout.on('error', () => resolve());
      child.stdout.on('close', resolve);
      child.stdout.pipe(request.stdout, { end: false });
    });
    const result = await child;
    await stdoutDone;
    clearTimeout(timer);
    request.stopSignal?.removeEventListener('abort', onStop);
    const spawnFailed = result.failed && result.exitCode === undefined && result.signal === undefined;
    return {
      exitCode: spawnFailed ? 127 : result.exitCode ?? null,
      signal: result.signal ?? null,
      timedOut,
      stopped,
      stderr: spawnFailed ? `${argv[0]}: ${result.originalMessage ?? 'cannot run'}` : stderr.text(),
      durationMs: Date.now() - started,
    };
  }

  async close(): Promise<void> {}
}
