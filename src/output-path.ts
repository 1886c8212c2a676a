// Where the bundle may go. The output is a regular file or nothing yet: a device node
// (/dev/null), a FIFO, a socket, a directory or a symbolic link (/dev/stdout) is refused,
// never replaced by a rename. An existing file is replaced only when the user said so.
import { constants, type Stats } from 'node:fs';
import { access, link, lstat, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { messageOf, UsageError } from './errors.js';

export type OutputState = 'absent' | 'file';

function kindOf(info: Stats): string {
  if (info.isSymbolicLink()) return 'a symbolic link';
  if (info.isDirectory()) return 'a directory';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** What is at the output path now; throws for anything but a regular file or nothing. */
export async function outputState(output: string): Promise<OutputState> {
  let info: Stats;
  try {
    info = await lstat(output);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw new UsageError(`-o ${output}: ${messageOf(error)}`);
  }
  if (info.isFile()) return 'file';
  const hint = info.isDirectory()
    ? 'give a file name ending in .zip or .tar.gz'
    : 'give the name of a new or regular file';
  throw new UsageError(`-o ${output}: is ${kindOf(info)}, not a regular file; ${hint}`);
}

/**
 * Checked before anything is collected: the folder exists and is writable, and the
 * output is new, or an existing file the user agreed to replace (--force, or `ask`
 * at a terminal). Returns whether an existing file will be replaced.
 */
export async function checkOutputPath(
  output: string,
  options: { force: boolean; ask?: (question: string) => Promise<boolean> },
): Promise<boolean> {
  const dir = path.dirname(output);
  try {
    if (!(await stat(dir)).isDirectory()) throw new UsageError(`-o ${output}: ${dir} is not a directory`);
    await access(dir, constants.W_OK);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such directory' : (code ?? messageOf(error));
    throw new UsageError(`-o ${output}: cannot write in ${dir} (${why})`);
  }
  if ((await outputState(output)) === 'absent' || options.force) return true;
  if (options.ask && (await options.ask(`${output} exists. Replace it?`))) return true;
  throw new UsageError(`-o ${output}: the file exists; pass --force to replace it, or choose another name`);
}

/**
 * Moves the finished archive into place. Without `replace`, a hard link creates the
 * output only if nothing is there (atomically); with it, what is there is checked again
 * just before the rename, so a link or device that appeared meanwhile is not replaced.
 */
export async function moveIntoPlace(temp: string, output: string, replace: boolean): Promise<void> {
  const state = await outputState(output);
  if (state === 'file' && !replace) {
    throw new UsageError(`-o ${output}: the file appeared while collecting; pass --force to replace it`);
  }
  if (state === 'absent') {
    try {
      await link(temp, output);
      await unlink(temp);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return moveIntoPlace(temp, output, replace);
      // File systems without hard links (FAT, some FUSE): the check above has to do.
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw error;
    }
  }
  await rename(temp, output);
}

/** The terminal question; the prompt library loads only when a question is asked. */
export async function askYesNo(question: string): Promise<boolean> {
  const { confirm } = await import('@inquirer/prompts');
  return confirm({ message: question, default: false }, { output: process.stderr });
}
