// Benchmark: nestbug against the manual procedure and against the transport's limit, in
// one run, on real sshd hosts on this machine, each with its own host key and hostname.
// On one of them (the L1 of the main comparison, and the first of the scale runs) the
// login shell reads this machine's real ~/.bashrc, as real hosts do; the others have an
// empty home.
//   1. manual: OpenSSH `ssh host CMD` once per item, one after the other, L0 then L1
//   2. nestbug collect for the same levels and items, to a zip
//   3. limit: one OpenSSH connection per host (ControlMaster), the same items over it,
//      as many at once as sshd's default MaxSessions (10) allows
// Also 1, 4 and 16 hosts at once (with the CPU time the whole machine spent, since the
// simulated hosts share its cores), the load on each host (sshd sessions, login-shell
// starts, from sshd's VERBOSE log), one 500 MB item (peak memory, bytes checked), and
// start-up time. Results: bench/results/.
// Usage: npm run bench [-- --rounds N]      (needs root: test hosts use namespaces)

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCollectors } from '../src/collect/load-collectors.ts';
import { planCollection } from '../src/collect/plan.ts';
import { probeHost } from '../src/collect/probe.ts';
import { LocalTransport } from '../src/transport/local.ts';
import { quoteArgv } from '../src/transport/quote.ts';
import { CLIENT_KEY, HARNESS, startHost, type TestHost } from '../test/harness/hosts.ts';

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

/** sshd sessions (each one a login shell) in a host's log since `from`, and the most open at once. */
function sessionsSince(host: TestHost, from: number): { sessions: number; peak: number } {
  const text = readFileSync(host.log).subarray(from).toString('utf8');
  // A session ends with "Close session: ... port P id N", or with its connection
  // ("Disconnected from ... port P", "Connection closed by ... port P").
  const open = new Set<string>();
  let peak = 0;
  let sessions = 0;
  for (const line of text.split('\n')) {
    const started = /Starting session: .* port (\d+) id (\d+)/.exec(line);
    const closed = /Close session: .* port (\d+) id (\d+)/.exec(line);
    const gone = /(?:Disconnected from|Connection closed by|Received disconnect from) .*port (\d+)/.exec(line);
    if (started) {
      sessions++;
      open.add(`${started[1]}/${started[2]}`);
      peak = Math.max(peak, open.size);
    } else if (closed) open.delete(`${closed[1]}/${closed[2]}`);
    else if (gone) for (const key of [...open]) if (key.startsWith(`${gone[1]}/`)) open.delete(key);
  }
  return { sessions, peak };
}
const logSize = (host: TestHost) => statSync(host.log).size;

/** CPU time the whole machine spent (all cores, user + system + irq), in ms. */
function machineCpuMs(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7];
  return (busy * 1000) / 100; // USER_HZ
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
}

async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/** The shell command text of each item nestbug would run on this kind of host. */
async function itemCommands(): Promise<Array<{ id: string; command: string }>> {
  const collectors = await loadCollectors();
  const facts = await probeHost(new LocalTransport(), collectors, { sudo: false, timeoutMs: 10000 });
  return planCollection(collectors, { level: 'L0', facts, canBeRoot: true, timeoutSeconds: 30 })
    .filter((s) => !s.skip && s.argv)
    .map((s) => ({
      id: s.collector.id,
      command: s.collector.files
        ? `sh -c ${quoteArgv([`for f in ${s.collector.files}; do cat "$f"; done`])}`
        : quoteArgv(s.argv!),
    }));
}

function sshBase(host: TestHost, knownHosts: string): string[] {
  return [
    'ssh',
    '-q',
    '-o',
    'BatchMode=yes',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-i',
    CLIENT_KEY,
    '-p',
    String(host.port),
    `${userOf(host, ALL)}@127.0.0.1`,
  ];
}

async function manual(hosts: TestHost[], items: Array<{ id: string; command: string }>, kh: string, out: string) {
  for (const host of hosts)
    for (const item of items)
      await exec([...sshBase(host, kh), item.command], { stdout: path.join(out, `${host.name}-${item.id}.txt`) });
}

async function limit(hosts: TestHost[], items: Array<{ id: string; command: string }>, kh: string, out: string) {
  await Promise.all(
    hosts.map(async (host) => {
      const ctl = path.join(out, `ctl-${host.name}`);
      const base = sshBase(host, kh);
      const withCtl = [base[0], '-S', ctl, ...base.slice(1)];
      await exec([base[0], '-M', '-S', ctl, '-o', 'ControlPersist=60', '-N', '-f', ...base.slice(1)]);
      await pool(items, MAX_SESSIONS, (item) =>
        exec([...withCtl, item.command], { stdout: path.join(out, `${host.name}-${item.id}.txt`) }),
      );
      await exec([base[0], '-S', ctl, '-O', 'exit', ...base.slice(1)]);
    }),
  );
}

/** One nestbug process per group of up to two hosts (L0 and L1), all at once. */
async function nestbug(
  groups: TestHost[][],
  kh: string,
  out: string,
  extra: string[] = [],
): Promise<{ rssKb: number[]; bytes: number[]; cpuMs: number[]; zips: string[] }> {
  const rssKb: number[] = [];
  const bytes: number[] = [];
  const cpuMs: number[] = [];
  const zips: string[] = [];
  await Promise.all(
    groups.map(async (group, i) => {
      const zip = path.join(out, `nestbug-${i}.zip`);
      const rss = path.join(out, `rss-${i}.txt`);
      const levels = group.flatMap((h, j) => [`--l${j}`, `${userOf(h, ALL)}@127.0.0.1:${h.port}`]);
      await exec([
        '/usr/bin/time',
        '-f',
        '%M %U %S',
        '-o',
        rss,
        process.execPath,
        path.join(ROOT, 'bin', 'nestbug.js'),
        'collect',
        ...levels,
        '-i',
        CLIENT_KEY,
        '--known-hosts',
        kh,
        '--no-input',
        '-q',
        '-o',
        zip,
        ...extra,
      ]);
      const [kb, user, sys] = readFileSync(rss, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      rssKb.push(kb);
      cpuMs.push((user + sys) * 1000);
      bytes.push(statSync(zip).size);
      zips.push(zip);
    }),
  );
  return { rssKb, bytes, cpuMs, zips };
}

const BIG_BYTES = 500_000_000;
// Pseudo-random (AES-CTR over zeros, so it does not compress away) and reproducible here.
const BIG_SCRIPT = `head -c ${BIG_BYTES} /dev/zero | openssl enc -aes-128-ctr -nosalt -K ${'0'.repeat(32)} -iv ${'0'.repeat(32)}`;

/** One item printing 500 MB: nestbug's peak RSS, and whether the bundle holds exactly those bytes. */
async function bigItem(host: TestHost, kh: string, out: string) {
  const file = path.join(out, 'big.yaml');
  writeFileSync(
    file,
    [
      '- id: big-output',
      '  title: 500 MB of pseudo-random bytes (benchmark)',
      `  script: ${JSON.stringify(BIG_SCRIPT)}`,
      '  timeout: 600',
      '  slow: true',
      '',
    ].join('\n'),
  );
  const expected = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    const child = spawn('sh', ['-c', BIG_SCRIPT], { stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.on('data', (d: Buffer) => expected.update(d));
    child.on('error', reject);
    child.on('close', () => resolve());
  });
  const want = expected.digest('hex');
  let result!: Awaited<ReturnType<typeof nestbug>>;
  const wallMs = await timed(async () => {
    result = await nestbug([[host]], kh, out, ['--collectors', file, '--max-output', '600M', '--timeout', '600']);
  });
  const zip = result.zips[0];
  const listing = spawnSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).stdout.split('\n');
  const entry = listing.find((l) => l.endsWith('/L0/big-output.txt'));
  const manifest = JSON.parse(
    spawnSync('unzip', ['-p', zip, listing.find((l) => l.endsWith('/manifest.json'))!], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    }).stdout,
  );
  const item = manifest.levels[0].items.find((i: { id: string }) => i.id === 'big-output');
  const got = entry
    ? spawnSync('sh', ['-c', `unzip -p ${quoteArgv([zip, entry])} | sha256sum`], { encoding: 'utf8' }).stdout.split(
        ' ',
      )[0]
    : '';
  return {
    wallMs,
    peakRssKb: result.rssKb[0],
    archiveBytes: result.bytes[0],
    itemStatus: item?.status,
    itemBytes: item?.bytes,
    byteCorrect: got === want && item?.sha256 === want,
  };
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
  spawnSync(
    process.execPath,
    [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.json')],
    { stdio: 'inherit' },
  );
  const hosts: TestHost[] = [];
  for (let i = 0; i < Math.max(...SCALE); i++)
    hosts.push(await startHost({ name: `bench-h${i}`, logLevel: 'VERBOSE' }));
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
  console.error(
    `bench: ${items.length} items per host; ssh login: ${stats(login).median.toFixed(0)} ms, with ~/.bashrc: ${shellStart.median.toFixed(0)} ms; ${ROUNDS} rounds`,
  );

  // L0 has a plain login shell, L1 the one reading ~/.bashrc.
  const pair = [hosts[0], hosts[1]];
  const main = { manual: [] as number[], nestbug: [] as number[], limit: [] as number[] };
  let rss: number[] = [];
  let archive: number[] = [];
  let ownCpu: number[] = [];
  // Per method: sshd sessions (= login-shell starts) and the most open at once, per host.
  const load: Record<string, { sessions: number; peak: number }[]> = {};
  const measureLoad = async (name: string, work: () => Promise<unknown>) => {
    const from = pair.map(logSize);
    const ms = await timed(work);
    await new Promise((r) => setTimeout(r, 200)); // the last "Close session" lines
    load[name] = pair.map((h, i) => sessionsSince(h, from[i]));
    return ms;
  };
  for (let r = 0; r < ROUNDS; r++) {
    main.manual.push(await measureLoad('manual', () => manual(pair, items, kh, fresh())));
    main.nestbug.push(
      await measureLoad('nestbug', async () => {
        const m = await nestbug([pair], kh, fresh());
        rss = rss.concat(m.rssKb);
        archive = archive.concat(m.bytes);
        ownCpu = ownCpu.concat(m.cpuMs);
      }),
    );
    main.limit.push(await measureLoad('limit', () => limit(pair, items, kh, fresh())));
    console.error(
      `bench: round ${r + 1}: manual ${main.manual[r].toFixed(0)} ms, nestbug ${main.nestbug[r].toFixed(0)} ms, limit ${main.limit[r].toFixed(0)} ms`,
    );
  }

  const scale: Record<
    number,
    { manual: Stats; nestbug: Stats; limit: Stats; machineCpuMs: Stats; nestbugCpuMs: Stats }
  > = {};
  const scaleRounds = Math.max(1, Math.min(ROUNDS, 3));
  for (const n of SCALE) {
    // Always including the host whose ~/.bashrc runs.
    const group = [hosts[1], hosts[0], ...hosts.slice(2)].slice(0, n);
    const runs = {
      manual: [] as number[],
      nestbug: [] as number[],
      limit: [] as number[],
      machineCpu: [] as number[],
      nestbugCpu: [] as number[],
    };
    for (let r = 0; r < scaleRounds; r++) {
      runs.manual.push(await timed(() => manual(group, items, kh, fresh())));
      const cpu0 = machineCpuMs();
      runs.nestbug.push(
        await timed(async () => {
          const m = await nestbug(
            group.map((h) => [h]),
            kh,
            fresh(),
          );
          runs.nestbugCpu.push(m.cpuMs.reduce((a, b) => a + b, 0));
        }),
      );
      runs.machineCpu.push(machineCpuMs() - cpu0);
      runs.limit.push(await timed(() => limit(group, items, kh, fresh())));
    }
    scale[n] = {
      manual: stats(runs.manual),
      nestbug: stats(runs.nestbug),
      limit: stats(runs.limit),
      machineCpuMs: stats(runs.machineCpu),
      nestbugCpuMs: stats(runs.nestbugCpu),
    };
    console.error(
      `bench: ${n} hosts: manual ${scale[n].manual.median.toFixed(0)} ms, nestbug ${scale[n].nestbug.median.toFixed(0)} ms, limit ${scale[n].limit.median.toFixed(0)} ms`,
    );
  }
  const big = await bigItem(hosts[0], kh, fresh());
  console.error(
    `bench: 500 MB item: ${big.wallMs.toFixed(0)} ms, peak RSS ${(big.peakRssKb / 1024).toFixed(0)} MiB, bytes ${big.byteCorrect ? 'correct' : 'WRONG'}`,
  );
  const startup = { version: startupMs(['--version']), help: startupMs(['--help']) };
  for (const h of hosts) await h.stop();
  rmSync(work, { recursive: true, force: true });

  const m = { manual: stats(main.manual), nestbug: stats(main.nestbug), limit: stats(main.limit) };
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  const result = {
    date: new Date().toISOString(),
    machine: {
      cpu,
      cores: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      kernel: os.release(),
      node: process.version,
    },
    method: {
      rounds: ROUNDS,
      scaleRounds,
      itemsPerHost: items.length,
      sshLoginMs: stats(login).median,
      sshLoginWithBashrcMs: shellStart.median,
      maxSessions: MAX_SESSIONS,
    },
    l0l1: m,
    ratios: {
      manualOverNestbug: m.manual.median / m.nestbug.median,
      nestbugOverLimit: m.nestbug.median / m.limit.median,
    },
    nestbug: { peakRssMiB: Math.max(...rss) / 1024, archiveBytes: Math.max(...archive), ownCpuMs: stats(ownCpu) },
    hostLoad: load,
    scale,
    scaleRatio16over1: scale[16].nestbug.median / scale[1].nestbug.median,
    limitScaleRatio16over1: scale[16].limit.median / scale[1].limit.median,
    cpuBoundMs16: scale[16].machineCpuMs.median / os.cpus().length,
    bigItem: {
      bytes: BIG_BYTES,
      wallMs: big.wallMs,
      peakRssMiB: big.peakRssKb / 1024,
      archiveBytes: big.archiveBytes,
      status: big.itemStatus,
      byteCorrect: big.byteCorrect,
    },
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
    ...SCALE.map(
      (n) => `| ${n} | ${f(scale[n].manual.median)} | ${f(scale[n].nestbug.median)} | ${f(scale[n].limit.median)} |`,
    ),
    '',
    `16 hosts take ${result.scaleRatio16over1.toFixed(2)}x the time of one with nestbug, ${result.limitScaleRatio16over1.toFixed(2)}x with the limit method.`,
    '',
    '| hosts | CPU time of the whole machine during the nestbug run | of it, the nestbug processes | lower bound on wall time (machine CPU / cores) |',
    '|---|---|---|---|',
    ...SCALE.map(
      (n) =>
        `| ${n} | ${f(scale[n].machineCpuMs.median)} | ${f(scale[n].nestbugCpuMs.median)} | ${f(scale[n].machineCpuMs.median / result.machine.cores)} |`,
    ),
    '',
    `Every simulated host runs on this machine's ${result.machine.cores} cores: the hosts' own work (x86info, dmesg, lscpu, sshd, the login shells) grows with the number of hosts, so 16 hosts cannot take less than ${f(result.cpuBoundMs16)} here. On real hosts that work runs on each host's own CPUs and only the nestbug column stays on the collecting machine.`,
    '',
    '## Load on each host (L0 + L1 run; sshd VERBOSE log)',
    '',
    '| method | sshd sessions = login-shell starts (L0, L1) | most sessions open at once (L0, L1) |',
    '|---|---|---|',
    ...Object.entries(load).map(
      ([name, hs]) => `| ${name} | ${hs.map((h) => h.sessions).join(', ')} | ${hs.map((h) => h.peak).join(', ')} |`,
    ),
    '',
    `nestbug's own CPU time for L0 + L1: ${f(result.nestbug.ownCpuMs.median)} (median).`,
    '',
    '## One item printing 500 MB',
    '',
    `Collected in ${f(big.wallMs)}; peak RSS of nestbug ${result.bigItem.peakRssMiB.toFixed(0)} MiB; item ${big.itemStatus}, ${big.itemBytes} bytes; bytes in the bundle ${big.byteCorrect ? 'identical (sha256) to what the command printed' : '**differ** from what the command printed'}; archive ${(big.archiveBytes / 2 ** 20).toFixed(0)} MiB.`,
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
