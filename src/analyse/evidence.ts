// Pure: the files of a bundle (or a partial folder) as the analysers see them.
import type { Level } from '../levels.js';

export interface EvidenceFiles {
  /** Text of `L1/cpuinfo.txt` and the like; undefined when absent. */
  get(bundlePath: string): string | undefined;
  /** Bundle paths under a folder, e.g. `L1/libvirt/`. */
  list(prefix: string): string[];
}

export function evidenceFromMap(files: Map<string, string>): EvidenceFiles {
  return {
    get: (p) => files.get(p),
    list: (prefix) => [...files.keys()].filter((k) => k.startsWith(prefix)).sort(),
  };
}

export interface Citation {
  file: string;
  line?: number;
  text: string;
}

/** First line matching `re` in a file, as a citation. */
export function findLine(files: EvidenceFiles, file: string, re: RegExp): Citation | undefined {
  const text = files.get(file);
  if (text === undefined) return undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (re.test(lines[i])) return { file, line: i + 1, text: lines[i].trim().slice(0, 300) };
  }
  return undefined;
}

export { isAnalysed } from './items.js';

/** `L1/cpuinfo.txt`: where an item's output is in a bundle. Ids are checked against the
 * collectors by a unit test (test/unit/registry.test.ts). */
export function levelFile(level: Level, id: string): string {
  return `${level}/${id}.txt`;
}
