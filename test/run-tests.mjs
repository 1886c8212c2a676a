#!/usr/bin/env node
// Builds, runs the uvu suites and ends with the line CI reads: "N passed, N failed".
// uvu prints no failed count and exits 0 when no file matched, so both are checked here.
// Usage: npm test [-- PATTERN]   (PATTERN filters test files, e.g. unit or integration/ssh)
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pattern = process.argv[2] ?? '';

// The CLI under test is the built one; the tests themselves are type-checked too.
for (const config of ['tsconfig.json', 'tsconfig.test.json']) {
  const build = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, config)], { stdio: 'inherit' });
  if (build.status !== 0) {
    console.log('0 passed, 1 failed');
    console.error(`the TypeScript build failed (${config})`);
    process.exit(1);
  }
}

const filter = `${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&')}.*\\.test\\.ts$`;
const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'node_modules/uvu/bin.js'), 'test', filter, '--no-color'], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, NO_COLOR: '1' },
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
  if (Number.isNaN(total)) {
    console.log(`0 passed, 1 failed`);
    console.error(`the test run ended without a summary (exit ${code ?? signal})`);
    process.exit(1);
  }
  const failed = total - passed - (Number.isNaN(skipped) ? 0 : skipped);
  console.log(`${passed} passed, ${failed} failed`);
  if (total === 0) {
    console.error('no test ran');
    process.exit(1);
  }
  process.exit(failed > 0 || code !== 0 ? 1 : 0);
});
