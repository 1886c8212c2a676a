// What the parity tests share: running the script, reading bundles, and comparing the
// script + merge path with collect (items and statuses, the verdict JSON without its path).
import { spawn } from 'node:child_process';
import path from 'node:path';
import * as assert from 'uvu/assert';
import type { Manifest } from '../../src/bundle/manifest.ts';
import { readJson, runCli, unpack } from './cli.ts';

export interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export function spawnRun(
  argv: string[],
  options: { input?: Buffer | string; cwd?: string; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${argv.join(' ')} did not finish\n${stderr}`));
    }, options.timeoutMs ?? 120000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr });
    });
  });
}

export async function writeScript(home: string, extra: string[] = []): Promise<string> {
  const file = path.join(home, 'nestbug-collect.sh');
  const r = await runCli(['script', ...extra, '-o', file], { home });
  assert.is(r.code, 0, r.stderr);
  return file;
}

export function manifestOf(bundle: string): Manifest {
  return readJson<Manifest>(path.join(unpack(bundle), 'manifest.json'));
}

export const statuses = (m: Manifest) =>
  m.levels.map((l) => ({ level: l.level, reached: l.reached, items: l.items.map((i) => `${i.id}=${i.status}`) }));

/** The first lines that differ, for a readable failure. */
export function lineDiff(a: string, b: string): string {
  const x = JSON.stringify(verdictJson(a), null, 1).split('\n');
  const y = JSON.stringify(verdictJson(b), null, 1).split('\n');
  const out: string[] = [];
  for (let i = 0; i < Math.max(x.length, y.length) && out.length < 6; i++)
    if (x[i] !== y[i]) out.push(`script: ${x[i]} / collect: ${y[i]}`);
  return out.join('; ');
}

/** The --json verdict without what differs by nature: the bundle's path. */
export function verdictJson(stdout: string): unknown {
  const json = JSON.parse(stdout) as Record<string, unknown>;
  delete json.bundle;
  return json;
}

/** The script's merged bundle and collect's bundle: the same exit code, items with their
 * statuses, and verdict JSON. */
export function assertParity(
  label: string,
  merged: { code: number | null; stdout: string; stderr: string; manifest: Manifest },
  collect: { code: number | null; stdout: string; manifest: Manifest },
): void {
  assert.is(
    merged.code,
    collect.code,
    `${label}: merge exit ${merged.code}, collect ${collect.code}\n${merged.stderr}`,
  );
  assert.equal(statuses(merged.manifest), statuses(collect.manifest), label);
  assert.equal(
    verdictJson(merged.stdout),
    verdictJson(collect.stdout),
    `${label}: verdict JSON: ${lineDiff(merged.stdout, collect.stdout)}`,
  );
}
