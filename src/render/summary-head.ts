// Pure: the top of summary.md. A GitHub alert (`> [!CAUTION]`, which still reads as a
// quote in plain text) with the plain sentence first, then the chain and what failed;
// the kernel doc's items that are missing follow, with how to get them.
import type { Verdict } from '../analyse/types.js';
import type { Manifest } from '../bundle/manifest.js';
import { LEVELS } from '../levels.js';
import { code, escapeText } from './markdown.js';
import { flattenParentheses, missingDocItems, plainSentence } from './results.js';

export type AlertKind = 'CAUTION' | 'WARNING' | 'NOTE';

export function alertKind(verdict: Verdict, manifest?: Manifest): AlertKind {
  const tcg = LEVELS.some((l) => l !== 'L0' && verdict.levels[l]?.runsOn === 'tcg');
  if (tcg || verdict.checks.some((c) => c.status === 'fail')) return 'CAUTION';
  const partial = (manifest?.levels ?? []).some((l) => !l.reached);
  if (partial || verdict.checks.some((c) => c.status === 'warn' || c.status === 'unknown')) return 'WARNING';
  return 'NOTE';
}

export function summaryHead(verdict: Verdict, manifest: Manifest | undefined, title: (id: string) => string): string {
  const collected = verdict.tables.map((t) => {
    const record = manifest?.levels.find((l) => l.level === t.level);
    return record ? `${t.level} ${code(record.target)}` : t.level;
  });
  const notReached = (manifest?.levels ?? []).filter((l) => !l.reached).map((l) => `${l.level} not reached`);
  const fails = verdict.checks.filter((c) => c.status === 'fail');
  const lines = [
    `> [!${alertKind(verdict, manifest)}]`,
    `> **${escapeText(plainSentence(verdict, manifest))}**`,
    '>',
    `> Nested virtualization setup: ${escapeText(verdict.chainName)}. Levels collected: ${[...collected, ...notReached].join(', ') || 'none'}.`,
  ];
  if (fails.length) {
    const names = fails.map((c) => escapeText(flattenParentheses(title(c.id)))).join('; ');
    lines.push(`> ${fails.length} check${fails.length > 1 ? 's' : ''} failed: ${names}. See Checks below.`);
  } else {
    lines.push(verdict.checks.length ? '> No check failed.' : '> No checks could run on this evidence.');
  }
  return lines.join('\n');
}

export function missingSection(manifest: Manifest | undefined): string {
  const missing = missingDocItems(manifest);
  if (missing.length === 0) return '';
  return [
    '**Missing items the kernel doc asks for:**',
    '',
    ...missing.map((m) => `- ${m.level} ${code(m.id)} (${escapeText(m.what)}): ${escapeText(m.how)}`),
  ].join('\n');
}
