import { analyseEvidence } from '../analyse/index.js';
import { runsOnLabel } from '../analyse/runs-on.js';
import { parseManifest } from '../bundle/manifest-shape.js';
import { isPartial } from '../bundle/manifest.js';
import { loadBundle } from '../bundle/reader.js';
import { EXIT, collectExitCode } from '../exit-codes.js';
import { onInterrupt } from '../signals.js';
import type { Io } from '../io.js';
import { jsonResult } from '../render/json.js';
import { renderSummary } from '../render/summary.js';
import { summaryTemplate } from './finish-bundle.js';
import { terminalSafeJson, terminalText } from '../util/terminal-text.js';

export async function runInspect(target: string, flags: { json?: boolean; summary?: boolean }, io: Io): Promise<number> {
  // Interrupted, it ends at once; the unpacked copy is removed at exit.
  const stopListening = onInterrupt(() => process.exit(EXIT.interrupted));
  const bundle = await loadBundle(target).catch((error: unknown) => {
    stopListening();
    throw error;
  });
  try {
    const manifest = parseManifest(bundle.manifestText);
    const verdict = analyseEvidence(bundle.files);
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
      const lines = [
        `Nested setup: ${verdict.chainName}`,
        verdict.chainLine,
        '',
        ...Object.values(verdict.levels).map((v) => `${v!.level}: runs on ${runsOnLabel(v!.runsOn)} (${v!.reason})`),
        '',
        ...verdict.checks.map((c) => `${c.status.toUpperCase().padEnd(7)} ${c.level} ${c.summary}${c.fix ? `\n        fix: ${c.fix}` : ''}`),
      ];
      io.stdout.write(`${terminalText(lines.join('\n'))}\n`);
    }
    return code;
  } finally {
    await bundle.cleanup();
    stopListening();
  }
}
