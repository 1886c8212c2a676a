// Pure: the `kvm-access` item (or a pasted `ls -l /dev/kvm`): who may open /dev/kvm.
// Permission bits decide for users other than root; the open test also catches what bits
// do not show (a container's device cgroup refuses even root).

export interface KvmNode {
  /** Octal permission bits, e.g. 0o660. */
  mode: number;
  owner: string;
  uid?: number;
  group: string;
  gid?: number;
  line: number;
  text: string;
}

export interface KvmUser {
  name: string;
  uid?: number;
  groups: string[];
  line: number;
  text: string;
}

export interface KvmAccess {
  device?: KvmNode | { absent: true; line: number; text: string };
  /** The user the item ran as (the connecting user). */
  user?: KvmUser;
  /** The login user when someone else ran the item (sudo, su). */
  loginUser?: KvmUser;
  qemuUsers: KvmUser[];
  open?: { ok: boolean; error?: string; line: number; text: string };
  /** `members` from an `/etc/group` line (pasted); the item itself only counts them. */
  kvmGroup?: { gid?: number; members: string[]; count?: number; absent: boolean; line: number; text: string };
  udev: Array<{ line: number; text: string }>;
}

function parseUser(value: string, line: number, text: string): KvmUser | undefined {
  const m = /^(\S+?)\((\d+)\)(?: groups=(\S*))?/.exec(value);
  if (!m) return undefined;
  return { name: m[1], uid: Number(m[2]), groups: m[3] ? m[3].split(',').filter(Boolean) : [], line, text };
}

/** `ls -l /dev/kvm` (the kvm-device item, or a line pasted from a report). */
export function parseLsLine(raw: string, line: number): KvmNode | undefined {
  const m = /^c([rwxsStT-]{9})\S*\s+\d+\s+(\S+)\s+(\S+)\s/.exec(raw.trim());
  if (!m) return undefined;
  const bits = m[1];
  let mode = 0;
  for (let i = 0; i < 9; i++) if (!'-ST'.includes(bits[i])) mode |= 1 << (8 - i);
  const num = (s: string) => (/^\d+$/.test(s) ? Number(s) : undefined);
  return { mode, owner: m[2], uid: num(m[2]), group: m[3], gid: num(m[3]), line, text: raw.trim() };
}

export function parseKvmAccess(text: string): KvmAccess {
  const out: KvmAccess = { qemuUsers: [], udev: [] };
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const t = raw.trim();
    const m = /^([a-z ]+): (.*)$/.exec(t);
    if (!m) {
      // A pasted `ls -l /dev/kvm` alone.
      const ls = /\/dev\/kvm\s*$/.test(t) ? parseLsLine(t, line) : undefined;
      if (ls && !out.device) out.device = ls;
      return;
    }
    const [, key, value] = m;
    if (key === 'device') {
      const d = /^mode=([0-7]+) owner=(\S+?)\((\d+)\) group=(\S+?)\((\d+)\)/.exec(value);
      if (value === 'absent') out.device = { absent: true, line, text: t };
      else if (d)
        out.device = {
          mode: parseInt(d[1], 8),
          owner: d[2],
          uid: Number(d[3]),
          group: d[4],
          gid: Number(d[5]),
          line,
          text: t,
        };
    } else if (key === 'user') out.user = parseUser(value, line, t);
    else if (key === 'login user') out.loginUser = parseUser(value, line, t);
    else if (key === 'qemu user') {
      const u = parseUser(value, line, t);
      if (u) out.qemuUsers.push(u);
    } else if (key === 'open') {
      out.open =
        value === 'ok'
          ? { ok: true, line, text: t }
          : { ok: false, error: value.replace(/^failed: /, ''), line, text: t };
    } else if (key === 'group kvm') {
      const counted = /^gid=(\d+) members=(\d+)$/.exec(value);
      if (value === 'absent') out.kvmGroup = { absent: true, members: [], line, text: t };
      else if (counted)
        out.kvmGroup = {
          absent: false,
          gid: Number(counted[1]),
          members: [],
          count: Number(counted[2]),
          line,
          text: t,
        };
      else {
        const f = value.split(':');
        out.kvmGroup = {
          absent: false,
          gid: Number(f[2]),
          members: (f[3] ?? '').split(',').filter(Boolean),
          line,
          text: t,
        };
      }
    } else if (key === 'udev') out.udev.push({ line, text: value });
  });
  return out;
}

export function isNode(device: KvmAccess['device']): device is KvmNode {
  return device !== undefined && !('absent' in device);
}

/** Whether a user can open the node read-write by its permission bits (root always can). */
export function bitsAllow(node: KvmNode, user: KvmUser): boolean {
  if (user.uid === 0) return true;
  const rw = (shift: number) => ((node.mode >> shift) & 0o6) === 0o6;
  if (user.name === node.owner || (user.uid !== undefined && user.uid === node.uid)) return rw(6);
  if (user.groups.includes(node.group)) return rw(3);
  return rw(0);
}

/** Only root: neither group nor others may read and write. */
export function onlyRoot(node: KvmNode): boolean {
  const groupRw = ((node.mode >> 3) & 0o6) === 0o6 && node.group !== 'root' && node.gid !== 0;
  const otherRw = (node.mode & 0o6) === 0o6;
  return node.uid === 0 || node.owner === 'root' ? !groupRw && !otherRw : false;
}

/** A group that does not map into this user namespace shows as a number, nogroup or UNKNOWN. */
export function groupUnmapped(node: KvmNode): boolean {
  return /^(\d+|nogroup|nobody|UNKNOWN)$/.test(node.group) || node.gid === 65534;
}
