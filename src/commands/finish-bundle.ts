// From collected evidence to summary.md and the verdict, shared by collect and inspect.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { analyseEvidence } from '../analyse/index.js';
import { evidenceFromMap } from '../analyse/evidence.js';
import type { Verdict } from '../analyse/types.js';
import type { Manifest } from '../bundle/manifest.js';
import { readEvidenceFolder } from '../bundle/folder.js';
import { PACKAGE_ROOT } from '../collect/load-collectors.js';
import { checkTitle, renderSummary } from '../render/summary.js';
import { renderSummaryText } from '../render/summary-text.js';

export async function summaryTemplate(): Promise<string> {
  return readFile(path.join(PACKAGE_ROOT, 'templates', 'summary.md'), 'utf8');
}

export async function analyseFolder(root: string, manifest?: Manifest): Promise<{ verdict: Verdict; summary: string; summaryText: string }> {
  const map = await readEvidenceFolder(root);
  if (manifest) map.set('manifest.json', JSON.stringify(manifest));
  const verdict = analyseEvidence(evidenceFromMap(map));
  return { verdict, summary: renderSummary(await summaryTemplate(), verdict, manifest), summaryText: renderSummaryText(verdict, manifest, checkTitle) };
}
