// Pure: the --json result. Key names are a contract for scripts: keep them stable.
import type { Verdict } from '../analyse/types.js';
import { countItems, type Manifest } from '../bundle/manifest.js';
import { LEVELS } from '../levels.js';

export interface JsonResult {
  bundle: string | null;
  exitCode: number;
  chain: { name: string; line: string };
  levels: Record<
    string,
    {
      runsOn: string;
      platform: string | null;
      platformEvidence: Array<{ file: string; line?: number; text: string; why: string }>;
      container: string | null;
      containerEvidence: Array<{ file: string; line?: number; text: string; why: string }>;
      inside: string;
      outside: string;
      disagree: boolean;
      reason: string;
      target?: string;
      reached?: boolean;
      error?: string;
      evidence: Array<{
        file: string;
        line?: number;
        text: string;
        says: string;
        view: string;
        strength: number;
        why: string;
      }>;
    }
  >;
  checks: Array<{
    id: string;
    level: string;
    status: string;
    title: string;
    summary: string;
    fix: string | null;
    evidence: Array<{ file: string; line?: number; text: string }>;
  }>;
  collectors?: ReturnType<typeof countItems>;
  interrupted?: boolean;
}

export function jsonResult(verdict: Verdict, exitCode: number, bundle: string | null, manifest?: Manifest): JsonResult {
  const levels: JsonResult['levels'] = {};
  for (const level of LEVELS) {
    const v = verdict.levels[level];
    const record = manifest?.levels.find((l) => l.level === level);
    if (!v && !record) continue;
    levels[level] = {
      runsOn: v?.runsOn ?? 'unknown',
      platform: v?.platform?.id ?? null,
      platformEvidence: v?.platform?.evidence ?? [],
      container: v?.container ?? null,
      containerEvidence: (v?.containerEvidence ?? []).map((e) => ({
        file: e.file,
        line: e.line,
        text: e.text,
        why: e.why,
      })),
      inside: v?.inside ?? 'unknown',
      outside: v?.outside ?? 'unknown',
      disagree: v?.disagree ?? false,
      reason: v?.reason ?? (record?.error ? `not collected: ${record.error}` : 'not collected'),
      ...(record
        ? { target: record.target, reached: record.reached, ...(record.error ? { error: record.error } : {}) }
        : {}),
      evidence: (v?.evidence ?? []).map((c) => ({
        file: c.file,
        line: c.line,
        text: c.text,
        says: c.says,
        view: c.view,
        strength: c.strength,
        why: c.why,
      })),
    };
  }
  return {
    bundle,
    exitCode,
    chain: { name: verdict.chainName, line: verdict.chainLine },
    levels,
    checks: verdict.checks.map((c) => ({
      id: c.id,
      level: c.level,
      status: c.status,
      title: c.title,
      summary: c.summary,
      fix: c.fix ?? null,
      evidence: c.evidence,
    })),
    ...(manifest ? { collectors: countItems(manifest.levels) } : {}),
    ...(manifest?.interrupted ? { interrupted: true } : {}),
  };
}
