// The end of a bundle: the summary and manifest go in, then the archive is moved into
// place; with --redact (the evidence already rewritten) it is scanned for originals.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Manifest } from '../bundle/manifest.js';
import type { BundleWriter } from '../bundle/writer.js';
import { PACKAGE_ROOT } from '../collect/load-collectors.js';
import { messageOf, OutputError } from '../errors.js';
import { type SpooledFile, scanBundle, writeRedactionMap } from '../redact/apply.js';
import type { Redaction } from '../redact/redact.js';

export async function summaryTemplate(): Promise<string> {
  return readFile(path.join(PACKAGE_ROOT, 'templates', 'summary.md'), 'utf8');
}

export interface BundleContent {
  manifest: Manifest;
  summary: string;
  /** summary.txt: the same for plain-text trackers. */
  summaryText?: string;
  /** With --redact: the evidence files held back until they are rewritten. */
  held: SpooledFile[];
  /** With --redact: the spool and manifest are already rewritten (redactSpool). */
  redaction?: Redaction;
  /** An existing regular file at the output may be replaced (--force, or a yes). */
  replace: boolean;
}

export interface WrittenBundle {
  bytes: number;
  /** The private placeholder mapping, next to the bundle, with --redact. */
  redactionMap?: string;
}

/** Finish the archive; any failure is an OutputError and leaves no partial file. */
export async function writeBundle(writer: BundleWriter, content: BundleContent): Promise<WrittenBundle> {
  try {
    const { redaction } = content;
    for (const f of redaction ? content.held : []) writer.addFile(f.bundlePath, f.spoolPath);
    writer.addText('summary.md', content.summary);
    if (content.summaryText !== undefined) writer.addText('summary.txt', content.summaryText);
    writer.addText('manifest.json', `${JSON.stringify(content.manifest, null, 2)}\n`);
    const bytes = await writer.finish(content.replace);
    if (!redaction) return { bytes };
    await scanBundle(writer.outputPath, redaction);
    return { bytes, redactionMap: await writeRedactionMap(writer.outputPath, redaction) };
  } catch (error) {
    if (error instanceof OutputError) throw error;
    await writer.discard();
    throw new OutputError(`cannot write the bundle ${writer.outputPath}: ${messageOf(error)}`, { cause: error });
  }
}
