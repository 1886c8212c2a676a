// Several commands in one SSH channel: every channel starts the user's login shell, which
// can cost far more than the command (a ~/.bashrc running pyenv init: ~0.8 s here). One
// BatchRun sends its items to one channel (remote-command.ts), follows them through the
// frame markers, enforces each item's deadline, and settles every item exactly once.
// Items after one that had to be cut (timeout, output cap) are handed back to run again.
import type { Readable } from 'node:stream';
import { messageOf } from '../errors.js';
import { FrameDemux } from './frames.js';
import { batchToken, channelCommand, type RemoteMode } from './remote-command.js';
import { type RunRequest, type RunResult, STOPPED_BEFORE_START, StderrExcerpt } from './types.js';

/** What a batch needs from a channel; ssh2's ClientChannel fits, tests use PassThroughs. */
export interface ExecChannel {
  stdout: Readable;
  stderr: Readable;
  write(text: string): void;
  /** EOF on the remote stdin: the wrapper then kills the batch's process group. */
  end(): void;
  /** Closes the channel without waiting for the command. */
  close(): void;
  closed: Promise<void>;
}

export interface BatchLimits {
  /** After end(), how long the remote side gets before the channel is closed. */
  killGraceMs: number;
  /** After close(), how long to wait for the close to be confirmed before giving up. */
  abandonMs: number;
  /** Bytes outside any item (login scripts, a ForceCommand) tolerated per channel. */
  noiseBytes: number;
}

export const DEFAULT_LIMITS: BatchLimits = { killGraceMs: 3000, abandonMs: 2000, noiseBytes: 64 * 1024 };

/** One request's state from queueing to its result. */
export class BatchItem {
  readonly stderr = new StderrExcerpt();
  startedAt = 0;
  exitCode?: number;
  stdoutEnded = false;
  stderrEnded = false;
  stopped = false;
  timedOut = false;
  private result?: RunResult;

  constructor(
    readonly request: RunRequest,
    readonly mode: RemoteMode,
    readonly password: string | undefined,
    private readonly resolve: (result: RunResult) => void,
  ) {}

  get settled(): boolean {
    return this.result !== undefined;
  }

  settle(result: RunResult): void {
    if (this.result) return;
    this.result = result;
    this.resolve(result);
  }

  elapsed(): number {
    return this.startedAt ? Date.now() - this.startedAt : 0;
  }

  outcome(extra: Partial<RunResult> = {}): RunResult {
    const stderr = this.stderr.text();
    return {
      exitCode: null,
      signal: null,
      timedOut: false,
      stopped: false,
      stderr,
      durationMs: this.elapsed(),
      ...extra,
    };
  }
}

export class BatchRun {
  private channel?: ExecChannel;
  /** Index of the item whose deadline runs (the one the host is working on). */
  private running = -1;
  private timer?: NodeJS.Timeout;
  private stopping = false;
  private cutAt = -1;
  private noise = 0;
  private overflow = false;
  private closed = false;
  private giveUp?: () => void;
  /** The start of what the host wrote on stderr outside any command, for messages. */
  private readonly said = new StderrExcerpt();
  private readonly unlisten: Array<() => void> = [];

  constructor(
    private readonly items: BatchItem[],
    private readonly limits: BatchLimits = DEFAULT_LIMITS,
    private readonly token = batchToken(),
  ) {}

  /** Runs the batch; returns the items that must run again in a new batch. */
  async run(
    open: (command: string) => Promise<ExecChannel>,
    lostReason: () => string | undefined,
  ): Promise<BatchItem[]> {
    const remote = this.items.map((item) => ({ argv: item.request.argv, mode: item.mode }));
    const command = channelCommand(this.token, remote);
    try {
      this.channel = await open(command);
    } catch (error) {
      for (const item of this.items) item.settle(item.outcome({ transportError: messageOf(error) }));
      return [];
    }
    const password = this.items.find((item) => item.password !== undefined)?.password;
    if (password !== undefined) this.channel.write(`${password}\n`);
    this.listenForStops();
    const demuxes = this.follow(this.channel);
    this.arm(0);
    await this.untilClosed(this.channel);
    this.closed = true;
    clearTimeout(this.timer);
    for (const stop of this.unlisten) stop();
    this.channel.stdout.unpipe();
    this.channel.stderr.unpipe();
    await Promise.all(demuxes.map(finishDemux));
    return this.settleAll(lostReason());
  }

  private follow(channel: ExecChannel): FrameDemux[] {
    const out = new FrameDemux(this.token, {
      start: (i) => this.started(i),
      data: (i, chunk) => this.stdout(i, chunk),
      end: (i, code) => this.stdoutEnded(i, code),
      noise: (chunk) => this.countNoise(chunk),
    });
    const err = new FrameDemux(this.token, {
      data: (i, chunk) => void this.items[i]?.stderr.add(chunk),
      end: (i) => this.stderrEnded(i),
      noise: (chunk) => {
        this.said.add(chunk);
        this.countNoise(chunk);
      },
    });
    channel.stdout.pipe(out);
    channel.stderr.pipe(err);
    return [out, err];
  }

  private started(i: number): void {
    const item = this.items[i];
    if (!item) return;
    item.startedAt = Date.now();
    item.request.onStart?.();
  }

  private stdout(i: number, chunk: Buffer): Promise<void> | void {
    const item = this.items[i];
    if (!item || item.stopped) return;
    return new Promise<void>((resolve) => item.request.stdout.write(chunk, () => resolve()));
  }

  // stdout and stderr are separate streams: an item is finished when both passed its end
  // marker (what it printed on stderr, e.g. the reason of its exit status, is then known).
  private stdoutEnded(i: number, code: number): void {
    const item = this.items[i];
    if (!item || item.stdoutEnded) return;
    item.stdoutEnded = true;
    item.exitCode = code;
    this.finishIfDone(item);
    this.arm(i + 1);
  }

  private stderrEnded(i: number): void {
    const item = this.items[i];
    if (!item) return;
    item.stderrEnded = true;
    this.finishIfDone(item);
  }

  private finishIfDone(item: BatchItem): void {
    if (item.exitCode === undefined || (!item.stderrEnded && !this.closed)) return;
    item.settle(item.outcome({ exitCode: item.exitCode, stopped: item.stopped }));
  }

  private countNoise(chunk: Buffer): void {
    this.noise += chunk.length;
    if (this.noise > this.limits.noiseBytes && !this.overflow) {
      this.overflow = true;
      this.stopChannel();
    }
  }

  /** Starts item i's deadline; it also covers the login shell's start for the first item. */
  private arm(i: number): void {
    clearTimeout(this.timer);
    this.running = i;
    const item = this.items[i];
    if (!item || this.closed) return;
    // The channel keeps the process alive while it runs; the timer must not outlive it.
    this.timer = setTimeout(() => {
      item.timedOut = true;
      this.cut(i);
    }, item.request.timeoutMs);
    this.timer.unref();
  }

  private listenForStops(): void {
    for (const item of this.items) {
      const signal = item.request.stopSignal;
      if (!signal) continue;
      const onStop = () => {
        item.stopped = true;
        this.stopsChanged();
      };
      signal.addEventListener('abort', onStop, { once: true });
      this.unlisten.push(() => signal.removeEventListener('abort', onStop));
      // Stopped while the channel was opening: the listener came too late.
      if (signal.aborted) onStop();
    }
  }

  // Interrupted (every unfinished item stopped): stop the whole batch. The running item
  // stopped alone (its output reached the cap): cut the batch there, the rest runs again.
  private stopsChanged(): void {
    if (this.items.every((item) => item.settled || item.stopped)) this.stopChannel();
    else if (this.items[this.running]?.stopped && !this.items[this.running].stdoutEnded) this.cut(this.running);
  }

  private cut(i: number): void {
    if (this.cutAt < 0) this.cutAt = i;
    this.stopChannel();
  }

  private stopChannel(): void {
    if (this.stopping || !this.channel) return;
    this.stopping = true;
    this.channel.end();
    setTimeout(() => this.channel!.close(), this.limits.killGraceMs).unref();
    setTimeout(() => this.giveUp?.(), this.limits.killGraceMs + this.limits.abandonMs).unref();
  }

  /** The channel's close, or, once stopped, a deadline: a host that ignores the close
   * (a ForceCommand that never ends) must not hold the run. */
  private untilClosed(channel: ExecChannel): Promise<void> {
    const abandoned = new Promise<void>((resolve) => (this.giveUp = resolve));
    return Promise.race([channel.closed, abandoned]);
  }

  private settleAll(lost: string | undefined): BatchItem[] {
    const again: BatchItem[] = [];
    this.items.forEach((item, i) => {
      if (this.runsAgain(item, i, lost)) again.push(item);
      else item.settle(this.finalOutcome(item, lost));
    });
    return again;
  }

  /** Items after the one the batch was cut at never started: they run in a new batch. */
  private runsAgain(item: BatchItem, i: number, lost: string | undefined): boolean {
    if (this.cutAt < 0 || i <= this.cutAt || lost || this.overflow) return false;
    return !item.settled && item.exitCode === undefined && !item.stopped;
  }

  private finalOutcome(item: BatchItem, lost: string | undefined): RunResult {
    const { exitCode, stopped } = item;
    if (exitCode !== undefined) return item.outcome({ exitCode, stopped });
    if (item.timedOut) return item.outcome({ timedOut: true });
    if (stopped) return item.outcome({ stopped: true });
    if (this.overflow) return item.outcome({ transportError: this.noiseReason() });
    return item.outcome({ transportError: lost ?? this.closedEarlyReason() });
  }

  private closedEarlyReason(): string {
    const said = this.said.text().trim().split('\n')[0]?.slice(0, 200);
    return `the channel closed before the command ended${said ? ` (the host said: ${said})` : ''}`;
  }

  private noiseReason(): string {
    const kib = Math.round(this.limits.noiseBytes / 1024);
    return `the host sent more than ${kib} KiB outside any command (a login script or a ForceCommand?); stopped`;
  }
}

function finishDemux(demux: FrameDemux): Promise<void> {
  if (!demux.writableEnded) demux.end();
  return new Promise<void>((resolve) => (demux.writableFinished ? resolve() : demux.once('finish', () => resolve())));
}

/** Requests stopped before their turn never reach a channel. */
export function dropStopped(items: BatchItem[]): BatchItem[] {
  for (const item of items) if (item.request.stopSignal?.aborted) item.settle(STOPPED_BEFORE_START);
  return items.filter((item) => !item.settled);
}
