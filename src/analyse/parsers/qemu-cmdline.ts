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
  return options
    .replace(/,,/g, '\u0000')
    .split(',')
    .map((p) => p.replace(/\u0000/g, ','));
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
  return list
    .split(':')
    .map((a) => a.trim())
    .filter((a): a is Accel => (ACCELS as string[]).includes(a));
}

/** Reads one option's value into the facts; `written` is the option as the command line spelled it. */
type OptionReader = (facts: QemuFacts, value: string, written: string) => void;

function readAccel(facts: QemuFacts, value: string): void {
  const json = jsonOption(value);
  const name = json ? String(json['qom-type'] ?? json.accel ?? '') : splitOptions(value)[0].replace(/^accel=/, '');
  const accels = toAccels(name);
  facts.accels.push(...accels);
  if (accels.length) facts.accelArg ??= `-accel ${value}`;
}

function readMachine(facts: QemuFacts, value: string, written: string): void {
  facts.machineArg ??= `${written} ${value}`;
  const json = jsonOption(value);
  const accel = json ? (json.accel as string | undefined) : optionValue(value, 'accel');
  if (accel) {
    facts.accels.push(...toAccels(accel));
    facts.accelArg ??= `${written} ${value}`;
  }
}

function readCpu(facts: QemuFacts, value: string): void {
  facts.cpuArg = `-cpu ${value}`;
  const parts = splitOptions(value);
  facts.cpu = parts[0];
  for (const p of parts.slice(1)) {
    const m = /^([+-])?(vmx|svm)(?:=(on|off|true|false|yes|no))?$/.exec(p);
    if (m)
      facts.nestedCpuFlag = {
        flag: m[2] as 'vmx' | 'svm',
        on: m[1] === '-' ? false : m[3] === undefined ? true : /^(on|true|yes)$/.test(m[3]),
      };
  }
}

function readName(facts: QemuFacts, value: string): void {
  const json = jsonOption(value);
  facts.name = json ? String(json.guest ?? '') : (optionValue(value, 'guest') ?? splitOptions(value)[0]);
}

function readNetwork(facts: QemuFacts, value: string): void {
  const json = jsonOption(value);
  const mac = json ? (json.mac as string | undefined) : (optionValue(value, 'mac') ?? optionValue(value, 'macaddr'));
  if (mac) facts.macs.push(mac.toLowerCase());
  if (json) return;
  for (const part of splitOptions(value)) {
    const m = /^hostfwd=(?:tcp|udp)?:([^:-]*):(\d+)-[^:]*:(\d+)$/.exec(part);
    if (m) facts.hostForwards.push({ hostAddress: m[1] || undefined, hostPort: Number(m[2]), guestPort: Number(m[3]) });
  }
}

/** The options read, each taking the next argument as its value. */
const OPTION_READERS = new Map<string, OptionReader>([
  ['-accel', readAccel],
  ['-machine', readMachine],
  ['-M', readMachine],
  ['-cpu', readCpu],
  ['-name', readName],
  [
    '-uuid',
    (facts, value) => {
      facts.uuid = value.toLowerCase();
    },
  ],
  [
    '-smbios',
    (facts, value) => {
      const uuid = optionValue(value, 'uuid');
      if (uuid) facts.uuid ??= uuid.toLowerCase();
    },
  ],
  ['-device', readNetwork],
  ['-net', readNetwork],
  ['-nic', readNetwork],
  ['-netdev', readNetwork],
]);

export function qemuFacts(args: readonly string[]): QemuFacts {
  const binary = args[0] ?? '';
  const facts: QemuFacts = { binary, accels: [], accelDefaulted: false, macs: [], hostForwards: [] };
  const base = binary.split('/').pop() ?? '';
  for (let i = 1; i < args.length; i++) {
    const option = args[i].replace(/^--/, '-');
    if (option === '-enable-kvm') {
      facts.accels.push('kvm');
      facts.accelArg ??= args[i];
      continue;
    }
    const read = OPTION_READERS.get(option);
    if (!read) continue;
    read(facts, args[i + 1] ?? '', args[i]);
    i++;
  }
  if (facts.accels.length === 0) {
    facts.accelDefaulted = true;
    // RHEL's qemu-kvm and Debian's kvm wrapper default to KVM; upstream qemu-system-* to TCG.
    facts.accels.push(base === 'qemu-kvm' || base === 'kvm' ? 'kvm' : 'tcg');
  }
  return facts;
}
