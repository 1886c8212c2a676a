// The collect command: options -> collection -> verdict -> exit code and output.
import os from 'node:os';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import type { Verdict } from '../analyse/types.js';
import { countItems } from '../bundle/manifest.js';
import { loadCollectors } from '../collect/load-collectors.js';
import type { LevelSpec } from '../collect/connect.js';
import { probeHost } from '../collect/probe.js';
import { CollectorFileError } from '../collect/collectors.js';
import { UsageError } from '../errors.js';
import { collectExitCode, EXIT } from '../exit-codes.js';
import type { Io } from '../io.js';
import { levelSpecs, parseSeconds, parseSize, resolveOutput, type TargetFlags } from '../options.js';
import { jsonResult } from '../render/json.js';
import { HostKeyStore } from '../transport/host-key-store.js';
import { loadIdentity } from '../transport/identities.js';
import { LocalTransport } from '../transport/local.js';
import { loadSshConfig } from '../transport/ssh-config.js';
import { formatBytes } from '../util/stamp.js';
import { analyseFolder } from './finish-bundle.js';
import { collect, defaultOutputName } from './collect.js';
import { runsOnLabel } from '../analyse/runs-on.js';

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
  collectors?: string[];
}

export interface CollectRunInput {
  flags: CollectFlags;
  argv: string[];
  version: string;
  /** Answers from the wizard, when one ran. */
  sudoPassword?: string;
  passphrase?: string;
}

async function detectLocalLevel(io: Io): Promise<LevelSpec> {
  const local = new LocalTransport();
  const facts = await probeHost(local, [], { sudo: false, timeoutMs: 10000 });
  const level = facts.virtualized ? 'L1' : 'L0';
  io.stderr.write(
    `nestbug: no level given; this machine ${facts.virtualized ? `runs in a VM (${facts.virtHint})` : 'shows no hypervisor (bare metal)'}, so it is collected as ${level}. Pass --l0/--l1/--l2 to say otherwise.\n`,
  );
  return { level, target: { kind: 'local' } };
}

export async function runCollectCommand(input: CollectRunInput, io: Io): Promise<number> {
  const { flags } = input;
  const timeoutSeconds = flags.timeout ? parseSeconds(flags.timeout, '--timeout') : 30;
  const maxOutputBytes = flags.maxOutput ? parseSize(flags.maxOutput, '--max-output') : 64 * 1024 * 1024;
  let levels = levelSpecs(flags);
  const { output, format } = resolveOutput(flags.output, flags.format, io.cwd, (f) => defaultOutputName(io.now(), f));
  let collectors;
  try {
    collectors = await loadCollectors(flags.collectors ?? []);
  } catch (error) {
    if (error instanceof CollectorFileError) throw new UsageError(error.message);
    throw error;
  }
  const passphrase = input.passphrase ?? io.env.NESTBUG_KEY_PASSPHRASE;
  const identities = (flags.identity ?? []).map((file) => loadIdentity(path.resolve(io.cwd, file), { explicit: true, passphrase })!);
  const { assertWritableOutput } = await import('./collect.js');
  await assertWritableOutput(output);
  if (levels.length === 0) levels = [await detectLocalLevel(io)];
  const home = os.homedir();
  const sshConfig = loadSshConfig(home);
  const knownHosts = flags.knownHosts ? path.resolve(io.cwd, flags.knownHosts) : path.join(home, '.ssh', 'known_hosts');
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      io.stderr.write(`\nnestbug: ${signal}: stopping the running commands and writing what was collected (again to quit at once)\n`);
      controller.abort();
    } else {
      process.exit(EXIT.interrupted);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let verdict: Verdict | undefined;
  try {
    const outcome = await collect(
      {
        levels,
        collectors,
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
        sudoPassword: input.sudoPassword,
        output,
        format,
        timeoutSeconds,
        maxOutputBytes,
        json: flags.json ?? false,
        quiet: flags.quiet ?? false,
        commandLine: input.argv,
        version: input.version,
        signal: controller.signal,
        finishBundle: async (manifest, spoolDir) => {
          const result = await analyseFolder(spoolDir, manifest);
          verdict = result.verdict;
          return { summary: result.summary };
        },
      },
      io,
    );
    await rm(outcome.spoolDir, { recursive: true, force: true });
    const anyCheckFailed = verdict!.checks.some((c) => c.status === 'fail');
    const code = collectExitCode({ partial: outcome.partial, interrupted: outcome.interrupted, anyCheckFailed });
    if (flags.json) {
      io.stdout.write(`${JSON.stringify(jsonResult(verdict!, code, outcome.bundle, outcome.manifest), null, 2)}\n`);
    }
    if (!flags.quiet) {
      const counts = countItems(outcome.manifest.levels);
      const lines = [
        '',
        `Nested setup: ${verdict!.chainName}. ${verdict!.chainLine}`,
        ...Object.values(verdict!.levels).map((v) => `  ${v!.level} runs on ${runsOnLabel(v!.runsOn)}${v!.disagree ? ' (views disagree)' : ''}`),
        ...verdict!.checks.filter((c) => c.status === 'fail' || c.status === 'warn').map((c) => `  ${c.status.toUpperCase()} ${c.summary}`),
        `Bundle: ${outcome.bundle} (${formatBytes(outcome.bytes)}; ${counts.ok} items collected, ${counts.failed + counts['timed-out']} failed, ${counts['not-installed']} not installed, ${counts.skipped} skipped)`,
        outcome.interrupted ? 'Interrupted: the bundle holds what was collected until then.' : 'Attach the bundle to the bug report and paste summary.md (inside it) into the description.',
      ];
      io.stderr.write(`${lines.join('\n')}\n`);
    }
    return code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
