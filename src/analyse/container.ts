// Pure: `levels.LN.container`, from the level's container item and lscpu. The VM verdict
// (runsOn) is decided apart: a container shares the kernel of the level it runs in.
import type { Level } from '../levels.js';
import { type EvidenceFiles, levelFile } from './evidence.js';
import { type ContainerKind, decideContainer } from './parsers/container.js';

export interface ContainerFinding {
  container: ContainerKind | null;
  evidence: Array<{ file: string; line: number; text: string; says: string; why: string }>;
}

export function containerOf(files: EvidenceFiles, level: Level): ContainerFinding | undefined {
  const itemFile = levelFile(level, 'container');
  const text = files.get(itemFile);
  const lscpu = files.get(levelFile(level, 'lscpu'));
  if (text === undefined && lscpu === undefined) return undefined;
  const verdict = decideContainer(text, lscpu ?? '');
  const lscpuFile = levelFile(level, 'lscpu');
  return {
    container: verdict.container,
    evidence: verdict.clues
      .filter((c) => c.says !== 'none' || verdict.container === null)
      .map((c) => ({
        file: /^Virtualization type/.test(c.text) ? lscpuFile : itemFile,
        line: c.line,
        text: c.text,
        says: c.says,
        why: c.why,
      })),
  };
}

interface DeviceFix {
  device: string;
  group: string;
}

const join = (...parts: string[]) => parts.join(' ');

/** How each container manager hands /dev/kvm in, and adds the device's group. */
const DEVICE_FIXES: Record<string, (kind: string) => DeviceFix> = {
  docker: (kind) => ({
    device: join(
      `start the container with --device /dev/kvm (${kind} run --device /dev/kvm ...; compose: devices:`,
      '["/dev/kvm"]); a bind mount (-v /dev/kvm:/dev/kvm) is not enough, the device cgroup refuses it',
    ),
    group: join(
      `add the device's group from the host: ${kind} run --group-add $(stat -c %g /dev/kvm) ...`,
      '(or chmod 666 /dev/kvm in the entrypoint)',
    ),
  }),
  kubernetes: () => ({
    device: join(
      'give the pod /dev/kvm through a device plugin (KubeVirt: devices.kubevirt.io/kvm; a node with 0 allocatable',
      'has no usable /dev/kvm) or a privileged container with a hostPath volume',
    ),
    group: "set securityContext.supplementalGroups to the host's kvm group id (stat -c %g /dev/kvm on the node)",
  }),
  lxc: () => ({
    device: join(
      'in the container config: lxc.cgroup2.devices.allow = c 10:232 rwm and',
      'lxc.mount.entry = /dev/kvm dev/kvm none bind,optional,create=file (Proxmox CT: /etc/pve/lxc/CTID.conf;',
      'LXD/Incus: lxc config device add CT kvm unix-char source=/dev/kvm)',
    ),
    group: join(
      'map the kvm group into the container (lxc.idmap) or give the device mode 0666 inside',
      '(LXD/Incus: lxc config device set CT kvm mode 0666)',
    ),
  }),
  'systemd-nspawn': () => ({
    device: join(
      'start it with --bind=/dev/kvm --property=DeviceAllow=/dev/kvm rw',
      '(or Bind=/dev/kvm in the .nspawn file and DeviceAllow= in its service)',
    ),
    group: "create the kvm group inside with the host's gid (stat -c %g /dev/kvm) and add the user to it",
  }),
  openvz: () => ({
    device: 'OpenVZ/Virtuozzo containers cannot run KVM guests: use a VM',
    group: 'OpenVZ/Virtuozzo containers cannot run KVM guests: use a VM',
  }),
  other: () => ({
    device: join(
      "hand the host's /dev/kvm into the container (docker/podman --device /dev/kvm;",
      'LXC lxc.cgroup2.devices.allow = c 10:232 rwm plus a bind mount)',
    ),
    group: join(
      "add the host's kvm group to the user running QEMU in the container",
      '(docker/podman --group-add $(stat -c %g /dev/kvm))',
    ),
  }),
};

const SAME_FIX: Record<string, string> = { podman: 'docker', 'lxc-libvirt': 'lxc' };

export function containerDeviceFix(kind: ContainerKind | null): DeviceFix {
  const key = kind ? (SAME_FIX[kind] ?? kind) : 'other';
  return (DEVICE_FIXES[key] ?? DEVICE_FIXES.other)(kind ?? 'docker');
}
