// Pure: can the user who starts QEMU open /dev/kvm? Collecting as root hides a device
// only root can open (kvm-ok passes, QEMU gets Permission denied), so the item runs as
// the connecting user and lists the groups of the users that run QEMU.
import type { Level } from '../../levels.js';
import { containerDeviceFix, containerOf } from '../container.js';
import { type Citation, levelFile } from '../evidence.js';
import {
  bitsAllow,
  groupUnmapped,
  isNode,
  type KvmAccess,
  type KvmNode,
  type KvmUser,
  onlyRoot,
  parseKvmAccess,
} from '../parsers/kvm-access.js';
import { cite, result } from './common.js';
import type { CheckDef, CheckResult } from './registry.js';

const UDEV_FIX =
  'Let group kvm open it, persistently: echo \'KERNEL=="kvm", GROUP="kvm", MODE="0660"\' > /etc/udev/rules.d/65-kvm.rules; ' +
  'udevadm control --reload; udevadm trigger --name-match=kvm (or at once: chgrp kvm /dev/kvm; chmod 660 /dev/kvm)';

const describe = (n: KvmNode) => `${n.mode.toString(8).padStart(4, '0')} ${n.owner}:${n.group}`;

function addToGroupFix(users: KvmUser[], node: KvmNode): string {
  const names = users.map((u) => u.name).join(' and ');
  return `Add ${names} to group ${node.group}: usermod -aG ${node.group} ${users[0].name} (then log in again; QEMU started by libvirt needs libvirtd restarted)`;
}

function evaluateAccess(
  level: Level,
  access: KvmAccess,
  file: string,
  container: ReturnType<typeof containerOf>,
): CheckResult | undefined {
  const kind = container?.container ?? null;
  const where = kind ? ` (${level} is a ${kind} container)` : '';
  const containerCite = container?.evidence[0]
    ? [cite(container.evidence[0].file, container.evidence[0].line, container.evidence[0].text)]
    : [];
  const device = access.device;
  if (!device) return undefined;
  const evidence: Citation[] = [cite(file, device.line, device.text)];
  if (!isNode(device)) {
    // Outside a container the KVM checks say why /dev/kvm is missing (module, firmware).
    if (!kind) return undefined;
    const fix = containerDeviceFix(kind).device;
    return result(
      'fail',
      `${level} is a ${kind} container without /dev/kvm: nothing in it can use KVM, whatever the kernel underneath offers`,
      [...evidence, ...containerCite],
      `On the container's host, ${fix}.`,
      `${level}: the ${kind} container was not given /dev/kvm`,
    );
  }
  const user = access.user;
  if (access.open) evidence.push(cite(file, access.open.line, access.open.text));
  if (user) evidence.push(cite(file, user.line, user.text));
  if (
    access.open &&
    !access.open.ok &&
    user?.uid === 0 &&
    groupUnmapped(device) &&
    /^(nobody|\d+|UNKNOWN)$/.test(device.owner)
  ) {
    // Root of a user namespace owns nothing of the host: the device's ids do not map.
    return result(
      'fail',
      `root in ${level} cannot open /dev/kvm (${describe(device)}, ${access.open.error}): its owner and group are not mapped into this user namespace (a rootless container)${where}`,
      [...evidence, ...containerCite],
      `Keep the host user's kvm group in the container (podman run --group-add keep-groups, with that user in group kvm on the host; docker: --group-add $(stat -c %g /dev/kvm) in rootful mode), or give /dev/kvm mode 0666 on the host (udev: KERNEL=="kvm", MODE="0666").`,
      `${level}: /dev/kvm's owner and group are not mapped into the container`,
    );
  }
  if (access.open && !access.open.ok && user?.uid === 0) {
    // Bits do not stop root: a device cgroup (or an LSM) does; typical of a bind-mounted node.
    const fix = kind
      ? `On the container's host, ${containerDeviceFix(kind).device}.`
      : 'Check the device cgroup and the security module (SELinux/AppArmor) of the process collecting: they refuse root.';
    return result(
      'fail',
      `even root cannot open /dev/kvm in ${level} (${access.open.error})${where}: the device is there but refused`,
      [...evidence, ...containerCite],
      fix,
      `${level}: /dev/kvm is there but refused even to root`,
    );
  }
  // Who starts QEMU: the connecting user, the login user behind sudo, libvirt's QEMU user.
  const people = [user, access.loginUser].filter((u): u is KvmUser => u !== undefined && u.uid !== 0);
  const qemuUsers = access.qemuUsers.filter((u) => u.uid !== 0);
  for (const u of [access.loginUser, ...qemuUsers]) if (u) evidence.push(cite(file, u.line, u.text));
  // The open test outranks the bits for the user it ran as (an ACL, e.g. logind's uaccess).
  const opened = (u: KvmUser) => u === user && access.open?.ok === true;
  const blocked = [...people, ...qemuUsers].filter((u) => !opened(u) && !bitsAllow(device, u));
  const canOpen = [...people, ...qemuUsers].filter((u) => opened(u) || bitsAllow(device, u));
  const groupFix = kind && groupUnmapped(device) ? `In the container: ${containerDeviceFix(kind).group}.` : undefined;
  if (onlyRoot(device) && !(user && user.uid !== 0 && opened(user))) {
    const names = blocked.length ? blocked.map((u) => u.name).join(', ') : 'any user but root';
    const fix = kind ? `On the container's host: ${UDEV_FIX}; then ${containerDeviceFix(kind).group}.` : `${UDEV_FIX}.`;
    // A rule that sets group kvm, on a device that is not: udev never applied it here.
    const rule = access.udev.find((u) => /GROUP="kvm"/.test(u.text));
    const unapplied = rule
      ? `; udev's rule ${rule.text.split(':')[0]} sets group kvm, but was not applied (no udevd here?)`
      : '';
    return result(
      'fail',
      `only root can open /dev/kvm in ${level} (${describe(device)})${where}: QEMU run by ${names} gets "Permission denied" and, with accel kvm:tcg, silently falls back to TCG${unapplied}`,
      [...evidence, ...(rule ? [cite(file, rule.line, rule.text)] : []), ...containerCite],
      fix,
      `${level}: only root can open /dev/kvm`,
    );
  }
  if (access.open && !access.open.ok && user) {
    const fix = groupFix ?? (device.group !== 'root' ? `${addToGroupFix([user], device)}.` : `${UDEV_FIX}.`);
    return result(
      'fail',
      `${user.name} cannot open /dev/kvm in ${level} (${describe(device)}, ${access.open.error}; ${user.name}'s groups: ${user.groups.join(', ') || 'none'})${where}`,
      [...evidence, ...containerCite],
      fix,
      `${level}: ${user.name} cannot open /dev/kvm`,
    );
  }
  const blockedPeople = blocked.filter((u) => people.includes(u));
  if (blockedPeople.length) {
    return result(
      'fail',
      `${blockedPeople.map((u) => u.name).join(', ')} cannot open /dev/kvm in ${level} (${describe(device)})${where}`,
      evidence,
      groupFix ?? `${addToGroupFix(blockedPeople, device)}.`,
      `${level}: ${blockedPeople[0].name} cannot open /dev/kvm`,
    );
  }
  const blockedQemu = blocked.filter((u) => qemuUsers.includes(u));
  if (blockedQemu.length) {
    return result(
      'warn',
      `${blockedQemu.map((u) => u.name).join(', ')} (the user libvirt starts QEMU as) cannot open /dev/kvm in ${level} (${describe(device)})`,
      evidence,
      groupFix ?? `${addToGroupFix(blockedQemu, device)}.`,
      `${level}: libvirt's QEMU user cannot open /dev/kvm`,
    );
  }
  const who = canOpen.length ? canOpen.map((u) => u.name).join(', ') : (user?.name ?? 'root');
  return result(
    'pass',
    `${who} can open /dev/kvm in ${level} (${describe(device)}${access.open?.ok ? ', opened' : ''})${where}`,
    evidence,
  );
}

/** One check per level that runs guests. Bundles without the kvm-access item (older
 * ones, pasted files) still have the `ls -l /dev/kvm` line of kvm-device. */
export function kvmAccessCheck(level: Exclude<Level, 'L2'>): CheckDef {
  return {
    id: `${level.toLowerCase()}-kvm-access`,
    level,
    titles: {
      pass: `${level}: /dev/kvm can be opened by the users who run QEMU`,
      fail: `${level}: /dev/kvm cannot be opened by the user who runs QEMU`,
      warn: `${level}: some QEMU users cannot open /dev/kvm`,
      unknown: `who can open /dev/kvm in ${level} is not known`,
    },
    reads: ['kvm-access', 'container', 'lscpu'],
    alsoReads: ['kvm-device'],
    evaluate(ctx) {
      if (!ctx.collected.includes(level)) return undefined;
      const file = levelFile(level, 'kvm-access');
      const text = ctx.files.get(file);
      const fallbackFile = levelFile(level, 'kvm-device');
      const access = text !== undefined ? parseKvmAccess(text) : parseKvmAccess(ctx.files.get(fallbackFile) ?? '');
      return evaluateAccess(level, access, text !== undefined ? file : fallbackFile, containerOf(ctx.files, level));
    },
  };
}
