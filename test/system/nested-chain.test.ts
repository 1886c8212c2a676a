// The reason nestbug exists, on a real chain: L0 (this machine) runs L1 under TCG with
// libvirt type='qemu'; L1 runs L2 with type='kvm' on its emulated CPU. nestbug must say
// "KVM on TCG" from both views, fail the L1 check with its fix, and see L2 on KVM.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Manifest } from '../../src/bundle/manifest.ts';
import { type Chain, startChain } from '../harness/chain.ts';
import { newHome, readJson, runCli, unpack } from '../harness/cli.ts';
import { have, isRoot } from '../harness/hosts.ts';
import { skipTest } from '../harness/skip.ts';

const chain = suite<{
  chain?: Chain; // biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON output, read field by field by the assertions
  result?: any;
  top?: string;
  code?: number | null;
  stderr?: string;
}>('nested chain');

chain.before(async (ctx) => {
  try {
    await bringUpAndCollect(ctx);
  } catch (error) {
    // uvu counts every test of the suite as failed but prints nothing of a failing hook
    console.log(`  nested chain: ${(error as Error).stack}`);
    throw error;
  }
});

async function bringUpAndCollect(ctx: {
  chain?: Chain;
  // biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON output, read field by field by the assertions
  result?: any;
  top?: string;
  code?: number | null;
  stderr?: string;
}) {
  ctx.chain = await startChain();
  console.log(`  chain up: ${JSON.stringify(ctx.chain.timings)}`);
  const home = newHome();
  const r = await runCli(
    [
      'collect',
      '--l0',
      'local',
      '--l1',
      `root@127.0.0.1:${ctx.chain.l1Port}`,
      '--l2',
      'root@127.0.0.1:2222',
      '--l2-jump',
      'l1',
      '-i',
      ctx.chain.key,
      '--known-hosts',
      ctx.chain.knownHosts,
      '--no-input',
      '--json',
      '-o',
      'chain.zip',
      '--timeout',
      '120',
    ],
    { home, timeoutMs: 600000 },
  );
  ctx.code = r.code;
  ctx.stderr = r.stderr;
  ctx.result = JSON.parse(r.stdout);
  ctx.top = unpack(path.join(home, 'chain.zip'));
}
chain.after(async (ctx) => {
  await ctx.chain?.stop();
});

const skip = !isRoot()
  ? 'needs root'
  : !have('qemu-system-x86_64') || !have('libvirtd')
    ? 'needs qemu-system-x86 and libvirt'
    : process.env.NESTBUG_SKIP_CHAIN
      ? 'NESTBUG_SKIP_CHAIN is set'
      : undefined;
if (skip) {
  skipTest('system/nested-chain', skip);
} else {
  chain('every level reached; the bundle holds L0, L1 and L2', ({ result, top, stderr }) => {
    for (const level of ['L0', 'L1', 'L2'])
      assert.is(result.levels[level].reached, true, `${level}: ${result.levels[level].error}\n${stderr}`);
    const manifest = readJson<Manifest>(path.join(top!, 'manifest.json'));
    assert.equal(
      manifest.levels.map((l) => l.level),
      ['L0', 'L1', 'L2'],
    );
    for (const [level, name] of [
      ['L1', 'l1-nested'],
      ['L2', 'l2-nested'],
    ]) {
      const text = readFileSync(path.join(top!, level, 'uname.txt'), 'utf8');
      const item = manifest.levels.find((l) => l.level === level)!.items.find((i) => i.id === 'uname');
      assert.ok(
        text.includes(` ${name} `),
        `${level}/uname.txt is ${JSON.stringify(text)}; manifest: ${JSON.stringify(item)}`,
      );
    }
    assert.is(manifest.levels[2].via, 'L1');
  });

  chain('L1 runs on TCG, from both views', ({ result, chain: c }) => {
    const l1 = result.levels.L1;
    assert.is(l1.runsOn, 'tcg');
    assert.is(l1.inside, 'tcg', 'inside view');
    assert.is(l1.outside, 'tcg', 'outside view');
    const outside = l1.evidence.filter((e: { view: string }) => e.view === 'outside');
    assert.ok(
      outside.some((e: { file: string }) => e.file.startsWith('L0/')),
      'outside evidence comes from L0',
    );
    assert.ok(
      outside.some(
        (e: { file: string; text: string }) => e.file === 'L0/domains.txt' || e.file.startsWith('L0/libvirt/'),
      ),
      'libvirt domain XML or log cited',
    );
    assert.ok(
      l1.evidence.some(
        (e: { view: string; text: string }) => e.view === 'inside' && /TCGTCGTCGTCG|QEMU without KVM|qemu/.test(e.text),
      ),
      'L1 own evidence cited',
    );
    assert.match(l1.reason, new RegExp(c!.l1Domain));
  });

  chain('L2 runs on KVM (provided by L1), and L1 runs its guests on KVM', ({ result }) => {
    assert.is(result.levels.L2.runsOn, 'kvm');
    assert.is(result.levels.L2.outside, 'kvm');
    const guests = result.checks.find((c: { id: string }) => c.id === 'l1-guests-on-kvm');
    assert.is(guests.status, 'pass');
  });

  chain('the L1 check fails with its fix; exit code says a check failed', ({ result, code }) => {
    const check = result.checks.find((c: { id: string }) => c.id === 'l1-on-kvm');
    assert.is(check.status, 'fail');
    assert.match(check.fix, /type='kvm'/);
    assert.ok(check.evidence.length > 0);
    assert.is(result.checks[0].status, 'fail', 'failed checks come first');
    assert.ok([3, 4].includes(code!), `exit ${code}`);
  });

  chain('the summary says "KVM on TCG" in its first lines, never KVM on KVM', ({ top }) => {
    const summary = readFileSync(path.join(top!, 'summary.md'), 'utf8');
    // A GitHub alert: the plain sentence, the chain's name, then the failed checks by title.
    const head = summary.split('\n').slice(0, 6).join('\n');
    assert.match(head, /^> \[!CAUTION\]\n/);
    assert.match(head, /^> Nested virtualization setup: KVM on TCG\b/m);
    assert.match(head, /L1 is not on KVM: it runs on TCG/);
    assert.not.match(head, /KVM on KVM/);
    assert.match(summary, /```mermaid/);
    assert.match(summary, /Plain text: `L0 .* -> L1 \(TCG/);
    assert.ok(Buffer.byteLength(summary) < 60 * 1024);
  });

  chain('L0 holds the command line and libvirt log that started L1', ({ top, chain: c }) => {
    const cmdlines = readFileSync(path.join(top!, 'L0', 'qemu-cmdlines.txt'), 'utf8');
    assert.match(cmdlines, new RegExp(`guest=${c!.l1Domain}`));
    assert.match(cmdlines, /^-accel\ntcg$/m);
    const logs = readFileSync(path.join(top!, 'L0', 'libvirt-qemu-logs.txt'), 'utf8');
    assert.match(logs, new RegExp(`==> ${c!.l1Domain} `));
    assert.match(readFileSync(path.join(top!, 'L0', 'libvirt', `${c!.l1Domain}.log`), 'utf8'), /starting up/);
    assert.match(readFileSync(path.join(top!, 'L1', 'domains.txt'), 'utf8'), /<domain type='kvm'/);
  });

  chain.run();
}
