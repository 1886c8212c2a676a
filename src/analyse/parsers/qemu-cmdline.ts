// Pure: what a QEMU command line says about the guest it starts.
export type Accel = 'kvm' | 'tcg' | 'xen' | 'hvf' | 'whpx' | 'nvmm';

export interface QemuProcess {
  pid?: number;
  args: string[];
  /** 1-based line in the evidence file where this process starts. */
  line: number;
  /** 1-based line of each argument, when the file has one argument per line. */
  argLines?: number[];
}

export interface QemuFacts {
  binary: string;
  name?: string;
  uuid?: string;
  /** Accelerators in the order QEMU tries them; empty when none is given. */
  accels: Accel[];
  accelArg?: string;
  /** QEMU's own default applies (no accelerator given). */
  accelDefaulted: boolean;
  cpu?: string;
  cpuArg?: string;
  /** `-machine virt,virtualization=on` as given (arm64 EL2, ppc64 cap-nested-hv live here). */
  machineArg?: string;
  /** vmx/svm switched on or off explicitly in -cpu. */
  nestedCpuFlag?: { flag: 'vmx' | 'svm'; on: boolean };
  macs: string[];
  hostForwards: Array<{ hostAddress?: string; hostPort: number; guestPort: number }>;
}

/** Parses the qemu-cmdlines item: `==> pid N <==` sections with one argument per line,
 * or (older captures) one process per line with arguments joined by spaces. */
export function parseQemuCmdlines(text: string): QemuProcess[] {
  const lines = text.split('\n');
  const out: QemuProcess[] = [];
  if (lines.some((l) => /^==> pid \d+ <==$/.test(l))) {
    let current: QemuProcess | undefined;
    lines.forEach((line, index) => {
      const m = /^==> pid (\d+) <==$/.exec(line);
      if (m) {
        current = { pid: Number(m[1]), args: [], argLines: [], line: index + 1 };
        out.push(current);
      } else if (current && line !== '') {
        current.args.push(line);
        current.argLines!.push(index + 1);
      }
    });
    return out;
  }
  lines.forEach((line, index) => {
    const args = line.trim().split(/\s+/).filter(Boolean);
    if (args.length && /qemu|kvm/.test(args[0])) out.push({ args, line: index + 1 });
  });
  return out;
}

function optionValue(options: string, key: string): string | undefined {
  for (const part of splitOptions(options)) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq) === key) return part.slice(eq + 1);
  }
  return undefined;
}

/** QEMU option lists split on commas; ",," is a literal comma. */
export function splitOptions(options: string): string[] {
  return options.replace(/,,/g, '\u0000').split(',').map((p) => p.replace(/\u0000/g, ','));
}

function jsonOption(value: string): Record<string, unknown> | undefined {
  if (!value.startsWith('{')) return undefined;
  try {
    return JSON.parse(value) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

const ACCELS: Accel[] = ['kvm', 'tcg', 'xen', 'hvf', 'whpx', 'nvmm'];

function toAccels(list: string): Accel[] {
  return list.split(':').map((a) => a.trim()).filter((a): a is Accel => (ACCELS as string[]).includes(a));
}

export function qemuFacts(args: readonly string[]): QemuFacts {
  const binary = args[0] ?? '';
  const facts: QemuFacts = { binary, accels: [], accelDefaulted: false, macs: [], hostForwards: [] };
  const base = binary.split('/').pop() ?? '';
  const flag = (a: string) => a.replace(/^--/, '-');
  for (let i = 1; i < args.length; i++) {
    const a = flag(args[i]);
    const next = args[i + 1] ?? '';
    if (a === '-enable-kvm') {
      facts.accels.push('kvm');
      facts.accelArg ??= args[i];
    } else if (a === '-accel') {
      const json = jsonOption(next);
      const name = json ? String(json['qom-type'] ?? json.accel ?? '') : splitOptions(next)[0].replace(/^accel=/, '');
      const accels = toAccels(name);
      facts.accels.push(...accels);
      if (accels.length) facts.accelArg ??= `-accel ${next}`;
      i++;
    } else if (a === '-machine' || a === '-M') {
      facts.machineArg ??= `${args[i]} ${next}`;
      const json = jsonOption(next);
      const accel = json ? (json.accel as string | undefined) : optionValue(next, 'accel');
      if (accel) {
        facts.accels.push(...toAccels(accel));
        facts.accelArg ??= `${args[i]} ${next}`;
      }
      i++;
    } else if (a === '-cpu') {
      facts.cpuArg = `-cpu ${next}`;
      const parts = splitOptions(next);
      facts.cpu = parts[0];
      for (const p of parts.slice(1)) {
        const m = /^([+-])?(vmx|svm)(?:=(on|off|true|false|yes|no))?$/.exec(p);
        if (m) facts.nestedCpuFlag = { flag: m[2] as 'vmx' | 'svm', on: m[1] === '-' ? false : m[3] === undefined ? true : /^(on|true|yes)$/.test(m[3]) };
      }
      i++;
    } else if (a === '-name') {
      const json = jsonOption(next);
      facts.name = json ? String(json.guest ?? '') : optionValue(next, 'guest') ?? splitOptions(next)[0];
      i++;
    } else if (a === '-uuid') {
      facts.uuid = next.toLowerCase();
      i++;
    } else if (a === '-smbios') {
      const uuid = optionValue(next, 'uuid');
      if (uuid) facts.uuid ??= uuid.toLowerCase();
      i++;
    } else if (a === '-device' || a === '-net' || a === '-nic' || a === '-netdev') {
      const json = jsonOption(next);
      const mac = json ? (json.mac as string | undefined) : optionValue(next, 'mac') ?? optionValue(next, 'macaddr');
      if (mac) facts.macs.push(mac.toLowerCase());
      if (!json) {
        for (const part of splitOptions(next)) {
          const m = /^hostfwd=(?:tcp|udp)?:([^:-]*):(\d+)-[^:]*:(\d+)$/.exec(part);
          if (m) facts.hostForwards.push({ hostAddress: m[1] || undefined, hostPort: Number(m[2]), guestPort: Number(m[3]) });
        }
      }
      i++;
    }
  }
  if (facts.accels.length === 0) {
    facts.accelDefaulted = true;
    // RHEL's qemu-kvm and Debian's kvm wrapper default to KVM; upstream qemu-system-* to TCG.
    facts.accels.push(base === 'qemu-kvm' || base === 'kvm' ? 'kvm' : 'tcg');
  }
  return facts;
}
