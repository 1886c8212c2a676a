// nestbug collectors: the collection list, as text or JSON.

import type { Collector } from '../collect/collectors.js';
import { CollectorFileError } from '../collect/collectors.js';
import { docColumnText } from '../collect/kernel-doc.js';
import { loadCollectors } from '../collect/load-collectors.js';
import { UsageError } from '../errors.js';
import type { Io } from '../io.js';

/** The built-in collectors and those of --collectors files; a bad file is a usage error. */
export async function loadCollectorFiles(files: string[]): Promise<Collector[]> {
  try {
    return await loadCollectors(files);
  } catch (error) {
    if (error instanceof CollectorFileError) throw new UsageError(error.message);
    throw error;
  }
}

export async function runCollectorsList(flags: { json?: boolean; collectors?: string[] }, io: Io): Promise<number> {
  const collectors = await loadCollectorFiles(flags.collectors ?? []);
  const text = flags.json ? JSON.stringify(collectors.map(asJson), null, 2) : collectors.flatMap(asText).join('\n');
  io.stdout.write(`${text}\n`);
  return 0;
}

function sourceOf(c: Collector) {
  if (c.file) return { file: c.file };
  if (c.command) return { command: c.command };
  if (c.files) return { files: c.files };
  if (c.derivedFrom) return { derivedFrom: c.derivedFrom };
  return { script: c.script };
}

function asJson(c: Collector) {
  return {
    id: c.id,
    title: c.title,
    levels: c.levels,
    arch: c.arch ?? null,
    vendor: c.vendor ?? null,
    needsRoot: c.needsRoot,
    tool: c.tool ?? null,
    package: c.package ?? null,
    source: sourceOf(c),
    doc: c.doc ?? null,
    definedIn: c.source,
  };
}

function describeSource(c: Collector): string {
  if (c.file) return c.file;
  if (c.command) return c.command.join(' ');
  if (c.files) return `${c.files} (each file)`;
  if (c.derivedFrom) return `derived from ${c.derivedFrom}`;
  return 'script';
}

const ROOT_NOTE: Record<Collector['needsRoot'], string> = {
  never: '',
  always: ', needs root',
  prefer: ', root when available',
  'when-dmesg-restricted': ', root when dmesg is restricted',
};

function asText(c: Collector): string[] {
  const what = describeSource(c);
  const where = [c.levels.join(','), c.arch ? c.arch.join('/') : 'any arch', c.vendor?.join('/')].filter(Boolean);
  const indent = ''.padEnd(22);
  return [
    `${c.id.padEnd(22)} ${c.title}`,
    `${indent} ${what} [${where.join('; ')}${ROOT_NOTE[c.needsRoot]}]`,
    ...(c.doc ? docColumnText(c.doc, `${indent} `) : []),
  ];
}
