// Pure: the guests a level runs, from its QEMU command lines, libvirt domains, libvirt
// logs and QEMU file descriptors, and which of them is the level above.
import type { Level } from '../levels.js';
import { decisiveLine, GUEST_ON_TCG } from './decisive-lines.js';
import { type EvidenceFiles, levelFile } from './evidence.js';
import { byLibvirtType, byQemuAccel } from './hypervisors.js';
import { type DomainFacts, parseDomains } from './parsers/domain-xml.js';
import { parseKvmFds } from './parsers/kvm-userspace.js';
import { type LibvirtStart, libvirtCommandLines } from './parsers/libvirt-log.js';
import { parseQemuCmdlines, type QemuFacts, qemuFacts } from './parsers/qemu-cmdline.js';
import { addPlatformGuests, type PveGuest, type XenGuest } from './platform-guests.js';
import type { Clue, RunsOn, Strength } from './types.js';

export interface Guest {
  name?: string;
  uuid?: string;
  pid?: number;
  macs: string[];
  hostForwards: QemuFacts['hostForwards'];
  running: boolean;
  qemu?: QemuFacts & { file: string; line: number; argLine?: (arg: string) => number | undefined };
  domain?: DomainFacts & { file: string };
  log?: LibvirtStart & { file: string };
  /** Outside-view clues on what this guest runs on. */
  clues: Clue[];
  /** Its Proxmox VE configuration or Xen guest configuration (platform-guests.ts). */
  pve?: PveGuest;
  xen?: XenGuest;
}

function accelClue(qemu: QemuFacts, file: string, line: number): Clue {
  const accels = qemu.accels;
  const text = qemu.accelArg ?? `${qemu.binary} (no accelerator option)`;
  if (qemu.accelDefaulted) {
    return {
      view: 'outside',
      says: accels[0] === 'kvm' ? 'kvm' : 'tcg',
      strength: 1,
      why: `no accelerator given: ${qemu.binary.split('/').pop()} defaults to ${accels[0].toUpperCase()}`,
      file,
      line,
      text,
    };
  }
  if (accels.length > 1 && accels[0] === 'kvm') {
    return {
      view: 'outside',
      says: 'kvm',
      strength: 1,
      why: `started with ${accels.join(':')}: QEMU falls back to ${accels[1].toUpperCase()} silently when KVM fails`,
      file,
      line,
      text,
    };
  }
  const says = (byQemuAccel(accels[0])?.runsOn ?? 'other') as RunsOn;
  return {
    view: 'outside',
    says,
    strength: 2,
    why: `started with ${accels[0].toUpperCase()} (${text})`,
    file,
    line,
    text,
  };
}

export function guestsOf(files: EvidenceFiles, level: Level): Guest[] {
  const guests = runningQemuGuests(files, level);
  addDomainGuests(files, level, guests);
  addLibvirtLogGuests(files, level, guests);
  addPlatformGuests(files, level, guests);
  addKvmFdClues(files, level, guests);
  return guests;
}

function runningQemuGuests(files: EvidenceFiles, level: Level): Guest[] {
  const cmdFile = levelFile(level, 'qemu-cmdlines');
  return parseQemuCmdlines(files.get(cmdFile) ?? '').map((proc) => {
    const facts = qemuFacts(proc.args);
    const argLine = (arg: string) => {
      const i = proc.args.findIndex((a) => a === arg || a.startsWith(arg));
      return i >= 0 && proc.argLines ? proc.argLines[i] : proc.line;
    };
    const line = facts.accelArg ? (argLine(facts.accelArg.split(' ')[0]) ?? proc.line) : proc.line;
    return {
      name: facts.name,
      uuid: facts.uuid,
      pid: proc.pid,
      macs: facts.macs,
      hostForwards: facts.hostForwards,
      running: true,
      qemu: { ...facts, file: cmdFile, line: proc.line, argLine },
      clues: [accelClue(facts, cmdFile, line)],
    };
  });
}

function addDomainGuests(files: EvidenceFiles, level: Level, guests: Guest[]): void {
  // The system's domains and the connecting user's session domains (qemu:///session).
  for (const domFile of [levelFile(level, 'domains'), levelFile(level, 'libvirt-session-domains')]) {
    for (const dom of parseDomains(files.get(domFile) ?? '')) mergeDomain(guests, dom, domFile);
  }
}

function mergeDomain(guests: Guest[], dom: DomainFacts, domFile: string): void {
  let guest = guests.find((g) => (dom.uuid && g.uuid === dom.uuid) || (dom.name && g.name === dom.name));
  if (!guest) {
    guest = { name: dom.name, uuid: dom.uuid, macs: [], hostForwards: [], running: dom.running, clues: [] };
    guests.push(guest);
  }
  guest.domain = { ...dom, file: domFile };
  guest.uuid ??= dom.uuid;
  guest.macs.push(...dom.macs.filter((m) => !guest!.macs.includes(m)));
  if (dom.qemuArgs.length) guest.hostForwards.push(...qemuFacts(['qemu', ...dom.qemuArgs]).hostForwards);
  if (dom.type) guest.clues.push(domainTypeClue(dom, dom.type, domFile));
}

function domainTypeClue(dom: DomainFacts, type: string, domFile: string): Clue {
  const says = (byLibvirtType(type)?.runsOn ?? 'other') as RunsOn;
  return {
    view: 'outside',
    says,
    strength: 2,
    why: `libvirt domain type='${type}'${type === 'qemu' ? ' means TCG emulation' : ''}`,
    file: domFile,
    line: dom.line,
    text: dom.typeLine,
  };
}

function addLibvirtLogGuests(files: EvidenceFiles, level: Level, guests: Guest[]): void {
  for (const file of [...files.list(`${level}/libvirt/`), ...files.list(`${level}/libvirt-session/`)]) {
    if (!file.endsWith('.log')) continue;
    const starts = libvirtCommandLines(files.get(file) ?? '');
    const last = starts[starts.length - 1];
    if (last) mergeLastStart(guests, last, file);
  }
}

function mergeLastStart(guests: Guest[], last: LibvirtStart, file: string): void {
  const facts = qemuFacts(last.args);
  const guest = logGuest(guests, facts, file);
  guest.log = { ...last, file };
  if (guest.hostForwards.length === 0) guest.hostForwards.push(...facts.hostForwards);
  // A running QEMU process already gave the accelerator it uses now.
  if (!guest.qemu) guest.clues.push(lastStartAccelClue(facts, last, file));
  const fallback = last.messages.find((m) => decisiveLine(m.text, GUEST_ON_TCG));
  if (fallback) guest.clues.push(tcgFallbackClue(fallback, file));
}

/** The guest a libvirt log belongs to, added when nothing else showed it. */
function logGuest(guests: Guest[], facts: QemuFacts, file: string): Guest {
  const name =
    facts.name ??
    file
      .split('/')
      .pop()!
      .replace(/\.log$/, '');
  const known = guests.find((g) => (facts.uuid && g.uuid === facts.uuid) || g.name === name);
  if (known) return known;
  const guest: Guest = {
    name,
    uuid: facts.uuid,
    macs: [...facts.macs],
    hostForwards: [...facts.hostForwards],
    running: false,
    clues: [],
  };
  guests.push(guest);
  return guest;
}

function lastStartAccelClue(facts: QemuFacts, last: LibvirtStart, file: string): Clue {
  const accel = facts.accelArg?.split(' ')[0];
  const i = accel === undefined ? -1 : last.args.indexOf(accel);
  const line = i >= 0 ? last.argLines[i] : last.line;
  const clue = accelClue(facts, file, line);
  return { ...clue, why: `${clue.why}, per the last start in libvirt's log` };
}

function tcgFallbackClue(fallback: LibvirtStart['messages'][number], file: string): Clue {
  const means = decisiveLine(fallback.text, GUEST_ON_TCG)!.means;
  return {
    view: 'outside',
    says: 'tcg',
    strength: 3,
    why: `QEMU logged that KVM failed and it fell back to TCG (${means})`,
    file,
    line: fallback.line,
    text: fallback.text.trim(),
  };
}

function addKvmFdClues(files: EvidenceFiles, level: Level, guests: Guest[]): void {
  const fdFile = levelFile(level, 'qemu-kvm-fds');
  for (const fd of parseKvmFds(files.get(fdFile) ?? '')) {
    const guest = guests.find((g) => g.pid === fd.pid);
    if (!guest || fd.vm === undefined) continue;
    const uses = fd.vm > 0;
    guest.clues.push({
      view: 'outside',
      says: uses ? 'kvm' : 'tcg',
      strength: 3,
      why: uses
        ? `the QEMU process (pid ${fd.pid}) holds a KVM VM file descriptor (anon_inode:kvm-vm)`
        : `the QEMU process (pid ${fd.pid}) holds no KVM VM file descriptor: it is not using KVM`,
      file: fdFile,
      line: fd.line,
      text: fd.text,
    });
  }
}

/** What the outside clues of one guest conclude. */
export function guestAccel(guest: Guest): { says: RunsOn; strength: Strength | 0; clue?: Clue } {
  const best = [...guest.clues].sort((a, b) => b.strength - a.strength)[0];
  return best ? { says: best.says, strength: best.strength, clue: best } : { says: 'unknown', strength: 0 };
}

export interface GuestIdentity {
  hostname?: string;
  uuid?: string;
  macs: string[];
  /** Port nestbug reached the level at, when that port is forwarded by the level below. */
  forwardedPort?: number;
}

export interface GuestMatch {
  guest?: Guest;
  how: string;
  candidates: Guest[];
}

export function matchGuest(guests: readonly Guest[], id: GuestIdentity): GuestMatch {
  const candidates = guests.filter((g) => g.running || g.qemu);
  const pool = candidates.length ? candidates : [...guests];
  const byUuid = id.uuid ? pool.find((g) => g.uuid === id.uuid) : undefined;
  if (byUuid) return { guest: byUuid, how: `same UUID (${id.uuid})`, candidates: pool };
  const byMac = pool.find((g) => g.macs.some((m) => id.macs.includes(m)));
  if (byMac)
    return { guest: byMac, how: `same MAC address (${byMac.macs.find((m) => id.macs.includes(m))})`, candidates: pool };
  const byPort = id.forwardedPort
    ? pool.filter((g) => g.hostForwards.some((f) => f.hostPort === id.forwardedPort))
    : [];
  if (byPort.length === 1)
    return { guest: byPort[0], how: `its SSH port ${id.forwardedPort} is forwarded by this QEMU`, candidates: pool };
  const byName = id.hostname ? pool.filter((g) => g.name && g.name.toLowerCase() === id.hostname!.toLowerCase()) : [];
  if (byName.length === 1)
    return { guest: byName[0], how: `guest name equals its hostname (${id.hostname})`, candidates: pool };
  // Being the only guest found is no identity: an old log of a stopped domain would match.
  return {
    how: pool.length ? `${pool.length} guests, none identified as this level` : 'no guest found',
    candidates: pool,
  };
}
