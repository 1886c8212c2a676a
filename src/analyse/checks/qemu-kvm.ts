// Pure: QEMU or libvirt on a level said it could not use KVM (in libvirt's per-domain
// logs or pasted QEMU output): the guest did not start, or runs emulated on TCG.
import type { Level } from '../../levels.js';
import { type DecisiveHit, QEMU_NO_KVM, findDecisive } from '../decisive-lines.js';
import { result } from './common.js';
import type { CheckDef } from './registry.js';

function fixFor(level: Level, hits: DecisiveHit[]): string {
  const text = hits.map((h) => h.text).join('\n');
  if (/Permission denied/i.test(text)) {
    return `In ${level}: /dev/kvm exists but the user running QEMU cannot open it: add that user to the group owning /dev/kvm (usually kvm: usermod -aG kvm USER, then log in again); in a container, pass the device with --device /dev/kvm and its group with --group-add.`;
  }
  if (hits.some((h) => h.id === 'tcg-no-vmx')) {
    return `QEMU in ${level} runs this guest on TCG, which cannot offer vmx to it: give ${level} a working /dev/kvm (see its checks) and start the guest with -accel kvm, or drop +vmx from its -cpu when emulating on purpose.`;
  }
  return `${level} has no usable KVM (/dev/kvm missing: see the ${level} checks for the nesting or firmware switch); start guests with -accel kvm alone (not kvm:tcg) so a KVM failure is an error, not a silent fallback to TCG.`;
}

export function qemuKvmCheck(level: Exclude<Level, 'L2'>): CheckDef {
  return {
    id: `${level.toLowerCase()}-qemu-kvm`,
    level,
    titles: {
      pass: `QEMU on ${level} uses KVM`,
      fail: `QEMU on ${level} could not use KVM`,
      warn: `QEMU on ${level} fell back to TCG once`,
      unknown: `whether QEMU on ${level} could use KVM is not known`,
    },
    reads: [],
    alsoReads: ['libvirt-qemu-logs', 'extra-qemu-stderr'],
    evaluate(ctx) {
      if (!ctx.collected.includes(level)) return undefined;
      const hits = findDecisive(ctx.files, level, QEMU_NO_KVM);
      if (hits.length === 0) return undefined;
      const said = hits.map((h) => `"${h.quote}" (${h.means})`).join('; ');
      return result('fail', `QEMU or libvirt on ${level} logged: ${said}`, hits, fixFor(level, hits));
    },
  };
}
