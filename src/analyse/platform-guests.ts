// Pure: guests a level runs that its own L0 stack describes (Proxmox VE VM configurations,
// Xen dom0 guests, libvirt session domains and logs), added to the guests found from QEMU
// processes and libvirt, as outside evidence on what the level above runs on.
import type { Level } from '../levels.js';
import { type EvidenceFiles, levelFile } from './evidence.js';
import type { Guest } from './guests.js';
import { type PveVm, parsePveConfigs, parseQmList } from './parsers/proxmox.js';
import { parseXenGuests, type XenGuest } from './parsers/xen.js';
import type { Clue } from './types.js';

export type PveGuest = PveVm & { file: string };

function findGuest(
  guests: Guest[],
  name: string | undefined,
  uuid: string | undefined,
  macs: string[],
): Guest | undefined {
  return guests.find(
    (g) => (uuid && g.uuid === uuid) || (name && g.name === name) || g.macs.some((m) => macs.includes(m)),
  );
}

function pveClue(vm: PveVm, file: string): Clue {
  if (vm.kvm && !vm.kvm.on) {
    return {
      view: 'outside',
      says: 'tcg',
      strength: 2,
      why: `Proxmox VE VM ${vm.vmid ?? ''} has kvm: 0: KVM is off and QEMU emulates it (TCG)`,
      file,
      line: vm.kvm.line,
      text: vm.kvm.text,
    };
  }
  const text = vm.name ? `name: ${vm.name}` : `VM ${vm.vmid}`;
  return {
    view: 'outside',
    says: 'kvm',
    strength: 1,
    why: `Proxmox VE VM ${vm.vmid ?? ''} keeps KVM on (no kvm: 0 in its configuration)`,
    file,
    line: vm.line,
    text,
  };
}

function addPveGuests(files: EvidenceFiles, level: Level, guests: Guest[]): void {
  const file = levelFile(level, 'pve-vm-configs');
  const rows = parseQmList(files.get(levelFile(level, 'pve-qm-list')) ?? '');
  for (const vm of parsePveConfigs(files.get(file) ?? '', file)) {
    const row = rows.find((r) => r.vmid === vm.vmid);
    let guest =
      findGuest(guests, vm.name, vm.uuid, vm.macs) ?? (row?.pid ? guests.find((g) => g.pid === row.pid) : undefined);
    if (!guest) {
      guest = {
        name: vm.name,
        uuid: vm.uuid,
        macs: [...vm.macs],
        hostForwards: [],
        running: row?.status === 'running',
        clues: [],
      };
      guests.push(guest);
    }
    guest.uuid ??= vm.uuid;
    guest.pve = { ...vm, file };
    guest.clues.push(pveClue(vm, file));
  }
}

function addXenGuests(files: EvidenceFiles, level: Level, guests: Guest[]): void {
  const file = levelFile(level, 'xen-domains');
  for (const xen of parseXenGuests(files.get(file) ?? '', file)) {
    let guest = findGuest(guests, xen.name, undefined, []);
    if (!guest) {
      guest = { name: xen.name, macs: [], hostForwards: [], running: /"domid"/.test(files.get(file) ?? ''), clues: [] };
      guests.push(guest);
    }
    guest.xen = xen;
    if (xen.hvm)
      guest.clues.push({
        view: 'outside',
        says: 'xen',
        strength: 2,
        why: `an HVM guest of this Xen dom0 (${xen.name ?? 'unnamed'})`,
        file,
        line: xen.line,
        text: xen.text,
      });
  }
}

export function addPlatformGuests(files: EvidenceFiles, level: Level, guests: Guest[]): void {
  addPveGuests(files, level, guests);
  addXenGuests(files, level, guests);
}

export type { XenGuest };

/** The level below keeps Proxmox VE VM configurations or lists VMs with qm: a Proxmox VE
 * host, whatever its kernel is called. */
export function proxmoxHostClue(
  files: EvidenceFiles,
  below: Level,
): { file: string; line?: number; text: string; why: string } | undefined {
  const configs = levelFile(below, 'pve-vm-configs');
  const vm = parsePveConfigs(files.get(configs) ?? '', configs)[0];
  if (vm)
    return {
      file: configs,
      line: vm.line,
      text: vm.name ? `name: ${vm.name}` : `VM ${vm.vmid}`,
      why: `${below} keeps Proxmox VE VM configurations (/etc/pve/qemu-server)`,
    };
  const list = levelFile(below, 'pve-qm-list');
  const row = parseQmList(files.get(list) ?? '')[0];
  if (row) return { file: list, line: row.line, text: row.text, why: `${below} lists its VMs with Proxmox VE's qm` };
  return undefined;
}
