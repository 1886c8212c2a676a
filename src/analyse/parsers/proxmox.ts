// Pure: Proxmox VE VM configurations (`/etc/pve/qemu-server/VMID.conf`, as the
// pve-vm-configs item prints them after `==> FILE <==`) and `qm list`.

export interface PveVm {
  vmid?: number;
  file: string;
  /** 1-based line of the section (or of the first line) in the item. */
  line: number;
  name?: string;
  cpu?: { value: string; line: number };
  /** `kvm: 0` turns KVM off: the VM runs on TCG. */
  kvm?: { on: boolean; line: number; text: string };
  args?: { value: string; line: number };
  uuid?: string;
  macs: string[];
}

/** The top section only: `[snapshot]` and `[PENDING]` sections are not the running config. */
export function parsePveConfigs(text: string, defaultFile = 'qemu-server.conf'): PveVm[] {
  const vms: PveVm[] = [];
  let vm: PveVm | undefined;
  let inSnapshot = false;
  const start = (file: string, line: number) => {
    const vmid = /(\d+)\.conf$/.exec(file)?.[1];
    vm = { vmid: vmid ? Number(vmid) : undefined, file, line, macs: [] };
    vms.push(vm);
    inSnapshot = false;
  };
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const header = /^==> (.+) <==$/.exec(raw);
    if (header) {
      start(header[1], line);
      return;
    }
    if (/^\[.*\]\s*$/.test(raw)) {
      inSnapshot = true;
      return;
    }
    const m = /^([a-z][a-z0-9_-]*):\s*(.*?)\s*$/.exec(raw);
    if (!m || inSnapshot) return;
    if (!vm) start(defaultFile, line);
    const [, key, value] = m;
    const v = vm!;
    if (key === 'name') v.name = value;
    else if (key === 'cpu') v.cpu = { value, line };
    else if (key === 'kvm') v.kvm = { on: !/^(0|no|off|false)$/i.test(value), line, text: raw.trim() };
    else if (key === 'args') v.args = { value, line };
    else if (key === 'smbios1') v.uuid = /(?:^|,)uuid=([0-9a-f-]{36})/i.exec(value)?.[1]?.toLowerCase();
    else if (/^net\d+$/.test(key)) {
      const mac = /=([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})/.exec(value)?.[1];
      if (mac) v.macs.push(mac.toLowerCase());
    }
  });
  return vms;
}

/** The CPU type passes vmx/svm: `host`, `max`, or a model with `+vmx`/`+svm` in flags. */
export function pveCpuNests(cpu: string | undefined): { ok: boolean; type: string } {
  const type =
    (cpu ?? 'kvm64').split(',').find((p) => !p.includes('=')) ?? /cputype=([^,]+)/.exec(cpu ?? '')?.[1] ?? 'kvm64';
  const flags = /flags=([^,]+)/.exec(cpu ?? '')?.[1] ?? '';
  if (/(^|;)\+(vmx|svm)\b/.test(flags)) return { ok: true, type };
  if (/(^|;)-(vmx|svm)\b/.test(flags)) return { ok: false, type };
  return { ok: /^(host|max)$/.test(type), type };
}

export interface QmListRow {
  vmid: number;
  name: string;
  status: string;
  pid?: number;
  line: number;
  text: string;
}

/** `qm list`:      VMID NAME  STATUS  MEM(MB)  BOOTDISK(GB) PID */
export function parseQmList(text: string): QmListRow[] {
  const rows: QmListRow[] = [];
  text.split('\n').forEach((raw, index) => {
    const m = /^\s*(\d+)\s+(\S+)\s+(\S+)\s+\d+\s+[\d.]+\s+(\d+)\s*$/.exec(raw);
    if (m)
      rows.push({
        vmid: Number(m[1]),
        name: m[2],
        status: m[3],
        pid: Number(m[4]) || undefined,
        line: index + 1,
        text: raw.trim(),
      });
  });
  return rows;
}
