// The levels' task list (listr2): each level is connected, probed, planned and its items
// run, hosts in parallel. The functions return what happened; the tasks only show it.
import { Listr, ListrLogger, type ListrTask, ProcessOutput } from 'listr2';
import type { LevelRecord, Manifest } from '../bundle/manifest.js';
import type { Collector } from '../collect/collectors.js';
import { Connector, type ConnectSettings, describeVia, type LevelSpec } from '../collect/connect.js';
import { type PlannedStep, planCollection } from '../collect/plan.js';
import { type HostFacts, probeHost } from '../collect/probe.js';
import { LevelProgress } from '../collect/progress.js';
import { type RunContext, runLevelItems } from '../collect/run.js';
import { HostError, messageOf, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import type { Level } from '../levels.js';
import { untilAborted } from '../signals.js';
import { describeTarget } from '../target.js';
import type { Transport } from '../transport/types.js';
import { terminalText } from '../util/terminal-text.js';

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
  /** Called once the levels are connected (at a terminal), before the items run. */
  onConnected?: () => void;
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
  const connector = new Connector(request.levels, { ...request.connect, signal: request.signal });
  const records = request.levels.map(emptyRecord);
  // Without a terminal the progress writes its own lines (one per finished item).
  // Host data in them (names, reasons) is shown escaped.
  const lines =
    request.quiet || io.stderr.isTTY ? undefined : (line: string) => void io.stderr.write(`${terminalText(line)}\n`);
  const plans = new Map<Level, PlannedStep[]>();
  try {
    const tasks = request.levels.map(
      (spec, i): ListrTask => ({
        title: levelTitle(records[i]),
        task: async (_ctx, task) => {
          const progress = new LevelProgress(task.title, task, lines);
          // Ctrl-C while a host is still connecting or probing ends that level at once.
          const reaching = reachLevel(spec, connector, request, (step) => progress.phase(step));
          // Interrupted already (Ctrl-C at a host-key question), the wait below rejects at
          // once: the level's own failure must not go unhandled.
          reaching.catch(() => undefined);
          const reached = await untilAborted(reaching, request.signal, 'connecting').catch((error: unknown) => {
            records[i].error = hostProblem(error);
            lines?.(`${task.title}: not reached: ${records[i].error}`);
            throw new Error(terminalText(records[i].error));
          });
          Object.assign(records[i], reachedRecord(reached));
          plans.set(spec.level, reached.steps);
          progress.reached(reachedTitle(reached), request.planOnly ? [] : reached.steps);
          if (request.planOnly) return;
          await runLevelItems(reached.steps, records[i], runContext(reached, request), progress);
        },
        rendererOptions: { outputBar: true },
      }),
    );
    // At a terminal, host-key and password questions come before the task list draws.
    if (request.connect.ask)
      for (const spec of request.levels) await connector.connect(spec.level).catch(() => undefined);
    request.onConnected?.();
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
    silentRendererCondition: quiet || !io.stderr.isTTY,
    rendererOptions: { logger, collapseSubtasks: false, collapseSkips: false, showErrorMessage: true },
  });
}

function reachedTitle({ transport, facts }: ReachedLevel): string {
  return terminalText(`${facts.hostname} (${facts.arch}, ${privilegeText(transport)})`);
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
    signal: request.signal,
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

function runContext({ transport }: ReachedLevel, request: LevelsRequest) {
  const { spool: spoolDir, maxOutputBytes: maxBytes, signal, onFile } = request;
  return { transport, spoolDir, maxBytes, signal, onFile };
}
