// Pure: evidence files in, verdicts out. The same for a fresh collection, a received
// bundle, or a folder with a few files pasted from a bug report.
import { LEVELS, type Level, levelBelow } from '../levels.js';
import { levelsDescribedFromAbove } from './arch/chain.js';
import { CHECKS } from './checks/index.js';
import { type ItemState, runCheck } from './checks/registry.js';
import { type EvidenceFiles, levelFile } from './evidence.js';
import { type Guest, type GuestIdentity, type GuestMatch, guestAccel, guestsOf, matchGuest } from './guests.js';
import { levelCollected, levelTable } from './level-table.js';
import { parseDmidecode, parseIdentity, parseUname } from './parsers/small.js';
import { decideLevel, insideClues, runsOnLabel } from './runs-on.js';
import type { Check, LevelVerdict, RunsOn, Verdict } from './types.js';

const STATUS_ORDER: Record<Check['status'], number> = { fail: 0, warn: 1, unknown: 2, pass: 3 };

interface TargetInfo {
  level: Level;
  target: string;
}

function targetsFromManifest(files: EvidenceFiles): TargetInfo[] {
  const text = files.get('manifest.json');
  if (!text) return [];
  try {
    const manifest = JSON.parse(text) as { levels?: Array<{ level?: string; target?: string }> };
    return (manifest.levels ?? [])
      .filter((l): l is TargetInfo => typeof l.level === 'string' && typeof l.target === 'string' && (LEVELS as readonly string[]).includes(l.level))
      .map((l) => ({ level: l.level, target: l.target }));
  } catch {
    return [];
  }
}

/** Manifest status of each item file: a failed item's empty file is no evidence. */
function itemStatesFromManifest(files: EvidenceFiles): Map<string, ItemState> {
  const states = new Map<string, ItemState>();
  const text = files.get('manifest.json');
  if (!text) return states;
  try {
    const manifest = JSON.parse(text) as { levels?: Array<{ level?: unknown; items?: Array<{ id?: unknown; file?: unknown; status?: unknown; reason?: unknown }> }> };
    for (const level of Array.isArray(manifest.levels) ? manifest.levels : []) {
      if (typeof level?.level !== 'string' || !Array.isArray(level.items)) continue;
      for (const item of level.items) {
        if (typeof item?.id !== 'string' || typeof item.status !== 'string') continue;
        const file = typeof item.file === 'string' ? item.file : `${level.level}/${item.id}.txt`;
        states.set(file, { status: item.status as ItemState['status'], ...(typeof item.reason === 'string' ? { reason: item.reason } : {}) });
      }
    }
  } catch {
    // not a manifest nestbug wrote: no states
  }
  return states;
}

const LOOPBACK = /^(?:[^@]*@)?(127\.\d+\.\d+\.\d+|localhost|\[::1\]|::1)(?::(\d+))?$/;

/** When a level was reached at a loopback port and the level below is this same machine,
 * that port is forwarded by the QEMU that runs the level (user networking hostfwd). */
function forwardedPort(targets: TargetInfo[], level: Level): number | undefined {
  const below = levelBelow(level);
  const me = targets.find((t) => t.level === level);
  const host = targets.find((t) => t.level === below);
  const m = me ? LOOPBACK.exec(me.target) : null;
  if (!m || !host) return undefined;
  if (host.target !== 'local' && !LOOPBACK.test(host.target)) return undefined;
  return m[2] ? Number(m[2]) : 22;
}

function identityOf(files: EvidenceFiles, level: Level, targets: TargetInfo[]): GuestIdentity {
  const id = parseIdentity(files.get(levelFile(level, 'identity')) ?? '');
  const dmi = parseDmidecode(files.get(levelFile(level, 'dmidecode')) ?? '');
  return {
    hostname: id.hostname ?? parseUname(files.get(levelFile(level, 'uname')) ?? '').hostname,
    uuid: id.uuid ?? dmi.uuid,
    macs: id.macs,
    forwardedPort: forwardedPort(targets, level),
  };
}

export function chainName(levels: Partial<Record<Level, LevelVerdict>>): string {
  const upper = (['L2', 'L1'] as const).map((l) => levels[l]?.runsOn).filter((r): r is RunsOn => r !== undefined);
  const word = (r: RunsOn) => (r === 'kvm' ? 'KVM' : r === 'tcg' ? 'TCG' : r === 'bare-metal' ? 'bare metal' : r === 'unknown' ? 'unknown' : runsOnLabel(r));
  if (upper.length === 0) return 'a single host';
  if (upper.length === 1) return `${word(upper[0])} at L1`;
  return upper.map(word).join(' on ');
}

export function analyseEvidence(files: EvidenceFiles): Verdict {
  const collected = LEVELS.filter((l) => levelCollected(files, l));
  const targets = targetsFromManifest(files);
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
          outside = match.candidates.flatMap((g) => g.clues).map((c) => ({ ...c, strength: Math.min(c.strength, 1) as 1 }));
          note = `${match.how}; all of them run on the same accelerator`;
        } else {
          note = `${match.how}; the outside view is not used`;
        }
      }
    }
    levels[level] = decideLevel(level, inside, outside, note);
  }
  const ctx = { files, collected, verdicts: levels, guests, matches, itemStates: itemStatesFromManifest(files) };
  const checks = CHECKS.map((def) => runCheck(def, ctx))
    .filter((c) => c !== undefined)
    .sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status]);
  const described = levelsDescribedFromAbove(files, collected);
  const chainLine = LEVELS.filter((l) => levels[l] || collected.includes(l) || described[l])
    .map((l) => `${l} (${levels[l] ? runsOnLabel(levels[l]!.runsOn) : described[l] ?? 'not collected'})`)
    .join(' -> ');
  return { levels, tables: LEVELS.map((l) => levelTable(files, l)).filter((t) => t.collected), checks, chainName: chainName(levels), chainLine };
}
