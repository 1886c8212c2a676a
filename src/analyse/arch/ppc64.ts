// Pure: ppc64 levels. /proc/cpuinfo's trailer names the platform: `PowerNV` is bare metal
// (OPAL firmware, KVM-HV can run there); `pSeries` is a guest of a hypervisor: QEMU's
// machine says `emulated by qemu` (KVM or TCG: the same words), PowerVM says the IBM
// machine type (`IBM,8247-21L`). Under KVM, QEMU adds a device tree node /hypervisor
// compatible with `linux,kvm`; under TCG there is none.

export interface PpcPlatform {
  platform?: string;
  model?: string;
  machine?: string;
  /** 1-based line of `platform :`. */
  line?: number;
  kind: 'powernv' | 'qemu-pseries' | 'powervm' | 'pseries' | 'unknown';
}

export function parsePpcPlatform(cpuinfo: string): PpcPlatform {
  const out: PpcPlatform = { kind: 'unknown' };
  cpuinfo.split('\n').forEach((raw, index) => {
    const m = /^(platform|model|machine)\s*:\s*(.*)$/.exec(raw.trim());
    if (!m) return;
    const key = m[1] as 'platform' | 'model' | 'machine';
    if (out[key] !== undefined) return;
    out[key] = m[2].trim();
    if (key === 'platform') out.line = index + 1;
  });
  const words = `${out.model ?? ''} ${out.machine ?? ''}`;
  if (/PowerNV/i.test(out.platform ?? '')) out.kind = 'powernv';
  else if (/pSeries/i.test(out.platform ?? '')) {
    if (/emulated by qemu/i.test(words)) out.kind = 'qemu-pseries';
    else if (/\bIBM,[0-9A-Z]{4}-[0-9A-Z]{3}\b/.test(words)) out.kind = 'powervm';
    else out.kind = 'pseries';
  }
  return out;
}

/** The device-tree item: `key=value` lines (`model=`, `compatible=`, `hypervisor=`). */
export function parseDeviceTree(text: string): Map<string, { value: string; line: number }> {
  const out = new Map<string, { value: string; line: number }>();
  text.split('\n').forEach((raw, index) => {
    const m = /^([a-z][a-z0-9_,.-]*)=(.*)$/i.exec(raw.trim());
    if (m && !out.has(m[1])) out.set(m[1], { value: m[2].trim(), line: index + 1 });
  });
  return out;
}

export interface PpcNestedError {
  line: number;
  text: string;
  meaning: string;
  fix: string;
}

const NESTED_ERRORS: Array<{ re: RegExp; meaning: string; fix: string }> = [
  {
    re: /kvm-hv: Parent hypervisor does not support nesting/i,
    meaning: 'kvm_hv found no nested-HV support in the hypervisor below: this level cannot run KVM-HV guests',
    fix: "Start this level with nested HV: QEMU -machine pseries,cap-nested-hv=on (libvirt <features><nested-hv state='on'/></features>), and on the KVM host below load kvm_hv with nested=1 (the default since Linux 5.0: check /sys/module/kvm_hv/parameters/nested). Under TCG, or on PowerVM before Power10 with the nested API v2, there is no nested HV.",
  },
  {
    re: /KVM-NESTEDv2: couldn't set guest wide elements/i,
    meaning: 'the nested API v2 (PowerVM / Power10 compatibility mode) refused the L2 guest',
    fix: 'Run L1 on a firmware and kernel with the nested API v2 (PowerVM FW1060+), or on a KVM host (nested API v1 with cap-nested-hv=on); Power10-compat L2s need both sides to agree on the API.',
  },
  {
    re: /IRQ_XIVE capability must be present/i,
    meaning:
      'QEMU in this level asked for the in-kernel XIVE interrupt controller, which a nested KVM-HV guest does not have',
    fix: 'Start the L2 with -machine pseries,ic-mode=xics,kernel-irqchip=off (or kernel-irqchip=split / off in libvirt): the emulated interrupt controller works in a nested guest.',
  },
  {
    re: /cap-nested-hv|nested KVM-HV is not supported|KVM implementation does not support Nested-HV/i,
    meaning: 'QEMU could not give its guest nested HV',
    fix: 'Load kvm_hv with nested=1 on the host running this QEMU (kvm_pr cannot nest), and keep cap-nested-hv=on only where the host supports it.',
  },
];

/** Nested KVM-HV errors in a kernel log or QEMU log. */
export function ppcNestedErrors(text: string): PpcNestedError[] {
  const out: PpcNestedError[] = [];
  const lines = text.split('\n');
  for (const e of NESTED_ERRORS) {
    const i = lines.findIndex((l) => e.re.test(l));
    if (i >= 0) out.push({ line: i + 1, text: lines[i].trim().slice(0, 300), meaning: e.meaning, fix: e.fix });
  }
  return out;
}

/** Does the machine option of a QEMU command line ask for nested HV?
 * `-machine pseries,cap-nested-hv=on`. */
export function machineNestedHv(machineArg: string | undefined): boolean {
  const m = /(?:[\s,])cap-nested-hv=(on|off|true|false|yes|no)\b/.exec(machineArg ?? '');
  return m !== null && /^(on|true|yes)$/.test(m[1]);
}

/** libvirt: `<nested-hv state='on'/>` under <features>. */
export function domainNestedHv(xml: string): { on: boolean; line?: number; text?: string } {
  const lines = xml.split('\n');
  const i = lines.findIndex((l) => /<nested-hv\b/.test(l));
  if (i < 0) return { on: false };
  return { on: /state=['"]on['"]/.test(lines[i]), line: i + 1, text: lines[i].trim() };
}
