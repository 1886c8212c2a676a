// Pure: s390x /proc/sysinfo. It lists every layer below the level that reads it: the
// machine, the LPAR (PR/SM), then one block per virtual machine level from the innermost
// (VM00 = the hypervisor running this level) outwards (VM01 = the one running that
// hypervisor, ...). One level's sysinfo therefore tells what the levels below run on,
// also when they were not collected.

export interface SysinfoLayer {
  kind: 'machine' | 'lpar' | 'vm';
  /** VM index (0 = innermost) for kind 'vm'. */
  index?: number;
  name?: string;
  /** For VM layers: `KVM/Linux`, `z/VM 7.3.0`, ... */
  controlProgram?: string;
  manufacturer?: string;
  type?: string;
  line: number;
}

export function parseSysinfoLayers(text: string): SysinfoLayer[] {
  const machine: SysinfoLayer = { kind: 'machine', line: 0 };
  let lpar: SysinfoLayer | undefined;
  const vms = new Map<number, SysinfoLayer>();
  text.split('\n').forEach((raw, index) => {
    const m = /^([^:]+?):\s*(.*?)\s*$/.exec(raw);
    if (!m) return;
    const [key, value] = [m[1].trim(), m[2]];
    const line = index + 1;
    if (key === 'Manufacturer' && machine.manufacturer === undefined)
      Object.assign(machine, { manufacturer: value, line });
    else if (key === 'Type' && machine.type === undefined) machine.type = value;
    else if (/^LPAR (Name|Number)$/.test(key)) {
      lpar ??= { kind: 'lpar', line };
      if (key === 'LPAR Name') lpar.name = value;
    } else {
      const vm = /^VM(\d\d) (Name|Control Program)$/.exec(key);
      if (!vm) return;
      const i = Number(vm[1]);
      const layer = vms.get(i) ?? { kind: 'vm' as const, index: i, line };
      if (vm[2] === 'Name') layer.name = value;
      else layer.controlProgram = value;
      vms.set(i, layer);
    }
  });
  const out: SysinfoLayer[] = [...vms.values()].sort((a, b) => a.index! - b.index!);
  if (lpar) out.push(lpar);
  if (machine.line) out.push(machine);
  return out;
}

export type S390RunsOn = 'kvm' | 'zvm' | 'lpar' | 'tcg' | 'other';

/** What a VM layer's control program is. */
function cpSays(cp: string | undefined): S390RunsOn {
  if (!cp) return 'other';
  if (/KVM/i.test(cp)) return 'kvm';
  if (/z\/VM/i.test(cp)) return 'zvm';
  return 'other';
}

/** QEMU without KVM (TCG) fills sysinfo itself: manufacturer QEMU, guest name TCGguest, and
 * still claims `KVM/Linux` as the control program. */
export function sysinfoSaysTcg(layers: readonly SysinfoLayer[]): SysinfoLayer | undefined {
  const machine = layers.find((l) => l.kind === 'machine');
  if (machine?.manufacturer && /^QEMU\b/i.test(machine.manufacturer)) return machine;
  return layers.find((l) => l.kind === 'vm' && l.index === 0 && /^TCGguest$/i.test(l.name ?? ''));
}

export interface LevelBelow {
  /** How many levels below the reading level (1 = the one that runs it). */
  depth: number;
  runsOn: S390RunsOn;
  /** What that level is: "a KVM host", "z/VM", "an LPAR". */
  is: string;
  layer: SysinfoLayer;
}

/**
 * The chain below a level, from its sysinfo: depth 1 is the hypervisor running this level
 * (VM00's control program), and it runs on the next layer out (VM01, or the LPAR).
 * Under TCG nothing below is real s390x: an empty list.
 */
export function levelsBelow(layers: readonly SysinfoLayer[]): LevelBelow[] {
  if (sysinfoSaysTcg(layers)) return [];
  const vms = layers.filter((l) => l.kind === 'vm');
  const lpar = layers.find((l) => l.kind === 'lpar');
  const out: LevelBelow[] = [];
  vms.forEach((vm, i) => {
    const next = vms[i + 1] ?? lpar;
    const nextSays: S390RunsOn = next ? (next.kind === 'lpar' ? 'lpar' : cpSays(next.controlProgram)) : 'other';
    const what =
      cpSays(vm.controlProgram) === 'kvm'
        ? 'a KVM host'
        : cpSays(vm.controlProgram) === 'zvm'
          ? 'z/VM'
          : `${vm.controlProgram ?? 'a hypervisor'}`;
    const on =
      nextSays === 'lpar'
        ? `in LPAR ${next?.name ?? ''}`.trim()
        : nextSays === 'kvm'
          ? 'on KVM'
          : nextSays === 'zvm'
            ? 'on z/VM'
            : 'on an unknown layer';
    out.push({ depth: i + 1, runsOn: nextSays, is: `${what} ${on}`, layer: vm });
  });
  if (vms.length === 0 && lpar) return [];
  return out;
}

const LEVEL_NAMES = ['L0', 'L1', 'L2'] as const;

/** Labels for the levels below `level` that its sysinfo describes, e.g. L0 -> "a KVM host
 * in LPAR R17LP39, from L1's /proc/sysinfo; not collected". */
export function reconstructedLevels(
  level: (typeof LEVEL_NAMES)[number],
  sysinfo: string,
): Partial<Record<(typeof LEVEL_NAMES)[number], string>> {
  const out: Partial<Record<(typeof LEVEL_NAMES)[number], string>> = {};
  const index = LEVEL_NAMES.indexOf(level);
  for (const below of levelsBelow(parseSysinfoLayers(sysinfo))) {
    const at = index - below.depth;
    if (at >= 0) out[LEVEL_NAMES[at]] = `${below.is}, from ${level}'s /proc/sysinfo; not collected`;
  }
  return out;
}
