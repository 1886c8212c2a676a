// Pure: levels that were not collected but that a collected level describes (s390x's
// /proc/sysinfo lists every layer below it), for the chain line.
import type { Level } from '../../levels.js';
import { type EvidenceFiles, levelFile } from '../evidence.js';
import { reconstructedLevels } from './s390x.js';

export function levelsDescribedFromAbove(
  files: EvidenceFiles,
  collected: readonly Level[],
): Partial<Record<Level, string>> {
  const out: Partial<Record<Level, string>> = {};
  for (const level of collected) {
    const sysinfo = files.get(levelFile(level, 'sysinfo'));
    if (!sysinfo) continue;
    for (const [below, label] of Object.entries(reconstructedLevels(level as 'L0' | 'L1' | 'L2', sysinfo))) {
      if (!collected.includes(below as Level)) out[below as Level] ??= label;
    }
  }
  return out;
}
