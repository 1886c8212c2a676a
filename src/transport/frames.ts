// Splits one stream of a batch channel (stdout or stderr) at the marker lines the batch
// script writes: "\n<token> S <i>\n" before command i, "\n<token> E <i> <status>\n" after.
// Bytes between them belong to command i and are passed on as they come; bytes outside
// any frame (a login script's greeting, a ForceCommand's output) are only counted.
import { Writable } from 'node:stream';

export interface FrameHandlers {
  /** Bytes of item `index`; the returned promise gives backpressure. */
  data(index: number, chunk: Buffer): Promise<void> | void;
  /** Item `index` started (its start marker arrived). */
  start?(index: number): void;
  /** Item `index` ended with this exit status. */
  end(index: number, exitCode: number): void;
  /** Bytes outside any frame. */
  noise?(chunk: Buffer): void;
}

/** How far a line that starts like a marker may run before it is taken as data. */
const MAX_MARKER_TAIL = 32;

export class FrameDemux extends Writable {
  private pending: Buffer = Buffer.alloc(0);
  private readonly marker: Buffer;
  /** The item whose frame is open, or -1 between frames. */
  private current = -1;

  constructor(
    token: string,
    private readonly handlers: FrameHandlers,
  ) {
    super();
    this.marker = Buffer.from(`\n${token} `);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.drain().then(() => done(), done);
  }

  override _final(done: (error?: Error | null) => void): void {
    // A channel cut in the middle: what is left belongs to the frame that was open.
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    this.pass(rest).then(() => done(), done);
  }

  private async pass(bytes: Buffer): Promise<void> {
    if (bytes.length === 0) return;
    if (this.current < 0) this.handlers.noise?.(bytes);
    else await this.handlers.data(this.current, bytes);
  }

  private async drain(): Promise<void> {
    for (;;) {
      const at = this.pending.indexOf(this.marker);
      if (at < 0) {
        // Keep a tail that could be the start of a marker; pass the rest on.
        const keep = Math.min(this.pending.length, this.marker.length - 1);
        await this.pass(this.pending.subarray(0, this.pending.length - keep));
        this.pending = this.pending.subarray(this.pending.length - keep);
        return;
      }
      await this.pass(this.pending.subarray(0, at));
      this.pending = this.pending.subarray(at);
      const eol = this.pending.indexOf(0x0a, this.marker.length);
      if (eol < 0 && this.pending.length <= this.marker.length + MAX_MARKER_TAIL) return;
      const line = eol < 0 ? undefined : this.pending.subarray(this.marker.length, eol).toString('latin1');
      if (line === undefined || !this.take(line)) {
        // Looked like a marker, is not one: it is data.
        await this.pass(this.pending.subarray(0, 1));
        this.pending = this.pending.subarray(1);
        continue;
      }
      this.pending = this.pending.subarray(eol + 1);
    }
  }

  /** Acts on a marker line's text after the token; false when it is no marker. */
  private take(line: string): boolean {
    const start = /^S (\d+)$/.exec(line);
    if (start) {
      this.current = Number(start[1]);
      this.handlers.start?.(this.current);
      return true;
    }
    const end = /^E (\d+) (\d+)$/.exec(line);
    if (!end) return false;
    this.current = -1;
    this.handlers.end(Number(end[1]), Number(end[2]));
    return true;
  }
}
