// Pure: VMX capability MSRs decoded as QEMU's scripts/kvm/vmxcap does, to list the VMX
// features L0 offers and L1 lost. Only the features that matter for nesting speed and
// correctness are named; the rest of the bits are compared without names.
export interface VmxFeature {
  msr: number;
  bit: number;
  name: string;
  /** For allowed-1 control MSRs the bit is in the high 32 bits. */
  control: boolean;
}

const PROCBASED2 = 0x48b;
const EPT_VPID = 0x48c;
const MISC = 0x485;
const PINBASED = 0x481;
const PROCBASED = 0x482;

export const VMX_FEATURES: VmxFeature[] = [
  { msr: PINBASED, bit: 7, name: 'Process posted interrupts', control: true },
  { msr: PINBASED, bit: 6, name: 'Activate VMX-preemption timer', control: true },
  { msr: PROCBASED, bit: 31, name: 'Activate secondary controls', control: true },
  { msr: PROCBASED, bit: 21, name: 'Use TPR shadow', control: true },
  { msr: PROCBASED2, bit: 1, name: 'Enable EPT', control: true },
  { msr: PROCBASED2, bit: 5, name: 'Enable VPID', control: true },
  { msr: PROCBASED2, bit: 7, name: 'Unrestricted guest', control: true },
  { msr: PROCBASED2, bit: 8, name: 'APIC register emulation', control: true },
  { msr: PROCBASED2, bit: 9, name: 'Virtual interrupt delivery', control: true },
  { msr: PROCBASED2, bit: 13, name: 'Enable VM functions', control: true },
  { msr: PROCBASED2, bit: 14, name: 'VMCS shadowing', control: true },
  { msr: PROCBASED2, bit: 17, name: 'Enable PML', control: true },
  { msr: PROCBASED2, bit: 25, name: 'TSC scaling', control: true },
  { msr: EPT_VPID, bit: 6, name: 'EPT page-walk length 4', control: false },
  { msr: EPT_VPID, bit: 7, name: 'EPT page-walk length 5', control: false },
  { msr: EPT_VPID, bit: 16, name: 'EPT 2MB pages', control: false },
  { msr: EPT_VPID, bit: 17, name: 'EPT 1GB pages', control: false },
  { msr: EPT_VPID, bit: 21, name: 'EPT accessed and dirty flags', control: false },
  { msr: EPT_VPID, bit: 32, name: 'INVVPID supported', control: false },
  { msr: MISC, bit: 29, name: 'VMWRITE to VM-exit information fields', control: false },
];

export function parseVmxMsrs(text: string): Map<number, bigint> {
  const out = new Map<number, bigint>();
  for (const line of text.split('\n')) {
    const m = /^(0x[0-9a-f]+)=(0x[0-9a-f]+)$/i.exec(line.trim());
    if (m) out.set(parseInt(m[1], 16), BigInt(m[2]));
  }
  return out;
}

export function hasFeature(msrs: Map<number, bigint>, f: VmxFeature): boolean | undefined {
  const value = msrs.get(f.msr);
  if (value === undefined) return undefined;
  // Secondary controls exist only when "activate secondary controls" may be set.
  if (f.msr === PROCBASED2) {
    const primary = msrs.get(PROCBASED);
    if (primary !== undefined && ((primary >> 63n) & 1n) === 0n) return false;
  }
  const bit = f.control ? BigInt(f.bit + 32) : BigInt(f.bit);
  return ((value >> bit) & 1n) === 1n;
}

export function lostVmxFeatures(l0: Map<number, bigint>, l1: Map<number, bigint>): string[] {
  return VMX_FEATURES.filter((f) => hasFeature(l0, f) === true && hasFeature(l1, f) === false).map((f) => f.name);
}
