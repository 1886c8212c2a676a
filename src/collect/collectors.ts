// The collection list is data (collectors/*.yaml); this module loads and validates it.
// Errors name the file, the entry and the field so a site-specific file is easy to fix.
import { parse as parseYaml } from 'yaml';
import { isLevel, LEVELS, type Level } from '../levels.js';

export type NeedsRoot = 'never' | 'always' | 'prefer' | 'when-dmesg-restricted';

export interface Collector {
  id: string;
  title: string;
  /** Exactly one of the four sources. */
  file?: string;
  command?: string[];
  script?: string;
  files?: string;
  derivedFrom?: string;
  /** Folder inside the level folder for `files` items. */
  into?: string;
  levels: Level[];
  arch?: string[];
  vendor?: string[];
  needsRoot: NeedsRoot;
  /** Binary that must be installed for the item to apply. */
  tool?: string;
  package?: string;
  timeoutSeconds?: number;
  okExitCodes: number[];
  scrub?: 'qemu-secrets';
  /** Known non-zero outcomes that are facts about the host, not failures. */
  outcomes: Outcome[];
  /** Takes long: runs in an SSH channel of its own instead of sharing one with others. */
  slow: boolean;
  doc?: string;
  source: string;
}

export interface Outcome {
  /** Matched against the start of stdout and stderr. */
  when: RegExp;
  status: 'ok' | 'skipped';
  reason: string;
}

const NEEDS_ROOT: NeedsRoot[] = ['never', 'always', 'prefer', 'when-dmesg-restricted'];
const KNOWN_FIELDS = new Set([
  'id',
  'title',
  'file',
  'command',
  'script',
  'files',
  'derivedFrom',
  'into',
  'levels',
  'arch',
  'vendor',
  'needsRoot',
  'tool',
  'package',
  'timeout',
  'okExitCodes',
  'scrub',
  'outcomes',
  'slow',
  'doc',
]);

export class CollectorFileError extends Error {
  override name = 'CollectorFileError';
}

export function parseCollectors(text: string, source: string): Collector[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new CollectorFileError(`${source}: not valid YAML: ${detail}`);
  }
  if (doc == null) return [];
  if (!Array.isArray(doc)) throw new CollectorFileError(`${source}: expected a list of collector entries`);
  return doc.map((entry, index) => parseEntry(entry, `${source}: entry ${index + 1}`, source));
}

function parseEntry(entry: unknown, where: string, source: string): Collector {
  const e = entryMapping(entry, where);
  const id = entryId(e.id, where);
  const at = `${where} (${id})`;
  rejectUnknownFields(e, at);
  const read = fieldReader(e, at);
  const checked = checkedFields(e, read, at);
  // Plain fields are read after the checked ones, so an entry with several mistakes always
  // names the same one first.
  return {
    id,
    title: read.str('title', true)!,
    file: checked.file,
    command: read.strList('command'),
    script: read.str('script'),
    files: checked.files,
    derivedFrom: read.str('derivedFrom'),
    into: checked.into,
    levels: checked.levels,
    arch: read.strList('arch'),
    vendor: read.strList('vendor'),
    needsRoot: checked.needsRoot,
    tool: checked.tool,
    package: read.str('package'),
    timeoutSeconds: checked.timeout,
    okExitCodes: checked.okExitCodes,
    scrub: checked.scrub,
    outcomes: checked.outcomes,
    slow: e.slow === true,
    doc: read.str('doc'),
    source,
  };
}

type Entry = Record<string, unknown>;

interface FieldReader {
  str(key: string, required?: boolean): string | undefined;
  strList(key: string): string[] | undefined;
}

function entryMapping(entry: unknown, where: string): Entry {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new CollectorFileError(`${where}: expected a mapping with id, title and one of file/command/script/files`);
  }
  return entry as Entry;
}

function entryId(id: unknown, where: string): string {
  if (typeof id !== 'string' || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(id)) {
    throw new CollectorFileError(
      `${where}: field 'id' must be lowercase letters, digits and dashes (got ${JSON.stringify(id)})`,
    );
  }
  return id;
}

function rejectUnknownFields(e: Entry, at: string): void {
  for (const key of Object.keys(e)) {
    if (!KNOWN_FIELDS.has(key)) throw new CollectorFileError(`${at}: unknown field '${key}'`);
  }
}

function fieldReader(e: Entry, at: string): FieldReader {
  return {
    str(key, required = false) {
      const v = e[key];
      if (v === undefined) {
        if (required) throw new CollectorFileError(`${at}: field '${key}' is required`);
        return undefined;
      }
      if (typeof v !== 'string' || v.trim() === '')
        throw new CollectorFileError(`${at}: field '${key}' must be a non-empty string`);
      return v;
    },
    strList(key) {
      const v = e[key];
      if (v === undefined) return undefined;
      if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string' && x !== '')) {
        throw new CollectorFileError(`${at}: field '${key}' must be a non-empty list of strings`);
      }
      return v as string[];
    },
  };
}

/** The fields with rules beyond their type, checked in a fixed order. */
function checkedFields(e: Entry, read: FieldReader, at: string) {
  requireOneSource(e, at);
  const { file, files } = sourcePaths(read, at);
  const levels = entryLevels(read, at);
  const needsRoot = entryNeedsRoot(e.needsRoot, at);
  const timeout = entryTimeout(e.timeout, at);
  const okExitCodes = entryOkExitCodes(e.okExitCodes, at);
  const scrub = entryScrub(read, at);
  const into = entryInto(read, files, at);
  const outcomes = parseOutcomes(e.outcomes, at);
  if (e.slow !== undefined && typeof e.slow !== 'boolean')
    throw new CollectorFileError(`${at}: field 'slow' must be true or false`);
  const tool = entryTool(read, at);
  return { file, files, levels, needsRoot, timeout, okExitCodes, scrub, into, outcomes, tool };
}

function requireOneSource(e: Entry, at: string): void {
  const sources = ['file', 'command', 'script', 'files', 'derivedFrom'].filter((k) => e[k] !== undefined);
  if (sources.length !== 1) {
    throw new CollectorFileError(
      `${at}: needs exactly one of file, command, script, files (has ${sources.length ? sources.join(', ') : 'none'})`,
    );
  }
}

function sourcePaths(read: FieldReader, at: string): { file?: string; files?: string } {
  const file = read.str('file');
  if (file !== undefined && !file.startsWith('/'))
    throw new CollectorFileError(`${at}: field 'file' must be an absolute path`);
  const files = read.str('files');
  // `~/` is the connecting user's home (libvirt session logs live there).
  if (files !== undefined && !files.startsWith('/') && !files.startsWith('~/')) {
    throw new CollectorFileError(`${at}: field 'files' must be an absolute glob or start with ~/`);
  }
  return { file, files };
}

function entryLevels(read: FieldReader, at: string): Level[] {
  const levels = read.strList('levels') ?? [...LEVELS];
  for (const level of levels) {
    if (!isLevel(level)) throw new CollectorFileError(`${at}: field 'levels' has '${level}' (use L0, L1, L2)`);
  }
  return levels as Level[];
}

function entryNeedsRoot(value: unknown, at: string): NeedsRoot {
  const needsRoot = (value === true ? 'always' : value === false ? 'never' : (value ?? 'never')) as NeedsRoot;
  if (!NEEDS_ROOT.includes(needsRoot)) {
    throw new CollectorFileError(`${at}: field 'needsRoot' must be one of ${NEEDS_ROOT.join(', ')}`);
  }
  return needsRoot;
}

function entryTimeout(timeout: unknown, at: string): number | undefined {
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0) || timeout > 3600)) {
    throw new CollectorFileError(`${at}: field 'timeout' must be a number of seconds between 0 and 3600`);
  }
  return timeout as number | undefined;
}

function entryOkExitCodes(value: unknown, at: string): number[] {
  const okExitCodes = value ?? [0];
  if (!Array.isArray(okExitCodes) || !okExitCodes.every((c) => Number.isInteger(c) && c >= 0 && c < 256)) {
    throw new CollectorFileError(`${at}: field 'okExitCodes' must be a list of exit codes`);
  }
  return okExitCodes as number[];
}

function entryScrub(read: FieldReader, at: string): Collector['scrub'] {
  const scrub = read.str('scrub');
  if (scrub !== undefined && scrub !== 'qemu-secrets')
    throw new CollectorFileError(`${at}: field 'scrub' must be qemu-secrets`);
  return scrub;
}

function entryInto(read: FieldReader, files: string | undefined, at: string): string | undefined {
  const into = read.str('into');
  if (into !== undefined && !/^[a-z0-9][a-z0-9-]*$/.test(into))
    throw new CollectorFileError(`${at}: field 'into' must be a simple folder name`);
  if (files !== undefined && into === undefined)
    throw new CollectorFileError(`${at}: a 'files' entry needs 'into' (the folder for the copies)`);
  return into;
}

function entryTool(read: FieldReader, at: string): string | undefined {
  const tool = read.str('tool');
  if (tool !== undefined && !/^[A-Za-z0-9._+-]+$/.test(tool))
    throw new CollectorFileError(`${at}: field 'tool' must be a command name`);
  return tool;
}

function parseOutcomes(value: unknown, at: string): Outcome[] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw new CollectorFileError(`${at}: field 'outcomes' must be a list of {when, status, reason}`);
  return value.map((o, i) => {
    const where = `${at}: outcomes[${i}]`;
    if (o === null || typeof o !== 'object') throw new CollectorFileError(`${where}: expected {when, status, reason}`);
    const { when, status, reason } = o as Record<string, unknown>;
    if (typeof when !== 'string' || when === '')
      throw new CollectorFileError(`${where}: field 'when' must be a regular expression`);
    let re: RegExp;
    try {
      re = new RegExp(when);
    } catch (error) {
      throw new CollectorFileError(
        `${where}: field 'when' is not a valid regular expression (${(error as Error).message})`,
      );
    }
    if (status !== 'ok' && status !== 'skipped')
      throw new CollectorFileError(`${where}: field 'status' must be ok or skipped`);
    if (typeof reason !== 'string' || reason === '')
      throw new CollectorFileError(`${where}: field 'reason' is required`);
    return { when: re, status, reason };
  });
}

/** Merge lists; a later entry with the same id replaces the earlier one (site overrides). */
export function mergeCollectors(lists: Collector[][]): Collector[] {
  const byId = new Map<string, Collector>();
  for (const list of lists) for (const c of list) byId.set(c.id, c);
  const all = [...byId.values()];
  for (const c of all) {
    if (c.derivedFrom && !byId.has(c.derivedFrom)) {
      throw new CollectorFileError(`${c.source} (${c.id}): derivedFrom '${c.derivedFrom}' names no collector`);
    }
  }
  return all;
}
