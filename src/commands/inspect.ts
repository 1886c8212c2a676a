// nestbug inspect: an existing bundle or folder enters the data path at the analysis.
import { analyse } from '../analyse/index.js';
import { isPartial } from '../bundle/manifest.js';
import { parseManifest } from '../bundle/manifest-shape.js';
import { loadBundle } from '../bundle/reader.js';
import { collectExitCode, EXIT } from '../exit-codes.js';
import { loadPasted } from '../inspect/pasted.js';
import type { Io } from '../io.js';
import { jsonResult } from '../render/json.js';
import { shortReport } from '../render/short-report.js';
import { checkTitle, renderSummary } from '../render/summary.js';
import { renderSummaryText } from '../render/summary-text.js';
import { onInterrupt } from '../signals.js';
import { terminalSafeJson, terminalText } from '../util/terminal-text.js';
import { summaryTemplate } from './write-bundle.js';

export interface InspectFlags {
  json?: boolean;
  summary?: boolean;
  text?: boolean;
}

export async function runInspect(target: string, flags: InspectFlags, io: Io): Promise<number> {
  // Interrupted, it ends at once; the unpacked copy is removed at exit.
  const stopListening = onInterrupt(() => process.exit(EXIT.interrupted));
  // Pasted outputs (a report, files named as the reporter liked) are placed by content.
  const pasted = await loadPasted(target).catch((error: unknown) => {
    stopListening();
    throw error;
  });
  if (pasted) io.stderr.write(`${terminalText(pasted.notes.join('\n'))}\n`);
  const bundle =
    pasted?.bundle ??
    (await loadBundle(target).catch((error: unknown) => {
      stopListening();
      throw error;
    }));
  try {
    // Valid JSON of the wrong shape is refused in one line (exit 2), never half-read.
    const manifest = parseManifest(bundle.manifestText);
    const verdict = analyse(bundle.files, manifest?.levels ?? []);
    const code = collectExitCode({
      partial: manifest ? isPartial(manifest.levels) : false,
      interrupted: false,
      anyCheckFailed: verdict.checks.some((c) => c.status === 'fail'),
    });
    if (flags.json) {
      io.stdout.write(`${terminalSafeJson(JSON.stringify(jsonResult(verdict, code, null, manifest), null, 2))}\n`);
    } else if (flags.text) {
      io.stdout.write(terminalText(renderSummaryText(verdict, manifest, checkTitle)));
    } else if (flags.summary) {
      io.stdout.write(renderSummary(await summaryTemplate(), verdict, manifest));
    } else {
      io.stdout.write(`${terminalText(shortReport(verdict, manifest).join('\n'))}\n`);
    }
    return code;
  } finally {
    await bundle.cleanup();
    stopListening();
  }
}
