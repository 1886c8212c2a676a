// What collect, check and --dry-run print at the end (pure: text from results).
import { runsOnLabel } from '../analyse/runs-on.js';
import type { Verdict } from '../analyse/types.js';
import { countItems, isPartial, type Manifest } from '../bundle/manifest.js';
import type { PlannedStep } from '../collect/plan.js';
import { EXIT } from '../exit-codes.js';
import type { Io } from '../io.js';
import { checkLines } from '../render/check-line.js';
import { flattenParentheses, missingDocItems, nothingCollected, plainSentence } from '../render/results.js';
import { quoteArgv } from '../transport/quote.js';
import { formatBytes } from '../util/stamp.js';
import type { LevelsCollected } from './collect-levels.js';
import type { WrittenBundle } from './write-bundle.js';

export interface BundleReport extends WrittenBundle {
  path: string;
}

/** The lines after the task list; without a bundle, the closing line of `check`. */
export function closingReport(
  verdict: Verdict,
  manifest: Manifest,
  bundle: BundleReport | undefined,
  withChecks: boolean,
): string[] {
  if (manifest.levels.every((l) => !l.reached)) return ['', ...nothingCollected(manifest.levels)];
  const lines = ['', plainSentence(verdict, manifest), `Nested setup: ${verdict.chainName}. ${verdict.chainLine}`];
  for (const m of missingDocItems(manifest)) lines.push(`  missing ${m.level} ${m.id} (${m.what}): ${m.how}`);
  for (const v of Object.values(verdict.levels)) {
    const platform = v!.platform ? ` on ${v!.platform.name}` : '';
    lines.push(
      `  ${v!.level} runs on ${runsOnLabel(v!.runsOn)}${platform}${v!.disagree ? ' (the two views disagree)' : ''}`,
    );
  }
  for (const level of manifest.levels.filter((l) => !l.reached || l.error)) {
    lines.push(`  ${level.level} ${level.target}: ${level.error ?? 'not reached'}`);
  }
  const shown = verdict.checks.filter((c) => c.status === 'fail' || (withChecks && c.status === 'warn'));
  for (const c of shown) lines.push(checkLines({ ...c, summary: flattenParentheses(c.summary) }, '  '));
  const counts = countItems(manifest.levels);
  if (!bundle) {
    const reached = manifest.levels.filter((l) => l.reached).length;
    lines.push(
      `Checked ${reached} level(s) with ${counts.ok} small reads; no bundle written (nestbug collect writes one).`,
    );
    return lines;
  }
  const failed = counts.failed + counts['timed-out'];
  lines.push(
    `Bundle: ${bundle.path} (${formatBytes(bundle.bytes)}; ${counts.ok} items collected, ${failed} failed, ` +
      `${counts['not-installed']} not installed, ${counts.skipped} skipped)`,
  );
  if (bundle.redactionMap) {
    const map = bundle.redactionMap;
    lines.push(`Redacted: names and addresses are placeholders; the mapping is in ${map} (private: do not attach it).`);
  }
  lines.push(
    manifest.interrupted
      ? 'Interrupted: the bundle holds what was collected until then.'
      : 'Attach the bundle to the bug report and paste its summary.md into the description.',
  );
  return lines;
}

type StepView = { run: true; asRoot: boolean; command: string } | { run: false; status: string; reason: string };

function describeStep(s: PlannedStep): StepView {
  if (s.skip) return { run: false, status: s.skip.status, reason: s.skip.reason };
  const command = s.argv && !s.collector.file && !s.collector.script ? quoteArgv(s.argv) : s.source;
  return { run: true, asRoot: s.asRoot, command };
}

/** --dry-run: what would run where, and what is skipped and why. */
export function reportDryRun({ manifest, plans }: LevelsCollected, json: boolean, io: Io): number {
  if (json) {
    const levels = Object.fromEntries(
      manifest.levels.map((l) => [
        l.level,
        {
          target: l.target,
          reached: l.reached,
          error: l.error ?? null,
          facts: l.facts ?? null,
          items: (plans.get(l.level) ?? []).map((s) => ({ id: s.collector.id, ...describeStep(s) })),
        },
      ]),
    );
    io.stdout.write(`${JSON.stringify({ dryRun: true, levels }, null, 2)}\n`);
  } else {
    io.stdout.write(`${dryRunLines({ manifest, plans }).join('\n')}\nDry run: nothing was collected.\n`);
  }
  return isPartial(manifest.levels) ? EXIT.partial : EXIT.ok;
}

function dryRunLines({ manifest, plans }: LevelsCollected): string[] {
  const lines: string[] = [];
  for (const l of manifest.levels) {
    const f = l.facts;
    const privilege = f?.privilege === 'none' ? `no root: ${f.privilegeNote}` : f?.privilege;
    const reached = f ? ` (${f.hostname}, ${f.arch}, ${privilege})` : `: not reachable: ${l.error}`;
    lines.push(`${l.level} ${l.target}${reached}`);
    for (const s of plans.get(l.level) ?? []) {
      const d = describeStep(s);
      const firstLine = (text: string) => `${text.split('\n')[0]}${text.includes('\n') ? ' ...' : ''}`;
      const what = d.run ? `${d.asRoot ? 'as root: ' : ''}${firstLine(d.command)}` : `${d.status}: ${d.reason}`;
      lines.push(`  ${d.run ? 'run ' : 'skip'} ${s.collector.id.padEnd(22)} ${what}`);
    }
  }
  return lines;
}
