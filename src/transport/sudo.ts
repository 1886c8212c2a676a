import type { Privilege } from './types.js';

/** The argv that runs `argv` with root rights under the given privilege, or the argv itself. */
export function withPrivilege(
  argv: readonly string[],
  asRoot: boolean,
  privilege: Privilege,
): { argv: string[]; stdin?: string } {
  if (!asRoot || privilege.mode === 'root' || privilege.mode === 'none') return { argv: [...argv] };
  if (privilege.password !== undefined) {
    // -S reads the password from stdin; -p '' keeps the prompt out of stderr.
    return { argv: ['sudo', '-S', '-p', '', '--', ...argv], stdin: `${privilege.password}\n` };
  }
  return { argv: ['sudo', '-n', '--', ...argv] };
}
