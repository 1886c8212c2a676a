// The commands of the support and fleet workflows, registered on the CLI's program. Light
// on purpose: the modules doing the work load only when a command runs.
import type { Command } from 'commander';
import type { Io } from '../io.js';

const repeat = (v: string, prev: string[] = []) => [...prev, v];

export function registerFleetCommands(program: Command, io: Io, setExit: (code: number) => void, version: () => string): void {
  program
    .command('script')
    .description('write nestbug-collect.sh: the collection list as one POSIX sh program (no Node needed on the host)')
    .option('--collectors <file>', 'extra collectors, same format as collectors/*.yaml (repeatable)', repeat)
    .option('-o, --output <file>', 'write the script to this file instead of stdout')
    .addHelpText('after', `\nExamples:\n  nestbug script > nestbug-collect.sh\n  sh nestbug-collect.sh --level L1 -o l1.tar.gz      (on the host; then:)\n  nestbug merge l0.tar.gz l1.tar.gz -o bundle.zip\n`)
    .action(async (flags: { collectors?: string[]; output?: string }) => {
      const { runScriptCommand } = await import('./command.js');
      setExit(await runScriptCommand(flags, io, version()));
    });
}
