// nestbug collect: connect, probe, plan, run (listr2), analyse, render, bundle.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Listr, ListrLogger, ProcessOutput, type ListrTask } from 'listr2';
import { type LevelRecord, type Manifest, isPartial } from '../bundle/manifest.js';
import { type BundleFormat, BundleWriter } from '../bundle/writer.js';
import type { Collector } from '../collect/collectors.js';
import { Connector, type ConnectSettings, type LevelSpec, describeVia } from '../collect/connect.js';
import { planCollection, type PlannedStep } from '../collect/plan.js';
import { type HostFacts, probeHost } from '../collect/probe.js';
import { type RunContext, runStep } from '../collect/run.js';
import { HostError, OutputError, UsageError, messageOf } from '../errors.js';
import type { Io } from '../io.js';
import type { Level } from '../levels.js';
import { describeTarget } from '../target.js';
import type { Transport } from '../transport/types.js';
import { deferred, type Deferred } from '../util/deferred.js';
import { formatBytes, stamp } from '../util/stamp.js';
import { type SpooledFile, redactSpool, scanBundle, writeRedactionMap } from '../redact/apply.js';
import type { Redaction } from '../redact/redact.js';
import type { ItemRecord } from '../bundle/manifest.js';
import { checkOutputPath } from '../output-path.js';
import { removeOnExit, untilAborted } from '../signals.js';
import { terminalText } from '../util/terminal-text.js';

export type CollectMode = 'bundle' | 'check' | 'plan';

export interface CollectOptions {
  /** bundle: collect into an archive; check: a few reads, verdict only; plan: probe and plan only. */
  mode: CollectMode;
  levels: LevelSpec[];
  collectors: Collector[];
  /** Only these collector ids run (check mode). */
  only?: ReadonlySet<string>;
  connect: ConnectSettings;
  sudo: boolean;
  sudoPassword?: string;
  output: string;
  format: BundleFormat;
  timeoutSeconds: number;
  maxOutputBytes: number;
  json: boolean;
  quiet: boolean;
  commandLine: string[];
  version: string;
  /** Aborted on Ctrl-C / SIGTERM. */
  signal: AbortSignal;
  /** An existing regular file at `output` may be replaced (--force, or the user agreed). */
  replaceOutput?: boolean;
  /** --redact: placeholders for names and addresses, plus these words. */
  redact?: { words: string[] };
  /** Called with the bundle's evidence folder before it is archived (analysis, summary). */
  finishBundle(manifest: Manifest, spoolDir: string): Promise<{ summary: string }>;
}

export interface CollectOutcome {
  bundle: string | null;
  bytes: number;
  /** The plan of each reached level (all modes; the only result of plan mode). */
  plans: Map<Level, PlannedStep[]>;
  manifest: Manifest;
  spoolDir: string;
  partial: boolean;
  interrupted: boolean;
  /** The private placeholder mapping, next to the bundle, with --redact. */
  redactionMap?: string;
  /** With --redact: what the JSON result must be redacted with too. */
  redaction?: Redaction;
}

export function defaultOutputName(now: Date, format: BundleFormat): string {
  return `nestbug-${stamp(now)}.${format === 'zip' ? 'zip' : 'tar.gz'}`;
}

interface LevelRun {
  spec: LevelSpec;
  record: LevelRecord;
  facts?: HostFacts;
  steps?: PlannedStep[];
}

export async function collect(options: CollectOptions, io: Io): Promise<CollectOutcome> {
  if (options.mode === 'bundle') await checkOutputPath(options.output, { force: options.replaceOutput ?? false });
  const started = io.now();
  const top = `nestbug-${stamp(started)}`;
  const spoolDir = await mkdtemp(path.join(os.tmpdir(), 'nestbug-'));
  removeOnExit(spoolDir);
  const writer = options.mode === 'bundle' ? BundleWriter.create(options.output, options.format, top) : undefined;
  const connector = new Connector(options.levels, options.connect);
  // With --redact nothing enters the archive before it has been rewritten.
  const spooled: SpooledFile[] = [];
  const addFile = (bundlePath: string, spoolPath: string) => (options.redact ? spooled.push({ bundlePath, spoolPath }) : writer?.addFile(bundlePath, spoolPath));
  const runs: LevelRun[] = options.levels.map((spec) => ({
    spec,
    record: { level: spec.level, target: describeTarget(spec.target), via: describeVia(spec), reached: false, items: [] },
  }));
  try {
    const tasks: ListrTask[] = runs.map((run) => ({
      title: `${run.spec.level} ${describeTarget(run.spec.target)}${run.record.via ? ` (through ${run.record.via})` : ''}`,
      task: async (_ctx, task) => {
        // Ctrl-C while a host is still connecting or probing ends that level at once.
        run.steps = await untilAborted(prepareLevel(run, connector, options, task), options.signal, 'connecting').catch((error: unknown) => {
          run.record.error ??= messageOf(error);
          throw error;
        });
        const transport = await connector.connect(run.spec.level);
        task.title = terminalText(`${run.spec.level} ${transport.label}: ${run.facts!.hostname} (${run.facts!.arch}, ${privilegeText(transport)})`);
        if (options.mode === 'plan') return;
        // Every item is handed to the transport at once: it bounds its channels and puts
        // what arrives together into one SSH channel.
        return task.newListr(stepTasks(run, run.steps, transport, options, spoolDir, addFile), {
          concurrent: true,
          exitOnError: false,
        });
      },
    }));
    const logger = new ListrLogger({ processOutput: new ProcessOutput(io.stderr as NodeJS.WriteStream, io.stderr as NodeJS.WriteStream) });
    const list = new Listr(tasks, {
      concurrent: true,
      exitOnError: false,
      registerSignalListeners: false,
      renderer: 'default',
      fallbackRenderer: 'simple',
      fallbackRendererCondition: !io.stderr.isTTY,
      silentRendererCondition: options.quiet,
      rendererOptions: { logger, collapseSubtasks: false, collapseSkips: false, showErrorMessage: true },
      fallbackRendererOptions: { logger },
    });
    await list.run();
  } finally {
    await connector.closeAll();
  }
  const interrupted = options.signal.aborted;
  const manifest: Manifest = {
    tool: 'nestbug',
    version: options.version,
    formatVersion: 1,
    commandLine: options.commandLine,
    startedAt: started.toISOString(),
    finishedAt: io.now().toISOString(),
    ...(interrupted ? { interrupted: true } : {}),
    levels: runs.map((r) => r.record),
  };
  const plans = new Map(runs.filter((r) => r.steps).map((r) => [r.spec.level, r.steps!]));
  const partial = isPartial(manifest.levels);
  if (!writer) return { bundle: null, bytes: 0, plans, manifest, spoolDir, partial, interrupted };
  try {
    // Redacted first: the summary is then made from what the bundle holds.
    const redaction = options.redact ? await redactSpool(spoolDir, spooled, manifest, options.redact.words) : undefined;
    for (const f of redaction ? spooled : []) writer.addFile(f.bundlePath, f.spoolPath);
    const { summary } = await options.finishBundle(manifest, spoolDir);
    writer.addText('summary.md', summary);
    writer.addText('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
    const bytes = await writer.finish(options.replaceOutput ?? false);
    let redactionMap: string | undefined;
    if (redaction) {
      await scanBundle(options.output, redaction);
      redactionMap = await writeRedactionMap(options.output, redaction);
    }
    return { bundle: options.output, bytes, plans, manifest, spoolDir, partial, interrupted, redactionMap, redaction };
  } catch (error) {
    if (error instanceof OutputError) {
      await rm(spoolDir, { recursive: true, force: true });
      throw error;
    }
    await writer.discard();
    await rm(spoolDir, { recursive: true, force: true });
    throw new OutputError(`cannot write the bundle ${options.output}: ${messageOf(error)}`, { cause: error });
  }
}

function privilegeText(transport: Transport): string {
  const p = transport.privilege;
  return p.mode === 'root' ? 'root' : p.mode === 'sudo' ? 'sudo' : 'no root';
}

async function prepareLevel(run: LevelRun, connector: Connector, options: CollectOptions, task: { title: string; output?: string }): Promise<PlannedStep[]> {
  let transport: Transport;
  try {
    task.output = 'connecting';
    transport = await connector.connect(run.spec.level);
  } catch (error) {
    run.record.error = error instanceof HostError || error instanceof UsageError ? error.message : `unexpected: ${messageOf(error)}`;
    throw new Error(terminalText(run.record.error));
  }
  try {
    task.output = 'probing';
    run.facts = await probeHost(transport, options.collectors, { sudo: options.sudo, sudoPassword: options.sudoPassword, timeoutMs: options.timeoutSeconds * 1000 });
  } catch (error) {
    run.record.error = messageOf(error);
    throw new Error(terminalText(run.record.error));
  }
  run.record.reached = true;
  const privilege = transport.privilege;
  run.record.facts = {
    arch: run.facts.arch,
    vendor: run.facts.vendor,
    user: run.facts.user,
    uid: run.facts.uid,
    hostname: run.facts.hostname,
    privilege: privilege.mode,
    privilegeNote: privilege.mode === 'none' ? privilege.why : undefined,
  };
  return planCollection(options.collectors, {
    level: run.spec.level,
    facts: run.facts,
    canBeRoot: privilege.mode !== 'none',
    noRootReason: privilege.mode === 'none' ? privilege.why : undefined,
    timeoutSeconds: options.timeoutSeconds,
    only: options.only,
  });
}

function stepTasks(run: LevelRun, steps: PlannedStep[], transport: Transport, options: CollectOptions, spoolDir: string, addFile: RunContext['onFile']): ListrTask[] {
  const done = new Map<string, Deferred<ItemRecord>>(steps.map((s) => [s.collector.id, deferred<ItemRecord>()]));
  const ctx: RunContext = {
    transport,
    spoolDir,
    maxBytes: options.maxOutputBytes,
    signal: options.signal,
    onFile: addFile,
    finished: new Map([...done].map(([id, d]) => [id, d.promise])),
  };
  run.record.items = new Array(steps.length);
  const started = new Map<string, () => void>();
  ctx.onStart = (id) => started.get(id)?.();
  return steps.map((step, index) => ({
    title: `${step.collector.id}`,
    task: async (_c, task) => {
      if (!step.skip) {
        task.output = 'waiting for a channel';
        started.set(step.collector.id, () => (task.output = 'running'));
      }
      const record = await runStep(step, ctx);
      run.record.items[index] = record;
      done.get(step.collector.id)!.resolve(record);
      if (transport.lostReason && record.status === 'failed' && run.record.lostAt === undefined && !options.signal.aborted && transport.lostReason !== 'closed') {
        run.record.lostAt = new Date().toISOString();
        run.record.error = `connection lost during collection: ${transport.lostReason}`;
      }
      const size = record.bytes !== undefined ? `, ${formatBytes(record.bytes)}` : record.files ? `, ${record.files.length} files` : '';
      switch (record.status) {
        case 'ok':
          task.title = `${step.collector.id}${size}${record.truncated ? ' (truncated)' : ''}`;
          return;
        case 'skipped':
        case 'not-installed':
          task.skip(terminalText(`${step.collector.id}: ${record.status === 'not-installed' ? 'not installed: ' : ''}${record.reason}`));
          return;
        default:
          throw new Error(terminalText(`${step.collector.id}: ${record.status}: ${record.reason ?? ''}`));
      }
    },
  }));
}
