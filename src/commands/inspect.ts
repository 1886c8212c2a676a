// nestbug inspect: an existing bundle or folder enters the data path at the analysis.
import { analyseEvidence } from '../analyse/index.js';
import { runsOnLabel } from '../analyse/runs-on.js';
import type { Verdict } from '../analyse/types.js';
import { isPartial } from '../bundle/manifest.js';
import { parseManifest } from '../bundle/manifest-shape.js';
import { readManifest } from '../bundle/read-manifest.js';
import { loadBundle } from '../bundle/reader.js';
import { collectExitCode, EXIT } from '../exit-codes.js';
import type { Io } from '../io.js';
import { checkLines } from '../render/check-line.js';
import { jsonResult } from '../render/json.js';
import { renderSummary } from '../render/summary.js';
import { onInterrupt } from '../signals.js';
import { terminalSafeJson, terminalText } from '../util/terminal-text.js';
import { summaryTemplate } from './write-bundle.js';

export interface InspectFlags {
  json?: boolean;
  summary?: boolean;
}

export async function runInspect(target: string, flags: InspectFlags, io: Io): Promise<number> {
  // Interrupted, it ends at once; the unpacked copy is removed at exit.
  const stopListening = onInterrupt(() => process.exit(EXIT.interrupted));
  const bundle = await loadBundle(target).catch((error: unknown) => {
    stopListening();
    throw error;
  });
  try {
    // Valid JSON of the wrong shape is refused in one line (exit 2), never half-read.
    parseManifest(bundle.manifestText);
    const manifest = readManifest(bundle.manifestText);
    const verdict = analyseEvidence(bundle.files, manifest?.levels ?? []);
    const code = collectExitCode({
      partial: manifest ? isPartial(manifest.levels) : false,
      interrupted: false,
      anyCheckFailed: verdict.checks.some((c) => c.status === 'fail'),
    });
    if (flags.json) {
      io.stdout.write(`${terminalSafeJson(JSON.stringify(jsonResult(verdict, code, null, manifest), null, 2))}\n`);
    } else if (flags.summary) {
      io.stdout.write(renderSummary(await summaryTemplate(), verdict, manifest));
    } else {
      io.stdout.write(`${terminalText(shortReport(verdict).join('\n'))}\n`);
    }
    return code;
  } finally {
    await bundle.cleanup();
    stopListening();
  }
}

function shortReport(verdict: Verdict): string[] {
  return [
    `Nested setup: ${verdict.chainName}`,
    verdict.chainLine,
    '',
    ...Object.values(verdict.levels).map(
      (v) =>
        `${v!.level}: runs on ${runsOnLabel(v!.runsOn)}${v!.platform ? ` on ${v!.platform.name}` : ''}: ${v!.reason}`,
    ),
    '',
    ...verdict.checks.map((c) => checkLines(c)),
  ];
}
