// Real guests of the other architectures KVM nests on (arm64, ppc64le, s390x), booted here
// under QEMU TCG from Debian's kernels and collected with nestbug as L1 of this machine:
// each must come out TCG, with its architecture's own items collected and checked.
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Manifest } from '../../src/bundle/manifest.ts';
import { newHome, readJson, runCli, unpack } from '../harness/cli.ts';
import {
  FOREIGN_ARCHES,
  FOREIGN_DIR,
  type ForeignGuest,
  type ForeignSet,
  startForeignGuests,
} from '../harness/foreign.ts';
import { have, isRoot } from '../harness/hosts.ts';

interface Cited {
  file: string;
  line?: number;
  text: string;
  view?: string;
}
/** The parts of `collect --json` this test reads. */
interface JsonResult {
  chain?: string;
  levels: Record<
    string,
    {
      reached: boolean;
      error?: string;
      runsOn: string;
      inside: string;
      outside: string;
      reason: string;
      evidence: Cited[];
    }
  >;
  checks: Array<{ id: string; status: string; summary: string; fix?: string; evidence: Cited[] }>;
}
interface Collected {
  guest: ForeignGuest;
  code: number | null;
  stderr: string;
  result: JsonResult;
  top: string;
  ms: number;
}
const foreign = suite<{ set?: ForeignSet; runs: Record<string, Collected> }>('foreign architectures', { runs: {} });

foreign.before(async (ctx) => {
  try {
    const t0 = Date.now();
    ctx.set = await startForeignGuests();
    const boot = Date.now() - t0;
    for (const guest of ctx.set.guests) {
      const home = newHome();
      const t1 = Date.now();
      const r = await runCli(
        [
          'collect',
          '--l0',
          'local',
          '--l1',
          `root@127.0.0.1:${guest.port}`,
          '-i',
          ctx.set.key,
          '--known-hosts',
          ctx.set.knownHosts,
          '--no-input',
          '--json',
          '-o',
          'bundle.zip',
          '--timeout',
          '60',
        ],
        { home, timeoutMs: 300000 },
      );
      // kept next to the cached images: the last run's bundles, to read when a test fails
      copyFileSync(path.join(home, 'bundle.zip'), path.join(FOREIGN_DIR, `last-${guest.arch.debian}.zip`));
      ctx.runs[guest.arch.debian] = {
        guest,
        code: r.code,
        stderr: r.stderr,
        result: JSON.parse(r.stdout),
        top: unpack(path.join(home, 'bundle.zip')),
        ms: Date.now() - t1,
      };
    }
    const boots = ctx.set.guests.map(
      (g) => `${g.arch.debian} ${g.bootMs} ms (${g.attempts} boot${g.attempts > 1 ? 's' : ''})`,
    );
    const collects = Object.entries(ctx.runs).map(([a, r]) => `${a} ${r.ms} ms`);
    console.log(
      `  foreign: build ${ctx.set.buildMs} ms, build+boot ${boot} ms (${boots.join(', ')}); collect ${collects.join(', ')}; total ${Date.now() - t0} ms`,
    );
  } catch (error) {
    console.log(`  foreign architectures: ${(error as Error).stack}`);
    throw error;
  }
});
foreign.after((ctx) => ctx.set?.stop());

const check = (result: JsonResult, id: string) => result.checks.find((c) => c.id === id);
const missing = FOREIGN_ARCHES.map((a) => a.qemu).filter((q) => !have(q));
const skip = !isRoot()
  ? 'needs root'
  : missing.length
    ? `needs ${missing.join(', ')}`
    : process.env.NESTBUG_SKIP_FOREIGN
      ? 'NESTBUG_SKIP_FOREIGN is set'
      : undefined;
if (skip) {
  console.log(`  system/foreign-arch: ${skip}; skipped`);
} else {
  foreign('each guest reached and recorded as its own architecture', ({ runs }) => {
    for (const a of FOREIGN_ARCHES) {
      const r = runs[a.debian];
      assert.ok(r, `${a.debian} collected`);
      assert.is(r.result.levels.L1.reached, true, `${a.debian}: ${r.result.levels.L1.error}\n${r.stderr}`);
      const uname = readFileSync(path.join(r.top, 'L1', 'uname.txt'), 'utf8');
      assert.match(uname, new RegExp(` ${r.guest.hostname} .* ${a.machine}`), `${a.debian}: ${uname}`);
      const manifest = readJson<Manifest>(path.join(r.top, 'manifest.json'));
      assert.equal(
        manifest.levels.map((l) => l.level),
        ['L0', 'L1'],
      );
    }
  });

  foreign('each comes out TCG, from its own evidence and from the QEMU that runs it', ({ runs }) => {
    for (const a of FOREIGN_ARCHES) {
      const l1 = runs[a.debian].result.levels.L1;
      assert.is(l1.runsOn, 'tcg', `${a.debian}: ${l1.reason}`);
      assert.is(l1.outside, 'tcg', `${a.debian} outside view`);
      // and from the guest's own files (sysinfo, device tree, boot log), not only from L0
      assert.is(
        l1.inside,
        'tcg',
        `${a.debian} inside view: ${JSON.stringify(l1.evidence.filter((e) => e.view === 'inside'))}`,
      );
      assert.ok(
        l1.evidence.some((e) => e.view === 'outside' && e.file.startsWith('L0/')),
        `${a.debian}: L0 cited`,
      );
      assert.not.match(runs[a.debian].result.chain ?? '', /KVM on/);
    }
  });

  foreign('s390x: /proc/sysinfo collected; the KVM/Linux it claims is seen through', ({ runs }) => {
    const r = runs.s390x;
    const sysinfo = readFileSync(path.join(r.top, 'L1', 'sysinfo.txt'), 'utf8');
    assert.match(sysinfo, /^VM00 Control Program:\s+KVM\/Linux/m);
    const l1 = r.result.levels.L1;
    assert.is(l1.inside, 'tcg', `inside view: ${JSON.stringify(l1.evidence.filter((e) => e.view === 'inside'))}`);
    assert.ok(l1.evidence.some((e) => e.file === 'L1/sysinfo.txt' && /QEMU|TCGguest/.test(e.text)));
    const sie = check(r.result, 'l1-virt-flag')!;
    assert.ok(sie, 'the L1 virtualization check ran');
    assert.match(sie.summary, /sie/);
    assert.ok(sie.status !== 'pass', sie.summary);
    const layers = check(r.result, 's390x-layers')!;
    assert.is(layers.status, 'warn');
    assert.match(layers.summary, /written by QEMU's emulation/);
    assert.match(readFileSync(path.join(r.top, 'summary.md'), 'utf8'), /an s390x level below is emulated, not KVM/);
  });

  foreign('ppc64le: device tree collected; pSeries emulated by QEMU; nested KVM-HV checked', ({ runs }) => {
    const r = runs.ppc64el;
    const dt = readFileSync(path.join(r.top, 'L1', 'device-tree.txt'), 'utf8');
    assert.match(dt, /^model=IBM pSeries \(emulated by qemu\)$/m);
    assert.ok(existsSync(path.join(r.top, 'L1', 'cpuinfo.txt')));
    const hv = check(r.result, 'ppc64-nested-hv')!;
    assert.ok(hv, `checks: ${r.result.checks.map((c) => c.id).join(', ')}`);
    assert.is(hv.status, 'fail');
    assert.match(hv.fix ?? '', /cap-nested-hv=on/);
    assert.ok(
      hv.evidence.some((e) => e.file === 'L1/dmesg.txt' && /does not support nesting/.test(e.text)),
      JSON.stringify(hv.evidence),
    );
    assert.ok(
      hv.evidence.some((e) => e.file === 'L0/qemu-cmdlines.txt' && /pseries/.test(e.text)),
      'the -machine option below cited',
    );
    assert.match(readFileSync(path.join(r.top, 'summary.md'), 'utf8'), /L1 \(ppc64\) cannot run KVM-HV guests/);
    assert.ok(
      r.result.levels.L1.evidence.some((e) => e.view === 'inside' && e.file === 'L1/device-tree.txt'),
      'inside view from the device tree',
    );
  });

  foreign('arm64: started at EL2 under TCG with virtualization=on; the EL2 check passes and says so', ({ runs }) => {
    const r = runs.arm64;
    const el2 = check(r.result, 'arm64-el2')!;
    assert.ok(el2, `checks: ${r.result.checks.map((c) => c.id).join(', ')}`);
    assert.is(el2.status, 'pass', el2.summary);
    assert.ok(el2.evidence.some((e) => e.file === 'L1/dmesg.txt' && /started at EL2/.test(e.text)));
    const dt = readFileSync(path.join(r.top, 'L1', 'device-tree.txt'), 'utf8');
    assert.match(dt, /^compatible=linux,dummy-virt/m);
    assert.ok(
      el2.evidence.some((e) => e.file === 'L0/qemu-cmdlines.txt' && /virtualization=on/.test(e.text)),
      'the VMM option cited',
    );
    assert.match(readFileSync(path.join(r.top, 'summary.md'), 'utf8'), /L1 \(arm64\) started at EL2/);
  });

  foreign('summaries name the architecture checks and the L1 check fails on TCG', ({ runs }) => {
    for (const a of FOREIGN_ARCHES) {
      const r = runs[a.debian];
      const summary = readFileSync(path.join(r.top, 'summary.md'), 'utf8');
      assert.match(summary, /L1 runs on TCG/, a.debian);
      assert.is(check(r.result, 'l1-on-kvm')?.status, 'fail');
      assert.ok([3, 4].includes(r.code!), `${a.debian} exit ${r.code}`);
      // an x86 L0 and a foreign L1 have nothing to compare flag by flag
      assert.is(
        check(r.result, 'l0-l1-flags'),
        undefined,
        `${a.debian}: ${JSON.stringify(check(r.result, 'l0-l1-flags'))}`,
      );
    }
  });

  foreign.run();
}
