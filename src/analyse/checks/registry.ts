// Pure: what a check is, and the one runner every check goes through. A check is one
// entry: its id, the level it reports on, the items it reads, its titles (each states a
// finding) and evaluate(). The items `nestbug check` collects, the items the analysis
// loads and the titles the summary shows are all derived from these entries.
import type { ItemStatus } from '../../bundle/manifest.js';
import type { Level } from '../../levels.js';
import type { Citation, EvidenceFiles } from '../evidence.js';
import type { Guest, GuestMatch } from '../guests.js';
import type { Check, CheckStatus, LevelVerdict } from '../types.js';

export interface ChainContext {
  files: EvidenceFiles;
  collected: Level[];
  verdicts: Partial<Record<Level, LevelVerdict>>;
  /** Guests each level runs, and which one is the level above. */
  guests: Partial<Record<Level, Guest[]>>;
  matches: Partial<Record<Level, GuestMatch>>;
  /** What the manifest says of each bundle file (`L1/kvm-modules.txt`); empty without a manifest. */
  itemStates: ReadonlyMap<string, ItemState>;
}

export interface ItemState {
  status: ItemStatus;
  reason?: string;
}

export interface CheckResult {
  status: CheckStatus;
  summary: string;
  evidence: Citation[];
  fix?: string;
  /** The level it concerns, when not the entry's (Xen found under L0 or under L1). */
  level?: Level;
  /** A title stating this particular finding, when the entry's title for the status is too general. */
  title?: string;
}

export interface CheckDef {
  id: string;
  /** The level the check reports on. */
  level: Level;
  /** One title per status, each stating the finding ("L1 is not on KVM"), never its opposite. */
  titles: Record<CheckStatus, string>;
  /** Items it reads (at any level): small, collected by `nestbug check` too. */
  reads: readonly string[];
  /** Items it also uses when a bundle has them (large or root-only: not collected by `check`). */
  alsoReads?: readonly string[];
  evaluate(ctx: ChainContext): CheckResult | undefined;
}

const ITEM_PATH = /^(L[0-9])\/([^/]+)\.txt$/;

/** The bundle's files as one check may see them: reading an item it did not declare is a
 * programming error (it would be missing from `check` mode and the loader), so it throws. */
function scopedFiles(def: CheckDef, files: EvidenceFiles, used: Set<string>): EvidenceFiles {
  const allowed = new Set([...def.reads, ...(def.alsoReads ?? [])]);
  return {
    get(path) {
      const m = ITEM_PATH.exec(path);
      if (m && !allowed.has(m[2])) throw new Error(`check ${def.id} reads item ${m[2]} without declaring it`);
      used.add(path);
      return files.get(path);
    },
    list: (prefix) => files.list(prefix),
  };
}

const NOT_EVIDENCE: ReadonlySet<ItemStatus> = new Set(['failed', 'timed-out']);

/** Items this check read whose collection failed: their absence or emptiness proves nothing. */
function failedReads(def: CheckDef, used: Set<string>, states: ReadonlyMap<string, ItemState>) {
  const declared = (path: string) => def.reads.includes(ITEM_PATH.exec(path)?.[2] ?? '');
  return [...used].filter((path) => declared(path) && NOT_EVIDENCE.has(states.get(path)?.status ?? 'ok'));
}

/** Only file, line and text reach the JSON, whatever else a citation carried. */
const plain = (evidence: Citation[]): Citation[] => evidence.map(({ file, line, text }) => ({ file, line, text }));

export function runCheck(def: CheckDef, ctx: ChainContext): Check | undefined {
  const used = new Set<string>();
  const raw = def.evaluate({ ...ctx, files: scopedFiles(def, ctx.files, used) });
  if (!raw) return undefined;
  const result = { ...raw, evidence: plain(raw.evidence) };
  const failed = failedReads(def, used, ctx.itemStates);
  if (failed.length && result.status !== 'unknown') {
    const why = failed.map((p) => {
      const state = ctx.itemStates.get(p)!;
      return `${p} ${state.status}${state.reason ? ` (${state.reason})` : ''}`;
    });
    return {
      id: def.id,
      level: result.level ?? def.level,
      status: 'unknown',
      title: def.titles.unknown,
      summary:
        `cannot be decided: ${why.join('; ')}; a failed item is not evidence of absence ` +
        `(without it: ${result.summary})`,
      evidence: result.evidence,
      fix: 'Collect again once the failed items succeed (see the problems listed at the end of the summary).',
    };
  }
  const { status, summary, evidence, fix } = result;
  return {
    id: def.id,
    level: result.level ?? def.level,
    status,
    title: result.title ?? def.titles[status],
    summary,
    evidence,
    ...(fix && status !== 'pass' ? { fix } : {}),
  };
}
