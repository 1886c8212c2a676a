import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Collector, CollectorFileError, mergeCollectors, parseCollectors } from './collectors.js';

export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILTIN_DIR = path.join(PACKAGE_ROOT, 'collectors');

export async function loadCollectors(extraFiles: string[] = []): Promise<Collector[]> {
  const names = (await readdir(BUILTIN_DIR)).filter((n) => n.endsWith('.yaml')).sort();
  const lists: Collector[][] = [];
  for (const name of names) {
    const file = path.join(BUILTIN_DIR, name);
    lists.push(parseCollectors(await readFile(file, 'utf8'), `collectors/${name}`));
  }
  for (const file of extraFiles) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new CollectorFileError(`${file}: cannot read collectors file (${code ?? String(error)})`);
    }
    lists.push(parseCollectors(text, file));
  }
  return mergeCollectors(lists);
}
