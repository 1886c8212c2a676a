import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { evidenceFromMap } from '../src/analyse/evidence.ts';
import { analyse } from '../src/analyse/index.ts';
import { parseManifest } from '../src/bundle/manifest-shape.ts';
import { loadBundle } from '../src/bundle/reader.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');

export async function analyseFixture(...parts: string[]) {
  const bundle = await loadBundle(path.join(FIXTURES, ...parts));
  try {
    return analyse(bundle.files, parseManifest(bundle.manifestText)?.levels ?? []);
  } finally {
    await bundle.cleanup();
  }
}

export function analyseTexts(files: Record<string, string>) {
  return analyse(evidenceFromMap(new Map(Object.entries(files))), []);
}
