// argv -> command. Heavy modules load only when a command needs them, so --version and
// --help stay fast. The one top-level catch turns errors into one line and an exit code.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from '@commander-js/extra-typings';
import { firstWord } from './cli-words.js';
import { EXIT } from './exit-codes.js';
import { CHECK_EXIT_HELP, INSPECT_EXIT_HELP, optionDescription } from './help-text.js';
import { type Io, processIo } from './io.js';
import { addCheckOptions, addCollectOptions, repeatable } from './options.js';
import { inspectLevels, registerFleetCommands } from './script/register.js';
import { toleratePipeClose } from './signals.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function version(): string {
  return (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

const EXIT_HELP = `
Exit status:
  0    bundle complete and every check passed
  1    unexpected error
  2    usage error (bad flag, target, identity file, collectors file)
  3    bundle written, but a host was unreachable or items failed
       (a tool that is not installed, or an item that does not apply, is not a failure)
  4    bundle complete, but a check failed (for example L1 runs on TCG)
  130  interrupted (Ctrl-C or SIGTERM)
  3 wins over 4.`;

const COLLECT_EXAMPLES = `
Examples:
  nestbug collect --l1 local                      this machine, as L1
  nestbug collect --l0 local --l1 root@192.168.122.10 --l1-jump l0
  nestbug collect --l0 root@host --l1 root@10.0.0.2 --l1-jump l0 --l2 root@10.0.1.2 --l2-jump l1 -o bug.tar.gz
  nestbug collect --l0 myhost --sudo --json > result.json   (myhost: a Host in ~/.ssh/config)
${EXIT_HELP}`;

const PROGRAM_EXAMPLES = `
Examples:
  nestbug                              at a terminal: a few questions, then collect
  nestbug collect --l1 local --no-input
  nestbug check --l0 local --l1 root@192.168.122.10 --l1-jump l0
  nestbug inspect bundle.zip
  nestbug help collect
${EXIT_HELP}`;

const CHECK_EXAMPLES = `
Examples:
  nestbug check --l1 local
  nestbug check --l0 root@host --l1 root@10.0.0.2 --l1-jump l0 --json
${CHECK_EXIT_HELP}`;

const INSPECT_EXAMPLES = `
Examples:
  nestbug inspect nestbug-20261126-101500.zip
  nestbug inspect ./pasted/        (a folder with L1/cpuinfo.txt, L1/dmesg.txt ...)
${INSPECT_EXIT_HELP}`;

/** --no-color and NO_COLOR: set before the task list module loads, as it reads the
 * environment once. */
function noColor(flags: { color?: boolean }, io: Io): void {
  if (flags.color === false || io.env.NO_COLOR !== undefined) process.env.NO_COLOR = '1';
}

export function buildProgram(io: Io, argv: string[], setExit: (code: number) => void): Command {
  const program = new Command('nestbug')
    .description('Collect and explain the evidence of a nested KVM setup (L0 -> L1 -> L2) before filing a bug.')
    .version(version(), '-V, --version')
    .showHelpAfterError('(run nestbug help for usage)')
    .exitOverride()
    .configureHelp({ optionDescription })
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .addHelpText('after', PROGRAM_EXAMPLES);

  addCollectOptions(
    program
      .command('collect', { isDefault: true })
      .description('collect the documented evidence from each level into one bundle'),
  )
    .addHelpText('after', COLLECT_EXAMPLES)
    .action(async (flags) => {
      noColor(flags, io);
      const { runCollectCommand } = await import('./commands/collect-command.js');
      setExit(await runCollectCommand('bundle', flags, { argv, version: version() }, io));
    });

  addCheckOptions(
    program
      .command('check')
      .description('the quick verdict only: a few small reads per level, no bundle (like kvm-ok, nested-aware)'),
  )
    .addHelpText('after', CHECK_EXAMPLES)
    .action(async (flags) => {
      noColor(flags, io);
      const { runCollectCommand } = await import('./commands/collect-command.js');
      setExit(await runCollectCommand('check', flags, { argv, version: version() }, io));
    });

  program
    .command('inspect <paths...>')
    .description('verdicts and summary from an existing bundle (.zip, .tar.gz) or folder, even a partial one')
    .option('--json', 'print the result as JSON')
    .option('--summary', 'print summary.md instead of the short report')
    .option('--text', 'print summary.txt (plain text, 80 columns, for trackers without Markdown)')
    .addHelpText('after', INSPECT_EXAMPLES)
    .action(async (targets, flags) => {
      // several level archives (from nestbug-collect.sh) are merged first
      if (targets.length > 1) return setExit(await inspectLevels(targets, flags, io, version()));
      const { runInspect } = await import('./commands/inspect.js');
      setExit(await runInspect(targets[0], flags, io));
    });

  program
    .command('collectors')
    .description('the collection list: what is collected, where, and which line of the kernel doc asks for it')
    .option('--json', 'as JSON')
    .option('--collectors <file>', 'include extra collectors (repeatable)', repeatable)
    .action(async (flags) => {
      const { runCollectorsList } = await import('./commands/collectors-list.js');
      setExit(await runCollectorsList(flags, io));
    });
  registerFleetCommands(program, io, setExit, version, argv);
  return program;
}

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let exitCode: number = EXIT.ok;
  toleratePipeClose(io.stdout);
  toleratePipeClose(io.stderr);
  const program = buildProgram(io, argv, (code) => (exitCode = code));
  const word = firstWord(argv, [...program.commands.map((c) => c.name()), 'help', 'version']);
  if (word.kind === 'version') {
    io.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  if (word.kind === 'error') {
    io.stderr.write(`nestbug: ${word.message}\n`);
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    return reportError(error, io);
  }
}

export async function reportError(error: unknown, io: Io): Promise<number> {
  // Messages may quote host data (names, remote errors): shown escaped.
  const { terminalText } = await import('./util/terminal-text.js');
  const stderr = io.stderr;
  io = { ...io, stderr: { write: (s: string) => stderr.write(terminalText(s)) } as Io['stderr'] };
  if (error instanceof CommanderError) {
    const shown = ['commander.helpDisplayed', 'commander.version', 'commander.help'];
    if (shown.includes(error.code)) return EXIT.ok;
    return EXIT.usage;
  }
  const { UsageError, HostError, OutputError, messageOf } = await import('./errors.js');
  if (error instanceof UsageError) {
    io.stderr.write(`nestbug: ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof HostError) {
    io.stderr.write(`nestbug: ${error.message}\n`);
    return EXIT.partial;
  }
  if (error instanceof OutputError) {
    io.stderr.write(`nestbug: ${error.message}\n`);
    return EXIT.unexpected;
  }
  if ((error as { name?: string })?.name === 'ExitPromptError') {
    io.stderr.write('nestbug: cancelled\n');
    return EXIT.interrupted;
  }
  io.stderr.write(`nestbug: unexpected error: ${messageOf(error)}\n`);
  if (io.env.NESTBUG_DEBUG) io.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  return EXIT.unexpected;
}
