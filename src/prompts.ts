// The interactive wizard: the only importer of @inquirer/prompts. Every question shows
// its default and Enter accepts it; everything is asked before the task list starts.
import { confirm, input, password, select } from '@inquirer/prompts';
import { UsageError } from './errors.js';
import { LEVELS, type Level, levelBelow } from './levels.js';
import type { WizardFlags } from './options.js';
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
  /** The flags a person would have typed for the same collection. */
  flags: WizardFlags;
  sudoPassword?: string;
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
  const { where, targets, jumps } = await askLevels(ctx);
  if (Object.keys(targets).length === 0) throw new UsageError('no level chosen: nothing to collect');
  const { sudo, sudoPassword } = await askSudo(ctx, where, targets);
  const redact = await confirm({
    message: 'Redact hostnames, IP/MAC addresses, serial numbers and user names (for a public bug tracker)?',
    default: false,
  });
  const output = (
    await input({
      message: 'Write the bundle to:',
      default: ctx.defaultOutput,
      validate: (v) => (/\.(zip|tar\.gz|tgz)$/i.test(v.trim()) ? true : 'end the name in .zip or .tar.gz'),
    })
  ).trim();
  const flags: WizardFlags = { ...targetFlags(targets, jumps), output };
  if (sudo) flags.sudo = true;
  if (redact) flags.redact = true;
  // The same as one command line is printed once the hosts are connected (host-key and
  // password choices belong to it).
  return { flags, sudoPassword };
}

type Where = Level | 'none';

async function askLevels(ctx: WizardContext) {
  const where = await select<Where>({
    message: `Where does this machine sit? (detected: ${ctx.detected.why})`,
    default: ctx.detected.level,
    choices: [
      ...LEVELS.map((l) => ({ value: l, name: ROLE[l] })),
      { value: 'none' as const, name: 'None of them: collect remote hosts only' },
    ],
  });
  const targets: Partial<Record<Level, string>> = {};
  const jumps: Partial<Record<Level, string>> = {};
  if (where !== 'none') targets[where] = 'local';
  for (const level of LEVELS) {
    if (level === where) continue;
    const answer = await askTarget(ctx, level, where);
    if (!answer) continue;
    targets[level] = answer;
    const below = levelBelow(level);
    if (below && targets[below] && targets[below] !== 'local') {
      const through = await confirm({
        message: `Reach ${level} through ${below} (like ssh -J), as its address is usually private to ${below}?`,
        default: true,
      });
      if (through) jumps[level] = below.toLowerCase();
    }
  }
  return { where, targets, jumps };
}

async function askTarget(ctx: WizardContext, level: Level, where: Where): Promise<string> {
  const choices: Array<{ value: string; name: string }> = [
    { value: '', name: `skip ${level}` },
    { value: '?', name: 'type an address: [user@]host[:port] or a Host alias' },
  ];
  if (level === 'L1' && where === 'L0') {
    for (const g of await ctx.guestAddresses()) {
      choices.push({ value: `root@${g.address}`, name: `root@${g.address} (guest ${g.domain} on this machine)` });
    }
  }
  for (const alias of ctx.aliases) choices.push({ value: alias, name: `${alias} (from ~/.ssh/config)` });
  const answer = await select({ message: `How to reach ${ROLE[level]}?`, choices, default: '' });
  if (answer !== '?') return answer;
  const typed = await input({
    message: `${level} address ([user@]host[:port] or Host alias):`,
    validate: validTarget(`--${level.toLowerCase()}`),
  });
  return typed.trim();
}

async function askSudo(ctx: WizardContext, where: Where, targets: Partial<Record<Level, string>>) {
  const chosen = Object.values(targets);
  const remoteOrUser = !ctx.isRoot || chosen.some((t) => t !== 'local' && !t.startsWith('root@'));
  const sudo = await confirm({
    message: 'Use sudo for the privileged items (dmidecode, restricted dmesg, libvirt logs)?',
    default: remoteOrUser,
  });
  if (!sudo) return { sudo };
  const localNeedsPassword = where !== 'none' && !ctx.isRoot && (await ctx.localSudoWorks()) === false;
  if (!localNeedsPassword && !chosen.some((t) => t !== 'local')) return { sudo };
  const typed = await password({
    message: localNeedsPassword
      ? 'sudo password (kept in memory only, never written):'
      : 'sudo password on the remote hosts, if sudo asks for one (Enter for none; kept in memory only):',
    mask: '*',
  });
  return { sudo, sudoPassword: typed !== '' ? typed : undefined };
}

function targetFlags(targets: Partial<Record<Level, string>>, jumps: Partial<Record<Level, string>>): WizardFlags {
  return { l0: targets.L0, l1: targets.L1, l2: targets.L2, l1Jump: jumps.L1, l2Jump: jumps.L2 };
}

/** Ask once for the passphrase of an encrypted identity file. */
export async function askPassphrase(file: string): Promise<string> {
  return password({ message: `Passphrase for ${file} (kept in memory only):`, mask: '*' });
}
