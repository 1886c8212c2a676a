// Pure: one check as terminal lines. The title states the finding and names the level,
// so no separate level column ("UNKNOWN L1 L1: ..." read twice).
import type { Check } from '../analyse/types.js';

export function checkLines(c: Check, indent = ''): string {
  const mark = c.status.toUpperCase().padEnd(7);
  const pad = `${indent}${' '.repeat(8)}`;
  return [`${indent}${mark} ${c.title}`, `${pad}${c.summary}`, ...(c.fix ? [`${pad}fix: ${c.fix}`] : [])].join('\n');
}
