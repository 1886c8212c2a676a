// Pure: parts of summary.md that GitHub renders: the chain as a Mermaid diagram coloured
// by verdict, one table with the levels side by side, and evidence that says what a line
// means before quoting it (cut between words, never inside a token).
import type { Citation } from '../analyse/evidence.js';
import { runsOnLabel } from '../analyse/runs-on.js';
import type { Check, LevelTable, Verdict } from '../analyse/types.js';
import type { Manifest } from '../bundle/manifest.js';
import { LEVELS, type Level } from '../levels.js';
import { cell, code, escapeText, table } from './markdown.js';

export type NodeVerdict = 'ok' | 'bad' | 'doubt';

export function levelVerdict(verdict: Verdict, level: Level): NodeVerdict {
  const runsOn = verdict.levels[level]?.runsOn ?? 'unknown';
  const checks = verdict.checks.filter((c) => c.level === level);
  if ((level !== 'L0' && runsOn === 'tcg') || checks.some((c) => c.status === 'fail')) return 'bad';
  if (runsOn === 'unknown' || checks.some((c) => c.status === 'warn' || c.status === 'unknown')) return 'doubt';
  return 'ok';
}

const CLASS_DEFS = [
  '  classDef ok fill:#d1f0d8,stroke:#1a7f37,color:#000',
  '  classDef bad fill:#ffd8d3,stroke:#cf222e,color:#000',
  '  classDef doubt fill:#fff1c2,stroke:#9a6700,color:#000',
];

/** Mermaid labels: quotes and brackets would end the label, so they are left out. */
function label(text: string): string {
  return text
    .replace(/ \(/g, ', ')
    .replace(/["[\]{}()<>|#;`]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export function mermaidChain(verdict: Verdict): string {
  const levels = LEVELS.filter((l) => verdict.levels[l]);
  if (levels.length === 0) return '_No level collected._';
  const nodes = levels.map((l) => `  ${l}["${l}: ${label(runsOnLabel(verdict.levels[l]!.runsOn))}"]`);
  const edges = levels.slice(1).map((l, i) => `  ${levels[i]} --> ${l}`);
  const classes = levels.map((l) => `  class ${l} ${levelVerdict(verdict, l)}`);
  return ['```mermaid', 'flowchart LR', ...nodes, ...edges, ...CLASS_DEFS, ...classes, '```'].join('\n');
}

type Row = [string, (t: LevelTable) => string | undefined];

const ROWS: Row[] = [
  ['Host name', (t) => t.hostname],
  ['Kernel', (t) => t.kernel],
  ['Distribution', (t) => t.os],
  ['QEMU', (t) => t.qemu],
  ['libvirt', (t) => t.libvirt],
  ['CPU model', (t) => t.cpuModel],
  [
    'Virtualization flags',
    (t) => (t.virtFlags.length ? t.virtFlags.join(' ') : t.cpuModel ? 'none (no vmx/svm/sie)' : undefined),
  ],
  [
    'Runs in a VM (hypervisor flag)',
    (t) => (t.hypervisorFlag === undefined ? undefined : t.hypervisorFlag ? 'yes' : 'no'),
  ],
  ['Nested parameter', (t) => t.nested],
  ['/dev/kvm', (t) => t.kvmDevice],
  ['KVM modules', (t) => (t.kvmModules.length ? t.kvmModules.join(' ') : undefined)],
];

/** One table, the levels side by side: what differs between them shows at a glance. */
export function levelTable(tables: LevelTable[], manifest: Manifest | undefined): string {
  if (tables.length === 0) return '_No level collected._';
  const records = tables.map((t) => manifest?.levels.find((l) => l.level === t.level));
  const header = ['', ...tables.map((t) => t.level)];
  const rows: string[][] = [];
  if (records.some(Boolean)) rows.push(['Target', ...records.map((r) => (r ? cell(r.target) : '-'))]);
  for (const [name, get] of ROWS) rows.push([name, ...tables.map((t) => cell(get(t)))]);
  if (records.some((r) => r?.facts)) {
    rows.push([
      'Collected as',
      ...records.map((r) => {
        const f = r?.facts;
        if (!f) return '-';
        return cell(`${f.user}, ${f.privilege === 'none' ? `no root: ${f.privilegeNote ?? ''}` : f.privilege}`);
      }),
    ]);
  }
  return table(header, rows);
}

/** Text cut at a word boundary near `max`, so a hex value is never split. */
export function cutAtWord(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${space > max / 2 ? cut.slice(0, space) : cut} ...`;
}

/** What a cited line means, when the analysis said so for the same line. */
export function meaningOf(verdict: Verdict, c: Citation): string | undefined {
  for (const level of LEVELS) {
    const clue = verdict.levels[level]?.evidence.find((e) => e.file === c.file && e.line === c.line);
    if (clue) return clue.why;
  }
  return undefined;
}

export function evidenceCell(verdict: Verdict, check: Check): string {
  const shown = check.evidence.slice(0, 3).map((c) => {
    const meaning = meaningOf(verdict, c);
    const where = code(`${c.file}${c.line ? `:${c.line}` : ''}`);
    const quote = cell(cutAtWord(c.text, 100), 110);
    return `${meaning ? `${escapeText(meaning)}: ` : ''}${quote} (${where})`;
  });
  return shown.join('<br>') || '-';
}
