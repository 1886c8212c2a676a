import type { Level } from '../levels.js';
import type { Citation } from './evidence.js';
import { HYPERVISORS } from './hypervisors.js';
import type { Platform } from './platform.js';

/** `levels.LN.runsOn`: a value of the hypervisor table, or one of the three that no entry has. */
export type RunsOn = (typeof HYPERVISORS)[number]['runsOn'] | 'bare-metal' | 'other' | 'unknown';
export const RUNS_ON: readonly RunsOn[] = [...new Set<RunsOn>(['bare-metal', ...HYPERVISORS.map((h) => h.runsOn), 'other', 'unknown'])];

/** 3: proof (CPUID signature, KVM file descriptor, QEMU's own fallback message);
 *  2: direct statement (dmesg/lscpu/systemd, domain type, explicit -accel);
 *  1: inference (QEMU's default accelerator, DMI plus missing KVM signature). */
export type Strength = 1 | 2 | 3;

export interface Clue {
  view: 'inside' | 'outside';
  says: RunsOn;
  strength: Strength;
  why: string;
  file: string;
  line?: number;
  text: string;
}

export interface LevelVerdict {
  level: Level;
  runsOn: RunsOn;
  inside: RunsOn;
  outside: RunsOn;
  /** The two views name different hypervisors. */
  disagree: boolean;
  /** One sentence saying how the verdict was reached. */
  reason: string;
  evidence: Clue[];
  /** The platform (product or cloud) providing the level's VM, with the clues naming it. */
  platform?: Platform;
  /** The container this level runs in (docker, podman, lxc, ...), null when none; the
   * runsOn above is still the kernel's, which the container shares. */
  container?: string | null;
  containerEvidence?: Array<{ file: string; line?: number; text: string; why: string }>;
}

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'unknown';

export interface Check {
  id: string;
  level: Level;
  status: CheckStatus;
  /** The finding in a few words ("L1 is not on KVM: it runs on TCG"), from the check registry. */
  title: string;
  summary: string;
  fix?: string;
  evidence: Citation[];
}

export interface LevelTable {
  level: Level;
  collected: boolean;
  hostname?: string;
  kernel?: string;
  os?: string;
  qemu?: string;
  libvirt?: string;
  cpuModel?: string;
  cpuVendor?: string;
  arch?: string;
  virtFlags: string[];
  hypervisorFlag?: boolean;
  nested?: string;
  kvmDevice?: string;
  kvmModules: string[];
  /** Which kernel log the analysis read, and why (dmesg, or the journal's copy of the boot). */
  kernelLog?: string;
}

export interface Verdict {
  levels: Partial<Record<Level, LevelVerdict>>;
  tables: LevelTable[];
  checks: Check[];
  /** "KVM on TCG", "KVM on KVM", ... */
  chainName: string;
  /** L0 (bare metal) -> L1 (TCG) -> L2 (KVM) */
  chainLine: string;
}
