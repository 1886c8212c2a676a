// Pure: does a level run its own guests (the L2s) on KVM?
import type { Level } from '../../levels.js';
import { levelFile } from '../evidence.js';
import { guestAccel } from '../guests.js';
import { cite, result } from './common.js';
import type { CheckDef } from './registry.js';

const READS = ['qemu-cmdlines', 'domains', 'qemu-kvm-fds'];

export function guestsOnKvmCheck(host: Exclude<Level, 'L0'>): CheckDef {
  return {
    id: `${host.toLowerCase()}-guests-on-kvm`,
    level: 'L2',
    titles: {
      pass: `${host} runs its guests on KVM`,
      fail: `${host} runs guests on TCG, not KVM`,
      warn: `${host}'s guests may fall back to TCG`,
      unknown: `what ${host}'s guests run on is not known`,
    },
    reads: READS,
    evaluate(ctx) {
      // The L2s are the guests running now; when none runs, the defined domains that were
      // started before. Logs of domains that no longer exist are history, not L2s.
      const all = ctx.guests[host] ?? [];
      const running = all.filter((g) => g.running);
      const guests = running.length ? running : all.filter((g) => g.domain && g.log);
      if (!ctx.collected.includes(host) || guests.length === 0) return undefined;
      // The guests come from these items: read through ctx so a failed one makes this unknown.
      for (const id of READS) ctx.files.get(levelFile(host, id));
      const rows = guests.map((g) => ({ g, accel: guestAccel(g) }));
      const tcg = rows.filter((r) => r.accel.says === 'tcg');
      const evidence = rows.map((r) => r.accel.clue).filter((c) => c !== undefined).map((c) => cite(c.file, c.line, c.text));
      const names = (list: typeof rows) => list.map((r) => r.g.name ?? `pid ${r.g.pid}`).join(', ');
      if (tcg.length) {
        return result(
          'fail',
          `${host} runs ${tcg.length} of its ${rows.length} guests on TCG, not KVM: ${names(tcg)}; ${tcg[0].accel.clue?.why}`,
          evidence,
          `In ${host}: make sure /dev/kvm works (see the ${host} checks), then start the guests with libvirt type='kvm' or QEMU -accel kvm; remove a ":tcg" fallback so a KVM failure is an error, not a silent slowdown.`,
        );
      }
      const weak = rows.filter((r) => r.accel.strength < 2);
      if (weak.length) {
        return result('warn', `${names(weak)} may be on TCG: ${weak[0].accel.clue?.why ?? 'no accelerator evidence'}`, evidence, 'Start the guests with -accel kvm alone (no :tcg fallback) so a KVM failure stops QEMU instead of emulating.');
      }
      return result('pass', `${host} runs its guests on KVM: ${names(rows)}`, evidence);
    },
  };
}
