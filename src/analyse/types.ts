import type { Level } from '../levels.js';
import type { Citation } from './evidence.js';

export const RUNS_ON = ['bare-metal', 'kvm', 'tcg', 'xen', 'hyperv', 'vmware', 'virtualbox', 'parallels', 'zvm', 'lpar', 'other', 'unknown'] as const;
export type RunsOn = (typeof RUNS_ON)[number];

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
}

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'unknown';

export interface Check {
  id: string;
  level: Level;
  status: CheckStatus;
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
