import { analyseEvidence } from '../analyse/index.js';
import { runsOnLabel } from '../analyse/runs-on.js';
import { checkLines } from '../render/check-line.js';
import type { Manifest } from '../bundle/manifest.js';
import { isPartial } from '../bundle/manifest.js';
import { loadBundle } from '../bundle/reader.js';
import { collectExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';
import { jsonResult } from '../render/json.js';
import { renderSummary } from '../render/summary.js';
import { summaryTemplate } from './finish-bundle.js';

export async function runInspect(target: string, flags: { json?: boolean; summary?: boolean }, io: Io): Promise<number> {
  const bundle = await loadBundle(target);
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
    } else if (flags.summary) {
      io.stdout.write(renderSummary(await summaryTemplate(), verdict, manifest));
    } else {
      const lines = [
        `Nested setup: ${verdict.chainName}`,
        verdict.chainLine,
        '',
        ...Object.values(verdict.levels).map((v) => `${v!.level}: runs on ${runsOnLabel(v!.runsOn)} (${v!.reason})`),
        '',
        ...verdict.checks.map((c) => checkLines(c)),
      ];
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    return code;
  } finally {
    await bundle.cleanup();
  }
}
