// Effects of --redact. Before anything is analysed or archived: every spooled file is
// rewritten with the placeholders and renamed when its name holds an original
// (L0/libvirt/db7.prod.example.org.log -> L0/libvirt/host-1.domain-1.log), and the
// manifest follows. The summary and the JSON are then made from the redacted evidence,
// so nestbug's own words never pass through the redactor. The mapping goes next to the
// bundle (never inside), and the finished archive (entry names included) and the JSON
// are scanned for any original value.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Manifest } from '../bundle/manifest.js';
import { OutputError } from '../errors.js';
import {
  leftovers,
  type Redaction,
  RedactionScanner,
  redactor,
  redactStrings,
  spellingsByPlaceholder,
} from './redact.js';

export interface SpooledFile {
  bundlePath: string;
  spoolPath: string;
}

function hostOf(target: string): string | undefined {
  if (target === 'local') return undefined;
  return target
    .replace(/^[^@]*@/, '')
    .replace(/^\[([^\]]+)\](:\d+)?$/, '$1')
    .replace(/:\d+$/, '');
}

function userOf(target: string): string | undefined {
  return target.includes('@') ? target.split('@')[0] : undefined;
}

interface Names {
  hostnames: Set<string>;
  users: Set<string>;
}

async function namesOf(manifest: Manifest, files: SpooledFile[]): Promise<Names> {
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
    if (!/\/(uname|identity)\.txt$/.test(f.bundlePath)) continue;
    const text = await readFile(f.spoolPath, 'latin1');
    const fromUname = /^\S+ (\S+) /.exec(text)?.[1];
    const fromIdentity = /^hostname=(.+)$/m.exec(text)?.[1];
    for (const h of [fromUname, fromIdentity]) if (h) hostnames.add(h.trim());
  }
  return { hostnames, users };
}

/** Every file below `dir`, as paths relative to it. */
async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true }).catch(() => [])) {
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(dir, child)));
    else out.push(child);
  }
  return out;
}

/**
 * Rewrites the spool in place: contents, file names (the entries of `files` are updated)
 * and the manifest. Spool files that are not archived are removed: the analysis that
 * follows must see exactly what the bundle will hold.
 */
export async function redactSpool(
  spoolDir: string,
  files: SpooledFile[],
  manifest: Manifest,
  words: string[],
): Promise<Redaction> {
  const archived = new Set(files.map((f) => path.resolve(f.spoolPath)));
  for (const rel of await walk(spoolDir)) {
    if (!archived.has(path.resolve(spoolDir, rel))) await rm(path.join(spoolDir, rel), { force: true });
  }
  // Two passes, one file in memory at a time: find every value, then rewrite.
  const { hostnames, users } = await namesOf(manifest, files);
  const scanner = new RedactionScanner({ hostnames: [...hostnames], users: [...users], words });
  for (const f of files) scanner.scan(await readFile(f.spoolPath, 'latin1'));
  scanner.scan(files.map((f) => f.bundlePath).join('\n'));
  scanner.scan(JSON.stringify(manifest));
  const redaction = scanner.result();
  const apply = redactor(redaction);
  const byFile = new Map<string, { bytes: number; sha256: string }>();
  for (const f of files) {
    const out = Buffer.from(apply(await readFile(f.spoolPath, 'latin1')), 'latin1');
    const bundlePath = apply(f.bundlePath);
    const spoolPath = path.join(spoolDir, bundlePath);
    await writeFile(f.spoolPath, out);
    if (bundlePath !== f.bundlePath) {
      await mkdir(path.dirname(spoolPath), { recursive: true });
      await rename(f.spoolPath, spoolPath);
    }
    byFile.set(bundlePath, { bytes: out.length, sha256: createHash('sha256').update(out).digest('hex') });
    f.bundlePath = bundlePath;
    f.spoolPath = spoolPath;
  }
  // The manifest describes the files as they are in the bundle: redacted, renamed.
  Object.assign(manifest, redactStrings(manifest, apply), { redacted: true });
  for (const level of manifest.levels) {
    for (const item of level.items) {
      if (item.file && byFile.has(item.file)) Object.assign(item, byFile.get(item.file));
      for (const f of item.files ?? []) if (byFile.has(f.file)) Object.assign(f, byFile.get(f.file));
    }
  }
  return redaction;
}

export async function writeRedactionMap(bundle: string, redaction: Redaction): Promise<string> {
  const file = `${bundle}.redaction-map.json`;
  const spellings = spellingsByPlaceholder(redaction);
  const body = {
    note: 'PRIVATE: maps the placeholders in the bundle back to the real values. Do not attach it to a bug report.',
    bundle: path.basename(bundle),
    placeholders: Object.fromEntries(Object.entries(spellings).map(([p, values]) => [p, values[0]])),
    spellings,
    kept: redaction.kept,
  };
  await writeFile(file, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  return file;
}

function incomplete(left: string[], where: string, redaction: Redaction): string {
  const kind = redaction.map.get(left[0])?.split('-')[0];
  return `redaction incomplete: ${left.length} original value(s) still in ${where} (first: a ${kind} value)`;
}

/** Re-reads the finished archive; any original value left, in an entry name or a file,
 * fails loudly and removes it. */
export async function scanBundle(bundle: string, redaction: Redaction): Promise<void> {
  // The archive reader is loaded only when --redact needs it.
  const { loadBundle } = await import('../bundle/reader.js');
  const loaded = await loadBundle(bundle);
  try {
    // Every file, whole, one at a time: the evidence map holds only what the analysis reads.
    const levels = ['L0/', 'L1/', 'L2/'].flatMap((level) => loaded.files.list(level));
    const paths = [...levels, 'manifest.json', 'summary.md'];
    for (const name of paths) {
      const text = await readFile(path.join(loaded.root, name), 'latin1').catch(() => '');
      const ownText = name === 'summary.md' || name === 'manifest.json';
      const left = [...leftovers(name, redaction), ...leftovers(text, redaction, { ownText })];
      if (left.length) {
        await rm(bundle, { force: true });
        throw new OutputError(`${incomplete(left, name, redaction)}; the bundle was removed`);
      }
    }
  } finally {
    await loaded.cleanup();
  }
}

/** The --json result with the placeholders (its `bundle` path is the user's own). */
export function redactJsonResult<T extends { bundle: string | null }>(result: T, redaction: Redaction): T {
  const redacted = { ...redactStrings(result, redactor(redaction)), bundle: result.bundle };
  const { bundle: _ignored, ...rest } = redacted;
  const left = leftovers(JSON.stringify(rest), redaction, { ownText: true });
  if (left.length) throw new OutputError(incomplete(left, 'the JSON result', redaction));
  return redacted;
}
