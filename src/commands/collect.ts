// nestbug collect: connect, probe, plan, run (listr2), analyse, render, bundle.
import { access, constants, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Listr, ListrLogger, ProcessOutput, type ListrTask } from 'listr2';
import { type LevelRecord, type Manifest, isPartial } from '../bundle/manifest.js';
import { type BundleFormat, BundleWriter } from '../bundle/writer.js';
import type { Collector } from '../collect/collectors.js';
import { Connector, type ConnectSettings, type LevelSpec, describeVia } from '../collect/connect.js';
import { planCollection, type PlannedStep } from '../collect/plan.js';
import { type HostFacts, probeHost } from '../collect/probe.js';
import { runLevelItems } from '../collect/run.js';
import { LevelProgress } from '../collect/progress.js';
import { HostError, OutputError, UsageError, messageOf } from '../errors.js';
import type { Io } from '../io.js';
import type { Level } from '../levels.js';
import { describeTarget } from '../target.js';
import type { Transport } from '../transport/types.js';
import { stamp } from '../util/stamp.js';
import { type SpooledFile, redactSpool, scanBundle, writeRedactionMap } from '../redact/apply.js';

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
}

export async function assertWritableOutput(output: string): Promise<void> {
  const dir = path.dirname(output);
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) throw new UsageError(`-o ${output}: ${dir} is not a directory`);
    await access(dir, constants.W_OK);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`-o ${output}: cannot write in ${dir} (${code === 'ENOENT' ? 'no such directory' : code ?? messageOf(error)})`);
  }
  try {
    const existing = await stat(output);
    if (existing.isDirectory()) throw new UsageError(`-o ${output}: is a directory; give a file name ending in .zip or .tar.gz`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
  }
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
  if (options.mode === 'bundle') await assertWritableOutput(options.output);
  const started = io.now();
  const top = `nestbug-${stamp(started)}`;
  const spoolDir = await mkdtemp(path.join(os.tmpdir(), 'nestbug-'));
  const writer = options.mode === 'bundle' ? BundleWriter.create(options.output, options.format, top) : undefined;
  const connector = new Connector(options.levels, { ...options.connect, signal: options.signal });
  // With --redact nothing enters the archive before it has been rewritten.
  const spooled: SpooledFile[] = [];
  const addFile = (bundlePath: string, spoolPath: string) => (options.redact ? spooled.push({ bundlePath, spoolPath }) : writer?.addFile(bundlePath, spoolPath));
  const runs: LevelRun[] = options.levels.map((spec) => ({
    spec,
    record: { level: spec.level, target: describeTarget(spec.target), via: describeVia(spec), reached: false, items: [] },
  }));
  try {
    const lines = options.quiet || io.stderr.isTTY ? undefined : (line: string) => io.stderr.write(`${line}\n`);
    const tasks: ListrTask[] = runs.map((run) => ({
      title: `${run.spec.level} ${describeTarget(run.spec.target)}${run.record.via ? ` (through ${run.record.via})` : ''}`,
      task: async (_ctx, task) => {
        const progress = new LevelProgress(task.title, task, lines);
        try {
          run.steps = await prepareLevel(run, connector, options, progress);
        } catch (error) {
          lines?.(`${task.title}: not reached: ${messageOf(error)}`);
          throw error;
        }
        const transport = await connector.connect(run.spec.level);
        progress.reached(`${run.facts!.hostname} (${run.facts!.arch}, ${privilegeText(transport)})`, options.mode === 'plan' ? [] : run.steps);
        if (options.mode === 'plan') return;
        const ctx = { transport, spoolDir, maxBytes: options.maxOutputBytes, signal: options.signal, onFile: addFile };
        await runLevelItems(run.steps, run.record, ctx, progress);
      },
      rendererOptions: { outputBar: true },
    }));
    const logger = new ListrLogger({ processOutput: new ProcessOutput(io.stderr as NodeJS.WriteStream, io.stderr as NodeJS.WriteStream) });
    const list = new Listr(tasks, {
      concurrent: true,
      exitOnError: false,
      registerSignalListeners: false,
      renderer: 'default',
      // Without a terminal the progress writes its own lines (one per finished item).
      silentRendererCondition: options.quiet || !io.stderr.isTTY,
      rendererOptions: { logger, collapseSubtasks: false, collapseSkips: false, showErrorMessage: true },
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
    let { summary } = await options.finishBundle(manifest, spoolDir);
    let redaction;
    if (options.redact) {
      ({ redaction, summary } = await redactSpool(spooled, manifest, summary, options.redact.words));
      for (const f of spooled) writer.addFile(f.bundlePath, f.spoolPath);
    }
    writer.addText('summary.md', summary);
    writer.addText('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
    const bytes = await writer.finish();
    let redactionMap: string | undefined;
    if (redaction) {
      await scanBundle(options.output, redaction);
      redactionMap = await writeRedactionMap(options.output, redaction);
    }
    return { bundle: options.output, bytes, plans, manifest, spoolDir, partial, interrupted, redactionMap };
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

async function prepareLevel(run: LevelRun, connector: Connector, options: CollectOptions, progress: LevelProgress): Promise<PlannedStep[]> {
  let transport: Transport;
  try {
    progress.phase('connecting');
    transport = await connector.connect(run.spec.level);
  } catch (error) {
    run.record.error = error instanceof HostError || error instanceof UsageError ? error.message : `unexpected: ${messageOf(error)}`;
    throw new Error(run.record.error);
  }
  try {
    progress.phase('probing');
    run.facts = await probeHost(transport, options.collectors, { sudo: options.sudo, sudoPassword: options.sudoPassword, timeoutMs: options.timeoutSeconds * 1000, signal: options.signal });
  } catch (error) {
    run.record.error = messageOf(error);
    throw new Error(run.record.error);
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
