// Where one item's output goes: a spool file, hashed and counted as it is written,
// capped in size with a visible marker, optionally scrubbed line by line.
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { Writable } from 'node:stream';

export interface SinkOptions {
  maxBytes: number;
  /** Applied to every line (bytes read as latin1, so every byte survives). */
  scrubLine?: (line: string) => string;
  /** Called once when the cap is reached: the producer should stop. */
  onCap?: () => void;
}

const MAX_PENDING_LINE = 1 << 20;

export function truncationMarker(maxBytes: number): string {
  return `\n[nestbug: output truncated here at ${maxBytes} bytes (--max-output); the manifest records it]\n`;
}

export class EvidenceSink extends Writable {
  bytes = 0;
  truncated = false;
  /** The first bytes written, for matching known outcomes. */
  head = '';
  private readonly hash = createHash('sha256');
  private readonly file: WriteStream;
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    readonly path: string,
    private readonly options: SinkOptions,
  ) {
    super();
    this.file = createWriteStream(path, { mode: 0o600 });
  }

  get sha256(): string {
    // digest() may be called once: the first answer is kept
    if (this.digest === undefined) this.digest = this.hash.digest('hex');
    return this.digest;
  }
  private digest?: string;

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (!this.options.scrubLine) {
      this.emitBytes(chunk, done);
      return;
    }
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const cut = data.lastIndexOf(0x0a);
    if (cut < 0 && data.length < MAX_PENDING_LINE) {
      this.pending = data;
      done();
      return;
    }
    const end = cut < 0 ? data.length : cut + 1;
    this.pending = data.subarray(end);
    this.emitBytes(this.scrub(data.subarray(0, end)), done);
  }

  override _final(done: (error?: Error | null) => void): void {
    const rest = this.pending.length && this.options.scrubLine ? this.scrub(this.pending) : Buffer.alloc(0);
    this.pending = Buffer.alloc(0);
    this.emitBytes(rest, (error) => {
      if (error) return done(error);
      this.file.end((err?: Error | null) => done(err ?? null));
    });
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.file.destroy();
    done(error);
  }

  private scrub(block: Buffer): Buffer {
    const text = block.toString('latin1');
    return Buffer.from(text.split('\n').map(this.options.scrubLine!).join('\n'), 'latin1');
  }

  private emitBytes(chunk: Buffer, done: (error?: Error | null) => void): void {
    if (this.truncated || chunk.length === 0) {
      done();
      return;
    }
    let part = chunk;
    const room = this.options.maxBytes - this.bytes;
    if (part.length > room) {
      part = Buffer.concat([part.subarray(0, Math.max(room, 0)), Buffer.from(truncationMarker(this.options.maxBytes))]);
      this.truncated = true;
    }
    if (this.head.length < 4096) this.head += part.subarray(0, 4096 - this.head.length).toString('latin1');
    this.bytes += part.length;
    this.hash.update(part);
    this.file.write(part, (error) => done(error ?? null));
    if (this.truncated) this.options.onCap?.();
  }
}
