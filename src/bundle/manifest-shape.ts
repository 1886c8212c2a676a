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
  return value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Fields that must be there (`required`) or may be missing, each of the given type. */
function fields(object: Record<string, unknown>, where: string, required: Record<string, Shape>, optional: Record<string, Shape> = {}): void {
  for (const [key, shape] of Object.entries({ ...required, ...optional })) {
    const value = object[key];
    if (value === undefined && !(key in required)) continue;
    const ok = shape.split('|').some((t) => (t === 'null' ? value === null : typeof value === t));
    if (!ok) throw new ShapeError(`${where}.${key} is ${value === undefined ? 'missing' : describe(value)}, expected ${shape.replace('|', ' or ')}`);
  }
}

function checkItem(value: unknown, where: string): void {
  const item = expectObject(value, where);
  fields(item, where, { id: 'string' }, {
    title: 'string', source: 'string', reason: 'string', asRoot: 'boolean', exitCode: 'number|null', signal: 'string|null',
    durationMs: 'number', file: 'string', bytes: 'number', sha256: 'string', truncated: 'boolean', stderr: 'string',
  });
  if (!STATUSES.includes(item.status as ItemStatus)) throw new ShapeError(`${where}.status is not one of ${STATUSES.join(', ')}`);
  if (item.files !== undefined) {
    expectArray(item.files, `${where}.files`).forEach((f, i) => {
      const file = expectObject(f, `${where}.files[${i}]`);
      fields(file, `${where}.files[${i}]`, { file: 'string' }, { bytes: 'number', sha256: 'string', truncated: 'boolean', error: 'string' });
    });
  }
}

function checkLevel(value: unknown, where: string): void {
  const level = expectObject(value, where);
  fields(level, where, { target: 'string', reached: 'boolean' }, { via: 'string', error: 'string', lostAt: 'string' });
  if (!(LEVELS as readonly unknown[]).includes(level.level)) throw new ShapeError(`${where}.level is not one of ${LEVELS.join(', ')}`);
  if (level.facts !== undefined) {
    const facts = expectObject(level.facts, `${where}.facts`);
    fields(facts, `${where}.facts`, { arch: 'string', user: 'string', hostname: 'string' }, { vendor: 'string', uid: 'number', privilege: 'string', privilegeNote: 'string' });
  }
  expectArray(level.items, `${where}.items`).forEach((item, i) => checkItem(item, `${where}.items[${i}]`));
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
    const manifest = expectObject(value, 'the manifest');
    fields(manifest, 'manifest', {}, { tool: 'string', version: 'string', startedAt: 'string', finishedAt: 'string', interrupted: 'boolean', redacted: 'boolean' });
    if (manifest.commandLine !== undefined && !expectArray(manifest.commandLine, 'manifest.commandLine').every((a) => typeof a === 'string')) {
      throw new ShapeError('manifest.commandLine holds something other than strings');
    }
    expectArray(manifest.levels, 'manifest.levels').forEach((level, i) => checkLevel(level, `levels[${i}]`));
    return manifest as unknown as Manifest;
  } catch (error) {
    if (error instanceof ShapeError) throw new UsageError(`manifest.json: not a nestbug manifest (${error.message})`);
    throw error;
  }
}
