// collect, check and collect --dry-run, one way: flags -> (wizard) -> options -> collected
// levels in a spool folder -> analysis -> bundle -> report and exit code. This command owns
// the spool folder and the bundle writer.
import { setMaxListeners } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { evidenceFromMap } from '../analyse/evidence.js';
import { analyse } from '../analyse/index.js';
import { checkItems } from '../analyse/items.js';
import type { Verdict } from '../analyse/types.js';
import { readEvidenceFolder } from '../bundle/folder.js';
import type { Manifest } from '../bundle/manifest.js';
import { isPartial } from '../bundle/manifest.js';
import { BundleWriter } from '../bundle/writer.js';
import type { ConnectSettings, LevelSpec } from '../collect/connect.js';
import { probeHost, runCaptured } from '../collect/probe.js';
import { carriedArgs, equivalentCommand } from '../equivalent-command.js';
import { collectExitCode } from '../exit-codes.js';
import { canPrompt, type Io } from '../io.js';
import type { Level } from '../levels.js';
import {
  type AnyCollectFlags,
  buildCollectOptions,
  type CollectEnv,
  type CollectMode,
  type CollectOptions,
  commandLineOf,
  isInteractive,
  recordedCommandLine,
} from '../options.js';
import { topFolderName } from '../output-name.js';
import { askYesNo, checkOutputPath } from '../output-path.js';
import { redactJsonResult, redactSpool, type SpooledFile } from '../redact/apply.js';
import type { Redaction } from '../redact/redact.js';
import { jsonResult } from '../render/json.js';
import { checkTitle, renderSummary } from '../render/summary.js';
import { renderSummaryText } from '../render/summary-text.js';
import { onInterrupt, removeOnExit } from '../signals.js';
import { terminalQuestions } from '../transport/connect-questions.js';
import { HostKeyStore } from '../transport/host-key-store.js';
import { type Identity, isEncryptedKeyFile, loadIdentity } from '../transport/identities.js';
import { LocalTransport } from '../transport/local.js';
import { loadSshConfig, type SshConfigFile } from '../transport/ssh-config.js';
import { sshConfigFile } from '../transport/ssh-config-file.js';
import { stamp } from '../util/stamp.js';
import { terminalSafeJson, terminalText } from '../util/terminal-text.js';
import { collectLevels, type LevelsRequest } from './collect-levels.js';
import { type BundleReport, closingReport, reportDryRun } from './collect-report.js';
import { loadCollectorFiles } from './collectors-list.js';
import { summaryTemplate, writeBundle } from './write-bundle.js';

export interface Invocation {
  /** The command line as typed, recorded in the manifest. */
  argv: string[];
  version: string;
}

export async function runCollectCommand(
  command: 'bundle' | 'check',
  flags: AnyCollectFlags,
  invocation: Invocation,
  io: Io,
): Promise<number> {
  const plan = await planCollection(command, flags, invocation, io);
  const { options } = plan;
  const startedAt = io.now();
  const spool = await mkdtemp(path.join(os.tmpdir(), 'nestbug-'));
  removeOnExit(spool);
  // The default file name and the top folder carry the same time stamp.
  const top = topFolderName(options.output, stamp(startedAt));
  const writer = options.mode === 'bundle' ? BundleWriter.create(options.output, options.format, top) : undefined;
  const { held, onFile } = spoolSink(writer, options);
  try {
    const onConnected = () => announceEquivalentCommand(plan, flags, io);
    const { levels, collectors, connect } = plan;
    const sudoPassword = plan.answers?.sudoPassword;
    const request = { levels, collectors, connect, spool, onFile, startedAt, sudoPassword, onConnected };
    const collected = await whileListening(options.mode, io, (signal) =>
      collectLevels(levelsRequest(options, request, signal, invocation.version), io),
    );
    if (options.mode === 'dry-run') return reportDryRun(collected, options.json, io);
    return await analyseAndWrite(collected.manifest, { spool, writer, held, replace: plan.replace }, options, io);
  } catch (error) {
    await writer?.discard();
    throw error;
  } finally {
    await rm(spool, { recursive: true, force: true });
  }
}

type CollectPlan = Awaited<ReturnType<typeof planCollection>>;

/** Everything decided before the first host is contacted: options, levels, collectors, how to connect. */
async function planCollection(command: 'bundle' | 'check', flags: AnyCollectFlags, invocation: Invocation, io: Io) {
  const env: CollectEnv = {
    cwd: io.cwd,
    home: os.homedir(),
    now: io.now(),
    terminal: canPrompt(io, true),
    sshAuthSock: io.env.SSH_AUTH_SOCK,
  };
  const sshConfig = loadSshConfig(env.home, sshConfigFile(flags.sshConfig, io.cwd));
  // Flags and collector files are checked before any question is asked.
  const typed = buildCollectOptions(command, flags, env, invocation.argv);
  const collectors = await loadCollectorFiles(typed.collectorFiles);
  const answers = await askWhenNoLevel(typed, sshConfig, io);
  const options = answers
    ? buildCollectOptions(command, { ...flags, ...answers.flags, input: false }, env, commandLineOf(answers.flags))
    : typed;
  const levels = options.levels.length > 0 ? options.levels : await thisMachineAlone(io);
  const ask = options.interactive ? askYesNo : undefined;
  const replace = options.mode === 'bundle' && (await checkOutputPath(options.output, { force: options.force, ask }));
  // Host-key and password questions at a terminal, for check too (the wizard is collect's;
  // its answers turn the prompting flags off, not these questions).
  const questions = isInteractive(flags, env) ? terminalQuestions(io.stderr) : undefined;
  const connect = { ...(await connectSettings(options, sshConfig, io)), ask: questions };
  return { options, answers, collectors, levels, replace, questions, connect };
}

/** Where each collected file goes: straight into the archive, or held back for --redact. */
function spoolSink(writer: BundleWriter | undefined, options: CollectOptions) {
  // With --redact nothing enters the archive before it has been rewritten.
  const held: SpooledFile[] = [];
  const onFile = (bundlePath: string, spoolPath: string) => {
    if (writer && !options.redact) writer.addFile(bundlePath, spoolPath);
    else held.push({ bundlePath, spoolPath });
  };
  return { held, onFile };
}

/** The wizard's answers as one command line, with what was chosen while connecting. */
function announceEquivalentCommand(plan: CollectPlan, flags: AnyCollectFlags, io: Io): void {
  const { answers, questions, options } = plan;
  if (!answers) return;
  const argv = [...commandLineOf(answers.flags)];
  argv.splice(1, 0, ...carriedArgs(flags));
  const equivalent = equivalentCommand(argv, questions?.choices, answers.sudoPassword !== undefined);
  io.stderr.write(equivalent.text);
  options.commandLine.splice(0, options.commandLine.length, ...recordedCommandLine(equivalent.argv));
}

interface Collected {
  spool: string;
  writer?: BundleWriter;
  held: SpooledFile[];
  replace: boolean;
}

async function analyseAndWrite(manifest: Manifest, at: Collected, options: CollectOptions, io: Io): Promise<number> {
  const { spool, writer, held, replace } = at;
  // With --redact the spool and the manifest are rewritten first: the analysis, the
  // summary and the JSON then see only placeholders, and nestbug's own words stay.
  const redaction =
    writer && options.redact ? await redactSpool(spool, held, manifest, options.redact.words) : undefined;
  const verdict = analyse(evidenceFromMap(await readEvidenceFolder(spool)), manifest.levels);
  // No level reached: an archive would hold nothing to attach, so none is written.
  const nothing = manifest.levels.every((l) => !l.reached);
  if (nothing) await writer?.discard();
  const bundle =
    writer && !nothing ? await finishBundle(writer, manifest, verdict, held, { replace, redaction }) : undefined;
  return report(verdict, manifest, bundle, options, io, redaction);
}

type RequestParts = Pick<
  LevelsRequest,
  'levels' | 'collectors' | 'connect' | 'spool' | 'onFile' | 'startedAt' | 'sudoPassword' | 'onConnected'
>;

function levelsRequest(
  options: CollectOptions,
  parts: RequestParts,
  signal: AbortSignal,
  version: string,
): LevelsRequest {
  return {
    ...parts,
    only: options.mode === 'check' ? checkItems() : undefined,
    planOnly: options.mode === 'dry-run',
    sudo: options.sudo,
    timeoutSeconds: options.timeoutSeconds,
    maxOutputBytes: options.maxOutputBytes,
    quiet: options.quiet,
    signal,
    commandLine: options.commandLine,
    version,
  };
}

async function finishBundle(
  writer: BundleWriter,
  manifest: Manifest,
  verdict: Verdict,
  held: SpooledFile[],
  how: { replace: boolean; redaction?: Redaction },
): Promise<BundleReport> {
  const summary = renderSummary(await summaryTemplate(), verdict, manifest);
  const summaryText = renderSummaryText(verdict, manifest, checkTitle);
  const written = await writeBundle(writer, { manifest, summary, summaryText, held, ...how });
  return { path: writer.outputPath, ...written };
}

function report(
  verdict: Verdict,
  manifest: Manifest,
  bundle: BundleReport | undefined,
  options: CollectOptions,
  io: Io,
  redaction?: Redaction,
): number {
  const code = collectExitCode({
    partial: isPartial(manifest.levels),
    interrupted: manifest.interrupted === true,
    anyCheckFailed: verdict.checks.some((c) => c.status === 'fail'),
  });
  if (options.json) {
    const result = jsonResult(verdict, code, bundle?.path ?? null, manifest);
    const shown = redaction ? redactJsonResult(result, redaction) : result;
    io.stdout.write(`${terminalSafeJson(JSON.stringify(shown, null, 2))}\n`);
  }
  if (!options.quiet)
    io.stderr.write(`${terminalText(closingReport(verdict, manifest, bundle, !options.json).join('\n'))}\n`);
  return code;
}

/** Ctrl-C, SIGTERM or SIGHUP once stops the running commands (what was collected is
 * kept); twice quits at once, leaving nothing behind (signals.ts). */
async function whileListening<T>(mode: CollectMode, io: Io, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  // Every running item listens for Ctrl-C on this signal.
  setMaxListeners(0, controller.signal);
  const stopListening = onInterrupt((signal) => {
    const writing = mode === 'bundle' ? ' and writing what was collected' : '';
    io.stderr.write(`\nnestbug: ${signal}: stopping the running commands${writing} (again to quit at once)\n`);
    controller.abort();
  });
  try {
    return await run(controller.signal);
  } finally {
    stopListening();
  }
}

async function connectSettings(options: CollectOptions, sshConfig: SshConfigFile, io: Io): Promise<ConnectSettings> {
  const { identities, passphrase } = await loadExplicitIdentities(options.identityFiles, io, options.interactive);
  return {
    sshConfig,
    hostKeys: new HostKeyStore(
      options.knownHosts,
      ['/etc/ssh/ssh_known_hosts'],
      sshConfig.lookup('*').hashKnownHosts ?? false,
    ),
    acceptNewHostKeys: options.acceptNewHostKeys,
    identities,
    passphrase,
    agent: options.agent,
    connectTimeoutMs: Math.min(options.timeoutSeconds, 30) * 1000,
  };
}

async function loadExplicitIdentities(
  files: string[],
  io: Io,
  interactive: boolean,
): Promise<{ identities: Identity[]; passphrase?: string }> {
  let passphrase = io.env.NESTBUG_KEY_PASSPHRASE;
  const identities: Identity[] = [];
  for (const file of files) {
    if (passphrase === undefined && interactive && isEncryptedKeyFile(file)) {
      const { askPassphrase } = await import('../prompts.js');
      passphrase = await askPassphrase(file);
    }
    identities.push(loadIdentity(file, { explicit: true, passphrase })!);
  }
  return { identities, passphrase };
}

// --- no level given -------------------------------------------------------------------

async function localFacts() {
  return probeHost(new LocalTransport(), [], { sudo: false, timeoutMs: 10000 });
}

function describeDetection(facts: Awaited<ReturnType<typeof localFacts>>): { level: Level; why: string } {
  const level: Level = facts.virtualized ? 'L1' : 'L0';
  return { level, why: facts.virtualized ? `inside a VM (${facts.virtHint}), so L1` : 'no hypervisor seen, so L0' };
}

/** No level given and nobody to ask: this machine, as the level it detects. */
async function thisMachineAlone(io: Io): Promise<LevelSpec[]> {
  const { level, why } = describeDetection(await localFacts());
  io.stderr.write(`nestbug: no level given; this machine is ${why}. Pass --l0/--l1/--l2 to say otherwise.\n`);
  return [{ level, target: { kind: 'local' } }];
}

/** No level given at a terminal: the wizard asks (collect only, not with --dry-run). */
async function askWhenNoLevel(options: CollectOptions, sshConfig: SshConfigFile, io: Io) {
  if (options.mode !== 'bundle' || options.levels.length > 0 || !options.interactive) return undefined;
  const facts = await localFacts();
  const { runWizard } = await import('../prompts.js');
  return runWizard({
    detected: describeDetection(facts),
    aliases: sshConfig.aliases,
    guestAddresses,
    isRoot: facts.uid === 0,
    localSudoWorks: async () => {
      const local = new LocalTransport();
      if (
        !facts.tools.has('sudo') &&
        !(await runCaptured(local, ['sh', '-c', 'command -v sudo'], 5000)).stdout.trim()
      ) {
        return undefined;
      }
      return (await runCaptured(local, ['sudo', '-n', 'true'], 5000)).exitCode === 0;
    },
    defaultOutput: path.basename(options.output),
    output: io.stderr,
  });
}

async function guestAddresses(): Promise<Array<{ address: string; domain: string }>> {
  const local = new LocalTransport();
  local.privilege = { mode: 'none', why: 'wizard' };
  const script =
    'virsh -r -c qemu:///system list --name 2>/dev/null | while IFS= read -r d; do [ -n "$d" ] && ' +
    'virsh -r -c qemu:///system domifaddr --source lease -- "$d" 2>/dev/null | sed "s|^|$d |"; done';
  const r = await runCaptured(local, ['sh', '-c', script], 10000);
  const out: Array<{ address: string; domain: string }> = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^(.*?) +\S+ +\S+ +ipv4 +(\d+\.\d+\.\d+\.\d+)\//.exec(line);
    if (m) out.push({ domain: terminalText(m[1]), address: m[2] });
  }
  return out;
}
