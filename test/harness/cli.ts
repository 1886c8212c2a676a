// Runs the built CLI as a user would, with its own HOME, and unpacks bundles.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers.ts';
import { HARNESS } from './hosts.ts';
import { run } from './processes.ts';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function newHome(): string {
  const home = mkdtempSync(path.join(HARNESS, 'home-'));
  mkdirSync(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
  return home;
}

export function runCli(
  args: string[],
  options: { home: string; cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; onSpawn?: (pid: number) => void },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: options.home, LANG: 'C.UTF-8', ...options.env };
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'nestbug.js'), ...args], {
      cwd: options.cwd ?? options.home,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    options.onSpawn?.(child.pid!);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nestbug ${args.join(' ')} did not finish in ${options.timeoutMs ?? 120000} ms\n${stderr}`));
    }, options.timeoutMs ?? 120000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Unpacks a bundle with the system's unzip/tar and returns its top folder. */
export function unpack(bundle: string): string {
  const dest = mkdtempSync(path.join(HARNESS, 'unpacked-'));
  if (bundle.endsWith('.zip')) run(['unzip', '-q', bundle, '-d', dest]);
  else run(['tar', '-xzf', bundle, '-C', dest]);
  const tops = readdirSync(dest);
  if (tops.length !== 1) throw new Error(`bundle has ${tops.length} top entries: ${tops.join(', ')}`);
  return path.join(dest, tops[0]);
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}
