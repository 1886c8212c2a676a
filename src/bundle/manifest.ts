import type { Level } from '../levels.js';

export type ItemStatus = 'ok' | 'failed' | 'timed-out' | 'not-installed' | 'skipped';

export interface ItemFile {
  /** Path inside the bundle, below the top folder: `L1/cpuinfo.txt`. */
  file: string;
  bytes: number;
  sha256: string;
  truncated?: boolean;
  /** Set when this file could not be read completely. */
  error?: string;
}

export interface ItemRecord {
  id: string;
  title: string;
  /** Command, script or path that produced it. */
  source: string;
  status: ItemStatus;
  reason?: string;
  asRoot: boolean;
  exitCode?: number | null;
  signal?: string | null;
  durationMs?: number;
  file?: string;
  bytes?: number;
  sha256?: string;
  truncated?: boolean;
  stderr?: string;
  /** For items that copy several files (libvirt logs). */
  files?: ItemFile[];
}

export interface LevelRecord {
  level: Level;
  target: string;
  via?: string;
  reached: boolean;
  /** Why the host could not be reached, or was lost. */
  error?: string;
  lostAt?: string;
  facts?: {
    arch: string;
    vendor?: string;
    user: string;
    uid: number;
    hostname: string;
    privilege: 'root' | 'sudo' | 'none';
    privilegeNote?: string;
  };
  items: ItemRecord[];
}

export interface Manifest {
  tool: 'nestbug';
  version: string;
  formatVersion: 1;
  commandLine: string[];
  startedAt: string;
  finishedAt: string;
  interrupted?: boolean;
  /** Written with --redact: names and addresses are placeholders. */
  redacted?: boolean;
  levels: LevelRecord[];
}

export function countItems(levels: readonly LevelRecord[]) {
  const counts: Record<ItemStatus, number> = { ok: 0, failed: 0, 'timed-out': 0, 'not-installed': 0, skipped: 0 };
  for (const level of levels) for (const item of level.items) counts[item.status]++;
  return counts;
}

/** A partial collection: a host not reached or lost, or an item that failed or timed out. */
export function isPartial(levels: readonly LevelRecord[]): boolean {
  return levels.some(
    (l) =>
      !l.reached || l.lostAt !== undefined || l.items.some((i) => i.status === 'failed' || i.status === 'timed-out'),
  );
}
