import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBundle } from '../src/bundle/reader.ts';
import { analyseEvidence } from '../src/analyse/index.ts';
import { evidenceFromMap } from '../src/analyse/evidence.ts';
import { readManifest } from '../src/bundle/read-manifest.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');

export async function analyseFixture(...parts: string[]) {
  const bundle = await loadBundle(path.join(FIXTURES, ...parts));
  try {
    return analyseEvidence(bundle.files, readManifest(bundle.manifestText)?.levels ?? []);
  } finally {
    await bundle.cleanup();
  }
}

export function analyseTexts(files: Record<string, string>) {
  return analyseEvidence(evidenceFromMap(new Map(Object.entries(files))), []);
}
