// The options of collect and check, defined once: commander infers the flag types from
// these definitions, and buildCollectOptions turns flags into validated options. Pure
// (the environment is passed in).
import path from 'node:path';
import { type Command, Option } from '@commander-js/extra-typings';
import type { BundleFormat } from './bundle/writer.js';
import type { JumpSpec, LevelSpec } from './collect/connect.js';
import { UsageError } from './errors.js';
import { isLevel, LEVELS, type Level } from './levels.js';
import { assertArchiveName } from './output-name.js';
import { parseTarget } from './target.js';
import { stamp } from './util/stamp.js';

/** A flag given several times collects its values. */
export const repeatable = (value: string, previous: string[] = []) => [...previous, value];

const quietOption = () => new Option('-q, --quiet', 'no progress output');

function addTargetOptions(cmd: Command) {
  return cmd
    .option('--l0 <target>', 'L0, the bare-metal host: local, [user@]host[:port] or an ssh_config Host alias')
    .option('--l1 <target>', 'L1, the guest hypervisor')
    .option('--l2 <target>', 'L2, the nested guest')
    .option('--l1-jump <target|l0>', 'reach L1 through L0 (or another host), like ssh -J')
    .option('--l2-jump <target|l1>', 'reach L2 through L1 (or another host)')
    .option(
      '-i, --identity <file>',
      'SSH private key (repeatable); ssh-agent is used when SSH_AUTH_SOCK is set',
      repeatable,
    )
    .option('-F, --ssh-config <file>', 'ssh_config file to read instead of ~/.ssh/config, as ssh -F')
    .option('--known-hosts <file>', 'known_hosts file to verify host keys (default ~/.ssh/known_hosts)')
    .option('--accept-new-host-keys', 'trust and record unknown host keys (a changed key always stops)')
    .option('--sudo', 'run privileged items (dmesg when restricted, dmidecode, ...) through sudo')
    .option('--timeout <seconds>', 'per item', '30')
    .option('--no-input', 'never prompt')
    .option('--json', 'print the result as JSON on stdout (progress goes to stderr)')
    .option('--no-color', 'no colors (NO_COLOR is honoured too)');
}

export function addCollectOptions(cmd: Command) {
  return addTargetOptions(cmd)
    .option('-o, --output <file>', 'bundle file: .zip (default) or .tar.gz')
    .option('--force', 'replace the -o file if it exists (only a regular file is ever replaced)')
    .addOption(new Option('--format <format>', 'bundle format when -o has no extension').choices(['zip', 'tar.gz']))
    .option('--max-output <size>', 'cap per item output', '64M')
    .option('--collectors <file>', 'extra collectors, same format as collectors/*.yaml (repeatable)', repeatable)
    .addOption(quietOption())
    .option(
      '--redact',
      'replace hostnames, IP and MAC addresses, DMI serials and UUIDs, user names by placeholders (host-1, ...); ' +
        'the mapping goes to a private file next to the bundle',
    )
    .option('--redact-word <word>', 'also replace this word (repeatable; implies --redact)', repeatable)
    .option(
      '--dry-run',
      'connect and probe, print what would run where (and what is skipped, and why); collect nothing',
    );
}

export function addCheckOptions(cmd: Command) {
  return addTargetOptions(cmd).addOption(quietOption());
}

export type CollectFlags = ReturnType<ReturnType<typeof addCollectOptions>['opts']>;
export type CheckFlags = ReturnType<ReturnType<typeof addCheckOptions>['opts']>;
/** Flags of either command: check has a subset of collect's. */
export type AnyCollectFlags = CheckFlags & Partial<Omit<CollectFlags, keyof CheckFlags>>;
/** What the wizard answers: the flags a person would have typed. */
export type WizardFlags = Pick<CollectFlags, 'l0' | 'l1' | 'l2' | 'l1Jump' | 'l2Jump' | 'sudo' | 'redact' | 'output'>;

/** bundle: collect into an archive; check: a few reads, verdict only; dry-run: probe and plan only. */
export type CollectMode = 'bundle' | 'check' | 'dry-run';

export interface CollectOptions {
  mode: CollectMode;
  /** Empty: no level given, this machine is collected as the level it detects. */
  levels: LevelSpec[];
  output: string;
  format: BundleFormat;
  timeoutSeconds: number;
  maxOutputBytes: number;
  identityFiles: string[];
  knownHosts: string;
  acceptNewHostKeys: boolean;
  agent?: string;
  sudo: boolean;
  collectorFiles: string[];
  json: boolean;
  quiet: boolean;
  /** Questions may be asked (a person at a terminal, no --no-input, no --json). */
  interactive: boolean;
  redact?: { words: string[] };
  /** --force: an existing regular file at `output` may be replaced. */
  force: boolean;
  /** The command line as recorded in the manifest. */
  commandLine: string[];
}

export interface CollectEnv {
  cwd: string;
  home: string;
  now: Date;
  /** Both ends are terminals and CI is not set. */
  terminal: boolean;
  sshAuthSock?: string;
}

export function isInteractive(flags: { input?: boolean; json?: boolean }, env: CollectEnv): boolean {
  return env.terminal && flags.input !== false && !flags.json;
}

export function buildCollectOptions(
  command: 'bundle' | 'check',
  flags: AnyCollectFlags,
  env: CollectEnv,
  argv: string[],
): CollectOptions {
  const { output, format } = resolveOutput(flags.output, flags.format, env);
  const redactWords = flags.redactWord ?? [];
  return {
    mode: command === 'bundle' && flags.dryRun ? 'dry-run' : command,
    levels: levelSpecs(flags),
    output,
    format,
    timeoutSeconds: parseSeconds(flags.timeout, '--timeout'),
    maxOutputBytes: parseSize(flags.maxOutput ?? '64M', '--max-output'),
    identityFiles: (flags.identity ?? []).map((f) => path.resolve(env.cwd, f)),
    knownHosts: flags.knownHosts ? path.resolve(env.cwd, flags.knownHosts) : path.join(env.home, '.ssh', 'known_hosts'),
    acceptNewHostKeys: flags.acceptNewHostKeys ?? false,
    agent: env.sshAuthSock || undefined,
    sudo: flags.sudo ?? false,
    collectorFiles: flags.collectors ?? [],
    json: flags.json ?? false,
    quiet: flags.quiet ?? false,
    interactive: command === 'bundle' && isInteractive(flags, env),
    redact: flags.redact || redactWords.length ? { words: redactWords } : undefined,
    force: flags.force ?? false,
    commandLine: recordedCommandLine(argv),
  };
}

export function levelSpecs(flags: { l0?: string; l1?: string; l2?: string; l1Jump?: string; l2Jump?: string }) {
  const specs: LevelSpec[] = [];
  const given: Partial<Record<Level, string>> = { L0: flags.l0, L1: flags.l1, L2: flags.l2 };
  for (const level of LEVELS) {
    const value = given[level];
    if (value !== undefined) specs.push({ level, target: parseTarget(value, `--${level.toLowerCase()}`) });
  }
  const jumps: Array<[Level, string | undefined]> = [
    ['L1', flags.l1Jump],
    ['L2', flags.l2Jump],
  ];
  for (const [level, value] of jumps) {
    if (value === undefined) continue;
    const flag = `--${level.toLowerCase()}-jump`;
    const spec = specs.find((s) => s.level === level);
    if (!spec) throw new UsageError(`${flag} needs --${level.toLowerCase()} (the host to reach through the jump)`);
    if (spec.target.kind === 'local') {
      throw new UsageError(`${flag}: --${level.toLowerCase()} is local, there is nothing to jump to`);
    }
    spec.jump = jumpSpec(level, value, flag, specs);
  }
  return specs;
}

function jumpSpec(level: Level, value: string, flag: string, specs: LevelSpec[]): JumpSpec {
  const asLevel = value.toUpperCase();
  if (isLevel(asLevel)) {
    if (asLevel >= level) throw new UsageError(`${flag} ${value}: a level can only be reached through a lower level`);
    if (!specs.some((s) => s.level === asLevel)) {
      throw new UsageError(`${flag} ${value}: pass --${value.toLowerCase()} too (the level to jump through)`);
    }
    return { kind: 'level', level: asLevel };
  }
  const target = parseTarget(value, flag);
  if (target.kind === 'local') {
    throw new UsageError(`${flag} local: jumping through this machine is the same as no jump`);
  }
  return { kind: 'target', target };
}

export function parseSeconds(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 86400) {
    throw new UsageError(`${flag} ${value}: give a number of seconds between 0 and 86400`);
  }
  return n;
}

export function parseSize(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?$/i.exec(value.trim());
  if (!m) throw new UsageError(`${flag} ${value}: give a size such as 64M, 512K or 1G`);
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  const factor = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  const bytes = Math.floor(Number(m[1]) * factor);
  if (bytes < 1024) throw new UsageError(`${flag} ${value}: at least 1K`);
  return bytes;
}

export function defaultOutputName(now: Date, format: BundleFormat): string {
  return `nestbug-${stamp(now)}.${format === 'zip' ? 'zip' : 'tar.gz'}`;
}

export function formatFromPath(file: string): BundleFormat | undefined {
  if (/\.zip$/i.test(file)) return 'zip';
  if (/\.(tar\.gz|tgz)$/i.test(file)) return 'tar.gz';
  return undefined;
}

export function resolveOutput(
  output: string | undefined,
  format: string | undefined,
  env: Pick<CollectEnv, 'cwd' | 'home' | 'now'>,
): { output: string; format: BundleFormat } {
  if (format !== undefined && format !== 'zip' && format !== 'tar.gz') {
    throw new UsageError(`--format ${format}: use zip or tar.gz`);
  }
  assertArchiveName(output);
  const fromName = output ? formatFromPath(output) : undefined;
  if (fromName && format && fromName !== format) {
    throw new UsageError(`-o ${output} ends in .${fromName} but --format is ${format}`);
  }
  const chosen: BundleFormat = format ?? fromName ?? 'zip';
  const file = output
    ? path.resolve(env.cwd, output.replace(/^~(?=$|\/)/, env.home))
    : path.join(env.cwd, defaultOutputName(env.now, chosen));
  return { output: file, format: chosen };
}

/** The command line as recorded in the manifest: words to redact are not repeated there. */
export function recordedCommandLine(argv: string[]): string[] {
  return argv.map((arg, i) => {
    if (argv[i - 1] === '--redact-word') return '<redacted>';
    return arg.startsWith('--redact-word=') ? '--redact-word=<redacted>' : arg;
  });
}

/** The wizard's answers as the command line that collects the same without questions. */
export function commandLineOf(flags: WizardFlags): string[] {
  const argv = ['collect'];
  for (const level of LEVELS) {
    const key = level.toLowerCase() as 'l0' | 'l1' | 'l2';
    const target = flags[key];
    if (target === undefined) continue;
    argv.push(`--${key}`, target);
    const jump = level === 'L1' ? flags.l1Jump : level === 'L2' ? flags.l2Jump : undefined;
    if (jump) argv.push(`--${key}-jump`, jump);
  }
  if (flags.sudo) argv.push('--sudo');
  if (flags.redact) argv.push('--redact');
  if (flags.output !== undefined) argv.push('-o', flags.output);
  return argv;
}
