#!/usr/bin/env node
// Builds, runs the uvu suites and ends with the line CI reads: "N passed, N failed, N skipped".
// uvu prints no failed count and exits 0 when no file matched, so both are checked here.
// Tests that cannot run on this machine list themselves in a file (test/harness/skip.ts).
// Usage: npm test [-- PATTERN]   (PATTERN filters test files, e.g. unit or integration/ssh)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pattern = process.argv[2] ?? '';

// The CLI under test is the built one; the tests themselves are type-checked too.
for (const config of ['tsconfig.json', 'tsconfig.test.json']) {
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const build = spawnSync(process.execPath, [tsc, '-p', path.join(root, config)], { stdio: 'inherit' });
  if (build.status !== 0) {
    console.log('0 passed, 1 failed, 0 skipped');
    console.error(`the TypeScript build failed (${config})`);
    process.exit(1);
  }
}

const skipDir = mkdtempSync(path.join(os.tmpdir(), 'nestbug-test-skips-'));
const skippedFile = path.join(skipDir, 'skipped.jsonl');
const filter = `${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&')}.*\\.test\\.ts$`;
const uvu = path.join(root, 'node_modules/uvu/bin.js');
const child = spawn(process.execPath, ['--import', 'tsx', uvu, 'test', filter, '--no-color'], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, NO_COLOR: '1', NESTBUG_SKIPPED_FILE: skippedFile },
});
let out = '';
child.stdout.on('data', (chunk) => {
  out += chunk;
  process.stdout.write(chunk);
});
child.on('close', (code, signal) => {
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  const num = (label) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(plain)?.[1] ?? NaN);
  const total = num('Total');
  const passed = num('Passed');
  const skipped = num('Skipped');
  let notRun = 0;
  try {
    notRun = readFileSync(skippedFile, 'utf8').split('\n').filter(Boolean).length;
  } catch {
    // no test was skipped: the file was never written
  }
  rmSync(skipDir, { recursive: true, force: true });
  if (Number.isNaN(total)) {
    console.log(`0 passed, 1 failed, ${notRun} skipped`);
    console.error(`the test run ended without a summary (exit ${code ?? signal})`);
    process.exit(1);
  }
  const failed = total - passed - (Number.isNaN(skipped) ? 0 : skipped);
  console.log(`${passed} passed, ${failed} failed, ${(Number.isNaN(skipped) ? 0 : skipped) + notRun} skipped`);
  if (total === 0 && notRun === 0) {
    console.error('no test ran');
    process.exit(1);
  }
  process.exit(failed > 0 || code !== 0 ? 1 : 0);
});
