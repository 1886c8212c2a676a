// nestbug fleet-report: after the playbook fetched the level archives into OUT/<chain>/,
// one bundle per chain (as collect would write it) and the fleet report.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { messageOf, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { mergeToBundle } from '../merge/command.js';
import {
  type ChainPlan,
  type ChainResult,
  FleetInputError,
  fleetCsv,
  fleetExitCode,
  fleetJson,
  fleetMarkdown,
  parseHosts,
  planChains,
} from './report.js';

function notMerged(plan: ChainPlan, exitCode: number): ChainResult {
  const levels: ChainResult['levels'] = {};
  for (const h of plan.hosts) levels[h.level] = { host: h.host, reached: h.archive !== '', runsOn: 'unknown' };
  return { chain: plan.chain, bundle: null, exitCode, partial: true, levels, failedChecks: [] };
}

async function mergeChain(plan: ChainPlan, out: string, io: Io, version: string): Promise<ChainResult> {
  if (plan.problem) {
    io.stderr.write(`nestbug fleet-report: ${plan.chain}: ${plan.problem}\n`);
    return notMerged(plan, 2);
  }
  const archives = plan.hosts.filter((h) => h.archive);
  if (archives.length === 0) return notMerged(plan, 3);
  const dir = path.join(out, plan.chain);
  await mkdir(dir, { recursive: true });
  const bundle = path.join(dir, `nestbug-${plan.chain}.zip`);
  const unreached = plan.hosts
    .filter((h) => !h.archive)
    .map((h) => `${h.level}=${h.host},${(h.error || 'not reached').replace(/\s+/g, ' ')}`);
  try {
    const r = await mergeToBundle(
      archives.map((h) => h.archive),
      { output: bundle, unreached, quiet: true, force: true },
      io,
      version,
      ['nestbug', 'fleet-report', plan.chain],
    );
    const levels: ChainResult['levels'] = {};
    for (const h of plan.hosts) {
      const record = r.manifest.levels.find((l) => l.level === h.level);
      levels[h.level] = {
        host: h.host,
        reached: record?.reached ?? false,
        runsOn: r.verdict.levels[h.level]?.runsOn ?? 'unknown',
      };
    }
    const failedChecks = [...new Set(r.verdict.checks.filter((c) => c.status === 'fail').map((c) => c.id))];
    const partial = r.code === 3;
    return { chain: plan.chain, bundle: r.bundle, exitCode: r.code, partial, levels, failedChecks };
  } catch (error) {
    io.stderr.write(`nestbug fleet-report: ${plan.chain}: ${messageOf(error)}\n`);
    return notMerged(plan, error instanceof UsageError ? 2 : 1);
  }
}

/** Runs up to `limit` merges at once: they are CPU-bound on the controller. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = `${file}.partial-${process.pid}`;
  await writeFile(temp, text);
  await rename(temp, file);
}

export async function runFleetReport(
  flags: { hosts: string; out: string; jobs?: string },
  io: Io,
  version: string,
): Promise<number> {
  const hostsFile = path.resolve(io.cwd, flags.hosts);
  const out = path.resolve(io.cwd, flags.out);
  let text: string;
  try {
    text = await readFile(hostsFile, 'utf8');
  } catch (error) {
    throw new UsageError(
      `--hosts ${flags.hosts}: cannot read (${(error as NodeJS.ErrnoException).code ?? messageOf(error)})`,
    );
  }
  let plans: ChainPlan[];
  try {
    plans = planChains(parseHosts(text, flags.hosts));
  } catch (error) {
    if (error instanceof FleetInputError) throw new UsageError(error.message);
    throw error;
  }
  await mkdir(out, { recursive: true });
  const jobs = flags.jobs ? Number(flags.jobs) : os.availableParallelism();
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs ${flags.jobs}: a whole number above 0`);
  const results = await mapLimited(plans, jobs, (plan) => mergeChain(plan, out, io, version));
  await writeAtomically(path.join(out, 'fleet.json'), fleetJson(results));
  await writeAtomically(path.join(out, 'fleet.csv'), fleetCsv(plans, results));
  await writeAtomically(path.join(out, 'fleet.md'), fleetMarkdown(plans, results, io.now().toISOString()));
  io.stderr.write(`nestbug fleet-report: ${results.length} chain(s); report in ${path.join(out, 'fleet.md')}\n`);
  return fleetExitCode(results);
}
