// Pure: how to switch nesting on for a level, from what runs it (the hypervisor table).
import type { Level } from '../../levels.js';
import type { Citation } from '../evidence.js';
import type { ChainContext } from './registry.js';

export interface NestingFix {
  text: string;
  title?: string;
  note?: string;
  evidence: Citation[];
}

export function nestingFix(_ctx: ChainContext, level: Level, how: { startedWithoutFlag: boolean; flag: string }): NestingFix {
  const flag = how.flag === 'vmx/svm' ? 'vmx' : how.flag;
  const text = how.startedWithoutFlag
    ? `Give ${level} the host CPU's virtualization: libvirt <cpu mode='host-passthrough'/> (or host-model), or QEMU -cpu host (or -cpu MODEL,+${flag}); L0 also needs nested=1.`
    : `Check L0's nested parameter and how ${level} is started: libvirt <cpu mode='host-passthrough'/> or QEMU -cpu host.`;
  return { text, evidence: [] };
}
