// Pure: Xen underneath. nestbug cannot read the guest's xl configuration from inside.
import type { Level } from '../../levels.js';
import { hypervisorById } from '../hypervisors.js';
import { cite, result } from './common.js';
import type { CheckDef } from './registry.js';

export const xenNesting: CheckDef = {
  id: 'xen-nesting',
  level: 'L1',
  titles: {
    pass: 'Xen underneath has nesting on',
    fail: 'Xen underneath has nesting off',
    warn: 'Xen underneath: nesting needs a look',
    unknown: "Xen is underneath: its nesting setting can't be seen from inside",
  },
  reads: [],
  alsoReads: ['xen-domains'],
  evaluate(ctx) {
    // The dom0's guest configurations were collected: l1-xen-config reads them.
    if (ctx.files.get('L0/xen-domains.txt')) return undefined;
    const v = ctx.verdicts.L0;
    const v1 = ctx.verdicts.L1;
    if (v?.runsOn !== 'xen' && v1?.runsOn !== 'xen') return undefined;
    const level: Level = v?.runsOn === 'xen' ? 'L0' : 'L1';
    const c = (v?.runsOn === 'xen' ? v : v1)!.evidence[0];
    const res = result(
      'unknown',
      `Xen is underneath ${level}: nested HVM needs hap=1 and nestedhvm=1 in the guest's xl configuration, which nestbug cannot read from inside`,
      c ? [cite(c.file, c.line, c.text)] : [],
      hypervisorById('xen')?.nesting?.fix,
      `${level} is on Xen: its nesting setting can't be seen from inside`,
    );
    return { ...res, level };
  },
};
