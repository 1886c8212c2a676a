// Pure: what a person reads first. One sentence a non-expert understands, the items the
// kernel doc asks for that are missing and how to get them, and what to fix when nothing
// was collected at all.

import { runsOnLabel } from '../analyse/runs-on.js';
import type { Check, Verdict } from '../analyse/types.js';
import type { ItemRecord, LevelRecord, Manifest } from '../bundle/manifest.js';
import { LEVELS } from '../levels.js';

/** Items the kernel's "Running nested guests with KVM" asks bug reporters for. */
export const KERNEL_DOC_ITEMS: Record<string, string> = {
  dmesg: 'full dmesg',
  dmidecode: 'dmidecode',
  x86info: 'x86info -a',
  cpuinfo: '/proc/cpuinfo',
  lscpu: 'lscpu',
  uname: 'kernel version',
  'qemu-version': 'QEMU version',
  'libvirt-version': 'libvirt version',
  'qemu-cmdlines': 'QEMU command line',
  domains: 'libvirt domains',
  'libvirt-logs': "libvirt's QEMU logs (the generated command line)",
  'libvirt-qemu-logs': "libvirt's QEMU command line",
  sysinfo: '/proc/sysinfo',
};

const DENIED =
  /permission denied|operation not permitted|not allowed|a password is required|failed to connect socket|authentication (failed|unavailable)|access denied/i;

export interface MissingItem {
  level: string;
  id: string;
  what: string;
  /** How to get it, or why --sudo did not. */
  how: string;
}

function firstLine(text: string | undefined): string {
  return (
    (text ?? '')
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean) ?? ''
  );
}

function missingBecausePrivilege(item: ItemRecord): boolean {
  if (item.status === 'skipped') return /needs root/i.test(item.reason ?? '');
  if (item.status === 'failed' || (item.status === 'ok' && item.reason))
    return DENIED.test(`${item.reason ?? ''}\n${item.stderr ?? ''}`);
  return false;
}

function howToGet(level: LevelRecord, item: ItemRecord, sudoGiven: boolean): string {
  const facts = level.facts;
  if (item.asRoot)
    return `unreadable even as root: ${firstLine(item.stderr) || firstLine(item.reason) || 'no reason given'}`;
  if (sudoGiven && facts?.privilege === 'none')
    return `--sudo was given, but ${facts.privilegeNote ?? 'sudo could not be used'}`;
  if (facts?.uid === 0) return `unreadable as root: ${firstLine(item.stderr) || firstLine(item.reason)}`;
  return `needs root: rerun with --sudo, or connect as root (collected as ${facts?.user ?? 'a user'})`;
}

export function missingDocItems(manifest: Manifest | undefined): MissingItem[] {
  if (!manifest) return [];
  const sudoGiven = manifest.commandLine.includes('--sudo');
  const out: MissingItem[] = [];
  for (const level of manifest.levels) {
    if (!level.reached) continue;
    for (const item of level.items) {
      if (!item || !KERNEL_DOC_ITEMS[item.id] || !missingBecausePrivilege(item)) continue;
      out.push({
        level: level.level,
        id: item.id,
        what: KERNEL_DOC_ITEMS[item.id],
        how: howToGet(level, item, sudoGiven),
      });
    }
  }
  return out;
}

const failed = (v: Verdict, id: string): Check | undefined => v.checks.find((c) => c.id === id && c.status === 'fail');

/** The first thing a person reads: what the evidence means, in plain words. */
export function plainSentence(verdict: Verdict, manifest?: Manifest): string {
  if (manifest?.levels.every((l) => !l.reached)) return 'Nothing was collected: no level could be reached.';
  const levels = LEVELS.filter((l) => verdict.levels[l]);
  if (levels.length === 0) return 'nestbug found no evidence it could read.';
  if (failed(verdict, 'l0-kvm'))
    return 'Hardware-accelerated nesting is impossible here: L0 has no usable VT-x/AMD-V or KVM.';
  const tcg = levels.filter((l) => l !== 'L0' && verdict.levels[l]!.runsOn === 'tcg');
  if (tcg.length) {
    return `${tcg.join(' and ')} ${tcg.length > 1 ? 'run' : 'runs'} in QEMU's software emulation (TCG), not on KVM: everything inside is emulated and slow.`;
  }
  if (failed(verdict, 'l0-nested'))
    return 'Nesting is switched off on L0: its guests cannot run KVM guests of their own.';
  if (failed(verdict, 'l1-virt-flag')) return 'L1 does not see VT-x/AMD-V, so it cannot run its guests on KVM.';
  const fails = verdict.checks.filter((c) => c.status === 'fail');
  if (fails.length)
    return `Nesting is not working end to end: ${fails.length} check${fails.length > 1 ? 's' : ''} failed (first: ${stripLevel(fails[0].summary, fails[0].level)}).`;
  const top = levels[levels.length - 1];
  const topRunsOn = verdict.levels[top]!.runsOn;
  if (levels.length > 1 && topRunsOn === 'kvm') return `Nesting works: ${top} runs on KVM all the way down.`;
  if (topRunsOn === 'unknown')
    return `nestbug could not tell what ${top} runs on from these files; ${decidingFiles(top)} would decide it.`;
  return `${top} runs on ${runsOnLabel(topRunsOn)}; no check failed.`;
}

/** What would decide what a level runs on, when nothing here does. */
export function decidingFiles(level: string): string {
  const below = level === 'L2' ? 'L1' : level === 'L1' ? 'L0' : undefined;
  const inside = `${level}/dmesg.txt (Hypervisor detected), ${level}/lscpu.txt or ${level}/cpuinfo.txt, ${level}/cpuid-signature.txt`;
  return below ? `${inside}; or, from ${below}, ${below}/qemu-cmdlines.txt or ${below}/domains.txt` : inside;
}

/** "L1 L1 runs on..." and "L0 L0: no cpuinfo": the level once. */
export function stripLevel(summary: string, level: string): string {
  return summary.startsWith(`${level}: `) ? summary.slice(level.length + 2) : summary;
}

/** A check's summary led by its level exactly once: "L1 runs on TCG", "L0: no cpuinfo". */
export function withLevel(summary: string, level: string): string {
  return summary.startsWith(`${level} `) || summary.startsWith(`${level}: `) ? summary : `${level}: ${summary}`;
}

/** Parentheses inside parentheses read badly: the inner ones become commas. */
export function flattenParentheses(text: string): string {
  let depth = 0;
  let out = '';
  for (const ch of text) {
    if (ch === '(') {
      out += depth > 0 ? ', ' : ch;
      depth++;
    } else if (ch === ')' && depth > 0) {
      depth--;
      if (depth > 0) continue;
      out += ch;
    } else {
      out += ch;
    }
  }
  return out.replace(/ ,/g, ',').replace(/,\s*,/g, ',');
}

/** Nothing collected: what happened at each level and what to fix, instead of a bundle. */
export function nothingCollected(levels: readonly LevelRecord[]): string[] {
  const lines = ['Nothing was collected: no level could be reached, so no bundle was written.'];
  for (const level of levels) lines.push(`  ${level.level} ${level.target}: ${level.error ?? 'not reached'}`);
  lines.push(
    'Fix what is said above, then run the same command again (nestbug check with the same levels tries the connections quickly).',
  );
  return lines;
}
