// The interactive wizard: the only importer of @inquirer/prompts. Every question shows
// its default and Enter accepts it; everything is asked before the task list starts.
import { confirm, input, password, select } from '@inquirer/prompts';
import type { CollectFlags } from './commands/collect-command.js';
import { UsageError } from './errors.js';
import { type Level, LEVELS } from './levels.js';
import { parseTarget } from './target.js';

export interface WizardContext {
  detected: { level: Level; why: string };
  aliases: string[];
  /** Guests L0 runs, with the addresses libvirt knows (only when L0 is this machine). */
  guestAddresses(): Promise<Array<{ address: string; domain: string }>>;
  isRoot: boolean;
  /** sudo -n works here (undefined: no sudo). */
  localSudoWorks(): Promise<boolean | undefined>;
  defaultOutput: string;
  output: NodeJS.WritableStream;
}

export interface WizardAnswers {
  flags: CollectFlags;
  sudoPassword?: string;
  /** The same collection as a command line, for scripts. */
  commandLine: string[];
}

const ROLE: Record<Level, string> = {
  L0: 'L0, the bare-metal host running KVM',
  L1: 'L1, the guest hypervisor (a VM that runs VMs)',
  L2: 'L2, the nested guest',
};

function validTarget(flag: string) {
  return (value: string) => {
    try {
      parseTarget(value, flag);
      return true;
    } catch (error) {
      return (error as Error).message;
    }
  };
}

export async function runWizard(ctx: WizardContext): Promise<WizardAnswers> {
  const where = await select<Level | 'none'>({
    message: `Where does this machine sit? (detected: ${ctx.detected.why})`,
    default: ctx.detected.level,
    choices: [...LEVELS.map((l) => ({ value: l, name: ROLE[l] })), { value: 'none' as const, name: 'None of them: collect remote hosts only' }],
  });
  const targets: Partial<Record<Level, string>> = {};
  const jumps: Partial<Record<Level, string>> = {};
  if (where !== 'none') targets[where] = 'local';
  for (const level of LEVELS) {
    if (level === where) continue;
    const flag = `--${level.toLowerCase()}`;
    const choices: Array<{ value: string; name: string }> = [{ value: '', name: `skip ${level}` }, { value: '?', name: 'type an address: [user@]host[:port] or a Host alias' }];
    if (level === 'L1' && where === 'L0') {
      for (const g of await ctx.guestAddresses()) choices.push({ value: `root@${g.address}`, name: `root@${g.address} (guest ${g.domain} on this machine)` });
    }
    for (const alias of ctx.aliases) choices.push({ value: alias, name: `${alias} (from ~/.ssh/config)` });
    let answer = await select({ message: `How to reach ${ROLE[level]}?`, choices, default: '' });
    if (answer === '?') answer = (await input({ message: `${level} address ([user@]host[:port] or Host alias):`, validate: validTarget(flag) })).trim();
    if (!answer) continue;
    targets[level] = answer;
    const below = level === 'L2' ? 'L1' : level === 'L1' ? 'L0' : undefined;
    if (below && targets[below] && targets[below] !== 'local') {
      const through = await confirm({ message: `Reach ${level} through ${below} (like ssh -J), as its address is usually private to ${below}?`, default: true });
      if (through) jumps[level] = below.toLowerCase();
    }
  }
  if (Object.keys(targets).length === 0) throw new UsageError('no level chosen: nothing to collect');
  let sudo = false;
  let sudoPassword: string | undefined;
  const remoteOrUser = !ctx.isRoot || Object.values(targets).some((t) => t !== 'local' && !t.startsWith('root@'));
  sudo = await confirm({ message: 'Use sudo for the privileged items (dmidecode, restricted dmesg, libvirt logs)?', default: remoteOrUser });
  if (sudo) {
    const localNeedsPassword = where !== 'none' && !ctx.isRoot && (await ctx.localSudoWorks()) === false;
    const remote = Object.values(targets).some((t) => t !== 'local');
    if (localNeedsPassword || remote) {
      const typed = await password({
        message: localNeedsPassword ? 'sudo password (kept in memory only, never written):' : 'sudo password on the remote hosts, if sudo asks for one (Enter for none; kept in memory only):',
        mask: '*',
      });
      if (typed !== '') sudoPassword = typed;
    }
  }
  const redact = await confirm({ message: 'Redact hostnames, IP/MAC addresses, serial numbers and user names (for a public bug tracker)?', default: false });
  const output = (
    await input({
      message: 'Write the bundle to:',
      default: ctx.defaultOutput,
      validate: (v) => (/\.(zip|tar\.gz|tgz)$/i.test(v.trim()) ? true : 'end the name in .zip or .tar.gz'),
    })
  ).trim();
  const flags: CollectFlags = { output, sudo, input: false, redact };
  const argv = ['collect'];
  for (const level of LEVELS) {
    const t = targets[level];
    if (!t) continue;
    const key = level.toLowerCase() as 'l0' | 'l1' | 'l2';
    flags[key] = t;
    argv.push(`--${key}`, t);
    const j = jumps[level];
    if (j) {
      if (level === 'L1') flags.l1Jump = j;
      else flags.l2Jump = j;
      argv.push(`--${key}-jump`, j);
    }
  }
  if (sudo) argv.push('--sudo');
  if (redact) argv.push('--redact');
  argv.push('-o', output);
  // Printed by the caller once the hosts are connected (host-key and password choices).
  return { flags, sudoPassword, commandLine: argv };
}

/** Ask once for the passphrase of an encrypted identity file. */
export async function askPassphrase(file: string): Promise<string> {
  return password({ message: `Passphrase for ${file} (kept in memory only):`, mask: '*' });
}
