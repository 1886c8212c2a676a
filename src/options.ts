// argv values -> validated options. Pure apart from os.homedir for defaults.
import { assertArchiveName } from './output-name.js';
import os from 'node:os';
import path from 'node:path';
import type { JumpSpec, LevelSpec } from './collect/connect.js';
import type { BundleFormat } from './bundle/writer.js';
import { formatFromPath } from './bundle/writer.js';
import { UsageError } from './errors.js';
import { type Level, isLevel } from './levels.js';
import { parseTarget } from './target.js';

export interface TargetFlags {
  l0?: string;
  l1?: string;
  l2?: string;
  l1Jump?: string;
  l2Jump?: string;
}

export function levelSpecs(flags: TargetFlags): LevelSpec[] {
  const specs: LevelSpec[] = [];
  const given: Partial<Record<Level, string>> = { L0: flags.l0, L1: flags.l1, L2: flags.l2 };
  for (const level of ['L0', 'L1', 'L2'] as const) {
    const value = given[level];
    if (value === undefined) continue;
    specs.push({ level, target: parseTarget(value, `--${level.toLowerCase()}`) });
  }
  const jumps: Array<[Level, string | undefined, string]> = [
    ['L1', flags.l1Jump, '--l1-jump'],
    ['L2', flags.l2Jump, '--l2-jump'],
  ];
  for (const [level, value, flag] of jumps) {
    if (value === undefined) continue;
    const spec = specs.find((s) => s.level === level);
    if (!spec) throw new UsageError(`${flag} needs --${level.toLowerCase()} (the host to reach through the jump)`);
    if (spec.target.kind === 'local') throw new UsageError(`${flag}: --${level.toLowerCase()} is local, there is nothing to jump to`);
    const asLevel = value.toUpperCase();
    let jump: JumpSpec;
    if (isLevel(asLevel)) {
      if (asLevel >= level) throw new UsageError(`${flag} ${value}: a level can only be reached through a lower level`);
      const via = specs.find((s) => s.level === asLevel);
      if (!via) throw new UsageError(`${flag} ${value}: pass --${value.toLowerCase()} too (the level to jump through)`);
      jump = { kind: 'level', level: asLevel };
    } else {
      const target = parseTarget(value, flag);
      if (target.kind === 'local') throw new UsageError(`${flag} local: jumping through this machine is the same as no jump`);
      jump = { kind: 'target', target };
    }
    spec.jump = jump;
  }
  return specs;
}

export function parseSeconds(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 86400) throw new UsageError(`${flag} ${value}: give a number of seconds between 0 and 86400`);
  return n;
}

export function parseSize(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?$/i.exec(value.trim());
  if (!m) throw new UsageError(`${flag} ${value}: give a size such as 64M, 512K or 1G`);
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  const factor = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  const bytes = Math.floor(Number(m[1]) * factor);
  if (bytes < 1024) throw new UsageError(`${flag} ${value}: at least 1K`);
  return bytes;
}

export function resolveOutput(output: string | undefined, format: string | undefined, cwd: string, defaultName: (f: BundleFormat) => string): { output: string; format: BundleFormat } {
  if (format !== undefined && format !== 'zip' && format !== 'tar.gz') throw new UsageError(`--format ${format}: use zip or tar.gz`);
  assertArchiveName(output);
  const fromName = output ? formatFromPath(output) : undefined;
  if (fromName && format && fromName !== format) throw new UsageError(`-o ${output} ends in .${fromName} but --format is ${format}`);
  const chosen: BundleFormat = (format as BundleFormat | undefined) ?? fromName ?? 'zip';
  const file = output ? path.resolve(cwd, output.replace(/^~(?=$|\/)/, os.homedir())) : path.join(cwd, defaultName(chosen));
  return { output: file, format: chosen };
}
