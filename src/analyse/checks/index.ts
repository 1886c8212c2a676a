// The check registry: every check nestbug runs, in the order the summary lists them
// (failures first after sorting). Adding a check is one entry here plus its module.
import { ARCH_CHECKS } from './arch.js';
import { guestsOnKvmCheck } from './guests-on-kvm.js';
import { kvmAccessCheck } from './kvm-access.js';
import { pveL1Config, xenGuestNesting } from './l0-stacks.js';
import { l0Kvm, l0Nested, l0Speed } from './l0.js';
import { l0L1Flags, l1Kvm, l1Migration, l1VirtFlag } from './l1.js';
import { onKvmCheck } from './on-kvm.js';
import { qemuKvmCheck } from './qemu-kvm.js';
import type { CheckDef } from './registry.js';
import { xenNesting } from './xen.js';

export const CHECKS: readonly CheckDef[] = [
  l0Kvm,
  l0Nested,
  l0Speed,
  qemuKvmCheck('L0'),
  xenNesting,
  xenGuestNesting,
  pveL1Config,
  onKvmCheck('L1'),
  l1VirtFlag,
  l1Kvm,
  qemuKvmCheck('L1'),
  kvmAccessCheck('L0'),
  kvmAccessCheck('L1'),
  l0L1Flags,
  guestsOnKvmCheck('L1'),
  onKvmCheck('L2'),
  l1Migration,
  ...ARCH_CHECKS,
];
