// libvirtd for the tests: the running one when there is one, else virtlogd and libvirtd
// started by hand (PID 1 is not systemd here) and stopped by their PIDs.

import type { ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { atExit, run, startProcess, stopProcess } from './processes.ts';

export const VIRSH = ['virsh', '-c', 'qemu:///system'];

function unixSocketAnswers(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(file);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

export function libvirtUp(): boolean {
  return run([...VIRSH, 'version'], { allowFail: true }).includes('libvirt');
}

let started: ChildProcess[] | undefined;

/** Makes sure libvirtd answers; returns a function that stops what this call started. */
export async function ensureLibvirtd(logDir: string): Promise<() => Promise<void>> {
  if (libvirtUp()) return async () => {};
  started = [];
  mkdirSync(logDir, { recursive: true });
  // A socket file left by a killed virtlogd does not count: it must answer.
  if (!(await unixSocketAnswers('/run/libvirt/virtlogd-sock')))
    started.push(startProcess('virtlogd', ['/usr/sbin/virtlogd'], path.join(logDir, 'virtlogd.log')));
  started.push(startProcess('libvirtd', ['/usr/sbin/libvirtd'], path.join(logDir, 'libvirtd.log')));
  const deadline = Date.now() + 60000;
  while (!libvirtUp()) {
    if (Date.now() > deadline) throw new Error(`libvirtd did not answer within 60 s (see ${logDir})`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const mine = started;
  return async () => {
    for (const p of mine.reverse()) await stopProcess(p);
  };
}

/** A transient TCG domain without disk (it idles in the firmware); destroyed at exit. */
export function createIdleDomain(name: string, dir: string): void {
  const xmlName = name.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
  const file = path.join(dir, `domain-${Math.random().toString(36).slice(2)}.xml`);
  const xml = `<domain type='qemu'><name>${xmlName}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='q35'>hvm</type></os><devices><emulator>/usr/bin/qemu-system-x86_64</emulator><memballoon model='none'/></devices></domain>`;
  run(['sh', '-c', `cat > '${file}'`], { input: xml });
  run([...VIRSH, 'create', file]);
  atExit(() => destroyDomain(name));
}

/** Destroys a domain the tests created, and the log libvirt kept of it. */
export function destroyDomain(name: string): void {
  run([...VIRSH, 'destroy', name], { allowFail: true, timeoutMs: 60000 });
  rmSync(path.join('/var/log/libvirt/qemu', `${name}.log`), { force: true });
}
