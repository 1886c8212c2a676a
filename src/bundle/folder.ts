// Reads the evidence of a bundle folder (or of the spool during collection): the text
// files of the level folders and the manifest. No archive code here: collect loads it.
import { lstat, open, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { isAnalysed } from '../analyse/evidence.js';
import { LEVELS } from '../levels.js';

/** Analysis reads at most this much of any one file (dmesg can be large). */
const ANALYSE_BYTES = 32 * 1024 * 1024;

export async function findRoot(dir: string): Promise<string> {
  const names = await readdir(dir);
  const isRoot = (list: string[]) => list.some((n) => (LEVELS as readonly string[]).includes(n) || n === 'manifest.json');
  if (isRoot(names)) return dir;
  const subdirs: string[] = [];
  for (const n of names) if ((await lstat(path.join(dir, n))).isDirectory()) subdirs.push(n);
  if (subdirs.length === 1) {
    const inner = path.join(dir, subdirs[0]);
    if (isRoot(await readdir(inner))) return inner;
  }
  throw new UsageError(`${dir}: no L0/, L1/, L2/ folder or manifest.json found (expected a nestbug bundle or files in its layout)`);
}

async function readCapped(file: string): Promise<string> {
  const info = await lstat(file);
  if (info.size <= ANALYSE_BYTES) return readFile(file, 'utf8');
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(ANALYSE_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, ANALYSE_BYTES, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Evidence of a bundle folder (or spool): text files of the level folders. Files the
 * analysis never reads (site items, whatever else is there) are listed with empty text:
 * a 500 MB item must not be loaded to learn nothing from it. */
export async function readEvidenceFolder(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const level of LEVELS) {
    const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const full = path.join(dir, e.name);
        const bundlePath = `${rel}/${e.name}`;
        if (e.isDirectory() && depth < 2) await walk(full, bundlePath, depth + 1);
        else if (e.isFile()) files.set(bundlePath, isAnalysed(bundlePath) ? await readCapped(full) : '');
      }
    };
    await walk(path.join(root, level), level, 0);
  }
  try {
    files.set('manifest.json', await readFile(path.join(root, 'manifest.json'), 'utf8'));
  } catch {
    // a folder of pasted files has no manifest
  }
  return files;
}

