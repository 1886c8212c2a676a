// Pure: can the user who starts QEMU open /dev/kvm? Collecting as root hides a device
// only root can open (kvm-ok passes, QEMU gets Permission denied), so the item runs as
// the connecting user and lists the groups of the users that run QEMU.
import type { Level } from '../../levels.js';
import { containerDeviceFix, containerOf } from '../container.js';
import { type Citation, levelFile } from '../evidence.js';
import type { ContainerKind } from '../parsers/container.js';
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

const UDEV_FIX = [
  'Let group kvm open it, persistently:',
  'echo \'KERNEL=="kvm", GROUP="kvm", MODE="0660"\' > /etc/udev/rules.d/65-kvm.rules;',
  'udevadm control --reload; udevadm trigger --name-match=kvm (or at once: chgrp kvm /dev/kvm; chmod 660 /dev/kvm)',
].join(' ');

const USERNS_FIX = [
  "Keep the host user's kvm group in the container (podman run --group-add keep-groups, with that user in group kvm",
  'on the host; docker: --group-add $(stat -c %g /dev/kvm) in rootful mode), or give /dev/kvm mode 0666 on the host',
  '(udev: KERNEL=="kvm", MODE="0666").',
].join(' ');

const describe = (n: KvmNode) => `${n.mode.toString(8).padStart(4, '0')} ${n.owner}:${n.group}`;
const names = (users: KvmUser[]) => users.map((u) => u.name).join(', ');

function addToGroupFix(users: KvmUser[], node: KvmNode): string {
  const who = users.map((u) => u.name).join(' and ');
  const after = 'then log in again; QEMU started by libvirt needs libvirtd restarted';
  return `Add ${who} to group ${node.group}: usermod -aG ${node.group} ${users[0].name} (${after}).`;
}

/** What one evaluation knows: the level, its container, the device and who was asked. */
interface Facts {
  level: Level;
  access: KvmAccess;
  file: string;
  kind: ContainerKind | null;
  /** " (L1 is a docker container)" or "". */
  where: string;
  containerCite: Citation[];
  evidence: Citation[];
}

function missingInContainer(f: Facts): CheckResult | undefined {
  // Outside a container the KVM checks say why /dev/kvm is missing (module, firmware).
  if (!f.kind) return undefined;
  const summary =
    `${f.level} is a ${f.kind} container without /dev/kvm: nothing in it can use KVM, ` +
    'whatever the kernel underneath offers';
  const fix = `On the container's host, ${containerDeviceFix(f.kind).device}.`;
  return result(
    'fail',
    summary,
    [...f.evidence, ...f.containerCite],
    fix,
    `${f.level}: the ${f.kind} container was not given /dev/kvm`,
  );
}

/** Root was refused: by unmapped ids (a user namespace) or by a device cgroup / LSM. */
function refusedToRoot(f: Facts, device: KvmNode, error: string): CheckResult {
  const evidence = [...f.evidence, ...f.containerCite];
  if (groupUnmapped(device) && /^(nobody|\d+|UNKNOWN)$/.test(device.owner)) {
    const summary =
      `root in ${f.level} cannot open /dev/kvm (${describe(device)}, ${error}): its owner and group are not ` +
      `mapped into this user namespace (a rootless container)${f.where}`;
    return result(
      'fail',
      summary,
      evidence,
      USERNS_FIX,
      `${f.level}: /dev/kvm's owner and group are not mapped into the container`,
    );
  }
  // Bits do not stop root: a device cgroup (or an LSM) does; typical of a bind-mounted node.
  const fix = f.kind
    ? `On the container's host, ${containerDeviceFix(f.kind).device}.`
    : 'Check the device cgroup and the security module (SELinux/AppArmor) of the process collecting: they refuse root.';
  const summary = `even root cannot open /dev/kvm in ${f.level} (${error})${f.where}: the device is there but refused`;
  return result('fail', summary, evidence, fix, `${f.level}: /dev/kvm is there but refused even to root`);
}

function rootOnly(f: Facts, device: KvmNode, blocked: KvmUser[]): CheckResult {
  const fix = f.kind
    ? `On the container's host: ${UDEV_FIX}; then ${containerDeviceFix(f.kind).group}.`
    : `${UDEV_FIX}.`;
  // A rule that sets group kvm, on a device that is not: udev never applied it here.
  const rule = f.access.udev.find((u) => /GROUP="kvm"/.test(u.text));
  const unapplied = rule
    ? `; udev's rule ${rule.text.split(':')[0]} sets group kvm, but was not applied (no udevd here?)`
    : '';
  const who = blocked.length ? names(blocked) : 'any user but root';
  const summary =
    `only root can open /dev/kvm in ${f.level} (${describe(device)})${f.where}: QEMU run by ${who} gets ` +
    `"Permission denied" and, with accel kvm:tcg, silently falls back to TCG${unapplied}`;
  const evidence = [...f.evidence, ...(rule ? [cite(f.file, rule.line, rule.text)] : []), ...f.containerCite];
  return result('fail', summary, evidence, fix, `${f.level}: only root can open /dev/kvm`);
}

function evaluateAccess(f: Facts): CheckResult | undefined {
  const { access, level, where } = f;
  const device = access.device;
  if (!device) return undefined;
  f.evidence.push(cite(f.file, device.line, device.text));
  if (!isNode(device)) return missingInContainer(f);
  const user = access.user;
  if (access.open) f.evidence.push(cite(f.file, access.open.line, access.open.text));
  if (user) f.evidence.push(cite(f.file, user.line, user.text));
  if (access.open?.ok === false && user?.uid === 0) return refusedToRoot(f, device, access.open.error ?? 'refused');
  // Who starts QEMU: the connecting user, the login user behind sudo, libvirt's QEMU user.
  const people = [user, access.loginUser].filter((u): u is KvmUser => u !== undefined && u.uid !== 0);
  const qemuUsers = access.qemuUsers.filter((u) => u.uid !== 0);
  for (const u of [access.loginUser, ...qemuUsers]) if (u) f.evidence.push(cite(f.file, u.line, u.text));
  // The open test outranks the bits for the user it ran as (an ACL, e.g. logind's uaccess).
  const opened = (u: KvmUser) => u === user && access.open?.ok === true;
  const blocked = [...people, ...qemuUsers].filter((u) => !opened(u) && !bitsAllow(device, u));
  const canOpen = [...people, ...qemuUsers].filter((u) => opened(u) || bitsAllow(device, u));
  const groupFix =
    f.kind && groupUnmapped(device) ? `In the container: ${containerDeviceFix(f.kind).group}.` : undefined;
  const evidence = [...f.evidence, ...f.containerCite];
  if (onlyRoot(device) && !(user && user.uid !== 0 && opened(user))) return rootOnly(f, device, blocked);
  if (access.open?.ok === false && user) {
    const fix = groupFix ?? (device.group !== 'root' ? addToGroupFix([user], device) : `${UDEV_FIX}.`);
    const groups = user.groups.join(', ') || 'none';
    const why = `${describe(device)}, ${access.open.error}; ${user.name}'s groups: ${groups}`;
    const summary = `${user.name} cannot open /dev/kvm in ${level} (${why})${where}`;
    return result('fail', summary, evidence, fix, `${level}: ${user.name} cannot open /dev/kvm`);
  }
  const blockedPeople = blocked.filter((u) => people.includes(u));
  if (blockedPeople.length) {
    const summary = `${names(blockedPeople)} cannot open /dev/kvm in ${level} (${describe(device)})${where}`;
    const fix = groupFix ?? addToGroupFix(blockedPeople, device);
    return result('fail', summary, evidence, fix, `${level}: ${blockedPeople[0].name} cannot open /dev/kvm`);
  }
  const blockedQemu = blocked.filter((u) => qemuUsers.includes(u));
  if (blockedQemu.length) {
    const who = `${names(blockedQemu)} (the user libvirt starts QEMU as)`;
    const summary = `${who} cannot open /dev/kvm in ${level} (${describe(device)})`;
    const fix = groupFix ?? addToGroupFix(blockedQemu, device);
    return result('warn', summary, evidence, fix, `${level}: libvirt's QEMU user cannot open /dev/kvm`);
  }
  const who = canOpen.length ? names(canOpen) : (user?.name ?? 'root');
  const how = `${describe(device)}${access.open?.ok ? ', opened' : ''}`;
  return result('pass', `${who} can open /dev/kvm in ${level} (${how})${where}`, f.evidence);
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
      const container = containerOf(ctx.files, level);
      const kind = container?.container ?? null;
      const first = container?.evidence[0];
      return evaluateAccess({
        level,
        access,
        file: text !== undefined ? file : fallbackFile,
        kind,
        where: kind ? ` (${level} is a ${kind} container)` : '',
        containerCite: first ? [cite(first.file, first.line, first.text)] : [],
        evidence: [],
      });
    },
  };
}
