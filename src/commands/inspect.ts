import { analyseEvidence } from '../analyse/index.js';
import type { Manifest } from '../bundle/manifest.js';
import { isPartial } from '../bundle/manifest.js';
import { loadBundle } from '../bundle/reader.js';
import { loadPasted } from '../inspect/pasted.js';
import { collectExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';
import { jsonResult } from '../render/json.js';
import { checkTitle, renderSummary } from '../render/summary.js';
import { renderSummaryText } from '../render/summary-text.js';
import { summaryTemplate } from './finish-bundle.js';
import { shortReport } from '../render/short-report.js';

export async function runInspect(target: string, flags: { json?: boolean; summary?: boolean; text?: boolean }, io: Io): Promise<number> {
  const pasted = await loadPasted(target);
  if (pasted) io.stderr.write(`${pasted.notes.join('\n')}\n`);
  const bundle = pasted?.bundle ?? (await loadBundle(target));
  try {
    let manifest: Manifest | undefined;
    if (bundle.manifestText) {
      try {
        manifest = JSON.parse(bundle.manifestText) as Manifest;
        if (!Array.isArray(manifest.levels)) manifest = undefined;
      } catch {
        manifest = undefined;
      }
    }
    const verdict = analyseEvidence(bundle.files);
    const code = collectExitCode({
      partial: manifest ? isPartial(manifest.levels) : false,
      interrupted: false,
      anyCheckFailed: verdict.checks.some((c) => c.status === 'fail'),
    });
    if (flags.json) {
      io.stdout.write(`${JSON.stringify(jsonResult(verdict, code, null, manifest), null, 2)}\n`);
    } else if (flags.text) {
      io.stdout.write(renderSummaryText(verdict, manifest, checkTitle));
    } else if (flags.summary) {
      io.stdout.write(renderSummary(await summaryTemplate(), verdict, manifest));
    } else {
      const lines = shortReport(verdict, manifest);
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    return code;
  } finally {
    await bundle.cleanup();
  }
}
