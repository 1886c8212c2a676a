// Guests of other CPU architectures (arm64, ppc64le, s390x) under QEMU TCG on this machine,
// built from Debian packages by foreign/build.sh and reached over SSH at a forwarded port.
// Each boot is bounded and retried once (a TCG boot under load can stall), like the chain.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ROOT } from '../helpers.ts';
import { sshTo } from './chain.ts';
import { freePort } from './hosts.ts';
import { atExit, killPid, run } from './processes.ts';

/** Outside the repository: the .debs and built images are reused by later runs. */
export const FOREIGN_DIR = process.env.NESTBUG_FOREIGN_DIR ?? '/var/cache/nestbug-test/foreign';
const BUILD = path.join(ROOT, 'test', 'harness', 'foreign', 'build.sh');

export interface ForeignArch {
  /** Debian architecture name (amd64: the x86 guest of test/harness/x86-guest.ts). */
  debian: 'arm64' | 'ppc64el' | 's390x' | 'amd64';
  /** What `uname -m` says inside. */
  machine: string;
  qemu: string;
  args: string[];
  console: string;
  nic: string;
}

export const FOREIGN_ARCHES: ForeignArch[] = [
  // virtualization=on emulates EL2: the guest kernel starts at EL2 and can run KVM itself.
  {
    debian: 'arm64',
    machine: 'aarch64',
    qemu: 'qemu-system-aarch64',
    args: ['-M', 'virt,virtualization=on', '-cpu', 'max'],
    console: 'ttyAMA0',
    nic: 'virtio-net-pci',
  },
  {
    debian: 'ppc64el',
    machine: 'ppc64le',
    qemu: 'qemu-system-ppc64',
    args: ['-M', 'pseries', '-cpu', 'POWER9'],
    console: 'hvc0',
    nic: 'virtio-net-pci',
  },
  {
    debian: 's390x',
    machine: 's390x',
    qemu: 'qemu-system-s390x',
    args: ['-M', 's390-ccw-virtio', '-cpu', 'max'],
    console: 'ttysclp0',
    nic: 'virtio-net-ccw',
  },
];

export interface ForeignGuest {
  arch: ForeignArch;
  port: number;
  hostname: string;
  kernel: string;
  initrd: string;
  pidFile: string;
  pid?: number;
  bootMs: number;
  attempts: number;
  serial: string;
}

export interface ForeignSet {
  key: string;
  knownHosts: string;
  guests: ForeignGuest[];
  buildMs: number;
  stop(): void;
}

function sh(
  argv: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-20000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

function sshUp(g: ForeignGuest, key: string, knownHosts: string): boolean {
  return sshTo(g.port, key, knownHosts, 'uname -m', true, 30000).trim() === g.arch.machine;
}

async function bootOnce(g: ForeignGuest, key: string, knownHosts: string, timeoutMs: number): Promise<void> {
  const pidFile = g.pidFile;
  const a = g.arch;
  // -daemonize: QEMU returns once it runs; its pid is in the pidfile and it is killed by it.
  run(
    [
      a.qemu,
      ...a.args,
      '-accel',
      'tcg',
      '-name',
      g.hostname,
      '-m',
      '1024',
      '-smp',
      '1',
      '-kernel',
      g.kernel,
      '-initrd',
      g.initrd,
      '-append',
      `console=${a.console} panic=-1 quiet loglevel=4 nb.hostname=${g.hostname}`,
      '-netdev',
      `user,id=n0,hostfwd=tcp:127.0.0.1:${g.port}-:22`,
      '-device',
      `${a.nic},netdev=n0`,
      '-display',
      'none',
      '-serial',
      `file:${g.serial}`,
      '-monitor',
      'none',
      '-no-reboot',
      '-pidfile',
      pidFile,
      '-daemonize',
    ],
    { timeoutMs: 30000 },
  );
  g.pid = Number(readFileSync(pidFile, 'utf8').trim()) || undefined;
  const t0 = Date.now();
  await waitForSlowBanner(g.port, t0 + timeoutMs);
  while (!sshUp(g, key, knownHosts)) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`${g.hostname}: no ssh within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** The SSH banner of a guest that may get a small share of a busy machine: dropbear forks
 * per connection inside an emulated CPU, so each try waits up to 20 s for the banner. */
async function waitForSlowBanner(port: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect({ host: '127.0.0.1', port });
      const done = (v: boolean) => {
        sock.destroy();
        resolve(v);
      };
      sock.once('data', (d) => done(d.toString().startsWith('SSH-')));
      sock.once('error', () => done(false));
      // QEMU's user-net forward accepts and then closes while the guest boots.
      sock.once('close', () => done(false));
      sock.setTimeout(Math.max(1000, Math.min(20000, deadline - Date.now())), () => done(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no SSH banner on 127.0.0.1:${port} in time`);
}

export function stopGuest(g: ForeignGuest): void {
  if (g.pid !== undefined) killPid(g.pid);
  g.pid = undefined;
  // QEMU removes its pidfile only when it exits by itself
  rmSync(g.pidFile, { force: true });
}

/** Boots a guest under TCG and waits for its SSH; bounded, booted a second time once. */
export async function bootGuest(g: ForeignGuest, key: string, knownHosts: string): Promise<void> {
  const t0 = Date.now();
  for (g.attempts = 1; ; g.attempts++) {
    try {
      // Alone on 2 cores a guest answers after 10-40 s; on a machine busy with other work
      // (load 30) several minutes.
      await bootOnce(g, key, knownHosts, 240000);
      g.bootMs = Date.now() - t0;
      return;
    } catch (error) {
      stopGuest(g);
      const tail = existsSync(g.serial)
        ? readFileSync(g.serial, 'utf8').split('\n').slice(-15).join('\n')
        : '(no serial log)';
      if (g.attempts >= 2) throw new Error(`${(error as Error).message}\nserial console:\n${tail}`);
      console.log(`  foreign: ${(error as Error).message}; booting it again`);
    }
  }
}

/** Builds (cached) and boots one guest per architecture, all at once. */
export async function startForeignGuests(arches = FOREIGN_ARCHES): Promise<ForeignSet> {
  mkdirSync(FOREIGN_DIR, { recursive: true });
  const key = path.join(FOREIGN_DIR, 'client_ed25519');
  if (!existsSync(key)) run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'nestbug-foreign', '-f', key]);
  const hostKey = path.join(FOREIGN_DIR, 'dropbear_ed25519');
  if (!existsSync(hostKey)) run(['dropbearkey', '-t', 'ed25519', '-f', hostKey]);
  const hostPub = run(['dropbearkey', '-y', '-f', hostKey])
    .split('\n')
    .find((l) => l.startsWith('ssh-'))!
    .split(' ')
    .slice(0, 2)
    .join(' ');

  const t0 = Date.now();
  const env = { ...process.env, NB_DIR: FOREIGN_DIR, NB_CLIENT_PUB: `${key}.pub`, NB_HOST_KEY: hostKey };
  // apt and dpkg take locks: one architecture after the other.
  for (const a of arches) {
    const r = await sh(['bash', BUILD, a.debian], env, 600000);
    if (r.code !== 0) throw new Error(`building the ${a.debian} guest failed (${r.code}):\n${r.stderr}`);
  }
  const buildMs = Date.now() - t0;

  const guests: ForeignGuest[] = [];
  for (const a of arches) {
    const hostname = `nb-${a.debian}-${process.pid}`;
    guests.push({
      arch: a,
      port: await freePort(),
      hostname,
      kernel: path.join(FOREIGN_DIR, a.debian, 'kernel'),
      initrd: path.join(FOREIGN_DIR, a.debian, 'initramfs.cpio.gz'),
      pidFile: path.join(FOREIGN_DIR, `${hostname}.pid`),
      bootMs: 0,
      attempts: 0,
      serial: path.join(FOREIGN_DIR, `${hostname}-serial.log`),
    });
  }
  const knownHosts = path.join(FOREIGN_DIR, `known_hosts-${process.pid}`);
  writeFileSync(knownHosts, guests.map((g) => `[127.0.0.1]:${g.port} ${hostPub}\n`).join(''));
  const stop = () => {
    guests.forEach(stopGuest);
    rmSync(knownHosts, { force: true });
    for (const g of guests) rmSync(g.serial, { force: true });
  };
  atExit(stop);
  try {
    await Promise.all(guests.map((g) => bootGuest(g, key, knownHosts)));
  } catch (error) {
    stop();
    throw error;
  }
  return { key, knownHosts, guests, buildMs, stop };
}
