// -F FILE: another ssh_config, as ssh takes it; a file that cannot be read is a usage error.
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';

export function sshConfigFile(given: string | undefined, cwd: string): string | undefined {
  if (given === undefined) return undefined;
  const file = path.resolve(cwd, given);
  try {
    if (!statSync(file).isFile()) throw new UsageError(`-F ${given}: not a file`);
    accessSync(file, constants.R_OK);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`-F ${given}: cannot read this ssh_config (${code === 'ENOENT' ? 'no such file' : code})`);
  }
  return file;
}
