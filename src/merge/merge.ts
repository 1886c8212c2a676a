// Level archives (written by nestbug-collect.sh, or any bundle) become one bundle, the
// same as collect writes: the level folders side by side, derived items computed, one
// manifest, the analysis, summary.md, and with --redact one mapping for every level.
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type ItemRecord, isPartial, type LevelRecord, type Manifest } from '../bundle/manifest.js';
import { loadBundle } from '../bundle/reader.js';
import { type BundleFormat, BundleWriter } from '../bundle/writer.js';
import type { Collector } from '../collect/collectors.js';
import type { PlannedStep } from '../collect/plan.js';
import { type RunContext, runDerived } from '../collect/run.js';
import { type WrittenBundle, writeBundle } from '../commands/write-bundle.js';
import { UsageError } from '../errors.js';
import { isLevel, LEVELS, type Level } from '../levels.js';
import type { SpooledFile } from '../redact/apply.js';
import type { Redaction } from '../redact/redact.js';
import type { Transport } from '../transport/types.js';
import { stamp } from '../util/stamp.js';

/** A level that has no archive: the host was down or its run timed out. */
export interface Unreached {
  level: Level;
  target: string;
  reason: string;
}

/** `L1=web-7,unreachable: ssh timed out` */
export function parseUnreached(value: string): Unreached {
  const m = /^(L[012])=([^,\s]+)(?:,(.*))?$/.exec(value);
  if (!m || !isLevel(m[1]))
    throw new UsageError(`--unreached ${value}: expected LEVEL=TARGET[,REASON] (e.g. L1=web-7,ssh timed out)`);
  return { level: m[1], target: m[2], reason: m[3]?.trim() || 'not reached' };
}

interface LoadedLevel {
  record: LevelRecord;
  folder: string;
  manifest: Manifest;
  source: string;
}

function parseManifest(text: string | undefined, source: string): Manifest {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text ?? '') as Manifest;
  } catch {
    throw new UsageError(
      `${source}: no readable manifest.json (not a level archive from nestbug-collect.sh or a nestbug bundle)`,
    );
  }
  if (
    manifest?.tool !== 'nestbug' ||
    !Array.isArray(manifest.levels) ||
    !manifest.levels.every((l) => l && isLevel(l.level) && Array.isArray(l.items))
  ) {
    throw new UsageError(`${source}: manifest.json is not a nestbug manifest`);
  }
  return manifest;
}

export interface MergeInput {
  archives: string[];
  unreached: Unreached[];
  collectors: readonly Collector[];
  version: string;
  commandLine: string[];
}

export interface Merged {
  manifest: Manifest;
  spoolDir: string;
  files: SpooledFile[];
  cleanup(): Promise<void>;
}

/** Unpacks the archives (with the bundle reader's limits) into one spool folder. */
export async function mergeArchives(input: MergeInput): Promise<Merged> {
  const spoolDir = await mkdtemp(path.join(os.tmpdir(), 'nestbug-merge-'));
  const cleanups: Array<() => Promise<void>> = [() => rm(spoolDir, { recursive: true, force: true })];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    const loaded: LoadedLevel[] = [];
    for (const archive of input.archives) {
      const bundle = await loadBundle(archive);
      cleanups.push(() => bundle.cleanup());
      const manifest = parseManifest(bundle.manifestText, archive);
      for (const record of manifest.levels) {
        const twin = loaded.find((l) => l.record.level === record.level);
        if (twin) throw new UsageError(`two archives for ${record.level}: ${twin.source} and ${archive}`);
        loaded.push({ record, folder: path.join(bundle.root, record.level), manifest, source: archive });
      }
    }
    for (const u of input.unreached) {
      if (loaded.some((l) => l.record.level === u.level))
        throw new UsageError(`--unreached ${u.level}: there is an archive for ${u.level}`);
    }
    if (loaded.length === 0 && input.unreached.length === 0) throw new UsageError('no level archive given');
    const levels: LevelRecord[] = [];
    for (const level of LEVELS) {
      const found = loaded.find((l) => l.record.level === level);
      if (found) {
        await cp(found.folder, path.join(spoolDir, level), { recursive: true, errorOnExist: true }).catch((error) => {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        });
        levels.push(await completeLevel(found.record, spoolDir, input.collectors));
      }
      const missing = input.unreached.find((u) => u.level === level);
      if (missing) levels.push({ level, target: missing.target, reached: false, error: missing.reason, items: [] });
    }
    const times = loaded.map((l) => l.manifest);
    const manifest: Manifest = {
      tool: 'nestbug',
      version: input.version,
      formatVersion: 1,
      commandLine: input.commandLine,
      startedAt: times.map((m) => m.startedAt).sort()[0] ?? new Date().toISOString(),
      finishedAt:
        times
          .map((m) => m.finishedAt)
          .sort()
          .at(-1) ?? new Date().toISOString(),
      levels,
    };
    return { manifest, spoolDir, files: await spooledFiles(spoolDir), cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Fills what the host could not: derived items, and sizes and hashes a host without
 * sha256sum left out. */
async function completeLevel(
  record: LevelRecord,
  spoolDir: string,
  collectors: readonly Collector[],
): Promise<LevelRecord> {
  const finished = new Map<string, Promise<ItemRecord>>(record.items.map((i) => [i.id, Promise.resolve(i)]));
  const items: ItemRecord[] = [];
  for (const item of record.items) {
    const from = (item as ItemRecord & { derivedFrom?: string }).derivedFrom;
    if (from) {
      items.push(await deriveItem(item, from, record.level, spoolDir, finished, collectors));
      continue;
    }
    if (item.file && item.sha256 === undefined) Object.assign(item, await sizeAndHash(path.join(spoolDir, item.file)));
    for (const f of item.files ?? [])
      if (f.sha256 === undefined) Object.assign(f, await sizeAndHash(path.join(spoolDir, f.file)));
    items.push(item);
  }
  return { ...record, items };
}

async function sizeAndHash(file: string): Promise<{ bytes: number; sha256: string }> {
  const body = await readFile(file).catch(() => Buffer.alloc(0));
  return { bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') };
}

const NO_TRANSPORT: Transport = {
  label: 'merge',
  privilege: { mode: 'none', why: 'merge runs nothing' },
  run: () => Promise.reject(new Error('merge runs no command')),
  runMany: (requests) => requests.map(() => Promise.reject(new Error('merge runs no command'))),
  close: async () => {},
};

/** The same code collect runs for a derived item, over the merged files. */
async function deriveItem(
  marker: ItemRecord,
  from: string,
  level: Level,
  spoolDir: string,
  finished: Map<string, Promise<ItemRecord>>,
  collectors: readonly Collector[],
): Promise<ItemRecord> {
  const known = collectors.find((c) => c.id === marker.id);
  const collector: Collector = known ?? {
    id: marker.id,
    title: marker.title,
    derivedFrom: from,
    levels: [...LEVELS],
    needsRoot: 'never',
    okExitCodes: [0],
    outcomes: [],
    slow: false,
    source: 'level archive',
  };
  const step: PlannedStep = {
    level,
    collector: { ...collector, derivedFrom: from },
    asRoot: false,
    timeoutMs: 0,
    source: marker.source,
  };
  const ctx: RunContext = {
    transport: NO_TRANSPORT,
    spoolDir,
    maxBytes: Number.MAX_SAFE_INTEGER,
    signal: new AbortController().signal,
    onFile: () => {},
    finished,
  };
  return runDerived(step, ctx);
}

async function spooledFiles(spoolDir: string): Promise<SpooledFile[]> {
  const files: SpooledFile[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, e.name);
      const bundlePath = `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(full, bundlePath);
      else if (e.isFile()) files.push({ bundlePath, spoolPath: full });
    }
  };
  for (const level of LEVELS) await walk(path.join(spoolDir, level), level);
  return files;
}

export interface WriteInput {
  merged: Merged;
  output: string;
  format: BundleFormat;
  summary: string;
  summaryText: string;
  /** Set when the spool and manifest were rewritten by redactSpool. */
  redaction?: Redaction;
  replace: boolean;
}

/** Writes the bundle as collect does (summary.md, manifest.json, the level folders). */
export async function writeMergedBundle(input: WriteInput): Promise<WrittenBundle> {
  const { merged } = input;
  const top = `nestbug-${stamp(new Date(merged.manifest.startedAt))}`;
  const writer = BundleWriter.create(input.output, input.format, top);
  // Redacted files go in through writeBundle, after their rewrite.
  if (!input.redaction) for (const f of merged.files) writer.addFile(f.bundlePath, f.spoolPath);
  return writeBundle(writer, {
    manifest: merged.manifest,
    summary: input.summary,
    summaryText: input.summaryText,
    held: merged.files,
    redaction: input.redaction,
    replace: input.replace,
  });
}

export function mergedIsPartial(manifest: Manifest): boolean {
  return isPartial(manifest.levels);
}
