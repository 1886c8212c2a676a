// The small x86 guest of the nested chain (busybox + dropbear, test/harness/guest/init-l2)
// booted alone here under QEMU TCG, reached over SSH at a forwarded port. The images are
// the chain's (buildGuestImages), the boot and its retry the foreign guests' (bootGuest).

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildGuestImages, CHAIN_DIR } from './chain.ts';
import { bootGuest, type ForeignArch, type ForeignGuest, stopGuest } from './foreign.ts';
import { freePort } from './hosts.ts';
import { atExit } from './processes.ts';

const X86_TCG: ForeignArch = {
  debian: 'amd64',
  machine: 'x86_64',
  qemu: 'qemu-system-x86_64',
  args: ['-M', 'q35', '-cpu', 'max'],
  console: 'ttyS0',
  nic: 'virtio-net-pci',
};

export interface X86Guest {
  guest: ForeignGuest;
  key: string;
  knownHosts: string;
  stop(): void;
}

export async function startX86Guest(): Promise<X86Guest> {
  const key = buildGuestImages();
  const hostname = `nb-x86-${process.pid}`;
  const guest: ForeignGuest = {
    arch: X86_TCG,
    port: await freePort(),
    hostname,
    // uncompressed: QEMU boots it by its PVH entry, faster under TCG
    kernel: path.join(CHAIN_DIR, 'vmlinux'),
    initrd: path.join(CHAIN_DIR, 'initramfs-l2.cpio.gz'),
    pidFile: path.join(CHAIN_DIR, `${hostname}.pid`),
    bootMs: 0,
    attempts: 0,
    serial: path.join(CHAIN_DIR, `${hostname}-serial.log`),
  };
  const knownHosts = path.join(CHAIN_DIR, `known_hosts-x86-${process.pid}`);
  const hostPub = readFileSync(path.join(CHAIN_DIR, 'dropbear_ed25519.pub'), 'utf8').trim();
  writeFileSync(knownHosts, `[127.0.0.1]:${guest.port} ${hostPub}\n`);
  const stop = () => {
    stopGuest(guest);
    rmSync(knownHosts, { force: true });
    rmSync(guest.serial, { force: true });
  };
  atExit(stop);
  try {
    await bootGuest(guest, key, knownHosts);
  } catch (error) {
    stop();
    throw error;
  }
  return { guest, key, knownHosts, stop };
}
