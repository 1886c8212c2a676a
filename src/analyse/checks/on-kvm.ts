// Pure: does a level really run on KVM? Decided by the verdict (inside and outside views).
import type { Level } from '../../levels.js';
import { runsOnLabel } from '../runs-on.js';
import { cite, result } from './common.js';
import { underLabel } from './platform-fix.js';
import type { CheckDef } from './registry.js';

export function onKvmCheck(level: Exclude<Level, 'L0'>): CheckDef {
  const below = level === 'L1' ? 'L0' : 'L1';
  return {
    id: `${level.toLowerCase()}-on-kvm`,
    level,
    titles: {
      pass: `${level} runs on KVM`,
      fail: `${level} is not on KVM: it runs on TCG`,
      warn: `${level} is not on KVM`,
      unknown: `what ${level} runs on is not known`,
    },
    reads: [],
    evaluate(ctx) {
      const verdict = ctx.verdicts[level];
      if (!verdict) return undefined;
      const evidence = verdict.evidence.slice(0, 4).map((c) => cite(c.file, c.line, c.text));
      switch (verdict.runsOn) {
        case 'kvm':
          return verdict.disagree
            ? result('warn', `${level} runs on KVM by the stronger evidence; ${verdict.reason}`, evidence, 'The two views disagree: compare the cited lines; kvm=off or a silent fallback are the usual causes.', `${level} runs on KVM, but the views disagree`)
            : result('pass', `${level} runs on KVM: ${verdict.reason}`, evidence);
        case 'tcg':
          return result(
            'fail',
            `${level} runs on TCG, QEMU's emulation, not on KVM: everything inside it is emulated, so this is not "KVM on KVM"; ${verdict.reason}`,
            evidence,
            `Start ${level} with KVM on ${below}: libvirt <domain type='kvm'> (not type='qemu'), or QEMU -accel kvm (not tcg, and not kvm:tcg, which falls back silently); ${below} needs a usable /dev/kvm (see its checks).`,
          );
        case 'unknown':
          return result('unknown', `not enough evidence to tell what ${level} runs on`, evidence, `Collect ${level} as root (cpuid-signature, dmidecode) and ${below} (QEMU command lines, libvirt logs).`);
        case 'bare-metal':
          return result('warn', `${level} looks like bare metal, not a guest: check that the levels were given in order (--l0 is the physical host)`, evidence, undefined, `${level} looks like bare metal, not a guest`);
        default: {
          const under = underLabel(ctx, level) ?? runsOnLabel(verdict.runsOn);
          return result(
            'warn',
            `${level} runs on ${under}, not on KVM: the nesting underneath is ${runsOnLabel(verdict.runsOn)}'s, so KVM's nested parameter and KVM-on-KVM advice do not apply to ${below}, and a nested KVM bug seen here may be ${runsOnLabel(verdict.runsOn)}'s`,
            evidence,
            undefined,
            `${level} is not on KVM: it runs on ${under}`,
          );
        }
      }
    },
  };
}
