// The levels' task list (listr2): each level is connected, probed, planned and its items
// run, hosts in parallel. The functions return what happened; the tasks only show it.
import { Listr, ListrLogger, type ListrTask, ProcessOutput } from 'listr2';
import type { ItemRecord, LevelRecord, Manifest } from '../bundle/manifest.js';
import type { Collector } from '../collect/collectors.js';
import { Connector, type ConnectSettings, describeVia, type LevelSpec } from '../collect/connect.js';
import { type PlannedStep, planCollection } from '../collect/plan.js';
import { type HostFacts, probeHost } from '../collect/probe.js';
import { type RunContext, runStep } from '../collect/run.js';
import { HostError, messageOf, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import type { Level } from '../levels.js';
import { describeTarget } from '../target.js';
import type { Transport } from '../transport/types.js';
import { type Deferred, deferred } from '../util/deferred.js';
import { formatBytes } from '../util/stamp.js';

export interface LevelsRequest {
  levels: LevelSpec[];
  collectors: Collector[];
  /** Only these collector ids run (check mode). */
  only?: ReadonlySet<string>;
  /** Connect, probe and plan; run nothing (--dry-run). */
  planOnly: boolean;
  connect: ConnectSettings;
  sudo: boolean;
  sudoPassword?: string;
  timeoutSeconds: number;
  maxOutputBytes: number;
  quiet: boolean;
  /** The folder the items are written into; the caller owns it. */
  spool: string;
  /** A finished evidence file in the spool. */
  onFile: RunContext['onFile'];
  /** Aborted on Ctrl-C / SIGTERM. */
  signal: AbortSignal;
  /** For the manifest. */
  commandLine: string[];
  version: string;
  startedAt: Date;
}

export interface LevelsCollected {
  manifest: Manifest;
  /** The plan of each reached level. */
  plans: Map<Level, PlannedStep[]>;
}

/** A reached level: its transport, what the probe found and what will run there. */
interface ReachedLevel {
  transport: Transport;
  facts: HostFacts;
  steps: PlannedStep[];
}

export async function collectLevels(request: LevelsRequest, io: Io): Promise<LevelsCollected> {
  const connector = new Connector(request.levels, request.connect);
  const records = request.levels.map(emptyRecord);
  const plans = new Map<Level, PlannedStep[]>();
  try {
    const tasks = request.levels.map(
      (spec, i): ListrTask => ({
        title: levelTitle(records[i]),
        task: async (_ctx, task) => {
          const reached = await reachLevel(spec, connector, request, (step) => (task.output = step)).catch(
            (error: unknown) => {
              records[i].error = hostProblem(error);
              throw new Error(records[i].error);
            },
          );
          Object.assign(records[i], reachedRecord(reached));
          plans.set(spec.level, reached.steps);
          task.title = reachedTitle(spec.level, reached);
          if (request.planOnly) return;
          return task.newListr(itemTasks(records[i], reached, request), { concurrent: true, exitOnError: false });
        },
      }),
    );
    await taskList(tasks, request.quiet, io).run();
  } finally {
    await connector.closeAll();
  }
  const interrupted = request.signal.aborted;
  const manifest: Manifest = {
    tool: 'nestbug',
    version: request.version,
    formatVersion: 1,
    commandLine: request.commandLine,
    startedAt: request.startedAt.toISOString(),
    finishedAt: io.now().toISOString(),
    ...(interrupted ? { interrupted: true } : {}),
    levels: records,
  };
  return { manifest, plans };
}

function emptyRecord(spec: LevelSpec): LevelRecord {
  return { level: spec.level, target: describeTarget(spec.target), via: describeVia(spec), reached: false, items: [] };
}

function levelTitle(record: LevelRecord): string {
  return `${record.level} ${record.target}${record.via ? ` (through ${record.via})` : ''}`;
}

function hostProblem(error: unknown): string {
  return error instanceof HostError || error instanceof UsageError ? error.message : `unexpected: ${messageOf(error)}`;
}

function taskList(tasks: ListrTask[], quiet: boolean, io: Io): Listr {
  const stderr = io.stderr as NodeJS.WriteStream;
  const logger = new ListrLogger({ processOutput: new ProcessOutput(stderr, stderr) });
  return new Listr(tasks, {
    concurrent: true,
    exitOnError: false,
    registerSignalListeners: false,
    renderer: 'default',
    fallbackRenderer: 'simple',
    fallbackRendererCondition: !io.stderr.isTTY,
    silentRendererCondition: quiet,
    rendererOptions: { logger, collapseSubtasks: false, collapseSkips: false, showErrorMessage: true },
    fallbackRendererOptions: { logger },
  });
}

function reachedTitle(level: Level, { transport, facts }: ReachedLevel): string {
  return `${level} ${transport.label}: ${facts.hostname} (${facts.arch}, ${privilegeText(transport)})`;
}

function privilegeText(transport: Transport): string {
  const p = transport.privilege;
  return p.mode === 'root' ? 'root' : p.mode === 'sudo' ? 'sudo' : 'no root';
}

/** Connect (once), probe and plan one level. */
async function reachLevel(
  spec: LevelSpec,
  connector: Connector,
  request: LevelsRequest,
  progress: (step: string) => void,
): Promise<ReachedLevel> {
  progress('connecting');
  const transport = await connector.connect(spec.level);
  progress('probing');
  const facts = await probeHost(transport, request.collectors, {
    sudo: request.sudo,
    sudoPassword: request.sudoPassword,
    timeoutMs: request.timeoutSeconds * 1000,
  }).catch((error: unknown) => {
    throw new HostError(messageOf(error), { cause: error });
  });
  const privilege = transport.privilege;
  const steps = planCollection(request.collectors, {
    level: spec.level,
    facts,
    canBeRoot: privilege.mode !== 'none',
    noRootReason: privilege.mode === 'none' ? privilege.why : undefined,
    timeoutSeconds: request.timeoutSeconds,
    only: request.only,
  });
  return { transport, facts, steps };
}

function reachedRecord({ transport, facts }: ReachedLevel): Partial<LevelRecord> {
  const privilege = transport.privilege;
  return {
    reached: true,
    facts: {
      arch: facts.arch,
      vendor: facts.vendor,
      user: facts.user,
      uid: facts.uid,
      hostname: facts.hostname,
      privilege: privilege.mode,
      privilegeNote: privilege.mode === 'none' ? privilege.why : undefined,
    },
  };
}

/** One task per item; every item is handed to the transport at once: it bounds its
 * channels and puts what arrives together into one SSH channel. */
function itemTasks(record: LevelRecord, level: ReachedLevel, request: LevelsRequest): ListrTask[] {
  const { steps, transport } = level;
  const done = new Map<string, Deferred<ItemRecord>>(steps.map((s) => [s.collector.id, deferred<ItemRecord>()]));
  const started = new Map<string, () => void>();
  const ctx: RunContext = {
    transport,
    spoolDir: request.spool,
    maxBytes: request.maxOutputBytes,
    signal: request.signal,
    onFile: request.onFile,
    finished: new Map([...done].map(([id, d]) => [id, d.promise])),
    onStart: (id) => started.get(id)?.(),
  };
  record.items = new Array(steps.length);
  return steps.map((step, index) => ({
    title: step.collector.id,
    task: async (_c, task) => {
      if (!step.skip) {
        task.output = 'waiting for a channel';
        started.set(step.collector.id, () => (task.output = 'running'));
      }
      const item = await runStep(step, ctx);
      record.items[index] = item;
      done.get(step.collector.id)!.resolve(item);
      noteLostConnection(record, transport, item, request.signal);
      showItem(item, task);
    },
  }));
}

function noteLostConnection(record: LevelRecord, transport: Transport, item: ItemRecord, signal: AbortSignal): void {
  const lost = transport.lostReason;
  if (!lost || lost === 'closed' || item.status !== 'failed' || record.lostAt !== undefined || signal.aborted) return;
  record.lostAt = new Date().toISOString();
  record.error = `connection lost during collection: ${lost}`;
}

function showItem(item: ItemRecord, task: { title: string; skip(message: string): void }): void {
  const size =
    item.bytes !== undefined ? `, ${formatBytes(item.bytes)}` : item.files ? `, ${item.files.length} files` : '';
  switch (item.status) {
    case 'ok':
      task.title = `${item.id}${size}${item.truncated ? ' (truncated)' : ''}`;
      return;
    case 'skipped':
    case 'not-installed':
      task.skip(`${item.id}: ${item.status === 'not-installed' ? 'not installed: ' : ''}${item.reason}`);
      return;
    default:
      throw new Error(`${item.id}: ${item.status}: ${item.reason ?? ''}`);
  }
}
