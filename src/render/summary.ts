// Pure: verdict + manifest -> summary.md. Under 60 KB so it can be pasted into a bug
// tracker comment; readable on GitHub and as plain text.

import { runsOnLabel } from '../analyse/runs-on.js';
import type { Check, Verdict } from '../analyse/types.js';
import type { LevelRecord, Manifest } from '../bundle/manifest.js';
import { LEVELS } from '../levels.js';
import { terminalText } from '../util/terminal-text.js';
import { cell, code, escapeText, fillTemplate, table } from './markdown.js';
import { flattenParentheses } from './results.js';
import { missingSection, summaryHead } from './summary-head.js';
import { evidenceCell, levelTable, mermaidChain } from './summary-parts.js';

export const SUMMARY_LIMIT = 60 * 1024;

export function checkTitle(c: Check): string {
  return c.title;
}

const STATUS_MARK: Record<Check['status'], string> = { fail: 'FAIL', warn: 'WARN', unknown: 'UNKNOWN', pass: 'pass' };

function checksTable(verdict: Verdict, checks: Check[]): string {
  if (checks.length === 0) return '_No checks apply to the evidence collected._';
  const rows = checks.map((c) => [
    STATUS_MARK[c.status],
    c.level,
    `**${escapeText(checkTitle(c))}**: ${escapeText(flattenParentheses(c.summary))}`,
    evidenceCell(verdict, c),
    c.fix ? escapeText(c.fix) : '',
  ]);
  return table(['', 'Level', 'Check', 'Evidence', 'Fix'], rows);
}

function levelVerdicts(verdict: Verdict): string {
  const rows = LEVELS.filter((l) => verdict.levels[l]).map((l) => {
    const v = verdict.levels[l]!;
    const best = v.evidence[0];
    const platform = v.platform
      ? ` on ${escapeText(v.platform.name)} (${v.platform.evidence
          .slice(0, 1)
          .map((e) => cell(`${e.file}${e.line ? `:${e.line}` : ''}`))
          .join('')})`
      : '';
    const inContainer = v.container ? ` (inside a ${escapeText(v.container)} container)` : '';
    return [
      l,
      `**${escapeText(runsOnLabel(v.runsOn))}**${platform}${inContainer}`,
      escapeText(runsOnLabel(v.inside)),
      escapeText(runsOnLabel(v.outside)),
      escapeText(flattenParentheses(v.reason)),
      best ? `${cell(`${best.file}${best.line ? `:${best.line}` : ''}`)} ${escapeText(best.why)}` : '-',
    ];
  });
  if (rows.length === 0) return '_No level collected._';
  return table(['Level', 'Runs on', 'Inside view', 'Outside view', 'How', 'Strongest evidence'], rows);
}

function problems(levels: LevelRecord[]): string {
  const lines: string[] = [];
  for (const level of levels) {
    if (!level.reached || level.error)
      lines.push(
        `- **${level.level}** ${code(level.target)}: ${code(level.error ?? 'not reached', 400)}${level.lostAt ? ` (at ${level.lostAt})` : ''}`,
      );
    for (const item of level.items) {
      if (item.status === 'ok' && !item.truncated && !item.reason) continue;
      const what = item.status !== 'ok' ? item.status : item.truncated ? 'truncated' : 'partly collected';
      lines.push(`- ${level.level} ${code(item.id)}: ${what}${item.reason ? ` - ${code(item.reason, 240)}` : ''}`);
    }
  }
  return lines.length ? lines.join('\n') : '_Everything planned was collected._';
}

export function renderSummary(template: string, verdict: Verdict, manifest?: Manifest): string {
  const values = {
    headline: summaryHead(verdict, manifest, (id) => checkTitle(verdict.checks.find((c) => c.id === id)!)),
    problemLine: missingSection(manifest),
    mermaid: mermaidChain(verdict),
    chainLine: code(flattenParentheses(verdict.chainLine), 400),
    checks: checksTable(verdict, verdict.checks),
    levelVerdicts: levelVerdicts(verdict),
    levelTables: levelTable(verdict.tables, manifest),
    problems: manifest ? problems(manifest.levels) : '_No manifest: this folder holds evidence files only._',
    footer: manifest
      ? `nestbug ${escapeText(manifest.version)}, ${escapeText(manifest.startedAt)} to ${escapeText(manifest.finishedAt)}${manifest.interrupted ? ' (**interrupted**: partial bundle)' : ''}. Raw outputs are in the bundle, one file per item; manifest.json lists each with its command, status and sha256.`
      : 'nestbug inspect of a folder of evidence files.',
  };
  let text = terminalText(fillTemplate(template, values));
  if (Buffer.byteLength(text) > SUMMARY_LIMIT) {
    values.levelTables = '_Level tables omitted to stay under 60 KB; see the raw files._';
    values.problems = `_${manifest ? manifest.levels.reduce((n, l) => n + l.items.filter((i) => i.status !== 'ok').length, 0) : 0} items not collected; see manifest.json._`;
    text = terminalText(fillTemplate(template, values));
  }
  if (Buffer.byteLength(text) > SUMMARY_LIMIT)
    text = `${Buffer.from(text)
      .subarray(0, SUMMARY_LIMIT - 200)
      .toString('utf8')}\n\n_(summary cut at 60 KB; see the bundle)_\n`;
  return text;
}
