// The fleet workflow for real: ansible-playbook over 16 chains of sshd hosts in network
// namespaces (L1 reachable only through its L0, as a guest is), one L1 down. The report is
// checked row by row against nestbug collect run on each chain alone.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Manifest } from '../../src/bundle/manifest.ts';
import type { ChainResult } from '../../src/fleet/report.ts';
import { newHome, runCli, unpack } from '../harness/cli.ts';
import { type ChainNet, chainName, createChainNets, fleetInventory } from '../harness/fleet-net.ts';
import { CLIENT_KEY, have, isRoot, startHost, type TestHost, writeKnownHosts } from '../harness/hosts.ts';
import { skipTest } from '../harness/skip.ts';
import { ROOT } from '../helpers.ts';

const CHAINS = 16;
/** The chain whose L1 is down. */
const DOWN = CHAINS - 1;
// As collect's default. The hosts share this machine's 2 cores: 8 forks keep an item's
// time near what it takes on a host of its own.
const ITEM_TIMEOUT = '30';
const FORKS = '8';

interface Ctx {
  nets?: { chains: ChainNet[]; remove(): void };
  hosts: TestHost[];
}
const fleet = suite<Ctx>('fleet-ansible', { hosts: [] });

fleet.before(async (ctx) => {
  if (!isRoot() || !have('ansible-playbook')) return;
  ctx.nets = createChainNets(CHAINS);
  const started: Array<Promise<TestHost>> = [];
  for (const net of ctx.nets.chains) {
    started.push(
      startHost({ name: `${chainName(net.index)}-l0`, netns: net.l0, address: net.l0Address, isolated: true }),
    );
    if (net.index !== DOWN)
      started.push(
        startHost({ name: `${chainName(net.index)}-l1`, netns: net.l1, address: net.l1Address, isolated: true }),
      );
  }
  ctx.hosts = await Promise.all(started);
});
fleet.after(async (ctx) => {
  for (const h of ctx.hosts) await h.stop();
  ctx.nets?.remove();
});

function runPlaybook(
  args: string[],
  home: string,
  timeoutMs: number,
): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('ansible-playbook', args, {
      cwd: home,
      env: {
        PATH: process.env.PATH,
        HOME: home,
        LANG: 'C.UTF-8',
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_PIPELINING: 'True',
        ANSIBLE_RETRY_FILES_ENABLED: 'False',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ansible-playbook did not finish in ${timeoutMs} ms\n${output.slice(-3000)}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}

/** What failed in a bundle, to explain a difference. */
function failedItems(bundle: string | null): string {
  if (!bundle) return 'no bundle';
  const manifest = JSON.parse(readFileSync(path.join(unpack(bundle), 'manifest.json'), 'utf8')) as Manifest;
  return (
    manifest.levels
      .flatMap((l) =>
        l.items
          .filter((i) => i.status === 'failed' || i.status === 'timed-out')
          .map((i) => `${l.level}/${i.id}: ${i.status} ${i.reason}`),
      )
      .join('; ') || 'none'
  );
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

if (!isRoot() || !have('ansible-playbook')) {
  skipTest('integration/fleet-ansible', 'needs root and ansible-playbook (ansible-core)');
} else {
  fleet(
    `ansible/collect.yml over ${CHAINS} chains with one host down: fleet.json, .md, .csv agree with collect per chain`,
    async ({ nets, hosts }) => {
      const home = newHome();
      const kh = writeKnownHosts(path.join(home, 'known_hosts'), hosts);
      const inv = path.join(home, 'inventory.yml');
      writeFileSync(inv, fleetInventory(nets!.chains, kh, ITEM_TIMEOUT));
      const out = path.join(home, 'out');
      const play = await runPlaybook(
        ['-i', inv, path.join(ROOT, 'ansible', 'collect.yml'), '-e', `nestbug_out=${out}`, '-f', FORKS],
        home,
        20 * 60000,
      );
      console.log(
        `    ansible-playbook over ${CHAINS} chains (${2 * CHAINS - 1} hosts up): ${(play.ms / 1000).toFixed(1)} s`,
      );
      // ansible-playbook's own exit status 4: some host was unreachable
      assert.is(play.code, 4, play.output.slice(-4000));
      assert.ok(
        existsSync(path.join(out, 'fleet.json')),
        `no fleet.json; playbook exit ${play.code}\n${play.output.slice(-4000)}`,
      );
      assert.match(
        play.output,
        new RegExp(`${chainName(DOWN)}-l1\\s*: ok=\\d+\\s+changed=\\d+\\s+unreachable=1`),
        'the down host is unreachable in the recap',
      );

      const report = JSON.parse(readFileSync(path.join(out, 'fleet.json'), 'utf8')) as { chains: ChainResult[] };
      assert.equal(Object.keys(report), ['chains']);
      assert.is(report.chains.length, CHAINS);
      const csv = readFileSync(path.join(out, 'fleet.csv'), 'utf8').trim().split('\n');
      assert.is(csv.length, CHAINS + 1);
      const md = readFileSync(path.join(out, 'fleet.md'), 'utf8');

      // Each chain alone, as a user would collect it, one after the other (collect over SSH
      // under heavy load can lose the end of an item's stderr, and with it a known outcome).
      const collectChain = async (n: ChainNet) => {
        const h = newHome();
        writeKnownHosts(path.join(h, '.ssh', 'known_hosts'), hosts);
        const r = await runCli(
          [
            'collect',
            '--l0',
            `root@${n.l0Address}`,
            '--l1',
            `root@${n.l1Address}`,
            '--l1-jump',
            'l0',
            '-i',
            CLIENT_KEY,
            '--timeout',
            ITEM_TIMEOUT,
            '--no-input',
            '--json',
            '-q',
            '-o',
            'b.zip',
          ],
          { home: h, timeoutMs: 300000 },
        );
        const json = JSON.parse(r.stdout) as {
          exitCode: number;
          levels: Record<string, { runsOn: string; reached?: boolean }>;
          checks: Array<{ id: string; status: string }>;
        };
        return { ...json, failedItems: failedItems(path.join(h, 'b.zip')) };
      };
      const single = await mapLimited(nets!.chains, 1, collectChain);
      const agrees = (row: ChainResult, alone: Awaited<ReturnType<typeof collectChain>>) =>
        row.exitCode === alone.exitCode &&
        JSON.stringify(row.failedChecks) ===
          JSON.stringify([...new Set(alone.checks.filter((x) => x.status === 'fail').map((x) => x.id))]) &&
        (['L0', 'L1'] as const).every((l) => row.levels[l]?.runsOn === alone.levels[l].runsOn);
      // Under this load an item of either run can fail once (a slow host): a chain that
      // differs is collected alone once more, and the difference shown.
      for (const n of nets!.chains) {
        const row = report.chains.find((r) => r.chain === chainName(n.index));
        if (row && !agrees(row, single[n.index])) {
          console.log(
            `    ${row.chain} differs from collect (fleet: ${failedItems(row.bundle)}; alone: ${single[n.index].failedItems}); collecting it alone again`,
          );
          single[n.index] = await collectChain(n);
        }
      }

      for (const n of nets!.chains) {
        const c = chainName(n.index);
        const row = report.chains.find((r) => r.chain === c);
        assert.ok(row, `${c} in fleet.json`);
        assert.equal(Object.keys(row!).sort(), ['bundle', 'chain', 'exitCode', 'failedChecks', 'levels', 'partial']);
        const alone = single[n.index];
        assert.is(
          row!.exitCode,
          alone.exitCode,
          `${c}: exit code; failed items: ${failedItems(row!.bundle)} / alone: ${alone.failedItems}`,
        );
        assert.is(row!.partial, alone.exitCode === 3, `${c}: partial`);
        assert.equal(
          row!.failedChecks,
          [...new Set(alone.checks.filter((x) => x.status === 'fail').map((x) => x.id))],
          `${c}: failed checks`,
        );
        for (const level of ['L0', 'L1'] as const) {
          assert.is(row!.levels[level]?.host, `${c}-${level.toLowerCase()}`, `${c} ${level}: host`);
          assert.is(row!.levels[level]?.runsOn, alone.levels[level].runsOn, `${c} ${level}: runs on`);
          assert.is(row!.levels[level]?.reached, alone.levels[level].reached, `${c} ${level}: reached`);
        }
        assert.ok(row!.bundle && existsSync(row!.bundle), `${c}: bundle`);
        assert.ok(existsSync(path.join(out, c, `${c}-l0-L0.tar.gz`)), `${c}: L0 archive fetched into OUT/<chain>/`);
        assert.ok(md.includes(`| \`${c}\` |`), `${c}: row in fleet.md`);
        assert.ok(
          csv.some((line) => line.startsWith(`${c},${row!.exitCode},${row!.partial},`)),
          `${c}: row in fleet.csv`,
        );
        if (n.index === DOWN) {
          assert.is(row!.partial, true);
          assert.is(row!.levels.L1!.reached, false);
          assert.match(md, new RegExp(`L1 ${c}-l1: unreachable`));
        } else {
          assert.ok(row!.levels.L0!.reached && row!.levels.L1!.reached, `${c}: unaffected by the down host`);
        }
      }
    },
  );
}

fleet.run();
