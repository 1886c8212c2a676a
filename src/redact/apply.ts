// Effects of --redact: rewrite every spooled file, the manifest and the summary with the
// placeholders, write the mapping next to the bundle (never inside), and scan the
// finished archive for any original value.
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Manifest } from '../bundle/manifest.js';
import { OutputError } from '../errors.js';
import { type Redaction, buildRedaction, leftovers, redactStrings, redactor } from './redact.js';

export interface SpooledFile {
  bundlePath: string;
  spoolPath: string;
}

function hostOf(target: string): string | undefined {
  if (target === 'local') return undefined;
  return target.replace(/^[^@]*@/, '').replace(/^\[([^\]]+)\](:\d+)?$/, '$1').replace(/:\d+$/, '');
}

function userOf(target: string): string | undefined {
  return target.includes('@') ? target.split('@')[0] : undefined;
}

export async function redactSpool(files: SpooledFile[], manifest: Manifest, summary: string, words: string[]): Promise<{ redaction: Redaction; summary: string }> {
  const texts = new Map<string, string>();
  for (const f of files) texts.set(f.spoolPath, await readFile(f.spoolPath, 'latin1'));
  const hostnames = new Set<string>();
  const users = new Set<string>();
  for (const level of manifest.levels) {
    const host = hostOf(level.target);
    if (host) hostnames.add(host);
    const user = userOf(level.target);
    if (user) users.add(user);
    if (level.facts?.hostname) hostnames.add(level.facts.hostname);
    if (level.facts?.user) users.add(level.facts.user);
  }
  for (const f of files) {
    const text = texts.get(f.spoolPath)!;
    if (/\/(uname|identity)\.txt$/.test(f.bundlePath)) {
      const fromUname = /^\S+ (\S+) /.exec(text)?.[1];
      const fromIdentity = /^hostname=(.+)$/m.exec(text)?.[1];
      for (const h of [fromUname, fromIdentity]) if (h) hostnames.add(h.trim());
    }
  }
  const manifestText = JSON.stringify(manifest);
  const redaction = buildRedaction({ texts: [...texts.values(), manifestText, summary], hostnames: [...hostnames], users: [...users], words });
  const apply = redactor(redaction);
  const byFile = new Map<string, { bytes: number; sha256: string }>();
  for (const f of files) {
    const out = Buffer.from(apply(texts.get(f.spoolPath)!), 'latin1');
    await writeFile(f.spoolPath, out);
    byFile.set(f.bundlePath, { bytes: out.length, sha256: createHash('sha256').update(out).digest('hex') });
  }
  // The manifest describes the files as they are in the bundle: redacted.
  for (const level of manifest.levels) {
    for (const item of level.items) {
      if (item.file && byFile.has(item.file)) Object.assign(item, byFile.get(item.file));
      for (const f of item.files ?? []) if (byFile.has(f.file)) Object.assign(f, byFile.get(f.file));
    }
  }
  Object.assign(manifest, redactStrings(manifest, apply), { redacted: true });
  return { redaction, summary: apply(summary) };
}

export async function writeRedactionMap(bundle: string, redaction: Redaction): Promise<string> {
  const file = `${bundle}.redaction-map.json`;
  const body = {
    note: 'PRIVATE: maps the placeholders in the bundle back to the real values. Do not attach it to a bug report.',
    bundle: path.basename(bundle),
    placeholders: Object.fromEntries([...redaction.map].map(([original, placeholder]) => [placeholder, original])),
    kept: redaction.kept,
  };
  await writeFile(file, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  return file;
}

/** Re-reads the finished archive; any original value left fails loudly and removes it. */
export async function scanBundle(bundle: string, redaction: Redaction): Promise<void> {
  // The archive reader is loaded only when --redact needs it.
  const { loadBundle } = await import('../bundle/reader.js');
  const loaded = await loadBundle(bundle);
  try {
    // Every file, whole, one at a time: the evidence map holds only what the analysis reads.
    const paths = [...loaded.files.list('L0/'), ...loaded.files.list('L1/'), ...loaded.files.list('L2/'), 'manifest.json', 'summary.md'];
    for (const name of paths) {
      const text = await readFile(path.join(loaded.root, name), 'latin1').catch(() => '');
      const left = leftovers(text, redaction);
      if (left.length) {
        await rm(bundle, { force: true });
        throw new OutputError(`redaction incomplete: ${left.length} original value(s) still in ${name} (first: a ${redaction.map.get(left[0])?.split('-')[0]} value); the bundle was removed`);
      }
    }
  } finally {
    await loaded.cleanup();
  }
}
