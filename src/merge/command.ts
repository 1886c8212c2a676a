// nestbug merge LEVEL-ARCHIVES... -o bundle.zip, and inspect with several level archives.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { evidenceFromMap } from '../analyse/evidence.js';
import { analyse } from '../analyse/index.js';
import type { Verdict } from '../analyse/types.js';
import { readEvidenceFolder } from '../bundle/folder.js';
import { countItems } from '../bundle/manifest.js';
import { CollectorFileError } from '../collect/collectors.js';
import { loadCollectors } from '../collect/load-collectors.js';
import { summaryTemplate } from '../commands/write-bundle.js';
import { UsageError } from '../errors.js';
import { collectExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';
import { resolveOutput } from '../options.js';
import { checkOutputPath } from '../output-path.js';
import { redactJsonResult, redactSpool } from '../redact/apply.js';
import { jsonResult } from '../render/json.js';
import { checkTitle, renderSummary } from '../render/summary.js';
import { renderSummaryText } from '../render/summary-text.js';
import { formatBytes } from '../util/stamp.js';
import { mergeArchives, mergedIsPartial, parseUnreached, writeMergedBundle } from './merge.js';

export interface MergeFlags {
  output?: string;
  format?: string;
  json?: boolean;
  quiet?: boolean;
  redact?: boolean;
  redactWord?: string[];
  unreached?: string[];
  force?: boolean;
}

async function collectorsOrUsage() {
  try {
    return await loadCollectors([]);
  } catch (error) {
    if (error instanceof CollectorFileError) throw new UsageError(error.message);
    throw error;
  }
}

/** The bundle, its verdict and exit code; no output on stdout (callers decide). */
export async function mergeToBundle(
  archives: string[],
  flags: MergeFlags,
  io: Io,
  version: string,
  commandLine: string[],
) {
  const { output, format } = resolveOutput(flags.output, flags.format, {
    cwd: io.cwd,
    home: os.homedir(),
    now: io.now(),
  });
  const replace = await checkOutputPath(output, { force: flags.force ?? false });
  const merged = await mergeArchives({
    archives: archives.map((a) => path.resolve(io.cwd, a)),
    unreached: (flags.unreached ?? []).map(parseUnreached),
    collectors: await collectorsOrUsage(),
    version,
    commandLine: commandLine.map((arg, i) => (commandLine[i - 1] === '--redact-word' ? '<redacted>' : arg)),
  });
  try {
    // As collect: with --redact the spool and manifest are rewritten before the analysis.
    const redaction =
      flags.redact || flags.redactWord?.length
        ? await redactSpool(merged.spoolDir, merged.files, merged.manifest, flags.redactWord ?? [])
        : undefined;
    const verdict = analyse(evidenceFromMap(await readEvidenceFolder(merged.spoolDir)), merged.manifest.levels);
    const summary = renderSummary(await summaryTemplate(), verdict, merged.manifest);
    const summaryText = renderSummaryText(verdict, merged.manifest, checkTitle);
    const written = await writeMergedBundle({ merged, output, format, summary, summaryText, redaction, replace });
    const code = collectExitCode({
      partial: mergedIsPartial(merged.manifest),
      interrupted: false,
      anyCheckFailed: verdict.checks.some((c) => c.status === 'fail'),
    });
    return { bundle: output, code, verdict, manifest: merged.manifest, redaction, ...written };
  } finally {
    await merged.cleanup();
  }
}

export async function runMergeCommand(
  archives: string[],
  flags: MergeFlags,
  io: Io,
  version: string,
  argv: string[],
): Promise<number> {
  const result = await mergeToBundle(archives, flags, io, version, ['nestbug', ...argv]);
  if (flags.json) {
    const json = jsonResult(result.verdict, result.code, result.bundle, result.manifest);
    const shown = result.redaction ? redactJsonResult(json, result.redaction) : json;
    io.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
  }
  if (!flags.quiet) io.stderr.write(`${closing(result.verdict, result).join('\n')}\n`);
  return result.code;
}

function closing(verdict: Verdict, r: Awaited<ReturnType<typeof mergeToBundle>>): string[] {
  const counts = countItems(r.manifest.levels);
  const lines = [`Nested setup: ${verdict.chainName}. ${verdict.chainLine}`];
  for (const level of r.manifest.levels.filter((l) => !l.reached))
    lines.push(`  ${level.level} ${level.target}: ${level.error ?? 'not reached'}`);
  for (const c of verdict.checks.filter((x) => x.status === 'fail')) lines.push(`  FAIL ${c.summary}`);
  lines.push(
    `Bundle: ${r.bundle} (${formatBytes(r.bytes)}; ${counts.ok} items collected, ${counts.failed + counts['timed-out']} failed, ${counts['not-installed']} not installed, ${counts.skipped} skipped)`,
  );
  if (r.redactionMap) lines.push(`Redacted: the mapping is in ${r.redactionMap} (private: do not attach it).`);
  return lines;
}

/** inspect A.tar.gz B.tar.gz: merged into a private temporary bundle, then inspected. */
export async function runInspectLevels(
  archives: string[],
  flags: { json?: boolean; summary?: boolean },
  io: Io,
  version: string,
): Promise<number> {
  const temp = await mkdtemp(path.join(os.tmpdir(), 'nestbug-inspect-levels-'));
  try {
    const { bundle } = await mergeToBundle(archives, { output: path.join(temp, 'merged.tar.gz') }, io, version, [
      'nestbug',
      'inspect',
      ...archives,
    ]);
    const { runInspect } = await import('../commands/inspect.js');
    return await runInspect(bundle, flags, io);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
