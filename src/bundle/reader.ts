// Reads a bundle for inspect: a folder (whole bundle, or a few files in the bundle
// layout), a .zip or a .tar.gz. Archives are unpacked into a private temp folder with
// limits: no path leaves it, no link is followed, and sizes are bounded.
import { createReadStream, createWriteStream, type Stats } from 'node:fs';
import { lstat, mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar';
import yauzl from 'yauzl';
import { type EvidenceFiles, evidenceFromMap } from '../analyse/evidence.js';
import { UsageError } from '../errors.js';
import { removeOnExit } from '../signals.js';
import { findRoot, readEvidenceFolder } from './folder.js';

export interface ReadLimits {
  maxEntries: number;
  maxFileBytes: number;
  maxTotalBytes: number;
}

export const DEFAULT_LIMITS: ReadLimits = {
  maxEntries: 20000,
  maxFileBytes: 256 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
};

export interface LoadedBundle {
  files: EvidenceFiles;
  root: string;
  manifestText?: string;
  cleanup(): Promise<void>;
}

/** Entry names from an archive: relative, no `..`, no absolute path, no drive letter. */
export function safeEntryPath(name: string): string | undefined {
  const normalized = name.replace(/\\/g, '/');
  if (normalized.startsWith('/') || /^[A-Za-z]:/.test(normalized)) return undefined;
  const parts = normalized.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.some((p) => p === '..' || p.includes('\0'))) return undefined;
  return parts.join('/');
}

/** Longer names than any file system takes; said in a short message, not echoed whole. */
const MAX_NAME_BYTES = 1024;
const MAX_PART_BYTES = 255;

function refuseLongName(name: string): void {
  const bytes = Buffer.byteLength(name);
  const longestPart = Math.max(...name.split('/').map((p) => Buffer.byteLength(p)));
  if (bytes > MAX_NAME_BYTES || longestPart > MAX_PART_BYTES) {
    throw new UsageError(
      `archive entry name of ${bytes} bytes is too long (at most ${MAX_NAME_BYTES}, ${MAX_PART_BYTES} per part): ${JSON.stringify(name.slice(0, 40))}...; refusing the archive`,
    );
  }
}

class Budget {
  total = 0;
  entries = 0;
  constructor(private readonly limits: ReadLimits) {}
  entry(name: string): void {
    refuseLongName(name);
    if (++this.entries > this.limits.maxEntries)
      throw new UsageError(
        `archive has more than ${this.limits.maxEntries} entries (at ${name}); refusing to unpack it`,
      );
  }
  meter(name: string): Transform {
    let size = 0;
    return new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        size += chunk.length;
        this.total += chunk.length;
        if (size > this.limits.maxFileBytes)
          return done(
            new UsageError(`archive entry ${name} unpacks to more than ${this.limits.maxFileBytes} bytes; refusing`),
          );
        if (this.total > this.limits.maxTotalBytes)
          return done(
            new UsageError(`archive unpacks to more than ${this.limits.maxTotalBytes} bytes; refusing (a zip bomb?)`),
          );
        done(null, chunk);
      },
    });
  }
}

async function extractZip(file: string, dest: string, limits: ReadLimits): Promise<void> {
  const budget = new Budget(limits);
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    // decodeStrings off: yauzl would reject the whole archive for one bad name; safeEntryPath skips it.
    yauzl.open(file, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true }, (error, z) =>
      error || !z ? reject(new UsageError(`${file}: not a readable zip archive (${error?.message})`)) : resolve(z),
    ),
  );
  await new Promise<void>((resolve, reject) => {
    const fail = (error: unknown) => {
      zip.close();
      reject(error);
    };
    zip.on('error', (e) => fail(new UsageError(`${file}: damaged zip archive (${e.message})`)));
    zip.on('end', resolve);
    zip.on('entry', (entry: yauzl.Entry) => {
      const name = Buffer.from(entry.fileName as unknown as Uint8Array).toString('utf8');
      try {
        budget.entry(name);
      } catch (e) {
        return fail(e);
      }
      const rel = safeEntryPath(name);
      const isDir = name.endsWith('/');
      // Unix mode in the high bits of the external attributes: skip links and devices.
      const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
      if (!rel || isDir || (mode !== 0 && mode !== 0o100000)) return zip.readEntry();
      if (entry.uncompressedSize > limits.maxFileBytes)
        return fail(new UsageError(`archive entry ${rel} is ${entry.uncompressedSize} bytes; refusing`));
      zip.openReadStream(entry, async (error, stream) => {
        if (error || !stream) return fail(new UsageError(`${file}: cannot read ${rel} (${error?.message})`));
        try {
          const target = path.join(dest, rel);
          await mkdir(path.dirname(target), { recursive: true });
          await pipeline(stream, budget.meter(rel), createWriteStream(target, { flags: 'wx', mode: 0o600 }));
          zip.readEntry();
        } catch (e) {
          fail(e instanceof UsageError ? e : new UsageError(`${file}: cannot unpack ${rel}: ${(e as Error).message}`));
        }
      });
    });
    zip.readEntry();
  });
}

async function extractTarGz(file: string, dest: string, limits: ReadLimits): Promise<void> {
  const budget = new Budget(limits);
  const writes: Promise<void>[] = [];
  const parser = new tar.Parser({ strict: false });
  let failure: unknown;
  parser.on('entry', (entry: tar.ReadEntry) => {
    try {
      budget.entry(entry.path);
    } catch (e) {
      failure ??= e;
      entry.resume();
      return;
    }
    const rel = safeEntryPath(entry.path);
    if (!rel || entry.type !== 'File' || failure) {
      entry.resume();
      return;
    }
    const target = path.join(dest, rel);
    writes.push(
      (async () => {
        await mkdir(path.dirname(target), { recursive: true });
        await pipeline(
          entry as unknown as NodeJS.ReadableStream,
          budget.meter(rel),
          createWriteStream(target, { flags: 'wx', mode: 0o600 }),
        );
      })().catch((e) => {
        failure ??= e;
        entry.resume();
      }),
    );
  });
  try {
    await pipeline(createReadStream(file), createGunzip(), parser as unknown as NodeJS.WritableStream);
  } catch (error) {
    throw failure ?? new UsageError(`${file}: not a readable .tar.gz (${(error as Error).message})`);
  }
  await Promise.all(writes);
  if (failure) throw failure;
}

export async function loadBundle(input: string, limits: ReadLimits = DEFAULT_LIMITS): Promise<LoadedBundle> {
  let info: Stats;
  try {
    info = await lstat(input);
  } catch (error) {
    throw new UsageError(
      `${input}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (error as Error).message}`,
    );
  }
  if (!info.isDirectory() && !info.isFile())
    throw new UsageError(`${input}: not a regular file or folder; nothing was read from it`);
  if (info.isDirectory()) {
    const root = await findRoot(input);
    const map = await readEvidenceFolder(root);
    return { files: evidenceFromMap(map), root, manifestText: map.get('manifest.json'), cleanup: async () => {} };
  }
  const temp = await mkdtemp(path.join(os.tmpdir(), 'nestbug-inspect-'));
  const forget = removeOnExit(temp);
  const cleanup = () => rm(temp, { recursive: true, force: true }).then(forget);
  try {
    const head = Buffer.alloc(4);
    const fh = await open(input, 'r');
    await fh.read(head, 0, 4, 0);
    await fh.close();
    if (head[0] === 0x50 && head[1] === 0x4b) await extractZip(input, temp, limits);
    else if (head[0] === 0x1f && head[1] === 0x8b) await extractTarGz(input, temp, limits);
    else throw new UsageError(`${input}: not a nestbug bundle (expected a folder, .zip or .tar.gz)`);
    const root = await findRoot(temp);
    const map = await readEvidenceFolder(root);
    return { files: evidenceFromMap(map), root, manifestText: map.get('manifest.json'), cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
