// Pure: the KVM device and the userspace that uses it (open KVM fds, QEMU and libvirt versions).
import { rowsOf } from './lines.js';

export interface KvmDevice {
  present: boolean;
  mode?: string;
  owner?: string;
  group?: string;
  line: string;
}

export function parseKvmDevice(text: string): KvmDevice | undefined {
  const line = text.trim().split('\n')[0] ?? '';
  if (!line) return undefined;
  if (/not present|No such file/i.test(line)) return { present: false, line };
  const m = /^([cb-][rwxsStT-]{9})\S*\s+\d+\s+(\S+)\s+(\S+)/.exec(line);
  if (!m) return { present: /\/dev\/kvm/.test(line), line };
  return { present: true, mode: m[1], owner: m[2], group: m[3], line };
}

export interface KvmFd {
  pid: number;
  vm?: number;
  vcpu?: number;
  line: number;
  text: string;
}

export function parseKvmFds(text: string): KvmFd[] {
  const count = (group: string | undefined) => (group === undefined ? undefined : Number(group));
  return rowsOf(text, /^pid (\d+) (?:kvm-vm=(\d+) kvm-vcpu=(\d+)|unreadable)/, (m) => ({
    pid: Number(m[1]),
    vm: count(m[2]),
    vcpu: count(m[3]),
  }));
}

/** `qemu-system-x86_64 --version` (possibly several binaries): the first version line. */
export function parseQemuVersion(text: string): string | undefined {
  return /QEMU emulator version ([^\s(]+(?: \([^)]*\))?)/.exec(text)?.[1];
}

/** `virsh version`: "Using library: libvirt 9.0.0" or "Compiled against..."; or `virsh --version`. */
export function parseLibvirtVersion(text: string): string | undefined {
  return (
    /Using library: libvirt ([\d.]+)/.exec(text)?.[1] ??
    /libvirtd \(libvirt\) ([\d.]+)/.exec(text)?.[1] ??
    /^([\d.]+)\s*$/m.exec(text)?.[1]
  );
}
