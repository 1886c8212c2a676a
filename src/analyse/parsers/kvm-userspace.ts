// Pure: the KVM device and the userspace that uses it (open KVM fds, QEMU and libvirt versions).
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
  const out: KvmFd[] = [];
  text.split('\n').forEach((raw, index) => {
    const m = /^pid (\d+) (?:kvm-vm=(\d+) kvm-vcpu=(\d+)|unreadable)/.exec(raw.trim());
    if (m) out.push({ pid: Number(m[1]), vm: m[2] === undefined ? undefined : Number(m[2]), vcpu: m[3] === undefined ? undefined : Number(m[3]), line: index + 1, text: raw.trim() });
  });
  return out;
}

/** `qemu-system-x86_64 --version` (possibly several binaries): the first version line. */
export function parseQemuVersion(text: string): string | undefined {
  return /QEMU emulator version ([^\s(]+(?: \([^)]*\))?)/.exec(text)?.[1];
}

/** `virsh version`: "Using library: libvirt 9.0.0" or "Compiled against..."; or `virsh --version`. */
export function parseLibvirtVersion(text: string): string | undefined {
  return /Using library: libvirt ([\d.]+)/.exec(text)?.[1] ?? /libvirtd \(libvirt\) ([\d.]+)/.exec(text)?.[1] ?? /^([\d.]+)\s*$/m.exec(text)?.[1];
}
