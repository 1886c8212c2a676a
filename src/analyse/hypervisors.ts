// Pure data: every hypervisor and platform nestbug knows, one entry each, with the names
// it shows from inside a level (CPUID signature, DMI, dmesg, lscpu, systemd-detect-virt,
// kernel release), what it means as the level below (`runsOn`) and how nesting is
// switched on there. Adding one (bhyve, ACRN, a cloud) is one entry plus its test.
// Sources: the project's detection and platform notes (virt-what, systemd's virt.c,
// util-linux lscpu, the vendors' documentation of their nesting switch).

export interface NestingSwitch {
  /** Where the switch is: "on the Windows host", "in the VM's settings". */
  where: string;
  /** The fix to print when the level above sees no vmx/svm. */
  fix: string;
}

export interface HypervisorEntry {
  id: string;
  /** Name in sentences: "Hyper-V", "WSL2". */
  name: string;
  /** A hypervisor runs levels; a platform is a product or cloud built on one. */
  kind: 'hypervisor' | 'platform';
  /** What a level on it runs on (`levels.LN.runsOn`). */
  runsOn: string;
  /** CPUID 0x40000000 signatures (12 bytes, NULs included) and what each means. */
  cpuid?: ReadonlyArray<{ signature: string; name: string }>;
  /** Matched against "Manufacturer Product" (dmidecode, /sys/class/dmi) and the kernel's `DMI:` line. */
  dmi?: RegExp;
  /** DMI that names the platform but not the hypervisor under it (AWS: Nitro KVM or Xen). */
  dmiPlatformOnly?: boolean;
  /** The name after `Hypervisor detected: ` in dmesg. */
  dmesg?: RegExp;
  /** lscpu `Hypervisor vendor:` value. */
  lscpu?: RegExp;
  /** lscpu `Hypervisor:` value (s390x PR/SM). */
  lscpuHypervisor?: RegExp;
  /** s390x /proc/sysinfo `VM00 Control Program:` value. */
  sysinfo?: RegExp;
  /** `systemd-detect-virt --vm` words. */
  detectVirt?: readonly string[];
  /** Kernel release (uname -r, dmesg `Linux version`): vendor kernels of a platform. */
  kernel?: RegExp;
  /** Exports a KVM CPUID signature too: DMI decides (VirtualBox, Parallels). */
  exportsKvmSignature?: boolean;
  /** Seen from the level below: QEMU `-accel` names and libvirt `<domain type=...>` values that mean it. */
  qemuAccel?: readonly string[];
  libvirtType?: readonly string[];
  /** Seen from the level below: its kernel or OS names this platform (Proxmox VE hosts). */
  hostOs?: RegExp;
  nesting?: NestingSwitch;
}

const KVM_NESTING =
  'On L0 (the KVM host): load kvm_intel (or kvm_amd) with nested=1 ("options kvm_intel nested=1" in ' +
  '/etc/modprobe.d/kvm.conf, then reload the module with all guests stopped); ' +
  "start L1 with -cpu host or libvirt <cpu mode='host-passthrough'/>.";

export const HYPERVISORS = [
  {
    id: 'kvm',
    name: 'KVM',
    kind: 'hypervisor',
    qemuAccel: ['kvm'],
    libvirtType: ['kvm'],
    runsOn: 'kvm',
    cpuid: [
      { signature: 'KVMKVMKVM\0\0\0', name: 'KVM' },
      { signature: 'Linux KVM Hv', name: 'KVM (Hyper-V compatible interface)' },
      { signature: 'LKVMLKVMLKVM', name: 'kvmtool on KVM' },
    ],
    dmesg: /^KVM/,
    lscpu: /^KVM$/i,
    sysinfo: /KVM/i,
    detectVirt: ['kvm'],
    nesting: { where: 'on L0, the KVM host', fix: KVM_NESTING },
  },
  {
    id: 'tcg',
    name: 'TCG (QEMU emulation, no KVM)',
    kind: 'hypervisor',
    qemuAccel: ['tcg'],
    libvirtType: ['qemu'],
    runsOn: 'tcg',
    cpuid: [{ signature: 'TCGTCGTCGTCG', name: 'QEMU TCG (emulation)' }],
    detectVirt: ['qemu'],
    nesting: {
      where: 'on the level below, which runs this one with QEMU',
      fix:
        "Start this level with KVM (libvirt <domain type='kvm'>, QEMU -accel kvm) once the level below has a " +
        'usable /dev/kvm; under TCG its guests can only be emulated too.',
    },
  },
  {
    id: 'hyperv',
    name: 'Hyper-V',
    kind: 'hypervisor',
    qemuAccel: ['whpx'],
    libvirtType: ['hyperv'],
    runsOn: 'hyperv',
    cpuid: [{ signature: 'Microsoft Hv', name: 'Hyper-V' }],
    dmi: /Microsoft Corporation.*Virtual Machine/i,
    dmesg: /^Microsoft Hyper-V/,
    lscpu: /^Microsoft$/i,
    detectVirt: ['microsoft'],
    nesting: {
      where: 'on the Windows host',
      fix:
        'On the Windows host, with the VM turned off, in an elevated PowerShell: Set-VMProcessor -VMName ' +
        'NAME -ExposeVirtualizationExtensions $true; then start the VM (AMD CPUs need Windows 11 or Windows ' +
        'Server 2022 on the host).',
    },
  },
  {
    id: 'vmware',
    name: 'VMware',
    kind: 'hypervisor',
    libvirtType: ['vmware'],
    runsOn: 'vmware',
    cpuid: [{ signature: 'VMwareVMware', name: 'VMware' }],
    dmi: /VMware/i,
    dmesg: /^VMware/,
    lscpu: /^VMware$/i,
    detectVirt: ['vmware'],
    nesting: {
      where: "in the VM's settings on the VMware host",
      fix:
        'With the VM powered off, enable "Expose hardware assisted virtualization to the guest OS" ' +
        '(vhv.enable = "TRUE" in the .vmx; VM hardware version 9 or later). On a Windows host with Hyper-V ' +
        'or VBS (Core isolation) on, VMware Workstation cannot pass VT-x through: turn those off there.',
    },
  },
  {
    id: 'virtualbox',
    name: 'VirtualBox',
    kind: 'hypervisor',
    libvirtType: ['vbox'],
    runsOn: 'virtualbox',
    cpuid: [{ signature: 'VBoxVBoxVBox', name: 'VirtualBox' }],
    dmi: /innotek|VirtualBox/i,
    lscpu: /^(Oracle|VirtualBox|innotek)/i,
    detectVirt: ['oracle'],
    exportsKvmSignature: true,
    nesting: {
      where: 'on the VirtualBox host',
      fix:
        'With the VM powered off, on the host: VBoxManage modifyvm "VM NAME" --nested-hw-virt on (GUI: ' +
        'System > Processor > Enable Nested VT-x/AMD-V); VBox.log then shows NestedHWVirt (1).',
    },
  },
  {
    id: 'parallels',
    name: 'Parallels',
    kind: 'hypervisor',
    runsOn: 'parallels',
    cpuid: [
      { signature: ' lrpepyh  vr', name: 'Parallels' },
      { signature: 'prl hyperv  ', name: 'Parallels' },
    ],
    dmi: /Parallels/i,
    lscpu: /^Parallels$/i,
    detectVirt: ['parallels'],
    exportsKvmSignature: true,
    nesting: {
      where: "in the VM's configuration in Parallels Desktop",
      fix:
        'With the VM shut down, in Parallels Desktop: Configure > Hardware > CPU & Memory > Advanced > ' +
        'enable "Nested virtualization".',
    },
  },
  {
    id: 'xen',
    name: 'Xen',
    kind: 'hypervisor',
    qemuAccel: ['xen'],
    libvirtType: ['xen'],
    runsOn: 'xen',
    cpuid: [{ signature: 'XenVMMXenVMM', name: 'Xen' }],
    dmi: /HVM domU|^Xen\b/i,
    dmesg: /^Xen/,
    lscpu: /^Xen$/i,
    detectVirt: ['xen'],
    nesting: {
      where: "in the guest's xl configuration on the Xen dom0",
      fix:
        "In the xl configuration of this guest on the dom0, set hap=1 and nestedhvm=1 (and cpuid=['host,vmx=1'] " +
        "on older Xen), then restart the guest; xl info's virt_caps must list hap.",
    },
  },
  {
    id: 'zvm',
    name: 'z/VM',
    kind: 'hypervisor',
    runsOn: 'zvm',
    lscpu: /^z\/VM$/i,
    sysinfo: /z\/VM/i,
    detectVirt: ['zvm'],
  },
  {
    id: 'lpar',
    name: 'an LPAR (PR/SM)',
    kind: 'hypervisor',
    runsOn: 'lpar',
    lscpuHypervisor: /PR\/SM/,
  },
  {
    // `lpar` is s390x PR/SM; a pSeries level with an IBM machine type is a PowerVM LPAR.
    id: 'powervm',
    name: 'PowerVM (an IBM Power LPAR)',
    kind: 'hypervisor',
    runsOn: 'powervm',
    detectVirt: ['powervm'],
    nesting: {
      where: 'in the LPAR profile on the HMC and the Power firmware',
      fix: 'KVM guests in a PowerVM LPAR need Power10 with firmware FW1060 or later, the LPAR set to KVM-capable on the HMC, and a Linux kernel >= 6.8 (KVM-HV nested API v2); older systems can only run the slow kvm_pr there.',
    },
  },
  {
    id: 'bhyve',
    name: 'bhyve',
    kind: 'hypervisor',
    runsOn: 'other',
    cpuid: [{ signature: 'bhyve bhyve ', name: 'bhyve' }],
    detectVirt: ['bhyve'],
  },
  {
    id: 'acrn',
    name: 'ACRN',
    kind: 'hypervisor',
    runsOn: 'other',
    cpuid: [{ signature: 'ACRNACRNACRN', name: 'ACRN' }],
    dmesg: /^ACRN/,
    detectVirt: ['acrn'],
  },
  // Platforms: products and clouds on one of the hypervisors above.
  {
    id: 'wsl2',
    name: 'WSL2',
    kind: 'platform',
    runsOn: 'hyperv',
    kernel: /-microsoft-standard(-WSL2)?\b|Microsoft@Microsoft\.com/i,
    // systemd-detect-virt without --vm; with --vm it says microsoft (Hyper-V).
    detectVirt: ['wsl'],
    nesting: {
      where: 'in %UserProfile%\\.wslconfig on the Windows host',
      fix:
        'On Windows, add nestedVirtualization=true under [wsl2] in %UserProfile%\\.wslconfig (not ' +
        '/etc/wsl.conf), then run wsl --shutdown and start the distribution again (Windows 11 needed). ' +
        'kvm_intel is built into the WSL2 kernel: its options go on kernelCommandLine in .wslconfig, not in ' +
        '/etc/modprobe.d.',
    },
  },
  {
    id: 'azure',
    name: 'Azure',
    kind: 'platform',
    runsOn: 'hyperv',
    kernel: /-azure\b/,
    // The chassis asset tag every Azure VM carries (cloud-init's Azure detection reads it).
    dmi: /7783-7084-3265-9085-8269-3286-77/,
    nesting: {
      where: "in the VM's size and security type on Azure",
      fix:
        'Azure exposes VT-x only on sizes that support nested virtualization (Dv3/Ev3 and later v4/v5 ' +
        'families, not B or A series) and not with Trusted Launch or Confidential VMs: resize the VM to ' +
        'such a size (az vm resize --size Standard_D4s_v5) or recreate it with security type Standard.',
    },
  },
  {
    id: 'gcp',
    name: 'Google Cloud',
    kind: 'platform',
    runsOn: 'kvm',
    // Not "Google" alone: Chromebooks have that vendor on bare metal.
    dmi: /Google Compute Engine/i,
    detectVirt: ['google'],
    kernel: /-gcp\b/,
    nesting: {
      where: "in the instance's settings on Google Cloud",
      fix:
        'Stop the instance and enable nested virtualization: gcloud compute instances update NAME ' +
        '--enable-nested-virtualization (or create it with that flag or the enable-vmx license), on an ' +
        'Intel Haswell-or-later machine type; E2 and AMD machine types cannot nest.',
    },
  },
  {
    id: 'aws',
    name: 'AWS EC2',
    kind: 'platform',
    runsOn: 'kvm',
    dmi: /Amazon EC2|\bamazon\b/i,
    dmiPlatformOnly: true,
    detectVirt: ['amazon'],
    kernel: /-aws\b/,
    nesting: {
      where: "in the instance type on AWS",
      fix:
        'Plain EC2 instances do not expose VT-x: use a .metal instance type, or a type that supports nested ' +
        'virtualization (Intel c8i/m8i/r8i) launched with --cpu-options NestedVirtualization=enabled.',
    },
  },
  {
    id: 'openstack',
    name: 'OpenStack',
    kind: 'platform',
    runsOn: 'kvm',
    dmi: /OpenStack/i,
    dmiPlatformOnly: true,
    nesting: {
      where: 'on the OpenStack compute nodes (the cloud operator)',
      fix:
        'Ask the cloud operator: the compute node needs kvm_intel/kvm_amd nested=1 and nova.conf [libvirt] ' +
        'cpu_mode = host-passthrough (or a cpu_model with vmx/svm via cpu_model_extra_flags), or a flavor ' +
        'that provides it.',
    },
  },
  {
    id: 'proxmox',
    name: 'Proxmox VE',
    kind: 'platform',
    runsOn: 'kvm',
    hostOs: /-pve\b|Proxmox/i,
    nesting: {
      where: 'in the VM configuration on the Proxmox VE host',
      fix:
        'On the Proxmox host: qm set VMID --cpu host (cpu: host in /etc/pve/qemu-server/VMID.conf; kvm: 0 ' +
        'there means TCG), with kvm_intel/kvm_amd nested=1 on the host; then stop and start the VM.',
    },
  },
] as const satisfies readonly HypervisorEntry[];


const ENTRIES: readonly HypervisorEntry[] = HYPERVISORS;

export function hypervisorById(id: string): HypervisorEntry | undefined {
  return ENTRIES.find((h) => h.id === id);
}

/** The hypervisor entry that stands for a runsOn value (its first hypervisor). */
export function hypervisorForRunsOn(runsOn: string): HypervisorEntry | undefined {
  return ENTRIES.find((h) => h.kind === 'hypervisor' && h.runsOn === runsOn);
}

export function bySignature(signature: string): { entry: HypervisorEntry; name: string } | undefined {
  for (const entry of ENTRIES) {
    const hit = entry.cpuid?.find((c) => c.signature === signature);
    if (hit) return { entry, name: hit.name };
  }
  return undefined;
}

const first = (test: (h: HypervisorEntry) => boolean | undefined, kind?: HypervisorEntry['kind']) =>
  ENTRIES.find((h) => (kind === undefined || h.kind === kind) && test(h));

export const byDmesgName = (name: string) => first((h) => h.dmesg?.test(name));
export const byLscpuVendor = (vendor: string) => first((h) => h.lscpu?.test(vendor));
export const byLscpuHypervisor = (value: string) => first((h) => h.lscpuHypervisor?.test(value));
export const bySysinfo = (controlProgram: string) => first((h) => h.sysinfo?.test(controlProgram));
export const byQemuAccel = (accel: string) => first((h) => h.qemuAccel?.includes(accel));
export const byLibvirtType = (type: string) => first((h) => h.libvirtType?.includes(type));
export const byDetectVirt = (word: string) => first((h) => h.detectVirt?.includes(word));
/** Hypervisors named by DMI (platforms are found by platformsByDmi). */
export const hypervisorByDmi = (dmi: string) => first((h) => h.dmi?.test(dmi), 'hypervisor');
export const platformByDmi = (dmi: string) => first((h) => h.dmi?.test(dmi), 'platform');
export const platformByKernel = (release: string) => first((h) => h.kernel?.test(release), 'platform');
export const platformByHostOs = (text: string) => first((h) => h.hostOs?.test(text), 'platform');

/** DMI of a QEMU machine: the same under KVM and TCG, so it names no hypervisor. */
export const QEMU_MACHINE_DMI = /QEMU|Bochs|Standard PC|\bKVM$/i;
