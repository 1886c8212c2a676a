// Pure: which collector runs where, how, and why the others are skipped.
import type { Level } from '../levels.js';
import { quoteArgv } from '../transport/quote.js';
import type { Collector } from './collectors.js';
import type { HostFacts } from './probe.js';

export interface PlannedStep {
  level: Level;
  collector: Collector;
  /** Set when the step runs: the argv (for `files`, the listing command). */
  argv?: string[];
  asRoot: boolean;
  timeoutMs: number;
  /** Set when the step does not run. */
  skip?: { status: 'skipped' | 'not-installed'; reason: string };
  /** What the manifest shows as the command or path. */
  source: string;
}

export interface PlanContext {
  level: Level;
  facts: HostFacts;
  /** Root rights are available (root login or working sudo). */
  canBeRoot: boolean;
  /** Why not, when not. */
  noRootReason?: string;
  timeoutSeconds: number;
  /** Ids the user restricted collection to (undefined: all). */
  only?: ReadonlySet<string>;
}

export function listFilesScript(): string {
  // NUL-terminated names survive any byte a file name may hold; files this user cannot
  // read are named on stderr, so the manifest can say so.
  return 'p=$1; case $p in "~/"*) p=$HOME/${p#"~/"} ;; esac; for f in $p; do [ -f "$f" ] || continue; if [ -r "$f" ]; then printf "%s\\0" "$f"; else printf "%s\\0" "$f" >&2; fi; done; true';
}

export function commandOf(collector: Collector): { argv?: string[]; source: string } {
  if (collector.file) return { argv: ['cat', '--', collector.file], source: collector.file };
  if (collector.command) return { argv: collector.command, source: quoteArgv(collector.command) };
  if (collector.script) return { argv: ['sh', '-c', collector.script, 'nestbug'], source: collector.script.trimEnd() };
  if (collector.files)
    return { argv: ['sh', '-c', listFilesScript(), 'nestbug', collector.files], source: collector.files };
  return { source: `derived from ${collector.derivedFrom}` };
}

function needsRoot(collector: Collector, facts: HostFacts): 'yes' | 'prefer' | 'no' {
  switch (collector.needsRoot) {
    case 'always':
      return 'yes';
    case 'prefer':
      return 'prefer';
    case 'when-dmesg-restricted':
      return facts.dmesgRestricted ? 'yes' : 'no';
    default:
      return 'no';
  }
}

export function planStep(collector: Collector, ctx: PlanContext): PlannedStep {
  const { argv, source } = commandOf(collector);
  const base = {
    level: ctx.level,
    collector,
    asRoot: false,
    timeoutMs: (collector.timeoutSeconds ?? ctx.timeoutSeconds) * 1000,
    source,
  };
  const skip = (status: 'skipped' | 'not-installed', reason: string): PlannedStep => ({
    ...base,
    skip: { status, reason },
  });
  if (!collector.levels.includes(ctx.level)) return skip('skipped', `collected on ${collector.levels.join(', ')} only`);
  if (collector.arch && !collector.arch.includes(ctx.facts.arch)) {
    return skip('skipped', `applies to ${collector.arch.join('/')} only (this host is ${ctx.facts.arch})`);
  }
  if (collector.vendor && (!ctx.facts.vendor || !collector.vendor.includes(ctx.facts.vendor))) {
    return skip(
      'skipped',
      `applies to ${collector.vendor.join('/')} CPUs only (this host: ${ctx.facts.vendor ?? 'unknown vendor'})`,
    );
  }
  if (collector.tool && !ctx.facts.tools.has(collector.tool)) {
    const pkg = collector.package ? ` (package: ${collector.package})` : '';
    return skip('not-installed', `${collector.tool} is not installed${pkg}`);
  }
  const root = needsRoot(collector, ctx.facts);
  const isRoot = ctx.facts.uid === 0;
  if (root === 'yes' && !isRoot && !ctx.canBeRoot) {
    return skip('skipped', `needs root: ${ctx.noRootReason ?? 'connect as root or pass --sudo'}`);
  }
  const asRoot = !isRoot && root !== 'no' && ctx.canBeRoot;
  if (collector.derivedFrom) return { ...base, asRoot: false };
  return { ...base, argv, asRoot };
}

export function planCollection(collectors: readonly Collector[], ctx: PlanContext): PlannedStep[] {
  // Items left out by the command (check reads a few) are not part of the plan at all.
  const steps = collectors.filter((c) => !ctx.only || ctx.only.has(c.id)).map((c) => planStep(c, ctx));
  // A derived item follows its source: if that is skipped, so is it.
  return steps.map((step) => {
    const from = step.collector.derivedFrom;
    if (!from || step.skip) return step;
    const source = steps.find((s) => s.collector.id === from);
    return source?.skip
      ? { ...step, skip: { status: source.skip.status, reason: `${from}: ${source.skip.reason}` } }
      : step;
  });
}
