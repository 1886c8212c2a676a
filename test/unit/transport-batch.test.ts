// The batch machinery without a network: FrameDemux on streams cut at every byte, and
// BatchRun/ChannelPool against channels made of PassThrough streams that a test drives
// like a host would (late stderr, early close, refusals, silence, floods).
import { PassThrough, Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BatchItem, type BatchLimits, BatchRun, type ExecChannel } from '../../src/transport/batch.ts';
import { ChannelPool } from '../../src/transport/channel-pool.ts';
import { FrameDemux } from '../../src/transport/frames.ts';
import type { RunRequest, RunResult } from '../../src/transport/types.ts';

const TOKEN = 'NESTBUG-0123456789abcdef';
const start = (i: number) => `\n${TOKEN} S ${i}\n`;
const end = (i: number, code: number) => `\n${TOKEN} E ${i} ${code}\n`;

function demuxed(stream: Buffer, chunkSizes: (n: number) => number[]) {
  const items = new Map<number, Buffer[]>();
  const ends: Array<[number, number]> = [];
  const noise: Buffer[] = [];
  const demux = new FrameDemux(TOKEN, {
    data: (i, chunk) => void (items.get(i) ?? items.set(i, []).get(i)!).push(Buffer.from(chunk)),
    end: (i, code) => void ends.push([i, code]),
    noise: (chunk) => void noise.push(Buffer.from(chunk)),
  });
  let at = 0;
  for (const size of chunkSizes(stream.length)) {
    demux.write(stream.subarray(at, at + size));
    at += size;
  }
  demux.end(stream.subarray(at));
  return new Promise<{ items: Map<number, string>; ends: Array<[number, number]>; noise: string }>((resolve) =>
    demux.on('finish', () =>
      resolve({
        items: new Map([...items].map(([i, b]) => [i, Buffer.concat(b).toString('latin1')])),
        ends,
        noise: Buffer.concat(noise).toString(),
      }),
    ),
  );
}

const greeting = 'Welcome to bashrc land\nno newline at the end';
const item0 = 'processor\t: 0\nflags\t\t: vmx\n';
// Looks like a marker but is not one: it is data.
const item1 = `${TOKEN} E x\n\n${TOKEN} S nine\nlast line without newline`;
const STREAM = Buffer.from(`${greeting}${start(0)}${item0}${end(0, 0)}${start(1)}${item1}${end(1, 3)}`, 'latin1');

test('FrameDemux: the same items whatever the chunk boundaries; startup output is never item data', async () => {
  const cuts: Array<[string, (n: number) => number[]]> = [
    ['one chunk', (n) => [n]],
    ['byte by byte', (n) => new Array(n).fill(1)],
    ['chunks of 7', (n) => new Array(Math.floor(n / 7)).fill(7)],
    ['split inside every marker', (n) => [greeting.length + 5, 10, 3, n - greeting.length - 18]],
  ];
  for (const [name, sizes] of cuts) {
    const got = await demuxed(STREAM, sizes);
    assert.is(got.items.get(0), item0, name);
    assert.is(got.items.get(1), item1, name);
    assert.equal(
      got.ends,
      [
        [0, 0],
        [1, 3],
      ],
      name,
    );
    assert.is(got.noise, greeting, name);
  }
});

// A channel a test drives: it writes what a host would send and closes when told.
class FakeChannel implements ExecChannel {
  stdout = new PassThrough();
  stderr = new PassThrough();
  written: string[] = [];
  ended = false;
  command = '';
  private onClose!: () => void;
  closed = new Promise<void>((resolve) => (this.onClose = resolve));
  constructor(private readonly ignoreClose = false) {}
  write(text: string): void {
    this.written.push(text);
  }
  end(): void {
    this.ended = true;
  }
  close(): void {
    if (!this.ignoreClose) this.finish();
  }
  finish(): void {
    this.stdout.end();
    this.stderr.end();
    this.onClose();
  }
}

class Collected extends Writable {
  text = '';
  override _write(chunk: Buffer, _e: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('latin1');
    done();
  }
}

function items(n: number, over: Partial<RunRequest> = {}) {
  return Array.from({ length: n }, () => {
    const out = new Collected();
    let result: RunResult | undefined;
    const item = new BatchItem(
      { argv: ['true'], asRoot: false, timeoutMs: 5000, stdout: out, ...over },
      'plain',
      undefined,
      (r) => (result = r),
    );
    return { item, out, result: () => result };
  });
}

const FAST: BatchLimits = { killGraceMs: 50, abandonMs: 50, noiseBytes: 1024 };
const tick = () => new Promise((r) => setTimeout(r, 10));

test('BatchRun: stderr that comes after the exit status still belongs to its item', async () => {
  const batch = items(2);
  const channel = new FakeChannel();
  const running = new BatchRun(
    batch.map((b) => b.item),
    FAST,
    TOKEN,
  ).run(
    async () => channel,
    () => undefined,
  );
  await tick();
  channel.stdout.write(`${start(0)}out0${end(0, 1)}${start(1)}out1${end(1, 0)}`);
  await tick();
  assert.is(batch[0].result(), undefined, 'not finished before its stderr marker');
  channel.stderr.write(`${start(0)}reason of ex`);
  channel.stderr.write(`it 1${end(0, 1)}${start(1)}${end(1, 0)}`);
  await tick();
  assert.is(batch[0].result()?.exitCode, 1);
  assert.is(batch[0].result()?.stderr, 'reason of exit 1');
  channel.finish();
  assert.equal(await running, []);
  assert.is(batch[0].out.text, 'out0');
  assert.is(batch[1].out.text, 'out1');
  assert.is(batch[1].result()?.exitCode, 0);
});

test('BatchRun: a channel that closes early fails the unfinished items, keeps the finished one', async () => {
  const batch = items(3);
  const channel = new FakeChannel();
  const running = new BatchRun(
    batch.map((b) => b.item),
    FAST,
    TOKEN,
  ).run(
    async () => channel,
    () => undefined,
  );
  await tick();
  channel.stderr.write(`oops: cannot start${start(0)}${end(0, 0)}${start(1)}half`);
  channel.stdout.write(`${start(0)}done${end(0, 0)}${start(1)}partial`);
  await tick();
  channel.finish();
  assert.equal(await running, []);
  assert.is(batch[0].result()?.exitCode, 0);
  assert.is(batch[1].out.text, 'partial');
  assert.match(
    batch[1].result()?.transportError ?? '',
    /closed before the command ended \(the host said: oops: cannot start\)/,
  );
  assert.match(batch[2].result()?.transportError ?? '', /closed before/);
});

test('BatchRun: a refused channel fails every item with the reason', async () => {
  const batch = items(2);
  const again = await new BatchRun(
    batch.map((b) => b.item),
    FAST,
    TOKEN,
  ).run(
    async () => {
      throw new Error('(SSH) Channel open failure: open failed');
    },
    () => undefined,
  );
  assert.equal(again, []);
  for (const b of batch) assert.match(b.result()?.transportError ?? '', /open failed/);
});

test('BatchRun: an item past its deadline is timed out, the channel is given up even if the host never closes it, the rest runs again', async () => {
  const batch = items(3, { timeoutMs: 100 });
  const channel = new FakeChannel(true);
  // The batch's timers do not hold the process (a real channel's socket does).
  const alive = setInterval(() => {}, 1000);
  const started = Date.now();
  const running = new BatchRun(
    batch.map((b) => b.item),
    FAST,
    TOKEN,
  ).run(
    async () => channel,
    () => undefined,
  );
  await tick();
  channel.stdout.write(`${start(0)}${end(0, 0)}${start(1)}`);
  channel.stderr.write(`${start(0)}${end(0, 0)}${start(1)}`);
  const again = await running;
  clearInterval(alive);
  assert.ok(Date.now() - started < 1000, 'bounded by timeout + grace + abandon');
  assert.ok(channel.ended, 'EOF sent: the remote wrapper kills the process group');
  assert.is(batch[0].result()?.exitCode, 0);
  assert.is(batch[1].result()?.timedOut, true);
  assert.equal(again, [batch[2].item]);
});

test('BatchRun: output outside any item beyond the limit stops the channel with a clear reason', async () => {
  const batch = items(1);
  const channel = new FakeChannel();
  const running = new BatchRun(
    batch.map((b) => b.item),
    FAST,
    TOKEN,
  ).run(
    async () => channel,
    () => undefined,
  );
  await tick();
  channel.stdout.write('y\n'.repeat(2000));
  await tick();
  assert.ok(channel.ended);
  channel.finish();
  await running;
  assert.match(batch[0].result()?.transportError ?? '', /more than 1 KiB outside any command/);
});

test('ChannelPool: refusals while other channels are open wait for them (MaxSessions 1 still runs everything)', async () => {
  const pool = new ChannelPool(8);
  let open = 0;
  let most = 0;
  const opener = async () => {
    if (open >= 1) throw new Error('(SSH) Channel open failure: open failed');
    open++;
    most = Math.max(most, open);
    return {};
  };
  const done: number[] = [];
  await Promise.all(
    Array.from({ length: 6 }, async (_x, i) => {
      const lease = await pool.open(opener);
      await new Promise((r) => setTimeout(r, 5));
      open--;
      lease.release();
      done.push(i);
    }),
  );
  assert.is(done.length, 6);
  assert.is(most, 1);
  assert.is(pool.capacity, 1);
});

test('ChannelPool: refusals with nothing of ours open are retried a few times, then reported', async () => {
  const pool = new ChannelPool(8);
  let tries = 0;
  const started = Date.now();
  try {
    await pool.open(async () => {
      tries++;
      throw new Error('open failed');
    });
    assert.unreachable('should fail');
  } catch (error) {
    assert.match(String(error), /open failed/);
  }
  assert.is(tries, 7);
  assert.ok(Date.now() - started < 5000);
});

test.run();
