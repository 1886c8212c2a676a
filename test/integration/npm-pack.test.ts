// The package as a user installs it: `npm pack`, then `npm install -g ./nestbug-*.tgz`
// (into a private prefix), then nestbug run from an unrelated folder must find its
// collectors and its summary template.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FIXTURES, ROOT } from '../helpers.ts';

function sh(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }) {
  const r = spawnSync(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: options.timeout ?? 300000,
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

test('npm pack gives a package that npm install -g installs and that runs from any folder', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'nb-pack-test-'));
  try {
    const pack = sh('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: ROOT });
    assert.is(pack.code, 0, pack.stderr);
    const tgz = readdirSync(work).find((f) => /^nestbug-.*\.tgz$/.test(f));
    assert.ok(tgz, `no tarball in ${readdirSync(work).join(', ')}`);
    const listing = sh('tar', ['-tzf', path.join(work, tgz!)], { cwd: work }).stdout;
    for (const needed of [
      'package/bin/nestbug.js',
      'package/dist/cli.js',
      'package/collectors/cpu.yaml',
      'package/templates/summary.md',
    ]) {
      assert.ok(listing.includes(needed), `${needed} is in the package`);
    }
    assert.not.match(listing, /package\/(src|test)\//);
    const prefix = path.join(work, 'prefix');
    const install = sh('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', `./${tgz}`], {
      cwd: work,
      timeout: 600000,
    });
    assert.is(install.code, 0, install.stderr);
    const bin = path.join(prefix, 'bin', 'nestbug');
    const elsewhere = path.join(work, 'elsewhere');
    mkdirSync(elsewhere);
    const version = sh(bin, ['version'], { cwd: elsewhere });
    assert.is(version.code, 0, version.stderr);
    const collectors = sh(bin, ['collectors'], { cwd: elsewhere });
    assert.is(collectors.code, 0, collectors.stderr);
    assert.match(collectors.stdout, /^cpuinfo\s/m);
    const inspect = sh(bin, ['inspect', path.join(FIXTURES, 'corpus', 'here-l1-tcg'), '--summary'], { cwd: elsewhere });
    assert.is(inspect.code, 4, inspect.stderr);
    assert.match(inspect.stdout, /^> \[!CAUTION\]/);
    assert.match(inspect.stdout, /## Chain/);
  } finally {
    sh('rm', ['-rf', work], { cwd: os.tmpdir() });
  }
});

test.run();
