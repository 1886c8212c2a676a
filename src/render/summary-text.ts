// Pure: summary.txt, the content of summary.md for trackers that show plain text
// (bugzilla, mailing lists): no Markdown or HTML, wrapped at 80 columns, the chain on one
// line so it can be searched and quoted whole.

import { runsOnLabel } from '../analyse/runs-on.js';
import type { Check, Verdict } from '../analyse/types.js';
import type { LevelRecord, Manifest } from '../bundle/manifest.js';
import { LEVELS } from '../levels.js';
import { flattenParentheses, missingDocItems, plainSentence, withLevel } from './results.js';
import { cutAtWord, meaningOf } from './summary-parts.js';

export const TEXT_WIDTH = 80;

/** Host text may hold control characters: shown as '?', never sent to a terminal. */
function clean(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}

/** Words filled into lines of at most `width`; a word longer than a line is split. */
export function wrap(text: string, width = TEXT_WIDTH, indent = '', firstIndent = indent): string[] {
  const lines: string[] = [];
  let line = firstIndent;
  let empty = true;
  const room = () => width - line.length;
  const newLine = () => {
    lines.push(line);
    line = indent;
    empty = true;
  };
  for (let word of clean(text).split(/\s+/).filter(Boolean)) {
    while (word.length > width - indent.length) {
      if (!empty) newLine();
      lines.push(indent + word.slice(0, width - indent.length));
      word = word.slice(width - indent.length);
    }
    if (!empty && word.length + 1 > room()) newLine();
    line += empty ? word : ` ${word}`;
    empty = false;
  }
  if (!empty || lines.length === 0) lines.push(line);
  return lines;
}

function heading(title: string): string[] {
  return ['', title, '='.repeat(title.length)];
}

const STATUS: Record<Check['status'], string> = { fail: 'FAIL', warn: 'WARN', unknown: 'UNKNOWN', pass: 'pass' };
const ORDER: Check['status'][] = ['fail', 'warn', 'unknown', 'pass'];

function checkLines(verdict: Verdict, title: (c: Check) => string): string[] {
  if (verdict.checks.length === 0) return ['No checks apply to the evidence collected.'];
  const sorted = [...verdict.checks].sort((a, b) => ORDER.indexOf(a.status) - ORDER.indexOf(b.status));
  const out: string[] = [];
  for (const c of sorted) {
    out.push('', ...wrap(`${STATUS[c.status]}: ${flattenParentheses(title(c))}`, TEXT_WIDTH, '  ', ''));
    out.push(...wrap(flattenParentheses(withLevel(c.summary, c.level)), TEXT_WIDTH, '    ', '  '));
    for (const e of c.evidence.slice(0, 3)) {
      const meaning = meaningOf(verdict, e);
      const where = `${e.file}${e.line ? `:${e.line}` : ''}`;
      out.push(
        ...wrap(
          `evidence: ${meaning ? `${meaning}: ` : ''}"${cutAtWord(e.text, 140)}" (${where})`,
          TEXT_WIDTH,
          '    ',
          '  ',
        ),
      );
    }
    if (c.fix) out.push(...wrap(`fix: ${c.fix}`, TEXT_WIDTH, '    ', '  '));
  }
  return out;
}

function levelLines(verdict: Verdict): string[] {
  const out: string[] = [];
  for (const l of LEVELS) {
    const v = verdict.levels[l];
    if (!v) continue;
    const views = v.disagree ? ` (inside says ${runsOnLabel(v.inside)}, outside says ${runsOnLabel(v.outside)})` : '';
    out.push(
      ...wrap(
        flattenParentheses(`${l} runs on ${runsOnLabel(v.runsOn)}${views}: ${v.reason}.`),
        TEXT_WIDTH,
        '    ',
        '  ',
      ),
    );
  }
  return out.length ? out : ['  No level collected.'];
}

function tableLines(verdict: Verdict, manifest: Manifest | undefined): string[] {
  const out: string[] = [];
  for (const t of verdict.tables) {
    const record = manifest?.levels.find((r) => r.level === t.level);
    const facts = record?.facts;
    const rows: Array<[string, string | undefined]> = [
      ['target', record?.target],
      ['host name', t.hostname],
      ['kernel', t.kernel],
      ['distribution', t.os],
      ['QEMU', t.qemu],
      ['libvirt', t.libvirt],
      ['CPU model', t.cpuModel],
      ['virtualization flags', t.virtFlags.length ? t.virtFlags.join(' ') : t.cpuModel ? 'none' : undefined],
      ['runs in a VM', t.hypervisorFlag === undefined ? undefined : t.hypervisorFlag ? 'yes (hypervisor flag)' : 'no'],
      ['nested parameter', t.nested],
      ['/dev/kvm', t.kvmDevice],
      ['KVM modules', t.kvmModules.join(' ') || undefined],
      [
        'collected as',
        facts &&
          `${facts.user}, ${facts.privilege === 'none' ? `no root: ${facts.privilegeNote ?? ''}` : facts.privilege}`,
      ],
    ];
    out.push('', `${t.level}:`);
    for (const [name, value] of rows) if (value) out.push(...wrap(`${name}: ${value}`, TEXT_WIDTH, '      ', '  '));
  }
  return out;
}

function problemLines(levels: LevelRecord[]): string[] {
  const out: string[] = [];
  for (const level of levels) {
    if (!level.reached || level.error)
      out.push(...wrap(`- ${level.level} ${level.target}: ${level.error ?? 'not reached'}`, TEXT_WIDTH, '    '));
    for (const item of level.items) {
      if (!item || (item.status === 'ok' && !item.truncated && !item.reason)) continue;
      const what = item.status !== 'ok' ? item.status : item.truncated ? 'truncated' : 'partly collected';
      out.push(
        ...wrap(`- ${level.level} ${item.id}: ${what}${item.reason ? `: ${item.reason}` : ''}`, TEXT_WIDTH, '    '),
      );
    }
  }
  return out.length ? out : ['Everything planned was collected.'];
}

export function renderSummaryText(
  verdict: Verdict,
  manifest: Manifest | undefined,
  title: (c: Check) => string,
): string {
  const collected = verdict.tables.map((t) => {
    const record = manifest?.levels.find((l) => l.level === t.level);
    return record ? `${t.level} ${record.target}` : t.level;
  });
  const notReached = (manifest?.levels ?? []).filter((l) => !l.reached).map((l) => `${l.level} not reached`);
  const missing = missingDocItems(manifest);
  const lines = [
    ...wrap(plainSentence(verdict, manifest)),
    '',
    ...wrap(`Nested virtualization setup: ${verdict.chainName}.`),
    // One line on purpose, however long: it is quoted and searched whole.
    `Chain: ${clean(flattenParentheses(verdict.chainLine))}`,
    ...wrap(`Levels collected: ${[...collected, ...notReached].join(', ') || 'none'}.`),
  ];
  if (missing.length) {
    lines.push('', 'Missing items the kernel doc asks for:');
    for (const m of missing)
      lines.push(...wrap(`- ${m.level} ${m.id} (${m.what}): ${m.how}`, TEXT_WIDTH, '    ', '  '));
  }
  lines.push(...heading('Checks'), ...checkLines(verdict, title));
  lines.push(...heading('What each level runs on'), ...levelLines(verdict));
  lines.push(...heading('Levels'), ...tableLines(verdict, manifest));
  lines.push(...heading('Not collected, failed or skipped'));
  lines.push(...(manifest ? problemLines(manifest.levels) : ['No manifest: this folder holds evidence files only.']));
  lines.push('', '--');
  lines.push(
    ...wrap(
      manifest
        ? `nestbug ${manifest.version}, ${manifest.startedAt} to ${manifest.finishedAt}${manifest.interrupted ? ' (interrupted: partial bundle)' : ''}. Raw outputs are in the bundle, one file per item.`
        : 'nestbug inspect of a folder of evidence files.',
    ),
  );
  return `${lines.join('\n')}\n`;
}
