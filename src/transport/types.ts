import type { Writable } from 'node:stream';

/** How privileged commands run on a host, decided by the probe. */
export type Privilege = { mode: 'root' } | { mode: 'sudo'; password?: string } | { mode: 'none'; why: string };

export interface RunRequest {
  argv: readonly string[];
  asRoot: boolean;
  timeoutMs: number;
  /** Receives stdout; the transport respects its backpressure. */
  stdout: Writable;
  /** Aborted when stdout reached its cap or on interrupt: the command is stopped. */
  stopSignal?: AbortSignal;
  /** Run in a channel of its own, not batched with others (slow commands). */
  alone?: boolean;
  /** Called when the command really starts (it may wait for a free channel first). */
  onStart?: () => void;
}

export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Stopped because the caller aborted (output cap or interrupt). */
  stopped: boolean;
  stderr: string;
  durationMs: number;
  /** The transport itself failed (connection lost, channel refused). */
  transportError?: string;
}

export interface Transport {
  /** `local` or `user@host:port`, for messages. */
  readonly label: string;
  privilege: Privilege;
  /** Runs one command (probes, quick checks). */
  run(request: RunRequest): Promise<RunResult>;
  /** Runs a plan's commands, given at once: the transport bounds how many run together
   * (sshd's MaxSessions) and groups them (one login shell for many). One result each. */
  runMany(requests: readonly RunRequest[]): Array<Promise<RunResult>>;
  /** Set when the connection is gone: later runs fail fast. */
  readonly lostReason?: string;
  close(): Promise<void>;
}

/** A command that never started: stopped (Ctrl-C) before its turn came. */
export const STOPPED_BEFORE_START: Readonly<RunResult> = Object.freeze({
  exitCode: null,
  signal: null,
  timedOut: false,
  stopped: true,
  stderr: '',
  durationMs: 0,
});

export const STDERR_EXCERPT_BYTES = 4096;

/** Keeps the first bytes of stderr: enough for a manifest excerpt, bounded in memory. */
export class StderrExcerpt {
  private chunks: Buffer[] = [];
  private size = 0;
  add(chunk: Buffer): void {
    if (this.size >= STDERR_EXCERPT_BYTES) return;
    const part = chunk.subarray(0, STDERR_EXCERPT_BYTES - this.size);
    this.chunks.push(part);
    this.size += part.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
