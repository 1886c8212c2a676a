// Pure: manifest.json text -> a typed Manifest, or undefined when it is not one. A bundle
// may come from anyone: levels and items that do not have the expected shape are dropped.
import { isLevel } from '../levels.js';
import type { ItemRecord, ItemStatus, LevelRecord, Manifest } from './manifest.js';

const STATUSES: readonly ItemStatus[] = ['ok', 'failed', 'timed-out', 'not-installed', 'skipped'];

type Loose = Record<string, unknown>;
const isObject = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);

export function readManifest(text: string | undefined): Manifest | undefined {
  if (text === undefined) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(data) || !Array.isArray(data.levels)) return undefined;
  return { ...(data as unknown as Manifest), levels: data.levels.flatMap(levelRecord) };
}

function levelRecord(value: unknown): LevelRecord[] {
  if (!isObject(value) || typeof value.level !== 'string' || !isLevel(value.level)) return [];
  if (typeof value.target !== 'string') return [];
  const items = Array.isArray(value.items) ? value.items.filter(isItem) : [];
  return [{ ...(value as unknown as LevelRecord), reached: value.reached === true, items }];
}

function isItem(value: unknown): value is ItemRecord {
  return isObject(value) && typeof value.id === 'string' && STATUSES.includes(value.status as ItemStatus);
}
