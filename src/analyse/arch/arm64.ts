// Pure: arm64 levels. There is no CPUID hypervisor leaf: what a level runs on comes from
// SMBIOS/DMI, the device tree, the kernel log (the exception level it started at) and the
// QEMU command line of the level below. Nested KVM on arm64 needs FEAT_NV2 hardware, an L0
// kernel >= 6.16 booted with kvm-arm.mode=nested, and a VMM that gives the vCPU EL2.

export interface Line {
  line: number;
  text: string;
}

export interface Arm64Boot {
  /** `CPU: All CPU(s) started at EL2` / `EL1`. */
  startedAt?: { el: 1 | 2; at: Line };
  /** `kvm [1]: Hyp mode initialized successfully`, `VHE mode initialized`, `nVHE mode ...`. */
  kvmReady?: Line;
  /** `kvm [1]: HYP mode not available`. */
  hypUnavailable?: Line;
  /** `KVM is not available. Ignoring kvm-arm.mode`. */
  modeIgnored?: Line;
  /** `DMI: <vendor> <product>, BIOS ...` or `DMI not present or invalid`. */
  dmi?: Line;
}

function scan(text: string, re: RegExp): Line | undefined {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++)
    if (re.test(lines[i])) return { line: i + 1, text: lines[i].trim().slice(0, 300) };
  return undefined;
}

export function parseArm64Dmesg(dmesg: string): Arm64Boot {
  const out: Arm64Boot = {};
  const started = scan(dmesg, /CPU: All CPU\(s\) started at EL[12]\b/);
  if (started) out.startedAt = { el: /EL2/.test(started.text) ? 2 : 1, at: started };
  out.kvmReady = scan(dmesg, /\b(?:Hyp |Protected )?(?:nVHE|hVHE|VHE|Hyp|HYP) mode initialized successfully/i);
  out.hypUnavailable = scan(dmesg, /kvm \[\d+\]: HYP mode not available/i);
  out.modeIgnored = scan(dmesg, /KVM is not available\. Ignoring kvm-arm\.mode/);
  out.dmi = scan(dmesg, /\bDMI: |DMI not present or invalid/);
  return out;
}

export type Arm64RunsOn = 'kvm' | 'tcg' | 'bare-metal' | 'hyperv' | 'xen' | 'other';

export interface Arm64Clue {
  says: Arm64RunsOn;
  strength: 1 | 2 | 3;
  why: string;
}

/** What SMBIOS names on arm64. QEMU's virt machine calls itself "KVM Virtual Machine" under
 * KVM and "QEMU Virtual Machine" under TCG; cloud vendors name themselves. */
export function arm64DmiSays(vendor: string, product: string): Arm64Clue | undefined {
  const both = `${vendor} ${product}`.trim();
  if (/^QEMU\b/i.test(vendor) || /QEMU/i.test(product)) {
    if (/KVM Virtual Machine/i.test(both))
      return { says: 'kvm', strength: 2, why: `SMBIOS "${both}": QEMU's virt machine names KVM when KVM runs it` };
    if (/QEMU Virtual Machine/i.test(both))
      return {
        says: 'tcg',
        strength: 2,
        why: `SMBIOS "${both}": QEMU's virt machine under TCG (it says KVM Virtual Machine under KVM)`,
      };
  }
  if (/\.metal\b/i.test(product))
    return { says: 'bare-metal', strength: 2, why: `SMBIOS product "${product}": a bare-metal cloud instance` };
  // Every arm64 (Graviton) EC2 instance is Nitro; x86 ones may still be Xen.
  if (/Amazon EC2/i.test(vendor))
    return {
      says: 'kvm',
      strength: 2,
      why: 'SMBIOS vendor Amazon EC2 on arm64: a Graviton instance, always Nitro (KVM-based)',
    };
  if (/Google/i.test(vendor))
    return { says: 'kvm', strength: 2, why: 'SMBIOS vendor Google: a Compute Engine (KVM) guest' };
  if (/Alibaba Cloud|Tencent Cloud|Huawei Cloud|OpenStack/i.test(both))
    return { says: 'kvm', strength: 2, why: `SMBIOS "${both}": a KVM-based cloud guest` };
  if (/Microsoft/i.test(vendor) && /Virtual Machine/i.test(product))
    return { says: 'hyperv', strength: 2, why: `SMBIOS "${both}": a Hyper-V guest` };
  if (/^Xen$/i.test(vendor) || /\bXen\b/.test(product))
    return { says: 'xen', strength: 2, why: `SMBIOS "${both}": a Xen guest` };
  return undefined;
}

/** The `DMI: vendor product, BIOS ...` kernel line split into vendor and product words. */
export function arm64DmiFromDmesg(line: string): { vendor: string; product: string } | undefined {
  const m = /DMI: (.*?)(?:, BIOS .*)?$/.exec(line);
  if (!m) return undefined;
  const [vendor, ...rest] = m[1].trim().split(/\s+/);
  return { vendor, product: rest.join(' ') };
}

/** Device tree `hypervisor` node: `linux,kvm` (KVM), `xen,xen` (Xen); QEMU's virt machine
 * under TCG has no such node, but KVM on arm64 does not add one either: absent proves nothing. */
export function deviceTreeHypervisorSays(compatible: string | undefined): Arm64Clue | undefined {
  if (!compatible) return undefined;
  if (/linux,kvm/.test(compatible))
    return { says: 'kvm', strength: 3, why: `device tree /hypervisor is compatible with ${compatible}` };
  if (/xen,xen/.test(compatible))
    return { says: 'xen', strength: 3, why: `device tree /hypervisor is compatible with ${compatible}` };
  return { says: 'other', strength: 2, why: `device tree /hypervisor is compatible with ${compatible}` };
}

/** `6.16.0-foo` -> [6, 16]. */
export function kernelVersion(release: string | undefined): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(release ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export const ARM64_NV_MIN_KERNEL: [number, number] = [6, 16];

export function kernelAtLeast(release: string | undefined, min: [number, number]): boolean | undefined {
  const v = kernelVersion(release);
  if (!v) return undefined;
  return v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1]);
}

/** `kvm-arm.mode=nested` (or another mode) on a kernel command line. */
export function kvmArmMode(cmdline: string): string | undefined {
  return /(?:^|\s)kvm-arm\.mode=(\S+)/.exec(cmdline)?.[1];
}

/** Does the machine option of a QEMU command line give the arm64 vCPU EL2?
 * `-machine virt,virtualization=on` (TCG, or KVM on an L0 with nested virtualization). */
export function machineGivesEl2(machineArg: string | undefined): boolean {
  const m = /(?:[\s,])virtualization=(on|off|true|false|yes|no)\b/.exec(machineArg ?? '');
  return m !== null && /^(on|true|yes)$/.test(m[1]);
}
