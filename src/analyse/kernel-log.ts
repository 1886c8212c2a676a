// Pure: the kernel log the analysis reads for a level: dmesg, or the journal's copy of
// this boot when dmesg's ring buffer no longer reaches back to it.
import type { Level } from '../levels.js';
import { type EvidenceFiles, levelFile } from './evidence.js';
import { chooseKernelLog } from './parsers/kernel-log.js';

export function kernelLog(files: EvidenceFiles, level: Level): { file: string; why?: string } {
  const choice = chooseKernelLog(files.get(levelFile(level, 'dmesg')), files.get(levelFile(level, 'kernel-journal')));
  return { file: levelFile(level, choice?.item ?? 'dmesg'), why: choice?.why };
}

/** The summary's line: which log was read, and why. */
export function kernelLogNote(files: EvidenceFiles, level: Level): string | undefined {
  const { file, why } = kernelLog(files, level);
  if (why === undefined) return undefined;
  return file.endsWith('kernel-journal.txt')
    ? `journalctl -k -b 0 (${why}; the journal holds the whole boot)`
    : `dmesg${why === 'dmesg' ? '' : ` (${why})`}`;
}
