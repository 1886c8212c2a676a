// Effects: runs planned steps on a transport and streams each output into the spool.
// A failing command is evidence (status, exit code, stderr), never an exception.

import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { libvirtCommandLines } from '../analyse/parsers/libvirt-log.js';
import type { ItemFile, ItemRecord, ItemStatus, LevelRecord } from '../bundle/manifest.js';
import { messageOf } from '../errors.js';
import type { RunRequest, RunResult, Transport } from '../transport/types.js';
import type { Outcome } from './collectors.js';
import { EvidenceSink } from './evidence-sink.js';
import type { PlannedStep } from './plan.js';
import type { LevelProgress } from './progress.js';
import { scrubQemuSecretsLine } from './scrub.js';

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
  if (result.timedOut)
    return {
      status: 'timed-out',
      reason: `no answer within ${Math.round(result.durationMs / 1000)} s; the command was killed`,
    };
  if (interrupted && result.stopped) return { status: 'failed', reason: 'interrupted' };
  if (result.exitCode === 127)
    return { status: 'not-installed', reason: firstLine(result.stderr) || 'command not found' };
  if (result.exitCode !== null && okExitCodes.includes(result.exitCode)) return { status: 'ok' };
  if (result.stopped) return { status: 'ok' };
  const known = outcomes.find((o) => o.when.test(stdoutHead) || o.when.test(result.stderr));
  if (known) return { status: known.status, reason: known.reason };
  const how = result.exitCode !== null ? `exit code ${result.exitCode}` : `killed by ${result.signal}`;
  const why = firstLine(result.stderr);
  return { status: 'failed', reason: why ? `${how}: ${why}` : how };
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}

function baseRecord(step: PlannedStep): ItemRecord {
  return {
    id: step.collector.id,
    title: step.collector.title,
    source: step.source,
    status: 'skipped',
    asRoot: step.asRoot,
  };
}

export function skippedRecord(step: PlannedStep): ItemRecord {
  return { ...baseRecord(step), status: step.skip!.status, reason: step.skip!.reason };
}

/** One command's way into the spool: its sink, and the switch that stops it. */
interface Spooled {
  step: PlannedStep;
  argv: readonly string[];
  bundlePath: string;
  spoolPath: string;
  archive: boolean;
  sink: EvidenceSink;
  stop: AbortController;
  sinkError: Promise<Error | undefined>;
}

interface Ran {
  result: RunResult;
  file: ItemFile;
  writeError?: Error;
  interrupted: boolean;
  head: string;
}

/** A command of the plan, and where its output goes. */
interface Command {
  step: PlannedStep;
  argv: readonly string[];
  bundlePath: string;
  archive: boolean;
}

async function spoolFor({ step, argv, bundlePath, archive }: Command, ctx: RunContext): Promise<Spooled> {
  const spoolPath = path.join(ctx.spoolDir, bundlePath);
  await mkdir(path.dirname(spoolPath), { recursive: true });
  const stop = new AbortController();
  const sink = new EvidenceSink(spoolPath, {
    maxBytes: ctx.maxBytes,
    scrubLine: step.collector.scrub === 'qemu-secrets' ? scrubQemuSecretsLine : undefined,
    onCap: () => stop.abort(),
  });
  const sinkError = new Promise<Error | undefined>((resolve) => {
    sink.once('error', resolve);
    sink.once('finish', () => resolve(undefined));
  });
  return { step, argv, bundlePath, spoolPath, archive, sink, stop, sinkError };
}

function requestOf(spooled: Spooled, ctx: RunContext): RunRequest {
  const { step } = spooled;
  return {
    argv: spooled.argv,
    asRoot: step.asRoot,
    timeoutMs: step.timeoutMs,
    stdout: spooled.sink,
    // Stopped by the output cap or by the interrupt.
    stopSignal: AbortSignal.any([spooled.stop.signal, ctx.signal]),
    alone: step.collector.slow,
    onStart: ctx.onStart && (() => ctx.onStart!(step.collector.id)),
  };
}

async function closeSpool(spooled: Spooled, result: RunResult, ctx: RunContext): Promise<Ran> {
  const { sink } = spooled;
  sink.end();
  const writeError = await spooled.sinkError;
  const { bytes, sha256 } = sink;
  const file: ItemFile = { file: spooled.bundlePath, bytes, sha256, truncated: sink.truncated || undefined };
  if (!writeError && spooled.archive) ctx.onFile(spooled.bundlePath, spooled.spoolPath);
  return { result, file, writeError, interrupted: ctx.signal.aborted, head: sink.head };
}

/** Hands all commands to the transport at once; one promise per command. */
async function runAll(commands: Command[], ctx: RunContext): Promise<Array<Promise<Ran>>> {
  const spooled = await Promise.all(commands.map((c) => spoolFor(c, ctx)));
  const results = ctx.transport.runMany(spooled.map((s) => requestOf(s, ctx)));
  return spooled.map((s, i) => results[i].then((result) => closeSpool(s, result, ctx)));
}

/** Runs a level's plan: every command goes to the transport at once, derived items follow
 * their source. One record promise per step, in plan order. */
export function runPlan(steps: readonly PlannedStep[], ctx: Omit<RunContext, 'finished'>): Array<Promise<ItemRecord>> {
  const records = new Map<string, Promise<ItemRecord>>();
  const full: RunContext = { ...ctx, finished: records };
  const commands = steps.filter((s) => !s.skip && !s.collector.derivedFrom);
  const ran = runAll(
    commands.map((step) => ({ step, argv: step.argv!, ...commandTarget(step) })),
    full,
  );
  for (const step of steps) {
    let record: Promise<ItemRecord>;
    if (step.skip) record = Promise.resolve(skippedRecord(step));
    else if (step.collector.derivedFrom) record = Promise.resolve().then(() => runDerived(step, full));
    else record = ran.then((all) => all[commands.indexOf(step)]).then((r) => recordOf(step, r, full));
    records.set(step.collector.id, record);
  }
  return steps.map((s) => records.get(s.collector.id)!);
}

function commandTarget(step: PlannedStep): { bundlePath: string; archive: boolean } {
  // A `files` item's command only lists the files; the listing is a means, not evidence.
  const listing = step.collector.files !== undefined;
  return { bundlePath: listing ? `.listing/${itemFileName(step)}` : itemFileName(step), archive: !listing };
}

async function recordOf(step: PlannedStep, ran: Ran, ctx: RunContext): Promise<ItemRecord> {
  const { result, file, writeError, interrupted, head } = ran;
  const record = baseRecord(step);
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
  if (!writeError)
    Object.assign(record, { file: file.file, bytes: file.bytes, sha256: file.sha256, truncated: file.truncated });
  if (step.collector.files !== undefined && status === 'ok') await addListedFiles(record, step, result, ctx);
  return record;
}

async function addListedFiles(
  record: ItemRecord,
  step: PlannedStep,
  result: RunResult,
  ctx: RunContext,
): Promise<void> {
  record.files = await copyListedFiles(step, await readFile(path.join(ctx.spoolDir, record.file!)), ctx);
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

/** Bundle file names come from the host: keep them to a safe alphabet, and unique. */
export function safeFileName(name: string, taken: Set<string>): string {
  let base =
    name
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .replace(/^\.+/, '_')
      .slice(0, 120) || 'file';
  if (taken.has(base)) {
    const digest = createHash('sha256').update(name).digest('hex').slice(0, 8);
    base = `${base}-${digest}`;
  }
  taken.add(base);
  return base;
}

async function copyListedFiles(step: PlannedStep, listing: Buffer, ctx: RunContext): Promise<ItemFile[]> {
  const names = listing
    .toString('utf8')
    .split('\0')
    .filter((n) => n.startsWith('/'));
  const taken = new Set<string>();
  const reads = { ...step, collector: { ...step.collector, slow: false } };
  const commands = names.map((remotePath) => ({
    step: reads,
    argv: ['cat', '--', remotePath],
    bundlePath: `${step.level}/${step.collector.into}/${safeFileName(path.posix.basename(remotePath), taken)}`,
    archive: true,
  }));
  // All reads at once: over SSH they share one channel.
  const ran = await runAll(commands, ctx);
  return Promise.all(
    ran.map(async (pending) => {
      const { result, file, writeError } = await pending;
      const { status, reason } = writeError
        ? { status: 'failed', reason: writeError.message }
        : statusOf(result, [0], ctx.signal.aborted);
      return status === 'ok' ? file : { ...file, error: reason ?? status };
    }),
  );
}

export async function runDerived(step: PlannedStep, ctx: RunContext): Promise<ItemRecord> {
  const record = baseRecord(step);
  const started = Date.now();
  const source = await ctx.finished.get(step.collector.derivedFrom!);
  if (source?.status !== 'ok') {
    return {
      ...record,
      status: source?.status === 'not-installed' ? 'not-installed' : 'skipped',
      reason: `${step.collector.derivedFrom}: ${source?.reason ?? 'not collected'}`,
    };
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

/** Runs a level's plan into its record, reporting each item as it finishes. */
export async function runLevelItems(
  steps: readonly PlannedStep[],
  level: LevelRecord,
  ctx: Omit<RunContext, 'finished' | 'onStart'>,
  progress: LevelProgress,
): Promise<void> {
  level.items = new Array(steps.length);
  const pending = runPlan(steps, { ...ctx, onStart: (id) => progress.started(id) });
  await Promise.all(
    pending.map(async (promise, index) => {
      const record = await promise.catch((error: unknown) => unexpectedFailure(steps[index], error));
      level.items[index] = record;
      noteLostConnection(level, record, ctx);
      progress.finished(steps[index], record);
    }),
  );
}

function unexpectedFailure(step: PlannedStep, error: unknown): ItemRecord {
  return { ...baseRecord(step), status: 'failed', reason: `unexpected: ${messageOf(error)}` };
}

function noteLostConnection(level: LevelRecord, record: ItemRecord, ctx: Omit<RunContext, 'finished'>): void {
  const lost = ctx.transport.lostReason;
  if (!lost || lost === 'closed' || record.status !== 'failed') return;
  if (level.lostAt !== undefined || ctx.signal.aborted) return;
  level.lostAt = new Date().toISOString();
  level.error = `connection lost during collection: ${lost}`;
}
