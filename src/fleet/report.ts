// Pure: the hosts the playbook ran on become chains, and the chains' results the fleet
// report (fleet.json, whose keys are a contract, fleet.md and fleet.csv).
import { isLevel, LEVELS, type Level } from '../levels.js';
import { cell, escapeText, table } from '../render/markdown.js';

/** One inventory host as the playbook saw it (OUT/hosts.json). */
export interface FleetHost {
  host: string;
  level: Level;
  chain: string;
  /** The fetched level archive; empty when the host was down or its run failed. */
  archive: string;
  error: string;
}

export interface ChainPlan {
  chain: string;
  hosts: FleetHost[];
  /** Set when the inventory is wrong for this chain (two hosts for one level). */
  problem?: string;
}

export interface LevelResult {
  host: string;
  reached: boolean;
  runsOn: string;
}

/** A row of fleet.json: exactly these keys. */
export interface ChainResult {
  chain: string;
  bundle: string | null;
  exitCode: number;
  partial: boolean;
  levels: Partial<Record<Level, LevelResult>>;
  failedChecks: string[];
}

export class FleetInputError extends Error {
  override name = 'FleetInputError';
}

export function parseHosts(text: string, source: string): FleetHost[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new FleetInputError(`${source}: not JSON`);
  }
  if (!Array.isArray(data)) throw new FleetInputError(`${source}: expected a list of hosts`);
  return data.map((h, i) => {
    const e = h as Record<string, unknown>;
    const str = (k: string) => (typeof e[k] === 'string' ? (e[k] as string) : '');
    const level = str('level');
    if (!str('host')) throw new FleetInputError(`${source}: host ${i + 1} has no name`);
    if (!isLevel(level))
      throw new FleetInputError(`${source}: ${str('host')}: nestbug_level must be L0, L1 or L2 (got '${level}')`);
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(str('chain'))) {
      throw new FleetInputError(
        `${source}: ${str('host')}: chain name '${str('chain')}' (nestbug_chain or nestbug_l0) must be letters, digits, . _ -`,
      );
    }
    return { host: str('host'), level, chain: str('chain'), archive: str('archive'), error: str('error') };
  });
}

export function planChains(hosts: readonly FleetHost[]): ChainPlan[] {
  const byChain = new Map<string, FleetHost[]>();
  for (const h of hosts) byChain.set(h.chain, [...(byChain.get(h.chain) ?? []), h]);
  return [...byChain.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([chain, list]) => {
      const sorted = [...list].sort((a, b) => a.level.localeCompare(b.level));
      const twin = LEVELS.find((l) => sorted.filter((h) => h.level === l).length > 1);
      const problem = twin
        ? `two hosts for ${twin}: ${sorted
            .filter((h) => h.level === twin)
            .map((h) => h.host)
            .join(', ')}`
        : undefined;
      return { chain, hosts: sorted, problem };
    });
}

export function fleetJson(results: readonly ChainResult[]): string {
  return `${JSON.stringify({ chains: results }, null, 2)}\n`;
}

function unreachable(plan: ChainPlan): string[] {
  return plan.hosts.filter((h) => !h.archive).map((h) => `${h.level} ${h.host}: ${h.error || 'not reached'}`);
}

export function fleetCsv(plans: readonly ChainPlan[], results: readonly ChainResult[]): string {
  const quote = (v: string) =>
    /[",\n\r]/.test(v) || /^[=+\-@]/.test(v) ? `"${v.replace(/^([=+\-@])/, "'$1").replace(/"/g, '""')}"` : v;
  const header = [
    'chain',
    'exitCode',
    'partial',
    ...LEVELS.flatMap((l) => [`${l}_host`, `${l}_reached`, `${l}_runsOn`]),
    'failedChecks',
    'unreachable',
    'bundle',
  ];
  const rows = results.map((r, i) => [
    r.chain,
    String(r.exitCode),
    String(r.partial),
    ...LEVELS.flatMap((l) => {
      const v = r.levels[l];
      return v ? [v.host, String(v.reached), v.runsOn] : ['', '', ''];
    }),
    r.failedChecks.join(' '),
    unreachable(plans[i]).join('; '),
    r.bundle ?? '',
  ]);
  return `${[header, ...rows].map((row) => row.map(quote).join(',')).join('\n')}\n`;
}

export function fleetMarkdown(
  plans: readonly ChainPlan[],
  results: readonly ChainResult[],
  generatedAt: string,
): string {
  const failing = results.filter((r) => r.failedChecks.length > 0).length;
  const partial = results.filter((r) => r.partial).length;
  const rows = results.map((r, i) => [
    cell(r.chain),
    plans[i].hosts.map((h) => `${h.level} ${cell(h.host)}`).join('<br>'),
    ...LEVELS.map((l) => (r.levels[l] ? `${r.levels[l]!.reached ? '' : 'not reached; '}${r.levels[l]!.runsOn}` : '-')),
    r.failedChecks.length ? r.failedChecks.map((c) => cell(c)).join(' ') : 'none',
    unreachable(plans[i])
      .map((u) => escapeText(u))
      .join('<br>') || '-',
    String(r.exitCode),
    r.bundle ? cell(r.bundle.split('/').slice(-2).join('/')) : 'none',
  ]);
  return [
    '# nestbug fleet report',
    '',
    `${results.length} chain(s); ${failing} with failed checks; ${partial} partial (a host unreachable, timed out, or items failed). Generated ${generatedAt}.`,
    '',
    table(
      ['chain', 'hosts', 'L0 runs on', 'L1 runs on', 'L2 runs on', 'failed checks', 'unreachable', 'exit', 'bundle'],
      rows,
    ),
    '',
    'Exit codes as `nestbug collect`: 0 all checks passed, 3 partial, 4 a check failed. Each bundle has its summary.md.',
    '',
  ].join('\n');
}

/** 3 when any chain is partial (or wrong), else 4 when any check failed, else 0. */
export function fleetExitCode(results: readonly ChainResult[]): number {
  if (results.some((r) => r.partial || r.exitCode === 2 || r.exitCode === 1)) return 3;
  if (results.some((r) => r.failedChecks.length > 0)) return 4;
  return 0;
}
