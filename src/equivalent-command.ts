// The wizard's answers as one command line, printed once the hosts are connected, so that
// what was chosen at the connection's questions (trusting a host key, a password login)
// is part of it too.
import type { ConnectQuestions } from './transport/connect-questions.js';
import { quoteArgv } from './transport/quote.js';

export interface CarriedFlags {
  sshConfig?: string;
  identity?: string[];
  knownHosts?: string;
  acceptNewHostKeys?: boolean;
}

/** Flags given beside the wizard that it did not ask about, in command line form. */
export function carriedArgs(flags: CarriedFlags): string[] {
  const args: string[] = [];
  if (flags.sshConfig) args.push('-F', flags.sshConfig);
  for (const file of flags.identity ?? []) args.push('-i', file);
  if (flags.knownHosts) args.push('--known-hosts', flags.knownHosts);
  if (flags.acceptNewHostKeys) args.push('--accept-new-host-keys');
  return args;
}

/** The command line with the connection's choices; notes say what it cannot carry. */
export function equivalentCommand(
  argv: string[],
  choices: ConnectQuestions['choices'] | undefined,
  sudoPassword: boolean,
): { argv: string[]; text: string } {
  const full = [...argv];
  const trusted = choices?.trustedHostKeys ?? [];
  if (trusted.length && !full.includes('--accept-new-host-keys')) {
    const at = full.indexOf('-o');
    full.splice(at < 0 ? full.length : at, 0, '--accept-new-host-keys');
  }
  const notes: string[] = [];
  if (trusted.length)
    notes.push(`the host keys of ${trusted.join(', ')} are recorded now; elsewhere --accept-new-host-keys trusts them`);
  if (choices?.passwordLogins.length)
    notes.push(
      `${choices.passwordLogins.join(', ')} asked for a login password: run it at a terminal, or install a key`,
    );
  if (sudoPassword) notes.push('sudo will ask: run it at a terminal, or allow NOPASSWD');
  const text = `\nThe same, without questions:\n  nestbug ${quoteArgv(full)}\n${notes.map((n) => `  (${n})\n`).join('')}\n`;
  return { argv: full, text };
}
