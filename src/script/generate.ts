// Pure: the collection list (collectors/*.yaml and site files) as one POSIX sh program.
// Each collector becomes a function that sets the planner's data (levels, arch, vendor,
// tool, root, timeout, exit codes, outcomes) and the argv commandOf() gives collect; the
// fixed runtime (runtime.ts) applies plan.ts's rules to them on the host.
import type { Collector } from '../collect/collectors.js';
import { commandOf } from '../collect/plan.js';
import { PROBE_SCRIPT, toolsWanted } from '../collect/probe.js';
import { quoteArg, quoteArgv } from '../transport/quote.js';
import { JOB_SCRIPT, JSON_AWK, WATCHDOG_SCRIPT } from './runtime.js';
import { SCRUB_AWK } from './scrub-awk.js';

export class ScriptError extends Error {
  override name = 'ScriptError';
}

/** JavaScript regular expressions of `outcomes` run as grep -E in the script: refuse what
 * ERE does not mean the same way, rather than match differently on the host. */
export function portableOutcome(re: RegExp, where: string): string {
  // RegExp.source escapes "/" (\/), which grep -E warns about.
  const source = re.source.replace(/\\\//g, '/');
  if (re.flags !== '' || /\\[dDwWsSbB]|\(\?|\\[1-9]|\\u|\\x|[*+?}]\?/.test(source)) {
    throw new ScriptError(
      `${where}: outcome /${source}/ uses JavaScript-only regular expression syntax; use POSIX ERE (grep -E) syntax`,
    );
  }
  return source;
}

function shellList(values: readonly string[] | undefined): string {
  return quoteArg((values ?? []).join(' '));
}

function itemFunction(collector: Collector, n: string): string {
  const { argv, source } = commandOf(collector);
  const pkg = collector.package ? ` (package: ${collector.package})` : '';
  const vars: Array<[string, string]> = [
    ['id', quoteArg(collector.id)],
    ['title', quoteArg(JSON.stringify(collector.title))],
    ['source', quoteArg(JSON.stringify(source))],
    ['levels', shellList(collector.levels)],
    ['levels_text', quoteArg(collector.levels.join(', '))],
    ['arch', shellList(collector.arch)],
    ['arch_text', quoteArg((collector.arch ?? []).join('/'))],
    ['vendor', shellList(collector.vendor)],
    ['vendor_text', quoteArg((collector.vendor ?? []).join('/'))],
    ['tool', quoteArg(collector.tool ?? '')],
    ['tool_reason', quoteArg(collector.tool ? `${collector.tool} is not installed${pkg}` : '')],
    ['root', quoteArg(collector.needsRoot)],
    ['tmo', quoteArg(collector.timeoutSeconds !== undefined ? String(Math.ceil(collector.timeoutSeconds)) : '')],
    ['ok', quoteArg(collector.okExitCodes.join(' '))],
    ['scrub', collector.scrub === 'qemu-secrets' ? '1' : '0'],
    ['into', quoteArg(collector.files !== undefined ? (collector.into ?? '') : '')],
    ['derived', quoteArg(collector.derivedFrom ?? '')],
    ['cmd', quoteArg(argv ? quoteArgv(argv) : '')],
  ];
  const outcomes = collector.outcomes.map(
    (o, i) =>
      `  nb_outcome ${quoteArg(portableOutcome(o.when, `${collector.source} (${collector.id}) outcomes[${i}]`))} ${o.status} ${quoteArg(o.reason)} && return 0`,
  );
  return [
    `# ${collector.id} (${collector.source})`,
    `nb_item_${n}() {`,
    `  n=${n}`,
    ...vars.map(([name, value]) => `  ${name}=${value}`),
    '  nb_collect',
    '}',
    `nb_outcomes_${n}() {`,
    ...outcomes,
    '  return 1',
    '}',
  ].join('\n');
}

/** Items running at once besides the slow ones (collect runs up to 8 on a local host). */
const LANES = 4;

export interface ScriptInput {
  collectors: readonly Collector[];
  version: string;
  /** Where the collectors came from, for the script's header. */
  sources: readonly string[];
  /** templates/collect-head.sh and collect-tail.sh. */
  head: string;
  tail: string;
}

export function generateScript({ collectors, version, sources, head: headTemplate, tail }: ScriptInput): string {
  const numbered = collectors.map((c, i) => ({ c, n: String(i + 1).padStart(3, '0') }));
  const head = headTemplate
    .replaceAll('@@VERSION@@', version.replace(/[^A-Za-z0-9.+-]/g, ''))
    .replace('@@SOURCES@@', () => sources.join(', ').replace(/\n/g, ' '))
    .replace('@@SCRUB_AWK@@', () => SCRUB_AWK.trim())
    .replace('@@JSON_AWK@@', () => JSON_AWK)
    .replace('@@JOB@@', () => quoteArg(JOB_SCRIPT))
    .replace('@@WATCHDOG@@', () => quoteArg(WATCHDOG_SCRIPT))
    .replace('@@PROBE@@', () => quoteArg(PROBE_SCRIPT))
    .replace('@@TOOLS@@', () => toolsWanted(collectors).map(quoteArg).join(' '));
  const items = numbered.map(({ c, n }) => itemFunction(c, n)).join('\n\n');
  const order = [
    `NB_ITEMS=${quoteArg(numbered.map(({ n }) => n).join(' '))}`,
    `NB_SLOW=${quoteArg(
      numbered
        .filter(({ c }) => c.slow)
        .map(({ n }) => n)
        .join(' '),
    )}`,
    `NB_LANES=${LANES}`,
  ].join('\n');
  return `${head}\n# ---- the collection list ----\n${items}\n\n${order}\n\n${tail}`;
}
