// Reads the evidence of a bundle folder (or of the spool during collection): the text
// files of the level folders and the manifest. No archive code here: collect loads it.
import { constants, type Dirent } from 'node:fs';
import { type FileHandle, lstat, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { isAnalysed } from '../analyse/evidence.js';
import { UsageError } from '../errors.js';
import { LEVELS } from '../levels.js';

/** The analysis reads at most this much of any one file, and of all files together,
 * smallest first: memory stays bounded whatever a bundle holds, and the small files
 * that decide most checks are always read whole. */
const FILE_BYTES = 4 * 1024 * 1024;
const TOTAL_BYTES = 32 * 1024 * 1024;
/** The analysis works line by line: millions of tiny lines would cost more than their bytes. */
const FILE_LINES = 100_000;

/** Length of the first `count` lines of `bytes`. */
function firstLinesLength(bytes: Buffer, count: number): number {
  let at = -1;
  for (let n = 0; n < count; n++) {
    at = bytes.indexOf(0x0a, at + 1);
    if (at < 0) return bytes.length;
  }
  return at + 1;
}

export async function findRoot(dir: string): Promise<string> {
  const names = await readdir(dir);
  const isRoot = (list: string[]) =>
    list.some((n) => (LEVELS as readonly string[]).includes(n) || n === 'manifest.json');
  if (isRoot(names)) return dir;
  const subdirs: string[] = [];
  for (const n of names) if ((await lstat(path.join(dir, n))).isDirectory()) subdirs.push(n);
  if (subdirs.length === 1) {
    const inner = path.join(dir, subdirs[0]);
    if (isRoot(await readdir(inner))) return inner;
  }
  throw new UsageError(
    `${dir}: no L0/, L1/, L2/ folder or manifest.json found (expected a nestbug bundle or files in its layout)`,
  );
}

/** The first `limit` bytes of a regular file; anything else (a FIFO, a device, a link
 * that appeared since the listing) is never opened for reading: undefined. */
async function readCapped(file: string, limit: number, buffer: Buffer): Promise<string | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return undefined;
    // One buffer for every file, decoded only as far as it is used: nothing larger
    // than the kept text stays alive.
    const { bytesRead } = await handle.read(buffer, 0, Math.min(limit, info.size, buffer.length), 0);
    const bytes = buffer.subarray(0, bytesRead);
    return bytes.toString('utf8', 0, firstLinesLength(bytes, FILE_LINES));
  } finally {
    await handle.close();
  }
}

/** Evidence of a bundle folder (or spool): text files of the level folders. Files the
 * analysis never reads (site items, whatever else is there) are listed with empty text:
 * a 500 MB item must not be loaded to learn nothing from it. */
export async function readEvidenceFolder(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const analysed: Array<{ bundlePath: string; full: string; size: number }> = [];
  for (const level of LEVELS) {
    const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const full = path.join(dir, e.name);
        const bundlePath = `${rel}/${e.name}`;
        if (e.isDirectory() && depth < 2) await walk(full, bundlePath, depth + 1);
        else if (e.isFile()) {
          files.set(bundlePath, '');
          if (isAnalysed(bundlePath)) analysed.push({ bundlePath, full, size: (await lstat(full)).size });
        }
      }
    };
    await walk(path.join(root, level), level, 0);
  }
  let budget = TOTAL_BYTES;
  const buffer = Buffer.allocUnsafe(FILE_BYTES);
  for (const f of analysed.sort((a, b) => a.size - b.size)) {
    const text = await readCapped(f.full, budget, buffer);
    if (text === undefined) files.delete(f.bundlePath);
    else {
      files.set(f.bundlePath, text);
      budget -= text.length;
    }
  }
  // a folder of pasted files has no manifest
  const manifest = await readCapped(path.join(root, 'manifest.json'), FILE_BYTES, buffer);
  if (manifest !== undefined) files.set('manifest.json', manifest);
  return files;
}
