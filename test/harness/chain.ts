// A real nested chain on this machine:
//   L0 = this machine, libvirtd started by hand when none runs;
//   L1 = libvirt domain type='qemu' (TCG, <cpu mode='maximum'/> offers an emulated SVM/VMX),
//        this machine's / shared read-only over 9p, running sshd and its own libvirtd;
//   L2 = libvirt domain type='kvm' started by L1's libvirtd (KVM on the emulated CPU).
// L1 is reached at 127.0.0.1:<l1Port> (QEMU user-net forward), L2 from L1 at 127.0.0.1:2222.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers.ts';
import { freePort, waitForBanner } from './hosts.ts';
import { destroyDomain, ensureLibvirtd, VIRSH as V } from './libvirt.ts';
import { atExit, killPid, run } from './processes.ts';

export const CHAIN_DIR = process.env.NESTBUG_CHAIN_DIR ?? '/var/tmp/nestbug-chain';
const GUEST = path.join(ROOT, 'test', 'harness', 'guest');

export interface Chain {
  key: string;
  knownHosts: string;
  l1Port: number;
  l2Port: number;
  l1Domain: string;
  l2Domain: string;
  timings: Record<string, number>;
  stop(): Promise<void>;
}

/** ssh into a guest's forwarded port (a chain level, a foreign guest); bounded, since a wedged
 * guest accepts connections and never answers. No ServerAlive: a busy TCG L1 (creating L2)
 * can be silent for longer than any sane value. */
export function sshTo(
  port: number,
  key: string,
  knownHosts: string,
  command: string,
  allowFail = false,
  timeoutMs = 60000,
): string {
  const argv = [
    'ssh',
    '-q',
    '-o',
    'BatchMode=yes',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'ConnectTimeout=5',
    '-i',
    key,
    '-p',
    String(port),
    'root@127.0.0.1',
    command,
  ];
  return run(argv, { allowFail, timeoutMs });
}

/** KVM on QEMU 7.2's emulated SVM sometimes wedges L1 (its console logs soft lockups);
 * waiting on it is pointless, a fresh L1 comes up normally. */
class L1Wedged extends Error {}

async function waitFor(
  what: string,
  timeoutMs: number,
  probe: () => boolean | Promise<boolean>,
  wedged: () => string | undefined = () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    const lockup = wedged();
    if (lockup) throw new L1Wedged(`${what}: L1 is wedged (${lockup})`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`${what}: not ready within ${timeoutMs / 1000} s`);
}

/** Builds (cached in CHAIN_DIR) the x86 kernel and the guests' initramfs images; returns the
 * client key their root accepts. */
export function buildGuestImages(): string {
  mkdirSync(CHAIN_DIR, { recursive: true });
  const key = path.join(CHAIN_DIR, 'client_ed25519');
  if (!existsSync(key)) run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'nestbug-chain', '-f', key]);
  const build = spawnSync('bash', [path.join(GUEST, 'build.sh')], {
    env: { ...process.env, NB_DIR: CHAIN_DIR, NB_CLIENT_PUB: `${key}.pub` },
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`guest build failed:\n${build.stderr}`);
  return key;
}

export async function startChain(): Promise<Chain> {
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const mark = (name: string) => (timings[name] = Date.now() - t0);
  const key = buildGuestImages();
  mark('guest-build');

  // L1's sshd: host key and config, read by L1 through the 9p share.
  const l1Dir = path.join(CHAIN_DIR, 'l1');
  mkdirSync(l1Dir, { recursive: true });
  const l1HostKey = path.join(l1Dir, 'host_ed25519');
  if (!existsSync(l1HostKey)) run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'l1-nested', '-f', l1HostKey]);
  writeFileSync(path.join(l1Dir, 'authorized_keys'), readFileSync(`${key}.pub`));
  const sshdConfig = path.join(l1Dir, 'sshd_config');
  writeFileSync(
    sshdConfig,
    [
      `Port 22`,
      `HostKey ${l1HostKey}`,
      'PidFile /run/sshd-l1.pid',
      `AuthorizedKeysFile ${l1Dir}/authorized_keys`,
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      'AllowTcpForwarding yes',
      '',
    ].join('\n'),
  );

  const stopLibvirtd = await ensureLibvirtd(path.join(CHAIN_DIR, 'logs'));
  mark('libvirtd');

  const tag = `nestbug-test-${process.pid}`;
  const l1Domain = `${tag}-l1`;
  const l2Domain = `${tag}-l2`;
  const l1Port = await freePort();
  const l2Port = await freePort();
  const l1Xml = path.join(CHAIN_DIR, `${l1Domain}.xml`);
  writeFileSync(
    l1Xml,
    `<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>${l1Domain}</name>
  <memory unit='MiB'>3072</memory>
  <vcpu>2</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>${CHAIN_DIR}/vmlinux</kernel>
    <initrd>${CHAIN_DIR}/initramfs-hostshare.cpio.gz</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet loglevel=4 nb.hostname=l1-nested nb.stage2=${GUEST}/stage2-l1.sh nb.sshd_config=${sshdConfig} nb.libvirt=1</cmdline>
  </os>
  <cpu mode='maximum' check='none'/>
  <features><acpi/><apic/></features>
  <on_reboot>destroy</on_reboot>
  <seclabel type='static' model='dac' relabel='no'><label>+0:+0</label></seclabel>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <filesystem type='mount' accessmode='passthrough' multidevs='remap'>
      <source dir='/'/>
      <target dir='hostroot'/>
      <readonly/>
    </filesystem>
    <serial type='file'><source path='${CHAIN_DIR}/${l1Domain}-serial.log'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-netdev'/>
    <qemu:arg value='user,id=nbnet0,hostfwd=tcp:127.0.0.1:${l1Port}-:22,hostfwd=tcp:127.0.0.1:${l2Port}-:2222'/>
    <qemu:arg value='-device'/>
    <qemu:arg value='virtio-net-pci,netdev=nbnet0,bus=pcie.0,addr=0x10'/>
  </qemu:commandline>
</domain>
`,
  );
  const l2Xml = path.join(CHAIN_DIR, `${l2Domain}.xml`);
  writeFileSync(
    l2Xml,
    `<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>${l2Domain}</name>
  <memory unit='MiB'>512</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>${CHAIN_DIR}/vmlinuz</kernel>
    <initrd>${CHAIN_DIR}/initramfs-l2.cpio.gz</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet loglevel=4 nb.hostname=l2-nested</cmdline>
  </os>
  <cpu mode='host-passthrough' check='none'/>
  <features><acpi/><apic/></features>
  <on_reboot>destroy</on_reboot>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='pty'><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-netdev'/>
    <qemu:arg value='user,id=nbnet0,hostfwd=tcp::2222-:22'/>
    <qemu:arg value='-device'/>
    <qemu:arg value='virtio-net-pci,netdev=nbnet0,bus=pcie.0,addr=0x10'/>
  </qemu:commandline>
</domain>
`,
  );
  const knownHosts = path.join(CHAIN_DIR, `known_hosts-${process.pid}`);
  const l1Pub = readFileSync(`${l1HostKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
  const l2Pub = readFileSync(path.join(CHAIN_DIR, 'dropbear_ed25519.pub'), 'utf8').trim();
  writeFileSync(
    knownHosts,
    `[127.0.0.1]:${l1Port} ${l1Pub}\n[127.0.0.1]:2222 ${l2Pub}\n[127.0.0.1]:${l2Port} ${l2Pub}\n`,
  );

  let l1Pid: number | undefined;
  const pidFile = `/run/libvirt/qemu/${l1Domain}.pid`;
  const readL1Pid = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) || undefined : undefined);
  const destroy = () => {
    destroyDomain(l1Domain);
    // Also when `virsh create` gave up before the pidfile was there: QEMU may be up now.
    l1Pid ??= readL1Pid();
    if (l1Pid !== undefined) killPid(l1Pid);
    l1Pid = undefined;
  };
  const stop = async () => {
    destroy();
    await stopLibvirtd();
  };
  atExit(destroy);
  const serial = path.join(CHAIN_DIR, `${l1Domain}-serial.log`);
  // QEMU truncates the serial file when L1 starts: what is in it is this L1's.
  // A CPU stuck for a minute is wedged, not slow (the watchdog repeats with growing times).
  const wedged = () => {
    const text = existsSync(serial) ? readFileSync(serial, 'utf8') : '';
    return [...text.matchAll(/BUG: soft lockup - CPU#\d+ stuck for (\d+)s!.*/g)].find((m) => Number(m[1]) >= 60)?.[0];
  };
  const bootL1 = async (attempt: number) => {
    // libvirtd probes QEMU on its first domain: a minute or more here.
    run([...V, 'create', l1Xml], { timeoutMs: 300000 });
    l1Pid = readL1Pid();
    mark(`l1-created-${attempt}`);
    await waitForBanner('127.0.0.1', l1Port, 300000);
    await waitFor(
      'ssh into L1',
      300000,
      () => sshTo(l1Port, key, knownHosts, 'echo up', true, 30000).trim() === 'up',
      wedged,
    );
    mark(`l1-ssh-${attempt}`);
    await waitFor(
      "L1's libvirtd",
      240000,
      () => sshTo(l1Port, key, knownHosts, 'virsh -c qemu:///system version', true, 30000).includes('libvirt'),
      wedged,
    );
    mark(`l1-libvirtd-${attempt}`);
    // The same bug sometimes wedges only L2's first vCPU (L2 never boots): a fresh L2 then
    // comes up normally.
    const l2Up = () => sshTo(l2Port, key, knownHosts, 'echo up', true, 30000).trim() === 'up';
    for (let l2Attempt = 1; ; l2Attempt++) {
      try {
        sshTo(l1Port, key, knownHosts, `virsh -c qemu:///system create ${l2Xml}`, false, 240000);
      } catch (error) {
        const lockup = wedged();
        throw lockup ? new L1Wedged(`creating L2: L1 is wedged (${lockup})`) : error;
      }
      mark(`l2-created-${attempt}.${l2Attempt}`);
      try {
        await waitFor('ssh into L2', 150000, l2Up, wedged);
        break;
      } catch (error) {
        if (error instanceof L1Wedged || l2Attempt >= 3) throw error;
        sshTo(l1Port, key, knownHosts, `virsh -c qemu:///system destroy ${l2Domain}`, true, 60000);
      }
    }
    mark('l2-ssh');
  };
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await bootL1(attempt);
        break;
      } catch (error) {
        if (!(error instanceof L1Wedged) || attempt >= 3) throw error;
        console.log(`  chain: ${(error as Error).message}; starting a fresh L1`);
        destroy();
      }
    }
  } catch (error) {
    const tail = existsSync(serial)
      ? readFileSync(serial, 'utf8').split('\n').slice(-30).join('\n')
      : '(no serial log)';
    await stop();
    throw new Error(`${(error as Error).message}\nL1 serial console:\n${tail}`);
  }
  return { key, knownHosts, l1Port, l2Port, l1Domain, l2Domain, timings, stop };
}
