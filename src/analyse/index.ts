// Pure: evidence files in, verdicts out. The same for a fresh collection, a received
// bundle, or a folder with a few files pasted from a bug report.
import type { LevelRecord } from '../bundle/manifest.js';
import { LEVELS, type Level, levelBelow } from '../levels.js';
import { levelsDescribedFromAbove } from './arch/chain.js';
import { chainLine, chainName } from './chain.js';
import { CHECKS } from './checks/index.js';
import { type ItemState, runCheck } from './checks/registry.js';
import { containerOf } from './container.js';
import { type EvidenceFiles, levelFile } from './evidence.js';
import { type Guest, type GuestIdentity, type GuestMatch, guestAccel, guestsOf, matchGuest } from './guests.js';
import { levelCollected, levelTable } from './level-table.js';
import { parseDmidecode, parseIdentity, parseUname } from './parsers/system.js';
import { platformOf } from './platform.js';
import { decideLevel, insideClues } from './runs-on.js';
import type { Check, LevelVerdict, Verdict } from './types.js';

const STATUS_ORDER: Record<Check['status'], number> = { fail: 0, warn: 1, unknown: 2, pass: 3 };

/** Manifest status of each item file: a failed item's empty file is no evidence. */
function itemStates(targets: readonly LevelRecord[]): Map<string, ItemState> {
  const states = new Map<string, ItemState>();
  for (const level of targets) {
    for (const item of level.items) {
      const state: ItemState = { status: item.status, ...(item.reason ? { reason: item.reason } : {}) };
      states.set(item.file ?? `${level.level}/${item.id}.txt`, state);
    }
  }
  return states;
}

const LOOPBACK = /^(?:[^@]*@)?(127\.\d+\.\d+\.\d+|localhost|\[::1\]|::1)(?::(\d+))?$/;

/** When a level was reached at a loopback port and the level below is this same machine,
 * that port is forwarded by the QEMU that runs the level (user networking hostfwd). */
function forwardedPort(targets: readonly LevelRecord[], level: Level): number | undefined {
  const below = levelBelow(level);
  const me = targets.find((t) => t.level === level);
  const host = targets.find((t) => t.level === below);
  const m = me ? LOOPBACK.exec(me.target) : null;
  if (!m || !host) return undefined;
  if (host.target !== 'local' && !LOOPBACK.test(host.target)) return undefined;
  return m[2] ? Number(m[2]) : 22;
}

function identityOf(files: EvidenceFiles, level: Level, targets: readonly LevelRecord[]): GuestIdentity {
  const id = parseIdentity(files.get(levelFile(level, 'identity')) ?? '');
  const dmi = parseDmidecode(files.get(levelFile(level, 'dmidecode')) ?? '');
  return {
    hostname: id.hostname ?? parseUname(files.get(levelFile(level, 'uname')) ?? '').hostname,
    uuid: id.uuid ?? dmi.uuid,
    macs: id.macs,
    forwardedPort: forwardedPort(targets, level),
  };
}

/** `targets`: the manifest's levels (how each was reached, what each item gave), typed;
 * none for a folder of pasted files. */
export function analyse(files: EvidenceFiles, targets: readonly LevelRecord[]): Verdict {
  const collected = LEVELS.filter((l) => levelCollected(files, l));
  const guests: Partial<Record<Level, Guest[]>> = {};
  const matches: Partial<Record<Level, GuestMatch>> = {};
  for (const level of collected) guests[level] = guestsOf(files, level);
  const levels: Partial<Record<Level, LevelVerdict>> = {};
  for (const level of collected) {
    const inside = insideClues(files, level).clues;
    const below = levelBelow(level);
    let outside = [] as LevelVerdict['evidence'];
    let note: string | undefined;
    if (below && guests[below]?.length) {
      const match = matchGuest(guests[below]!, identityOf(files, level, targets));
      matches[level] = match;
      if (match.guest) {
        outside = match.guest.clues;
        note = `${level} is ${below}'s guest ${match.guest.name ?? `pid ${match.guest.pid}`} (${match.how})`;
      } else if (match.candidates.length) {
        // Unidentified: the outside view still counts when every candidate agrees.
        const says = new Set(match.candidates.map((g) => guestAccel(g).says));
        if (says.size === 1 && !says.has('unknown')) {
          outside = match.candidates
            .flatMap((g) => g.clues)
            .map((c) => ({ ...c, strength: Math.min(c.strength, 1) as 1 }));
          note = `${match.how}; all of them run on the same accelerator`;
        } else {
          note = `${match.how}; the outside view is not used`;
        }
      }
    }
    const platform = platformOf(files, level, below && collected.includes(below) ? below : undefined);
    const container = containerOf(files, level);
    levels[level] = {
      ...decideLevel(level, inside, outside, note),
      ...(platform ? { platform } : {}),
      ...(container ? { container: container.container, containerEvidence: container.evidence } : {}),
    };
  }
  const ctx = { files, collected, verdicts: levels, guests, matches, itemStates: itemStates(targets) };
  const checks = CHECKS.map((def) => runCheck(def, ctx))
    .filter((c) => c !== undefined)
    .sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status]);
  return {
    levels,
    tables: LEVELS.map((l) => levelTable(files, l)).filter((t) => t.collected),
    checks,
    chainName: chainName(levels, checks),
    chainLine: chainLine(levels, collected, levelsDescribedFromAbove(files, collected)),
  };
}
