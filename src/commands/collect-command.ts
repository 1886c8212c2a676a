// collect, check and collect --dry-run: options -> (wizard) -> collection -> verdict ->
// output and exit code.
import { setMaxListeners } from 'node:events';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { analyseEvidence } from '../analyse/index.js';
import { checkItems } from '../analyse/items.js';
import { evidenceFromMap } from '../analyse/evidence.js';
import { runsOnLabel } from '../analyse/runs-on.js';
import type { Verdict } from '../analyse/types.js';
import { countItems } from '../bundle/manifest.js';
import { readEvidenceFolder } from '../bundle/folder.js';
import { CollectorFileError } from '../collect/collectors.js';
import type { LevelSpec } from '../collect/connect.js';
import { loadCollectors } from '../collect/load-collectors.js';
import type { PlannedStep } from '../collect/plan.js';
import { probeHost, runSmall } from '../collect/probe.js';
import { UsageError } from '../errors.js';
import { EXIT, collectExitCode } from '../exit-codes.js';
import { type Io, canPrompt } from '../io.js';
import type { Level } from '../levels.js';
import { levelSpecs, parseSeconds, parseSize, resolveOutput, type TargetFlags } from '../options.js';
import { jsonResult } from '../render/json.js';
import { HostKeyStore } from '../transport/host-key-store.js';
import { type Identity, isEncryptedKeyFile, loadIdentity } from '../transport/identities.js';
import { LocalTransport } from '../transport/local.js';
import { quoteArgv } from '../transport/quote.js';
import { loadSshConfig } from '../transport/ssh-config.js';
import { formatBytes } from '../util/stamp.js';
import { type CollectMode, type CollectOutcome, assertWritableOutput, collect, defaultOutputName } from './collect.js';
import { analyseFolder } from './finish-bundle.js';

export interface CollectFlags extends TargetFlags {
  identity?: string[];
  knownHosts?: string;
  acceptNewHostKeys?: boolean;
  sudo?: boolean;
  output?: string;
  format?: string;
  timeout?: string;
  maxOutput?: string;
  input?: boolean;
  json?: boolean;
  color?: boolean;
  quiet?: boolean;
  dryRun?: boolean;
  collectors?: string[];
  redact?: boolean;
  redactWord?: string[];
}

/** The command line as recorded in the manifest: words to redact are not repeated there. */
export function recordedCommandLine(argv: string[]): string[] {
  return argv.map((arg, i) => (argv[i - 1] === '--redact-word' ? '<redacted>' : arg.startsWith('--redact-word=') ? '--redact-word=<redacted>' : arg));
}

export interface CollectRunInput {
  flags: CollectFlags;
  argv: string[];
  version: string;
  mode: 'bundle' | 'check';
}


async function localFacts() {
  const local = new LocalTransport();
  return probeHost(local, [], { sudo: false, timeoutMs: 10000 });
}

function describeDetection(facts: Awaited<ReturnType<typeof localFacts>>): { level: Level; why: string } {
  const level: Level = facts.virtualized ? 'L1' : 'L0';
  return { level, why: facts.virtualized ? `inside a VM (${facts.virtHint}), so L1` : 'no hypervisor seen, so L0' };
}

async function guestAddresses(): Promise<Array<{ address: string; domain: string }>> {
  const local = new LocalTransport();
  local.privilege = { mode: 'none', why: 'wizard' };
  const script = 'virsh -r -c qemu:///system list --name 2>/dev/null | while IFS= read -r d; do [ -n "$d" ] && virsh -r -c qemu:///system domifaddr --source lease -- "$d" 2>/dev/null | sed "s|^|$d |"; done';
  const r = await runSmall(local, ['sh', '-c', script], 10000);
  const out: Array<{ address: string; domain: string }> = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^(.*?) +\S+ +\S+ +ipv4 +(\d+\.\d+\.\d+\.\d+)\//.exec(line);
    if (m) out.push({ domain: m[1], address: m[2] });
  }
  return out;
}

async function loadExplicitIdentities(files: string[], io: Io, interactive: boolean): Promise<{ identities: Identity[]; passphrase?: string }> {
  let passphrase = io.env.NESTBUG_KEY_PASSPHRASE;
  const identities: Identity[] = [];
  for (const file of files.map((f) => path.resolve(io.cwd, f))) {
    if (passphrase === undefined && interactive && isEncryptedKeyFile(file)) {
      const { askPassphrase } = await import('../prompts.js');
      passphrase = await askPassphrase(file);
    }
    identities.push(loadIdentity(file, { explicit: true, passphrase })!);
  }
  return { identities, passphrase };
}

export async function runCollectCommand(input: CollectRunInput, io: Io): Promise<number> {
  let flags = { ...input.flags };
  let argv = input.argv;
  let sudoPassword: string | undefined;
  const interactive = canPrompt(io, flags.input !== false) && !flags.json;
  const timeoutSeconds = flags.timeout ? parseSeconds(flags.timeout, '--timeout') : 30;
  const maxOutputBytes = flags.maxOutput ? parseSize(flags.maxOutput, '--max-output') : 64 * 1024 * 1024;
  let levels = levelSpecs(flags);
  let collectors;
  try {
    collectors = await loadCollectors(flags.collectors ?? []);
  } catch (error) {
    if (error instanceof CollectorFileError) throw new UsageError(error.message);
    throw error;
  }
  const home = os.homedir();
  const sshConfig = loadSshConfig(home);
  if (levels.length === 0) {
    const facts = await localFacts();
    if (interactive && input.mode === 'bundle' && !flags.dryRun) {
      const { runWizard } = await import('../prompts.js');
      const answers = await runWizard({
        detected: describeDetection(facts),
        aliases: sshConfig.aliases,
        guestAddresses,
        isRoot: facts.uid === 0,
        localSudoWorks: async () => {
          if (!facts.tools.has('sudo') && !(await runSmall(new LocalTransport(), ['sh', '-c', 'command -v sudo'], 5000)).stdout.trim()) return undefined;
          return (await runSmall(new LocalTransport(), ['sudo', '-n', 'true'], 5000)).exitCode === 0;
        },
        defaultOutput: path.basename(resolveOutput(flags.output, flags.format, io.cwd, (f) => defaultOutputName(io.now(), f)).output),
        output: io.stderr,
      });
      flags = { ...flags, ...answers.flags };
      sudoPassword = answers.sudoPassword;
      argv = answers.commandLine;
      levels = levelSpecs(flags);
    } else {
      const { level, why } = describeDetection(facts);
      io.stderr.write(`nestbug: no level given; this machine is ${why}. Pass --l0/--l1/--l2 to say otherwise.\n`);
      levels = [{ level, target: { kind: 'local' } } satisfies LevelSpec];
    }
  }
  const mode: CollectMode = flags.dryRun ? 'plan' : input.mode;
  const { output, format } = resolveOutput(flags.output, flags.format, io.cwd, (f) => defaultOutputName(io.now(), f));
  if (mode === 'bundle') await assertWritableOutput(output);
  const { identities, passphrase } = await loadExplicitIdentities(flags.identity ?? [], io, interactive);
  const knownHosts = flags.knownHosts ? path.resolve(io.cwd, flags.knownHosts) : path.join(home, '.ssh', 'known_hosts');
  const controller = new AbortController();
  // Every running item listens for Ctrl-C on this signal.
  setMaxListeners(0, controller.signal);
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      io.stderr.write(`\nnestbug: ${signal}: stopping the running commands${mode === 'bundle' ? ' and writing what was collected' : ''} (again to quit at once)\n`);
      controller.abort();
    } else {
      process.exit(EXIT.interrupted);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let verdict: Verdict | undefined;
  let outcome: CollectOutcome;
  try {
    outcome = await collect(
      {
        mode,
        levels,
        collectors,
        only: mode === 'check' ? checkItems() : undefined,
        connect: {
          sshConfig,
          hostKeys: new HostKeyStore(knownHosts, ['/etc/ssh/ssh_known_hosts'], sshConfig.lookup('*').hashKnownHosts ?? false),
          acceptNewHostKeys: flags.acceptNewHostKeys ?? false,
          identities,
          passphrase,
          agent: io.env.SSH_AUTH_SOCK || undefined,
          connectTimeoutMs: Math.min(timeoutSeconds, 30) * 1000,
        },
        sudo: flags.sudo ?? false,
        sudoPassword,
        output,
        format,
        timeoutSeconds,
        maxOutputBytes,
        json: flags.json ?? false,
        quiet: flags.quiet ?? false,
        commandLine: recordedCommandLine(argv),
        version: input.version,
        signal: controller.signal,
        redact: flags.redact || flags.redactWord?.length ? { words: flags.redactWord ?? [] } : undefined,
        finishBundle: async (manifest, spoolDir) => {
          const result = await analyseFolder(spoolDir, manifest);
          verdict = result.verdict;
          return { summary: result.summary };
        },
      },
      io,
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  try {
    if (mode === 'plan') return reportPlan(outcome, flags, io);
    if (!verdict) {
      const map = await readEvidenceFolder(outcome.spoolDir);
      map.set('manifest.json', JSON.stringify(outcome.manifest));
      verdict = analyseEvidence(evidenceFromMap(map));
    }
    const anyCheckFailed = verdict.checks.some((c) => c.status === 'fail');
    const code = collectExitCode({ partial: outcome.partial, interrupted: outcome.interrupted, anyCheckFailed });
    if (flags.json) io.stdout.write(`${JSON.stringify(jsonResult(verdict, code, outcome.bundle, outcome.manifest), null, 2)}\n`);
    if (!flags.quiet) io.stderr.write(`${closingReport(verdict, outcome, mode, !flags.json).join('\n')}\n`);
    return code;
  } finally {
    await rm(outcome.spoolDir, { recursive: true, force: true });
  }
}

function closingReport(verdict: Verdict, outcome: CollectOutcome, mode: CollectMode, withChecks: boolean): string[] {
  const counts = countItems(outcome.manifest.levels);
  const lines = ['', `Nested setup: ${verdict.chainName}. ${verdict.chainLine}`];
  for (const v of Object.values(verdict.levels)) lines.push(`  ${v!.level} runs on ${runsOnLabel(v!.runsOn)}${v!.disagree ? ' (the two views disagree)' : ''}`);
  for (const level of outcome.manifest.levels.filter((l) => !l.reached || l.error)) lines.push(`  ${level.level} ${level.target}: ${level.error ?? 'not reached'}`);
  const shown = withChecks ? verdict.checks.filter((c) => c.status === 'fail' || c.status === 'warn') : verdict.checks.filter((c) => c.status === 'fail');
  for (const c of shown) lines.push(`  ${c.status.toUpperCase()} ${c.summary}${c.fix ? `\n       fix: ${c.fix}` : ''}`);
  if (mode === 'check') {
    lines.push(`Checked ${outcome.manifest.levels.filter((l) => l.reached).length} level(s) with ${counts.ok} small reads; no bundle written (nestbug collect writes one).`);
    return lines;
  }
  lines.push(`Bundle: ${outcome.bundle} (${formatBytes(outcome.bytes)}; ${counts.ok} items collected, ${counts.failed + counts['timed-out']} failed, ${counts['not-installed']} not installed, ${counts.skipped} skipped)`);
  if (outcome.redactionMap) lines.push(`Redacted: names and addresses are placeholders; the mapping is in ${outcome.redactionMap} (private: do not attach it).`);
  lines.push(outcome.interrupted ? 'Interrupted: the bundle holds what was collected until then.' : 'Attach the bundle to the bug report and paste its summary.md into the description.');
  return lines;
}

function reportPlan(outcome: CollectOutcome, flags: CollectFlags, io: Io): number {
  const describe = (s: PlannedStep) => (s.skip ? { run: false, status: s.skip.status, reason: s.skip.reason } : { run: true, asRoot: s.asRoot, command: s.argv && !s.collector.file && !s.collector.script ? quoteArgv(s.argv) : s.source });
  if (flags.json) {
    const levels = Object.fromEntries(
      outcome.manifest.levels.map((l) => [l.level, { target: l.target, reached: l.reached, error: l.error ?? null, facts: l.facts ?? null, items: (outcome.plans.get(l.level) ?? []).map((s) => ({ id: s.collector.id, ...describe(s) })) }]),
    );
    io.stdout.write(`${JSON.stringify({ dryRun: true, levels }, null, 2)}\n`);
  } else {
    const lines: string[] = [];
    for (const l of outcome.manifest.levels) {
      lines.push(`${l.level} ${l.target}${l.reached ? ` (${l.facts!.hostname}, ${l.facts!.arch}, ${l.facts!.privilege === 'none' ? `no root: ${l.facts!.privilegeNote}` : l.facts!.privilege})` : `: not reachable: ${l.error}`}`);
      for (const s of outcome.plans.get(l.level) ?? []) {
        const d = describe(s);
        const what = d.run ? `${d.asRoot ? 'as root: ' : ''}${String(d.command).split('\n')[0]}${String(d.command).includes('\n') ? ' ...' : ''}` : `${d.status}: ${d.reason}`;
        lines.push(`  ${d.run ? 'run ' : 'skip'} ${s.collector.id.padEnd(22)} ${what}`);
      }
    }
    io.stdout.write(`${lines.join('\n')}\nDry run: nothing was collected.\n`);
  }
  return outcome.partial ? EXIT.partial : EXIT.ok;
}
