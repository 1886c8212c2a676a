// Pure: the chain in a few words, naming what runs on what: "KVM on TCG", "KVM on Hyper-V
// (WSL2): nesting on", "L1 on VMware: hardware virtualization not exposed".
import { LEVELS, type Level } from '../levels.js';
import { runsOnLabel } from './runs-on.js';
import type { Check, LevelVerdict, RunsOn } from './types.js';

function word(v: LevelVerdict): string {
  const r: RunsOn = v.runsOn;
  const base = r === 'tcg' ? 'TCG' : r === 'unknown' ? 'an unidentified host' : runsOnLabel(r);
  return v.platform ? `${base} (${v.platform.name})` : base;
}

function status(checks: readonly Check[], id: string): Check['status'] | undefined {
  return checks.find((c) => c.id === id)?.status;
}

/** What nesting looks like at the top of the chain, from the checks that decide it. */
function nestingState(checks: readonly Check[], top: Level): string | undefined {
  const flag = status(checks, 'l1-virt-flag');
  if (flag === 'fail') return 'hardware virtualization not exposed';
  if (status(checks, 'l0-nested') === 'fail') return 'nesting off on L0';
  if (flag === 'pass') return 'nesting on';
  if (top === 'L0' && status(checks, 'l0-nested') === 'pass') return 'nesting on';
  if (top === 'L0' && status(checks, 'l0-kvm') === 'fail') return 'no usable hardware virtualization';
  return undefined;
}

export function chainName(levels: Partial<Record<Level, LevelVerdict>>, checks: readonly Check[] = []): string {
  const present = LEVELS.filter((l) => levels[l]);
  if (present.length === 0) return 'nothing collected';
  const top = present[present.length - 1];
  let name: string;
  if (top === 'L2' && levels.L1) {
    name = `${word(levels.L2!)} on ${word(levels.L1)}`;
  } else {
    // The top level hosts KVM itself when its KVM check passes: "KVM on ...", else "L1 on ...".
    const hostsKvm = status(checks, top === 'L0' ? 'l0-kvm' : 'l1-kvm') === 'pass' && top !== 'L2';
    name = `${hostsKvm ? 'KVM' : top} on ${word(levels[top]!)}`;
  }
  const state = nestingState(checks, top);
  return state ? `${name}: ${state}` : name;
}

/** `described`: levels not collected that a level above describes (s390x /proc/sysinfo). */
export function chainLine(
  levels: Partial<Record<Level, LevelVerdict>>,
  collected: readonly Level[],
  described: Partial<Record<Level, string>> = {},
): string {
  return LEVELS.filter((l) => levels[l] || collected.includes(l) || described[l])
    .map((l) => {
      const v = levels[l];
      if (!v) return `${l} (${described[l] ?? 'not collected'})`;
      return `${l} (${runsOnLabel(v.runsOn)}${v.platform ? `, ${v.platform.name}` : ''})`;
    })
    .join(' -> ');
}
