// Pure: a manifest.json read from a stranger's bundle is checked field by field before
// anything uses it, so JSON of the wrong shape ({"levels":[null]}) is one clear error,
// never a TypeError deep in the analysis.
import { UsageError } from '../errors.js';
import { LEVELS } from '../levels.js';
import type { ItemStatus, Manifest } from './manifest.js';

const STATUSES: readonly ItemStatus[] = ['ok', 'failed', 'timed-out', 'not-installed', 'skipped'];

type Shape = 'string' | 'number' | 'boolean' | 'string|null' | 'number|null';

class ShapeError extends Error {}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function expectObject(value: unknown, where: string): Record<string, unknown> {
  if (!isObject(value)) throw new ShapeError(`${where} is ${describe(value)}, expected an object`);
  return value;
}

function expectArray(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new ShapeError(`${where} is ${describe(value)}, expected a list`);
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The fields nestbug reads: those in `required` must be there; all of the given type. */
interface Schema {
  required: Record<string, Shape>;
  optional: Record<string, Shape>;
}

const MANIFEST: Schema = {
  required: {},
  optional: {
    tool: 'string',
    version: 'string',
    startedAt: 'string',
    finishedAt: 'string',
    interrupted: 'boolean',
    redacted: 'boolean',
  },
};
const LEVEL: Schema = {
  required: { target: 'string', reached: 'boolean' },
  optional: { via: 'string', error: 'string', lostAt: 'string' },
};
const FACTS: Schema = {
  required: { arch: 'string', user: 'string', hostname: 'string' },
  optional: { vendor: 'string', uid: 'number', privilege: 'string', privilegeNote: 'string' },
};
const ITEM: Schema = {
  required: { id: 'string' },
  optional: {
    title: 'string',
    source: 'string',
    reason: 'string',
    asRoot: 'boolean',
    exitCode: 'number|null',
    signal: 'string|null',
    durationMs: 'number',
    file: 'string',
    bytes: 'number',
    sha256: 'string',
    truncated: 'boolean',
    stderr: 'string',
  },
};
const ITEM_FILE: Schema = {
  required: { file: 'string' },
  optional: { bytes: 'number', sha256: 'string', truncated: 'boolean', error: 'string' },
};

function fields(object: Record<string, unknown>, where: string, schema: Schema): void {
  for (const [key, shape] of Object.entries({ ...schema.required, ...schema.optional })) {
    const value = object[key];
    if (value === undefined && !(key in schema.required)) continue;
    const ok = shape.split('|').some((t) => (t === 'null' ? value === null : typeof value === t));
    const found = value === undefined ? 'missing' : describe(value);
    if (!ok) throw new ShapeError(`${where}.${key} is ${found}, expected ${shape.replace('|', ' or ')}`);
  }
}

function oneOf(value: unknown, allowed: readonly string[], where: string): void {
  if (!allowed.includes(value as string)) throw new ShapeError(`${where} is not one of ${allowed.join(', ')}`);
}

function checkItem(value: unknown, where: string): void {
  const item = expectObject(value, where);
  fields(item, where, ITEM);
  oneOf(item.status, STATUSES, `${where}.status`);
  if (item.files === undefined) return;
  expectArray(item.files, `${where}.files`).forEach((f, i) => {
    const at = `${where}.files[${i}]`;
    fields(expectObject(f, at), at, ITEM_FILE);
  });
}

function checkLevel(value: unknown, where: string): void {
  const level = expectObject(value, where);
  fields(level, where, LEVEL);
  oneOf(level.level, LEVELS, `${where}.level`);
  if (level.facts !== undefined) fields(expectObject(level.facts, `${where}.facts`), `${where}.facts`, FACTS);
  for (const [i, item] of expectArray(level.items, `${where}.items`).entries()) checkItem(item, `${where}.items[${i}]`);
}

function checkManifest(value: unknown): void {
  const manifest = expectObject(value, 'the manifest');
  fields(manifest, 'manifest', MANIFEST);
  if (manifest.commandLine !== undefined) {
    const words = expectArray(manifest.commandLine, 'manifest.commandLine');
    if (!words.every((a) => typeof a === 'string')) {
      throw new ShapeError('manifest.commandLine holds something other than strings');
    }
  }
  for (const [i, level] of expectArray(manifest.levels, 'manifest.levels').entries()) checkLevel(level, `levels[${i}]`);
}

/** The manifest of a bundle, or undefined when there is none; throws a UsageError
 * ("not a nestbug manifest") for anything else. */
export function parseManifest(text: string | undefined): Manifest | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError('manifest.json: not a nestbug manifest (not valid JSON)');
  }
  try {
    checkManifest(value);
  } catch (error) {
    if (error instanceof ShapeError) throw new UsageError(`manifest.json: not a nestbug manifest (${error.message})`);
    throw error;
  }
  return value as Manifest;
}
