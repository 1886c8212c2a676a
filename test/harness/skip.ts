// A test that cannot run on this machine is not registered (uvu has no skip API): it is
// reported as skipped with its reason, and test/run-tests.mjs counts it in the closing line.
import { appendFileSync } from 'node:fs';
import { test } from 'uvu';

/** Set by test/run-tests.mjs: the file where skipped tests are listed, one per line. */
export const SKIPPED_FILE_ENV = 'NESTBUG_SKIPPED_FILE';

export function skipTest(name: string, reason: string): void {
  console.log(`  SKIP ${name}: ${reason}`);
  const file = process.env[SKIPPED_FILE_ENV];
  if (file) appendFileSync(file, `${JSON.stringify({ name, reason })}\n`);
}

/** Registers the test, or reports it skipped when `cannotRun` gives a reason. */
export function testUnless(cannotRun: string | undefined, name: string, fn: () => Promise<void> | void): void {
  if (cannotRun === undefined) test(name, fn);
  else skipTest(name, cannotRun);
}
