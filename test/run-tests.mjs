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

/** A step before the tests: when it fails, the run fails with a closing line CI can read. */
function mustPass(what, args) {
  const step = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (step.status !== 0) {
    console.log('0 passed, 1 failed, 0 skipped');
    console.error(`${what} failed`);
    process.exit(1);
  }
}

// The whole run also checks the tree: format and lint (biome), dead code (knip).
if (pattern === '') {
  mustPass('the format and lint check (npm run lint)', [
    path.join(root, 'node_modules/@biomejs/biome/bin/biome'),
    'check',
    '.',
  ]);
  mustPass('the dead-code check (npm run deadcode)', [path.join(root, 'node_modules/knip/bin/knip.js')]);
}
// The CLI under test is the built one; the tests themselves are type-checked too.
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
for (const config of ['tsconfig.json', 'tsconfig.test.json']) {
  mustPass(`the TypeScript build (${config})`, [tsc, '-p', path.join(root, config)]);
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
