// The commands of the support and fleet workflows, registered on the CLI's program. Light
// on purpose: the modules doing the work load only when a command runs.
import type { Command } from '@commander-js/extra-typings';
import type { Io } from '../io.js';

const repeat = (v: string, prev: string[] = []) => [...prev, v];

export function registerFleetCommands(
  program: Command,
  io: Io,
  setExit: (code: number) => void,
  version: () => string,
  argv: string[],
): void {
  program
    .command('script')
    .description('write nestbug-collect.sh: the collection list as one POSIX sh program (no Node needed on the host)')
    .option('--collectors <file>', 'extra collectors, same format as collectors/*.yaml (repeatable)', repeat)
    .option('-o, --output <file>', 'write the script to this file instead of stdout')
    .addHelpText(
      'after',
      `\nExamples:\n  nestbug script > nestbug-collect.sh\n  sh nestbug-collect.sh --level L1 -o l1.tar.gz      (on the host; then:)\n  nestbug merge l0.tar.gz l1.tar.gz -o bundle.zip\n`,
    )
    .action(async (flags: { collectors?: string[]; output?: string }) => {
      const { runScriptCommand } = await import('./command.js');
      setExit(await runScriptCommand(flags, io, version()));
    });

  program
    .command('merge <archives...>')
    .description('level archives (from nestbug-collect.sh) into one bundle with its summary, manifest and verdicts')
    .option('-o, --output <file>', 'bundle file: .zip (default) or .tar.gz')
    .option('--format <format>', 'bundle format when -o has no extension (zip or tar.gz)')
    .option(
      '--unreached <level=target,reason>',
      'a level whose host gave no archive (repeatable), e.g. L1=web-7,timed out',
      repeat,
    )
    .option('--redact', 'placeholders for hostnames, addresses, serials, users: one mapping for all levels')
    .option('--redact-word <word>', 'also replace this word (repeatable; implies --redact)', repeat)
    .option('--json', 'print the result as JSON on stdout')
    .option('--force', 'replace an existing bundle file')
    .option('-q, --quiet', 'no closing report on stderr')
    .addHelpText(
      'after',
      `\nExamples:\n  nestbug merge nestbug-L0-host-*.tar.gz nestbug-L1-guest-*.tar.gz -o bug.zip\n  nestbug merge l0.tar.gz --unreached L1=guest1,unreachable -o partial.zip --json\n`,
    )
    .action(async (archives: string[], flags: Record<string, unknown>) => {
      const { runMergeCommand } = await import('../merge/command.js');
      setExit(await runMergeCommand(archives, flags, io, version(), argv));
    });

  program
    .command('fleet-report')
    .description('after ansible/collect.yml fetched the level archives: one bundle per chain and fleet.md/.json/.csv')
    .requiredOption('--hosts <file>', 'the hosts file the playbook wrote (OUT/hosts.json)')
    .requiredOption('--out <dir>', 'output folder (OUT): bundles go to OUT/<chain>/')
    .option('--jobs <n>', 'chains merged at once (default: the number of CPUs)')
    .action(async (flags: { hosts: string; out: string; jobs?: string }) => {
      const { runFleetReport } = await import('../fleet/command.js');
      setExit(await runFleetReport(flags, io, version()));
    });
}

/** inspect with several level archives: they are merged first. */
export async function inspectLevels(
  archives: string[],
  flags: { json?: boolean; summary?: boolean },
  io: Io,
  version: string,
): Promise<number> {
  const { runInspectLevels } = await import('../merge/command.js');
  return runInspectLevels(archives, flags, io, version);
}
