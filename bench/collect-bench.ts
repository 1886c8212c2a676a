// Benchmark: nestbug against the manual procedure and against the transport's limit, in
// one run, on real sshd hosts on this machine, each with its own host key and hostname.
// On one of them (the L1 of the main comparison, and the first of the scale runs) the
// login shell reads this machine's real ~/.bashrc, as real hosts do; the others have an
// empty home.
//   1. manual: OpenSSH `ssh host CMD` once per item, one after the other, L0 then L1
//   2. nestbug collect for the same levels and items, to a zip
//   3. limit: one OpenSSH connection per host (ControlMaster), the same items over it,
//      as many at once as sshd's default MaxSessions (10) allows
// Also 1, 4 and 16 hosts at once, and start-up time. Results: bench/results/.
// Usage: npm run bench [-- --rounds N]      (needs root: test hosts use namespaces)
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCollectors } from '../src/collect/load-collectors.ts';
import { planCollection } from '../src/collect/plan.ts';
import { probeHost } from '../src/collect/probe.ts';
import { LocalTransport } from '../src/transport/local.ts';
import { quoteArgv } from '../src/transport/quote.ts';
import { CLIENT_KEY, HARNESS, type TestHost, startHost } from '../test/harness/hosts.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const ROUNDS = Number(args[args.indexOf('--rounds') + 1] || 5) || 5;
const SCALE = [1, 4, 16];
/** The first host's login shell reads a real ~/.bashrc; the others' do not. */
const userOf = (host: TestHost, hosts: TestHost[]) => (host === hosts[1] ? 'rootrc' : 'root');
let ALL: TestHost[] = [];
const MAX_SESSIONS = 10;

interface Stats {
  median: number;
  min: number;
  max: number;
  runs: number[];
}
const stats = (runs: number[]): Stats => {
  const s = [...runs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1], runs };
};

function exec(argv: string[], options: { stdout?: string } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = options.stdout ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'ignore', 'ignore'];
    const child = spawn(argv[0], argv.slice(1), { stdio: out as never });
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => chunks.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (options.stdout) writeFileSync(options.stdout, Buffer.concat(chunks));
      resolve(code ?? -1);
    });
  });
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
}

async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

/** The shell command text of each item nestbug would run on this kind of host. */
async function itemCommands(): Promise<Array<{ id: string; command: string }>> {
  const collectors = await loadCollectors();
  const facts = await probeHost(new LocalTransport(), collectors, { sudo: false, timeoutMs: 10000 });
  return planCollection(collectors, { level: 'L0', facts, canBeRoot: true, timeoutSeconds: 30 })
    .filter((s) => !s.skip && s.argv)
    .map((s) => ({ id: s.collector.id, command: s.collector.files ? `sh -c ${quoteArgv([`for f in ${s.collector.files}; do cat "$f"; done`])}` : quoteArgv(s.argv!) }));
}

function sshBase(host: TestHost, knownHosts: string): string[] {
  return ['ssh', '-q', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-i', CLIENT_KEY, '-p', String(host.port), `${userOf(host, ALL)}@127.0.0.1`];
}

async function manual(hosts: TestHost[], items: Array<{ id: string; command: string }>, kh: string, out: string) {
  for (const host of hosts) for (const item of items) await exec([...sshBase(host, kh), item.command], { stdout: path.join(out, `${host.name}-${item.id}.txt`) });
}

async function limit(hosts: TestHost[], items: Array<{ id: string; command: string }>, kh: string, out: string) {
  await Promise.all(hosts.map(async (host) => {
    const ctl = path.join(out, `ctl-${host.name}`);
    const base = sshBase(host, kh);
    const withCtl = [base[0], '-S', ctl, ...base.slice(1)];
    await exec([base[0], '-M', '-S', ctl, '-o', 'ControlPersist=60', '-N', '-f', ...base.slice(1)]);
    await pool(items, MAX_SESSIONS, (item) => exec([...withCtl, item.command], { stdout: path.join(out, `${host.name}-${item.id}.txt`) }));
    await exec([base[0], '-S', ctl, '-O', 'exit', ...base.slice(1)]);
  }));
}

/** One nestbug process per group of up to two hosts (L0 and L1), all at once. */
async function nestbug(groups: TestHost[][], kh: string, out: string): Promise<{ rssKb: number[]; bytes: number[] }> {
  const rssKb: number[] = [];
  const bytes: number[] = [];
  await Promise.all(groups.map(async (group, i) => {
    const zip = path.join(out, `nestbug-${i}.zip`);
    const rss = path.join(out, `rss-${i}.txt`);
    const levels = group.flatMap((h, j) => [`--l${j}`, `${userOf(h, ALL)}@127.0.0.1:${h.port}`]);
    await exec(['/usr/bin/time', '-f', '%M', '-o', rss, process.execPath, path.join(ROOT, 'bin', 'nestbug.js'), 'collect', ...levels, '-i', CLIENT_KEY, '--known-hosts', kh, '--no-input', '-q', '-o', zip]);
    rssKb.push(Number(readFileSync(rss, 'utf8').trim().split('\n').pop()));
    bytes.push(statSync(zip).size);
  }));
  return { rssKb, bytes };
}

function startupMs(argv: string[], runs = 15): Stats {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, [path.join(ROOT, 'bin', 'nestbug.js'), ...argv], { stdio: 'ignore' });
    times.push(performance.now() - t0);
  }
  return stats(times);
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error('the benchmark needs root (its sshd hosts run in namespaces)');
  spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.json')], { stdio: 'inherit' });
  const hosts: TestHost[] = [];
  for (let i = 0; i < Math.max(...SCALE); i++) hosts.push(await startHost({ name: `bench-h${i}` }));
  ALL = hosts;
  const kh = path.join(HARNESS, 'bench_known_hosts');
  writeFileSync(kh, `${hosts.map((h) => h.knownHostsLine).join('\n')}\n`);
  const items = await itemCommands();
  const work = mkdtempSync(path.join(os.tmpdir(), 'nestbug-bench-'));
  const fresh = () => {
    const d = mkdtempSync(path.join(work, 'r-'));
    return d;
  };
  const login: number[] = [];
  const loginRc: number[] = [];
  for (let i = 0; i < 5; i++) {
    login.push(await timed(() => exec([...sshBase(hosts[0], kh), 'true'])));
    loginRc.push(await timed(() => exec([...sshBase(hosts[1], kh), 'true'])));
  }
  const shellStart = stats(loginRc);
  console.error(`bench: ${items.length} items per host; ssh login: ${stats(login).median.toFixed(0)} ms, with ~/.bashrc: ${shellStart.median.toFixed(0)} ms; ${ROUNDS} rounds`);

  // L0 has a plain login shell, L1 the one reading ~/.bashrc.
  const pair = [hosts[0], hosts[1]];
  const main = { manual: [] as number[], nestbug: [] as number[], limit: [] as number[] };
  let rss: number[] = [];
  let archive: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    main.manual.push(await timed(() => manual(pair, items, kh, fresh())));
    main.nestbug.push(await timed(async () => {
      const m = await nestbug([pair], kh, fresh());
      rss = rss.concat(m.rssKb);
      archive = archive.concat(m.bytes);
    }));
    main.limit.push(await timed(() => limit(pair, items, kh, fresh())));
    console.error(`bench: round ${r + 1}: manual ${main.manual[r].toFixed(0)} ms, nestbug ${main.nestbug[r].toFixed(0)} ms, limit ${main.limit[r].toFixed(0)} ms`);
  }

  const scale: Record<number, { manual: Stats; nestbug: Stats; limit: Stats }> = {};
  const scaleRounds = Math.max(1, Math.min(ROUNDS, 3));
  for (const n of SCALE) {
    // Always including the host whose ~/.bashrc runs.
    const group = [hosts[1], hosts[0], ...hosts.slice(2)].slice(0, n);
    const runs = { manual: [] as number[], nestbug: [] as number[], limit: [] as number[] };
    for (let r = 0; r < scaleRounds; r++) {
      runs.manual.push(await timed(() => manual(group, items, kh, fresh())));
      runs.nestbug.push(await timed(() => nestbug(group.map((h) => [h]), kh, fresh())));
      runs.limit.push(await timed(() => limit(group, items, kh, fresh())));
    }
    scale[n] = { manual: stats(runs.manual), nestbug: stats(runs.nestbug), limit: stats(runs.limit) };
    console.error(`bench: ${n} hosts: manual ${scale[n].manual.median.toFixed(0)} ms, nestbug ${scale[n].nestbug.median.toFixed(0)} ms, limit ${scale[n].limit.median.toFixed(0)} ms`);
  }
  const startup = { version: startupMs(['--version']), help: startupMs(['--help']) };
  for (const h of hosts) await h.stop();
  rmSync(work, { recursive: true, force: true });

  const m = { manual: stats(main.manual), nestbug: stats(main.nestbug), limit: stats(main.limit) };
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  const result = {
    date: new Date().toISOString(),
    machine: { cpu, cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), kernel: os.release(), node: process.version },
    method: { rounds: ROUNDS, scaleRounds, itemsPerHost: items.length, sshLoginMs: stats(login).median, sshLoginWithBashrcMs: shellStart.median, maxSessions: MAX_SESSIONS },
    l0l1: m,
    ratios: { manualOverNestbug: m.manual.median / m.nestbug.median, nestbugOverLimit: m.nestbug.median / m.limit.median },
    nestbug: { peakRssMiB: Math.max(...rss) / 1024, archiveBytes: Math.max(...archive) },
    scale,
    scaleRatio16over1: scale[16].nestbug.median / scale[1].nestbug.median,
    startup: { versionMs: startup.version.median, helpMs: startup.help.median },
  };
  const stamp = result.date.slice(0, 10);
  mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
  const base = path.join(ROOT, 'bench', 'results', `${stamp}-${os.hostname()}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  const f = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const row = (name: string, s: Stats) => `| ${name} | ${f(s.median)} | ${f(s.min)} - ${f(s.max)} |`;
  const md = [
    `# nestbug benchmark, ${stamp}`,
    '',
    `Machine: ${cpu}, ${result.machine.cores} cores, ${result.machine.memoryGiB} GiB, Linux ${result.machine.kernel}, Node ${process.version}.`,
    `Hosts: real OpenSSH sshd on loopback, each in its own namespaces and with its own host key. L1 (and the first host of the scale runs) logs in to a bash that reads this machine's ~/.bashrc (ssh login ${stats(login).median.toFixed(0)} ms; with that ~/.bashrc ${shellStart.median.toFixed(0)} ms). ${items.length} items per host; ${ROUNDS} rounds (scale: ${scaleRounds}); medians, min - max.`,
    '',
    '## L0 + L1',
    '',
    '| method | median | min - max |',
    '|---|---|---|',
    row('manual: ssh host CMD per item, one after the other', m.manual),
    row('nestbug collect, to a zip', m.nestbug),
    row('limit: ControlMaster, 10 sessions at once', m.limit),
    '',
    `nestbug is **${result.ratios.manualOverNestbug.toFixed(1)}x faster** than the manual procedure and takes **${result.ratios.nestbugOverLimit.toFixed(2)}x** the limit. Peak memory of nestbug: ${result.nestbug.peakRssMiB.toFixed(0)} MiB; archive: ${(result.nestbug.archiveBytes / 1024).toFixed(0)} KiB.`,
    '',
    '## Hosts at once (one nestbug per host, all started together)',
    '',
    '| hosts | manual | nestbug | limit |',
    '|---|---|---|---|',
    ...SCALE.map((n) => `| ${n} | ${f(scale[n].manual.median)} | ${f(scale[n].nestbug.median)} | ${f(scale[n].limit.median)} |`),
    '',
    `16 hosts take ${result.scaleRatio16over1.toFixed(2)}x the time of one.`,
    '',
    `Start-up: \`nestbug --version\` ${startup.version.median.toFixed(0)} ms, \`nestbug --help\` ${startup.help.median.toFixed(0)} ms (median of 15).`,
    '',
  ].join('\n');
  writeFileSync(`${base}.md`, md);
  console.log(md);
}

main().catch((error) => {
  console.error(`bench: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
