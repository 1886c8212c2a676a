// inspect on what a person triaging a report has: one text file with several pasted
// outputs, a folder of files named as the reporter liked (cpuinfo, proc-cpuinfo.txt,
// host-dmesg.log), or a bundle folder with such files beside the usual ones. Each file is
// recognised by its content and placed in the bundle layout; archives and regular bundles
// are left to the bundle reader.
import { lstat, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { evidenceFromMap } from '../analyse/evidence.js';
import { findRoot, readEvidenceFolder } from '../bundle/folder.js';
import type { LoadedBundle } from '../bundle/reader.js';
import { LEVELS, type Level } from '../levels.js';
import { asItemText, defaultLevel, levelNamed, recognise } from './recognise.js';
import { describeSplit, splitReport } from './split-report.js';

const READ_BYTES = 16 * 1024 * 1024;
const MAX_FILES = 500;

async function readHead(file: string, bytes: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

const isArchive = (head: Buffer) => (head[0] === 0x50 && head[1] === 0x4b) || (head[0] === 0x1f && head[1] === 0x8b);
const isText = (data: Buffer) => !data.subarray(0, 8192).includes(0);

async function listFiles(dir: string, rel = '', depth = 0, out: string[] = []): Promise<string[]> {
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    if (out.length >= MAX_FILES) break;
    const name = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory() && depth < 2) await listFiles(dir, name, depth + 1, out);
    else if (e.isFile()) out.push(name);
  }
  return out;
}

const bundled = (name: string) =>
  /^L[012]\/[a-z0-9-]+\.txt$/.test(name) || name === 'manifest.json' || /^L[012]\/libvirt\//.test(name);

function loaded(files: Map<string, string>, root: string): LoadedBundle {
  return { files: evidenceFromMap(files), root, manifestText: files.get('manifest.json'), cleanup: async () => {} };
}

async function pastedFolder(input: string): Promise<{ bundle: LoadedBundle; notes: string[] } | undefined> {
  let dir = input;
  try {
    dir = await findRoot(input);
  } catch {
    // no bundle layout at all: every file is a pasted one
  }
  const names = await listFiles(dir);
  const loose = names.filter((n) => !bundled(n) && !/^summary\.(md|txt)$/.test(n));
  if (loose.length === 0) return undefined;
  const files = names.some(bundled) ? await readEvidenceFolder(dir) : new Map<string, string>();
  const found: Array<{ name: string; text: string; item?: ReturnType<typeof recognise>; level?: Level }> = [];
  for (const name of loose) {
    const data = await readHead(path.join(dir, name), READ_BYTES);
    if (!isText(data)) continue;
    const text = data.toString('utf8');
    found.push({ name, text, item: recognise(text), level: levelNamed(name.replace(/\.[a-z]+$/i, '')) });
  }
  const fallback = defaultLevel(found.filter((f) => f.item && !f.level).map((f) => f.text));
  const notes: string[] = [`${dir}: files recognised by their content`];
  for (const f of found) {
    if (f.item) {
      const level = f.level ?? fallback;
      const target = `${level}/${f.item}.txt`;
      if (files.get(target)) {
        notes.push(`  ${f.name}: ${f.item} of ${level}, but ${target} is there already: not used`);
        continue;
      }
      files.set(target, asItemText(f.item, f.text));
      notes.push(`  ${f.name}: ${f.item} of ${level}${f.level ? '' : ' (no level in its name: assumed)'}`);
      continue;
    }
    const split = splitReport(f.text, f.level);
    if (split.placed.length === 0) {
      notes.push(`  ${f.name}: not placed (not an output nestbug reads)`);
      continue;
    }
    for (const [file, text] of split.files) if (!files.get(file)) files.set(file, text);
    notes.push(...describeSplit(`  ${f.name}`, split).map((l, i) => (i === 0 ? l : `  ${l}`)));
  }
  if (![...files.keys()].some((k) => LEVELS.some((l) => k.startsWith(`${l}/`)))) return undefined;
  return { bundle: loaded(files, dir), notes };
}

/** Pasted outputs as a bundle; undefined for archives and regular bundle folders. */
export async function loadPasted(input: string): Promise<{ bundle: LoadedBundle; notes: string[] } | undefined> {
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(input);
  } catch {
    return undefined;
  }
  if (info.isDirectory()) return pastedFolder(input);
  if (!info.isFile()) return undefined;
  const data = await readHead(input, READ_BYTES);
  if (isArchive(data) || !isText(data)) return undefined;
  const text = data.toString('utf8');
  const split = splitReport(text, levelNamed(path.basename(input).replace(/\.[a-z]+$/i, '')));
  return { bundle: loaded(split.files, path.dirname(input)), notes: describeSplit(input, split) };
}
