// nestbug inspect: an existing bundle or folder enters the data path at the analysis.
import { analyseEvidence } from '../analyse/index.js';
import { isPartial } from '../bundle/manifest.js';
import { readManifest } from '../bundle/read-manifest.js';
import { loadBundle } from '../bundle/reader.js';
import { collectExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';
import { jsonResult } from '../render/json.js';
import { checkTitle, renderSummary } from '../render/summary.js';
import { renderSummaryText } from '../render/summary-text.js';
import { shortReport } from '../render/short-report.js';
import { loadPasted } from '../inspect/pasted.js';
import { summaryTemplate } from './write-bundle.js';

export interface InspectFlags {
  json?: boolean;
  summary?: boolean;
  text?: boolean;
}

export async function runInspect(target: string, flags: InspectFlags, io: Io): Promise<number> {
  const pasted = await loadPasted(target);
  if (pasted) io.stderr.write(`${pasted.notes.join('\n')}\n`);
  const bundle = pasted?.bundle ?? (await loadBundle(target));
  try {
    const manifest = readManifest(bundle.manifestText);
    const verdict = analyseEvidence(bundle.files, manifest?.levels ?? []);
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
      io.stdout.write(`${shortReport(verdict, manifest).join('\n')}\n`);
    }
    return code;
  } finally {
    await bundle.cleanup();
  }
}
