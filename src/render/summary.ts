// Pure: verdict + manifest -> summary.md. Under 60 KB so it can be pasted into a bug
// tracker comment; readable on GitHub and as plain text.
import type { Check, LevelTable, Verdict } from '../analyse/types.js';
import { runsOnLabel } from '../analyse/runs-on.js';
import type { LevelRecord, Manifest } from '../bundle/manifest.js';
import { LEVELS } from '../levels.js';
import { cell, code, escapeText, fillTemplate, table } from './markdown.js';
import { terminalText } from '../util/terminal-text.js';

export const SUMMARY_LIMIT = 60 * 1024;

function checkTitle(c: Check): string {
  return c.title;
}

const STATUS_MARK: Record<Check['status'], string> = { fail: 'FAIL', warn: 'WARN', unknown: 'UNKNOWN', pass: 'pass' };

function headline(verdict: Verdict, manifest: Manifest | undefined): string {
  const collected = verdict.tables.map((t) => {
    const record = manifest?.levels.find((l) => l.level === t.level);
    return record ? `${t.level} (${code(record.target)})` : t.level;
  });
  const failed = (manifest?.levels ?? []).filter((l) => !l.reached).map((l) => `${l.level} (not reached)`);
  return `**Nested virtualization setup: ${escapeText(verdict.chainName)}.** Levels collected: ${[...collected, ...failed].join(', ') || 'none'}.`;
}

function problemLine(verdict: Verdict): string {
  const tcg = LEVELS.filter((l) => verdict.levels[l]?.runsOn === 'tcg' && l !== 'L0');
  const lines: string[] = [];
  if (tcg.length) {
    lines.push(`> **${tcg.join(' and ')} ${tcg.length > 1 ? 'run' : 'runs'} on TCG (QEMU emulation), not KVM.** This is ${escapeText(verdict.chainName)}, not KVM on KVM: anything nested inside is emulated.`);
  }
  const fails = verdict.checks.filter((c) => c.status === 'fail');
  if (fails.length) lines.push(`> ${fails.length} check${fails.length > 1 ? 's' : ''} failed: ${fails.map((c) => escapeText(checkTitle(c))).join('; ')}. See Checks below.`);
  if (lines.length === 0) lines.push(verdict.checks.length ? '> No check failed.' : '> No checks could run on this evidence.');
  return lines.join('\n>\n');
}

function mermaid(verdict: Verdict): string {
  const levels = LEVELS.filter((l) => verdict.levels[l]);
  if (levels.length === 0) return '_No level collected._';
  const nodes = levels.map((l) => `  ${l}["${l}: ${runsOnLabel(verdict.levels[l]!.runsOn).replace(/[()]/g, '')}"]`);
  const edges = levels.slice(1).map((l, i) => `  ${levels[i]} --> ${l}`);
  return ['```mermaid', 'flowchart LR', ...nodes, ...edges, '```'].join('\n');
}

function checksTable(checks: Check[]): string {
  if (checks.length === 0) return '_No checks apply to the evidence collected._';
  const rows = checks.map((c) => [
    STATUS_MARK[c.status],
    c.level,
    `**${escapeText(checkTitle(c))}**: ${escapeText(c.summary)}`,
    c.evidence.slice(0, 3).map((e) => `${cell(`${e.file}${e.line ? `:${e.line}` : ''}`)} ${cell(e.text, 120)}`).join('<br>') || '-',
    c.fix ? escapeText(c.fix) : '',
  ]);
  return table(['', 'Level', 'Check', 'Evidence', 'Fix'], rows);
}

function levelVerdicts(verdict: Verdict): string {
  const rows = LEVELS.filter((l) => verdict.levels[l]).map((l) => {
    const v = verdict.levels[l]!;
    const best = v.evidence[0];
    const platform = v.platform ? ` on ${escapeText(v.platform.name)} (${v.platform.evidence.slice(0, 1).map((e) => cell(`${e.file}${e.line ? `:${e.line}` : ''}`)).join('')})` : '';
    const inContainer = v.container ? ` (inside a ${escapeText(v.container)} container)` : '';
    return [l, `**${escapeText(runsOnLabel(v.runsOn))}**${platform}${inContainer}`, escapeText(runsOnLabel(v.inside)), escapeText(runsOnLabel(v.outside)), escapeText(v.reason), best ? `${cell(`${best.file}${best.line ? `:${best.line}` : ''}`)} ${escapeText(best.why)}` : '-'];
  });
  if (rows.length === 0) return '_No level collected._';
  return table(['Level', 'Runs on', 'Inside view', 'Outside view', 'How', 'Strongest evidence'], rows);
}

function levelTables(tables: LevelTable[], manifest: Manifest | undefined): string {
  return tables
    .map((t) => {
      const record = manifest?.levels.find((l) => l.level === t.level);
      const title = `### ${t.level}${record ? ` ${code(record.target)}` : ''}${t.hostname ? ` ${code(t.hostname)}` : ''}`;
      const rows: string[][] = [
        ['Kernel', cell(t.kernel)],
        ['Distribution', cell(t.os)],
        ['QEMU', cell(t.qemu)],
        ['libvirt', cell(t.libvirt)],
        ['CPU model', cell(t.cpuModel)],
        ['Virtualization flags', cell(t.virtFlags.length ? t.virtFlags.join(' ') : t.cpuModel ? 'none (no vmx/svm/sie)' : undefined)],
        ['Hypervisor flag', t.hypervisorFlag === undefined ? '-' : t.hypervisorFlag ? 'yes (runs in a VM)' : 'no'],
        ['Nested parameter', cell(t.nested)],
        ['/dev/kvm', cell(t.kvmDevice)],
        ['KVM modules', cell(t.kvmModules.join(' '))],
        ['Kernel log', cell(t.kernelLog)],
      ];
      if (record?.facts) rows.push(['Collected as', cell(`${record.facts.user} (${record.facts.privilege === 'none' ? `no root: ${record.facts.privilegeNote ?? ''}` : record.facts.privilege})`)]);
      return `${title}\n\n${table(['', 'Value'], rows)}`;
    })
    .join('\n\n');
}

function problems(levels: LevelRecord[]): string {
  const lines: string[] = [];
  for (const level of levels) {
    if (!level.reached || level.error) lines.push(`- **${level.level}** ${code(level.target)}: ${code(level.error ?? 'not reached', 400)}${level.lostAt ? ` (at ${level.lostAt})` : ''}`);
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
    headline: headline(verdict, manifest),
    problemLine: problemLine(verdict),
    mermaid: mermaid(verdict),
    chainLine: code(verdict.chainLine, 400),
    checks: checksTable(verdict.checks),
    levelVerdicts: levelVerdicts(verdict),
    levelTables: levelTables(verdict.tables, manifest),
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
  if (Buffer.byteLength(text) > SUMMARY_LIMIT) text = `${Buffer.from(text).subarray(0, SUMMARY_LIMIT - 200).toString('utf8')}\n\n_(summary cut at 60 KB; see the bundle)_\n`;
  return text;
}
