// Benchmark of the support and fleet workflows, side by side in one run on this machine:
//   1. `sh nestbug-collect.sh --level L1` against `nestbug collect --l1 local` (target:
//      the script within 1.2x), alternating, medians of N rounds;
//   2. ansible/collect.yml over 1 chain and over 16 chains (L0 and L1 sshd hosts in
//      network namespaces, L1 through L0), with the CPU time the whole machine spent (the
//      simulated hosts share its cores: that is the bound), and the controller's CPU for
//      merging, per chain (nestbug fleet-report run again on the 16-chain output).
// Results: bench/results/<date>-<host>-fleet.json and .md.
// Usage: npm run bench:fleet [-- --rounds N]      (root: namespaces; needs ansible-playbook)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chainName, createChainNets, fleetInventory } from '../test/harness/fleet-net.ts';
import { HARNESS, startHost, type TestHost, writeKnownHosts } from '../test/harness/hosts.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const ROUNDS = Number(args[args.indexOf('--rounds') + 1] || 3) || 3;
const ITEM_TIMEOUT = '15';
const FORKS = '8';
const CHAINS = 16;

function machineCpuMs(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + (fields[4] ?? 0);
  const total = fields.reduce((a, b) => a + b, 0);
  return ((total - idle) * 1000) / 100;
}

/** Runs a command; wall time, the machine's busy CPU time, and the command's own CPU time
 * (user + system of it and its children, from bash's `time`). */
function measure(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
  cwd?: string,
): Promise<{ code: number; wallMs: number; machineCpuMs: number; ownCpuMs: number; out: string }> {
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const cpu0 = machineCpuMs();
    const t0 = performance.now();
    const child = spawn('bash', ['-c', `TIMEFORMAT='NBTIME %U %S'; time ${quoted} >"$NB_OUT" 2>&1`], {
      cwd,
      env: { ...process.env, ...env, NB_OUT: path.join(HARNESS, `bench-${process.pid}.out`) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const m = /NBTIME ([\d.]+) ([\d.]+)/.exec(err);
      const out = readFileSync(path.join(HARNESS, `bench-${process.pid}.out`), 'utf8');
      resolve({
        code: code ?? -1,
        wallMs: performance.now() - t0,
        machineCpuMs: machineCpuMs() - cpu0,
        ownCpuMs: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN,
        out,
      });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const nestbug = (...a: string[]) => [process.execPath, path.join(ROOT, 'bin', 'nestbug.js'), ...a];

async function scriptVsCollect(dir: string) {
  const script = path.join(dir, 'nestbug-collect.sh');
  await measure(nestbug('script', '-o', script));
  const collect: number[] = [];
  const sh: number[] = [];
  const shCpu: number[] = [];
  const collectCpu: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const c = await measure(
      nestbug(
        'collect',
        '--l1',
        'local',
        '--timeout',
        ITEM_TIMEOUT,
        '--no-input',
        '-q',
        '-o',
        path.join(dir, `c${r}.zip`),
      ),
    );
    const x = await measure([
      'sh',
      script,
      '--level',
      'L1',
      '--timeout',
      ITEM_TIMEOUT,
      '-o',
      path.join(dir, `s${r}.tar.gz`),
    ]);
    collect.push(c.wallMs);
    collectCpu.push(c.ownCpuMs);
    sh.push(x.wallMs);
    shCpu.push(x.ownCpuMs);
    console.error(`round ${r + 1}: collect ${s(c.wallMs)}, script ${s(x.wallMs)}`);
  }
  return {
    collectMs: median(collect),
    scriptMs: median(sh),
    ratio: median(sh) / median(collect),
    collectCpuMs: median(collectCpu),
    scriptCpuMs: median(shCpu),
    collectRuns: collect,
    scriptRuns: sh,
  };
}

async function playbook(chains: number, nets: ReturnType<typeof createChainNets>, hosts: TestHost[], dir: string) {
  const home = mkdtempSync(path.join(dir, `pb${chains}-`));
  const kh = writeKnownHosts(path.join(home, 'known_hosts'), hosts);
  const inv = path.join(home, 'inventory.yml');
  writeFileSync(inv, fleetInventory(nets.chains.slice(0, chains), kh, ITEM_TIMEOUT));
  const out = path.join(home, 'out');
  const env = { HOME: home, ANSIBLE_NOCOLOR: '1', ANSIBLE_PIPELINING: 'True', ANSIBLE_RETRY_FILES_ENABLED: 'False' };
  const run = await measure(
    ['ansible-playbook', '-i', inv, path.join(ROOT, 'ansible', 'collect.yml'), '-e', `nestbug_out=${out}`, '-f', FORKS],
    env,
    home,
  );
  if (!existsSync(path.join(out, 'fleet.json')))
    throw new Error(`ansible-playbook (exit ${run.code}) wrote no fleet.json:\n${run.out.slice(-3000)}`);
  const report = JSON.parse(readFileSync(path.join(out, 'fleet.json'), 'utf8')) as {
    chains: Array<{ exitCode: number; partial: boolean }>;
  };
  // The controller's merging alone, again on the same archives.
  const merge = await measure(nestbug('fleet-report', '--hosts', path.join(out, 'hosts.json'), '--out', out));
  return {
    chains,
    hosts: 2 * chains,
    wallMs: run.wallMs,
    machineCpuMs: run.machineCpuMs,
    cpuBoundMs: run.machineCpuMs / os.availableParallelism(),
    controllerAnsibleCpuMs: run.ownCpuMs,
    mergeWallMs: merge.wallMs,
    mergeCpuMs: merge.ownCpuMs,
    mergeCpuPerChainMs: merge.ownCpuMs / chains,
    partialChains: report.chains.filter((c) => c.partial).length,
    exit: run.code,
  };
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error('run as root (the sshd hosts use namespaces)');
  const dir = mkdtempSync(path.join(HARNESS, 'fleet-bench-'));
  console.error(`script vs collect, ${ROUNDS} rounds ...`);
  const local = await scriptVsCollect(dir);
  console.error('starting 32 sshd hosts in network namespaces ...');
  const nets = createChainNets(CHAINS);
  const hosts: TestHost[] = [];
  try {
    for (const n of nets.chains) {
      hosts.push(
        await startHost({ name: `b${chainName(n.index)}-l0`, netns: n.l0, address: n.l0Address, isolated: true }),
      );
      hosts.push(
        await startHost({ name: `b${chainName(n.index)}-l1`, netns: n.l1, address: n.l1Address, isolated: true }),
      );
    }
    console.error('ansible-playbook over 1 chain ...');
    const one = await playbook(1, nets, hosts, dir);
    console.error(`  ${s(one.wallMs)}; over ${CHAINS} chains ...`);
    const many = await playbook(CHAINS, nets, hosts, dir);
    console.error(`  ${s(many.wallMs)}`);
    const result = {
      date: new Date().toISOString(),
      machine: {
        host: os.hostname(),
        cpus: os.availableParallelism(),
        rounds: ROUNDS,
        itemTimeout: Number(ITEM_TIMEOUT),
        forks: Number(FORKS),
      },
      scriptVsCollect: local,
      ansible: { one, many, ratio: many.wallMs / one.wallMs, ratioToCpuBound: many.wallMs / many.cpuBoundMs },
    };
    const name = `${result.date.slice(0, 10)}-${os.hostname()}-fleet`;
    mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(path.join(ROOT, 'bench', 'results', `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
    const md = [
      `# nestbug fleet benchmark, ${result.date} (${result.machine.cpus} CPUs, ${ROUNDS} rounds, item timeout ${ITEM_TIMEOUT} s, ${FORKS} forks)`,
      '',
      '| | result | target |',
      '|---|---|---|',
      `| \`sh nestbug-collect.sh\` vs \`nestbug collect --l1 local\` | ${s(local.scriptMs)} vs ${s(local.collectMs)}: **${local.ratio.toFixed(2)}x** (CPU ${s(local.scriptCpuMs)} vs ${s(local.collectCpuMs)}) | at most 1.2x |`,
      `| ansible-playbook, 1 chain (2 hosts) | ${s(one.wallMs)}; machine CPU ${s(one.machineCpuMs)} | |`,
      `| ansible-playbook, ${CHAINS} chains (${2 * CHAINS} hosts) | ${s(many.wallMs)}: **${result.ansible.ratio.toFixed(1)}x** one chain; machine CPU ${s(many.machineCpuMs)}, so no method finishes under ${s(many.cpuBoundMs)} here (${result.ansible.ratioToCpuBound.toFixed(2)}x that bound) | |`,
      `| controller CPU in ansible-playbook (${CHAINS} chains) | ${s(many.controllerAnsibleCpuMs)} | |`,
      `| controller CPU for merging, per chain | ${s(many.mergeCpuPerChainMs)} (${CHAINS} chains: ${s(many.mergeCpuMs)} CPU, ${s(many.mergeWallMs)} wall) | |`,
      '',
    ].join('\n');
    writeFileSync(path.join(ROOT, 'bench', 'results', `${name}.md`), md);
    console.log(md);
  } finally {
    for (const h of hosts) await h.stop();
    nets.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`fleet bench: ${(error as Error).message}`);
    process.exit(1);
  },
);
