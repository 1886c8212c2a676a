// Effects: runs planned steps on a transport and streams each output into the spool.
// A failing command is evidence (status, exit code, stderr), never an exception.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { ItemFile, ItemRecord, ItemStatus } from '../bundle/manifest.js';
import { type RunResult, STOPPED_BEFORE_START, type Transport } from '../transport/types.js';
import { EvidenceSink } from './evidence-sink.js';
import type { PlannedStep } from './plan.js';
import type { Outcome } from './collectors.js';
import { scrubQemuSecretsLine } from './scrub.js';
import { libvirtCommandLines } from '../analyse/parsers/libvirt-log.js';

export interface RunContext {
  transport: Transport;
  spoolDir: string;
  maxBytes: number;
  /** Aborted on Ctrl-C / SIGTERM: running commands are stopped. */
  signal: AbortSignal;
  /** A finished evidence file, ready to go into the archive. */
  onFile(bundlePath: string, spoolPath: string): void;
  /** Records of steps already finished on this level, for derived items. */
  finished: Map<string, Promise<ItemRecord>>;
  /** An item's command started (it may have waited for a channel). */
  onStart?(id: string): void;
}

export function itemFileName(step: PlannedStep): string {
  return `${step.level}/${step.collector.id}.txt`;
}

export function statusOf(
  result: RunResult,
  okExitCodes: readonly number[],
  interrupted: boolean,
  outcomes: readonly Outcome[] = [],
  stdoutHead = '',
): { status: ItemStatus; reason?: string } {
  if (result.transportError) return { status: 'failed', reason: result.transportError };
  if (result.timedOut) return { status: 'timed-out', reason: `no answer within ${Math.round(result.durationMs / 1000)} s; the command was killed` };
  if (interrupted && result.stopped) return { status: 'failed', reason: 'interrupted' };
  if (result.exitCode === 127) return { status: 'not-installed', reason: firstLine(result.stderr) || 'command not found' };
  if (result.exitCode !== null && okExitCodes.includes(result.exitCode)) return { status: 'ok' };
  if (result.stopped) return { status: 'ok' };
  const known = outcomes.find((o) => o.when.test(stdoutHead) || o.when.test(result.stderr));
  if (known) return { status: known.status, reason: known.reason };
  const how = result.exitCode !== null ? `exit code ${result.exitCode}` : `killed by ${result.signal}`;
  const why = firstLine(result.stderr);
  return { status: 'failed', reason: why ? `${how}: ${why}` : how };
}

function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
}

function baseRecord(step: PlannedStep): ItemRecord {
  return { id: step.collector.id, title: step.collector.title, source: step.source, status: 'skipped', asRoot: step.asRoot };
}

export function skippedRecord(step: PlannedStep): ItemRecord {
  return { ...baseRecord(step), status: step.skip!.status, reason: step.skip!.reason };
}

async function runInto(step: PlannedStep, argv: readonly string[], bundlePath: string, ctx: RunContext, archive = true) {
  const spoolPath = path.join(ctx.spoolDir, bundlePath);
  await mkdir(path.dirname(spoolPath), { recursive: true });
  const cap = new AbortController();
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  ctx.signal.addEventListener('abort', onInterrupt, { once: true });
  cap.signal.addEventListener('abort', () => stop.abort(), { once: true });
  const sink = new EvidenceSink(spoolPath, {
    maxBytes: ctx.maxBytes,
    scrubLine: step.collector.scrub === 'qemu-secrets' ? scrubQemuSecretsLine : undefined,
    onCap: () => cap.abort(),
  });
  const sinkError = new Promise<Error | undefined>((resolve) => {
    sink.once('error', resolve);
    sink.once('finish', () => resolve(undefined));
  });
  let result: RunResult;
  if (ctx.signal.aborted) {
    result = STOPPED_BEFORE_START;
  } else {
    result = await ctx.transport.run({ argv, asRoot: step.asRoot, timeoutMs: step.timeoutMs, stdout: sink, stopSignal: stop.signal, alone: step.collector.slow, onStart: ctx.onStart && (() => ctx.onStart!(step.collector.id)) });
  }
  ctx.signal.removeEventListener('abort', onInterrupt);
  sink.end();
  const writeError = await sinkError;
  const file: ItemFile = { file: bundlePath, bytes: sink.bytes, sha256: sink.sha256, truncated: sink.truncated || undefined };
  if (!writeError && archive) ctx.onFile(bundlePath, spoolPath);
  return { result, file, writeError, interrupted: ctx.signal.aborted, head: sink.head };
}

export async function runStep(step: PlannedStep, ctx: RunContext): Promise<ItemRecord> {
  if (step.skip) return skippedRecord(step);
  if (step.collector.derivedFrom) return runDerived(step, ctx);
  const record = baseRecord(step);
  const bundlePath = itemFileName(step);
  const listing = step.collector.files !== undefined;
  const { result, file, writeError, interrupted, head } = await runInto(step, step.argv!, listing ? `.listing/${bundlePath}` : bundlePath, ctx, !listing);
  const { status, reason } = writeError
    ? { status: 'failed' as const, reason: `cannot store the output: ${writeError.message}` }
    : statusOf(result, step.collector.okExitCodes, interrupted, step.collector.outcomes, head);
  Object.assign(record, {
    status,
    reason,
    exitCode: result.exitCode,
    signal: result.signal ?? undefined,
    durationMs: result.durationMs,
    stderr: result.stderr.trim() ? result.stderr : undefined,
  });
  if (!writeError) Object.assign(record, { file: file.file, bytes: file.bytes, sha256: file.sha256, truncated: file.truncated });
  if (listing && status === 'ok') {
    record.files = await copyListedFiles(step, await readFile(path.join(ctx.spoolDir, file.file)), ctx);
    const unreadable = result.stderr.split('\0').filter((n) => n.startsWith('/')).length;
    const failed = record.files.find((f) => f.error);
    if (failed) Object.assign(record, { status: 'failed', reason: `${failed.file}: ${failed.error}` });
    else if (unreadable) {
      const why = `${unreadable} file(s) not readable as this user: ${step.asRoot ? 'even with sudo' : 'connect as root or pass --sudo'}`;
      Object.assign(record, { status: record.files.length ? 'ok' : 'skipped', reason: why });
    }
    // The listing itself is a means, not evidence.
    delete record.file;
    delete record.bytes;
    delete record.sha256;
    delete record.stderr;
  }
  return record;
}

/** Bundle file names come from the host: keep them to a safe alphabet, and unique. */
export function safeFileName(name: string, taken: Set<string>): string {
  let base = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 120) || 'file';
  if (taken.has(base)) {
    const digest = createHash('sha256').update(name).digest('hex').slice(0, 8);
    base = `${base}-${digest}`;
  }
  taken.add(base);
  return base;
}

async function copyListedFiles(step: PlannedStep, listing: Buffer, ctx: RunContext): Promise<ItemFile[]> {
  const names = listing.toString('utf8').split('\0').filter((n) => n.startsWith('/'));
  const taken = new Set<string>();
  const targets = names.map((remotePath) => ({ remotePath, bundlePath: `${step.level}/${step.collector.into}/${safeFileName(path.posix.basename(remotePath), taken)}` }));
  // All reads at once: over SSH they share one channel.
  return Promise.all(
    targets.map(async ({ remotePath, bundlePath }) => {
      const { result, file, writeError } = await runInto({ ...step, collector: { ...step.collector, slow: false } }, ['cat', '--', remotePath], bundlePath, ctx);
      const { status, reason } = writeError ? { status: 'failed', reason: writeError.message } : statusOf(result, [0], ctx.signal.aborted);
      return status === 'ok' ? file : { ...file, error: reason ?? status };
    }),
  );
}

async function runDerived(step: PlannedStep, ctx: RunContext): Promise<ItemRecord> {
  const record = baseRecord(step);
  const started = Date.now();
  const source = await ctx.finished.get(step.collector.derivedFrom!);
  if (!source || source.status !== 'ok') {
    return { ...record, status: source?.status === 'not-installed' ? 'not-installed' : 'skipped', reason: `${step.collector.derivedFrom}: ${source?.reason ?? 'not collected'}` };
  }
  const sections: string[] = [];
  for (const f of source.files ?? []) {
    if (f.error) continue;
    const text = await readFile(path.join(ctx.spoolDir, f.file), 'latin1');
    const domain = path.posix.basename(f.file).replace(/\.log$/, '');
    const starts = libvirtCommandLines(text);
    if (starts.length === 0) continue;
    const last = starts[starts.length - 1];
    sections.push(`==> ${domain} (${f.file}, line ${last.line}: ${last.header}) <==\n${last.args.join('\n')}\n`);
  }
  const bundlePath = itemFileName(step);
  const spoolPath = path.join(ctx.spoolDir, bundlePath);
  await mkdir(path.dirname(spoolPath), { recursive: true });
  const body = Buffer.from(sections.join('\n'), 'latin1');
  await writeFile(spoolPath, body, { mode: 0o600 });
  ctx.onFile(bundlePath, spoolPath);
  return {
    ...record,
    status: 'ok',
    durationMs: Date.now() - started,
    file: bundlePath,
    bytes: body.length,
    sha256: createHash('sha256').update(body).digest('hex'),
  };
}
