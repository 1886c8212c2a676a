// Several commands in one SSH channel: every channel starts the user's login shell, which
// can cost far more than the command (a ~/.bashrc running pyenv init: ~0.8 s here). The
// batch script runs the commands one after the other and writes, after each one, a line
// with a random token on stdout and stderr; BatchDemux splits the streams there again.
// Nothing is written on the host.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';

export const BATCH_SCRIPT = [
  't=$1; shift',
  'while [ $# -gt 1 ]; do',
  '  i=$1; c=$2; shift 2',
  '  (eval "$c") </dev/null',
  '  r=$?',
  `  printf '\\n%s E %s %s\\n' "$t" "$i" "$r"`,
  `  printf '\\n%s E %s %s\\n' "$t" "$i" "$r" >&2`,
  'done',
].join('\n');

export function batchToken(): string {
  return `NESTBUG-${randomBytes(16).toString('hex')}`;
}

export interface DemuxHandlers {
  /** Bytes of item `index`; the returned promise gives backpressure. */
  data(index: number, chunk: Buffer): Promise<void> | void;
  /** Item `index` ended with this exit status. */
  end(index: number, exitCode: number): void;
}

/** Splits a batch's stream at the token lines. Bytes of an item are passed on as they come. */
export class BatchDemux extends Writable {
  private pending: Buffer = Buffer.alloc(0);
  private readonly marker: Buffer;
  private current = 0;

  constructor(
    token: string,
    private readonly handlers: DemuxHandlers,
  ) {
    super();
    this.marker = Buffer.from(`\n${token} E `);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.drain().then(() => done(), done);
  }

  override _final(done: (error?: Error | null) => void): void {
    // A batch stopped in the middle: what is left belongs to the item that was running.
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    Promise.resolve(rest.length ? this.handlers.data(this.current, rest) : undefined).then(() => done(), done);
  }

  private async drain(): Promise<void> {
    for (;;) {
      const at = this.pending.indexOf(this.marker);
      if (at < 0) {
        // Keep a tail that could be the start of a marker; pass the rest on.
        const keep = Math.min(this.pending.length, this.marker.length + 32);
        const out = this.pending.subarray(0, this.pending.length - keep);
        this.pending = this.pending.subarray(this.pending.length - keep);
        if (out.length) await this.handlers.data(this.current, out);
        return;
      }
      const eol = this.pending.indexOf(0x0a, at + this.marker.length);
      if (eol < 0) {
        if (at > 0) await this.handlers.data(this.current, this.pending.subarray(0, at));
        this.pending = this.pending.subarray(at);
        return;
      }
      if (at > 0) await this.handlers.data(this.current, this.pending.subarray(0, at));
      const [index, code] = this.pending.subarray(at + this.marker.length, eol).toString('latin1').split(' ').map(Number);
      this.pending = this.pending.subarray(eol + 1);
      this.handlers.end(index, Number.isFinite(code) ? code : -1);
      this.current = index + 1;
    }
  }
}
