// Pure: is this level inside a container, and which one? From the `container` item (files
// container runtimes leave, PID 1's cgroup, mount roots) and lscpu's virtualization type.
// The rules follow what systemd-detect-virt and virt-what look at; a runtime's own file
// beats a cgroup path, which beats a guess from mounts.
import { parseColonLines } from './key-value.js';

export const CONTAINERS = [
  'docker',
  'podman',
  'lxc',
  'lxc-libvirt',
  'kubernetes',
  'systemd-nspawn',
  'openvz',
  'proot',
  'rkt',
  'containerd',
  'container-other',
] as const;
export type ContainerKind = (typeof CONTAINERS)[number];

export interface ContainerClue {
  says: ContainerKind | 'none';
  /** 3: the runtime's own file or systemd's answer; 2: a cgroup or mount path; 1: a hint. */
  strength: 1 | 2 | 3;
  why: string;
  line: number;
  text: string;
}

export interface ContainerVerdict {
  container: ContainerKind | null;
  clues: ContainerClue[];
}

/** Words systemd-detect-virt --container and /run/systemd/container use. */
const SYSTEMD_WORDS: Record<string, ContainerKind | 'none'> = {
  docker: 'docker',
  podman: 'podman',
  lxc: 'lxc',
  'lxc-libvirt': 'lxc-libvirt',
  'systemd-nspawn': 'systemd-nspawn',
  // systemd calls WSL a container; for KVM it is a Hyper-V VM (the platform says WSL2).
  openvz: 'openvz',
  wsl: 'none',
  proot: 'proot',
  rkt: 'rkt',
  pouch: 'container-other',
  'container-other': 'container-other',
  none: 'none',
};

/** PID 1's cgroup path names the manager that created it. Order matters: a pod's
 * container also carries its runtime's name. */
const CGROUP_PATHS: Array<[RegExp, ContainerKind]> = [
  [/kubepods/, 'kubernetes'],
  [/\/libpod-|\/libpod_parent\b/, 'podman'],
  [/\/docker[-/]/, 'docker'],
  [/\/lxc\.payload|\/lxc\//, 'lxc'],
  [/machine\.slice\/(?:machine-|systemd-nspawn@)|\/machine-[^/]*\.scope/, 'systemd-nspawn'],
  [/\/cri-containerd-|\/containerd\//, 'containerd'],
];

const EXISTS: Record<string, ContainerKind> = {
  '/.dockerenv': 'docker',
  '/run/.containerenv': 'podman',
  '/dev/lxd/sock': 'lxc',
  '/var/run/secrets/kubernetes.io': 'kubernetes',
};

interface Section {
  name: string;
  lines: Array<{ line: number; text: string }>;
}

function sections(text: string): { head: Array<{ line: number; text: string }>; parts: Section[] } {
  const head: Section['lines'] = [];
  const parts: Section[] = [];
  text.split('\n').forEach((raw, index) => {
    const m = /^==> (\S+).* <==$/.exec(raw);
    if (m) parts.push({ name: m[1], lines: [] });
    else if (raw.trim() !== '')
      (parts.length ? parts[parts.length - 1].lines : head).push({ line: index + 1, text: raw.trimEnd() });
  });
  return { head, parts };
}

function fromHead(head: Section['lines']): ContainerClue[] {
  const clues: ContainerClue[] = [];
  const exists = new Set(
    head.flatMap((l) => (/^exists: (\S+)$/.exec(l.text)?.[1] ? [/^exists: (\S+)$/.exec(l.text)![1]] : [])),
  );
  for (const { line, text } of head) {
    let m = /^systemd-detect-virt --container: ([a-z-]+)$/.exec(text);
    if (m && SYSTEMD_WORDS[m[1]]) {
      clues.push({
        says: SYSTEMD_WORDS[m[1]],
        strength: 3,
        why: `systemd-detect-virt --container says ${m[1]}`,
        line,
        text,
      });
      continue;
    }
    m = /^(\/run\/systemd\/container|\/run\/host\/container-manager): (\S+)/.exec(text);
    if (m) {
      const word = m[2].toLowerCase();
      const says =
        SYSTEMD_WORDS[word] ?? (/^podman/.test(word) ? 'podman' : /^docker/.test(word) ? 'docker' : 'container-other');
      clues.push({ says, strength: 3, why: `${m[1]} (written by the container manager) says ${m[2]}`, line, text });
      continue;
    }
    m = /^exists: (\S+)$/.exec(text);
    if (m && EXISTS[m[1]]) {
      clues.push({
        says: EXISTS[m[1]],
        strength: m[1] === '/var/run/secrets/kubernetes.io' ? 2 : 3,
        why: `${m[1]} exists`,
        line,
        text,
      });
    } else if (m && m[1] === '/proc/vz' && !exists.has('/proc/bc')) {
      // The OpenVZ host has both; a container only /proc/vz (virt-what's rule).
      clues.push({
        says: 'openvz',
        strength: 3,
        why: '/proc/vz exists without /proc/bc: an OpenVZ/Virtuozzo container',
        line,
        text,
      });
    }
  }
  return clues;
}

function fromCgroup(part: Section | undefined): ContainerClue[] {
  for (const { line, text } of part?.lines ?? []) {
    const path = text.split(':').slice(2).join(':');
    for (const [re, says] of CGROUP_PATHS) {
      if (re.test(path)) return [{ says, strength: 2, why: `PID 1's cgroup path names ${says}`, line, text }];
    }
  }
  return [];
}

function fromMounts(part: Section | undefined): ContainerClue[] {
  const clues: ContainerClue[] = [];
  for (const { line, text } of part?.lines ?? []) {
    const fields = text.split(' ');
    const root = fields[3] ?? '';
    if (/ - fuse\.lxcfs /.test(text)) {
      clues.push({
        says: 'lxc',
        strength: 2,
        why: 'lxcfs is mounted over /proc files (LXC/LXD/Incus, Proxmox CT)',
        line,
        text,
      });
      break;
    }
    for (const [re, says] of CGROUP_PATHS) {
      if (fields[4]?.startsWith('/sys/fs/cgroup') && re.test(root)) {
        clues.push({ says, strength: 2, why: `the cgroup mount's root names ${says}`, line, text });
        return clues;
      }
    }
    // cgroup namespaces show the host's cgroup root as /../..: some container mounted it.
    if (fields[4]?.startsWith('/sys/fs/cgroup') && root.startsWith('/..')) {
      clues.push({
        says: 'container-other',
        strength: 1,
        why: 'the cgroup mount starts above its namespace root (/..): a container',
        line,
        text,
      });
    }
  }
  return clues;
}

/** lscpu's "Virtualization type: container": OpenVZ shows Hypervisor vendor Parallels there. */
export function lscpuContainer(lscpuText: string): ContainerClue | undefined {
  const lines = parseColonLines(lscpuText);
  const type = lines.find((l) => l.key === 'Virtualization type');
  if (type?.value !== 'container') return undefined;
  const vendor = lines.find((l) => l.key === 'Hypervisor vendor')?.value;
  const says: ContainerKind = vendor && /Parallels|Virtuozzo|OpenVZ/i.test(vendor) ? 'openvz' : 'container-other';
  const maker = vendor ? ` (hypervisor vendor ${vendor} names the container's maker, not a VM)` : '';
  const why = `lscpu: virtualization type container${maker}`;
  return { says, strength: 2, why, line: type.line, text: `Virtualization type: ${type.value}` };
}

/** Strongest clue wins; among equals the first (systemd's answer is listed first). A
 * systemd "none" counts only when nothing else speaks: old systemd misses Docker. */
export function decideContainer(containerText: string | undefined, lscpuText = ''): ContainerVerdict {
  const clues: ContainerClue[] = [];
  if (containerText) {
    const { head, parts } = sections(containerText);
    clues.push(...fromHead(head), ...fromCgroup(parts.find((p) => p.name === '/proc/1/cgroup')));
    clues.push(...fromMounts(parts.find((p) => p.name === '/proc/self/mountinfo')));
  }
  const fromLscpu = lscpuContainer(lscpuText);
  if (fromLscpu) clues.push(fromLscpu);
  const positive = clues.filter((c) => c.says !== 'none').sort((a, b) => b.strength - a.strength);
  if (positive.length === 0) return { container: null, clues };
  // A generic answer gives way to a specific one of the same strength.
  const best = positive.find((c) => c.strength === positive[0].strength && c.says !== 'container-other') ?? positive[0];
  return { container: best.says as ContainerKind, clues };
}
