// Pure: the platform a level runs on. A platform is the product or cloud that provides
// the level's virtual machine, more specific than the hypervisor under it: WSL2 and
// Azure (both Hyper-V), Google Cloud, AWS EC2, OpenStack, Proxmox VE (KVM). A level on a
// plain hypervisor (a Windows Hyper-V host, VMware, libvirt) or on bare metal has none.
// The names come from the hypervisor table; this module only says where to look.
import type { Level } from '../levels.js';
import { type EvidenceFiles, findLine, levelFile } from './evidence.js';
import {
  type HypervisorEntry, byDetectVirt, hypervisorById, platformByDmi, platformByHostOs, platformByKernel,
} from './hypervisors.js';
import { kernelLog } from './kernel-log.js';
import { proxmoxHostClue } from './platform-guests.js';
import { parseDetectVirt, parseIdentity, parseUname } from './parsers/small.js';

export interface PlatformClue {
  file: string;
  line?: number;
  text: string;
  why: string;
}

export interface Platform {
  id: string;
  name: string;
  evidence: PlatformClue[];
}

interface Hit {
  entry: HypervisorEntry;
  clue: PlatformClue;
}

const hit = (entry: HypervisorEntry, file: string, line: number | undefined, text: string, why: string): Hit => ({
  entry,
  clue: { file, line, text, why },
});

/** DMI strings with their lines: each dmidecode value, the kernel's `DMI:` line, /sys/class/dmi/id. */
function dmiHits(files: EvidenceFiles, level: Level): Hit[] {
  const hits: Hit[] = [];
  const dmidecode = levelFile(level, 'dmidecode');
  (files.get(dmidecode) ?? '').split('\n').forEach((raw, i) => {
    const m = /^\s+([^:]+):\s*(.+?)\s*$/.exec(raw);
    const entry = m ? platformByDmi(m[2]) : undefined;
    if (entry) hits.push(hit(entry, dmidecode, i + 1, raw.trim(), `DMI ${m![1]} names ${entry.name}`));
  });
  const identityFile = levelFile(level, 'identity');
  const identity = parseIdentity(files.get(identityFile) ?? '');
  const sys = `${identity.vendor ?? ''} ${identity.product ?? ''}`.trim();
  const fromSys = sys ? platformByDmi(identity.vendor ?? '') ?? platformByDmi(identity.product ?? '') : undefined;
  if (fromSys) {
    const line = findLine(files, identityFile, /^(sys_vendor|product_name)=/);
    hits.push(hit(fromSys, identityFile, line?.line, sys, `/sys/class/dmi/id names ${fromSys.name}`));
  }
  const kernelDmi = findLine(files, kernelLog(files, level).file, /\bDMI: /);
  const fromKernel = kernelDmi ? platformByDmi(kernelDmi.text.replace(/^.*?\bDMI: /, '')) : undefined;
  if (kernelDmi && fromKernel) {
    hits.push(hit(fromKernel, kernelDmi.file, kernelDmi.line, kernelDmi.text, `the kernel's DMI line names ${fromKernel.name}`));
  }
  return hits;
}

function detectVirtHit(files: EvidenceFiles, level: Level): Hit[] {
  const file = levelFile(level, 'detect-virt');
  const word = parseDetectVirt(files.get(file) ?? '');
  const entry = word ? byDetectVirt(word) : undefined;
  return entry?.kind === 'platform' ? [hit(entry, file, 1, word!, `systemd-detect-virt says ${word}`)] : [];
}

function kernelHits(files: EvidenceFiles, level: Level): Hit[] {
  const hits: Hit[] = [];
  const unameFile = levelFile(level, 'uname');
  const release = parseUname(files.get(unameFile) ?? '').release;
  const fromUname = release ? platformByKernel(release) : undefined;
  if (fromUname) hits.push(hit(fromUname, unameFile, 1, release!, `kernel ${release} is built for ${fromUname.name}`));
  const version = findLine(files, kernelLog(files, level).file, /\bLinux version \S+/);
  const dmesgRelease = version ? /\bLinux version (\S+)/.exec(version.text)![1] : undefined;
  const fromDmesg = dmesgRelease ? platformByKernel(dmesgRelease) : undefined;
  if (version && fromDmesg) {
    hits.push(hit(fromDmesg, version.file, version.line, version.text, `kernel ${dmesgRelease} is built for ${fromDmesg.name}`));
  }
  return hits;
}

/** A Proxmox VE host (kernel `-pve`) runs its guests as Proxmox VMs. */
function hostHits(files: EvidenceFiles, below: Level | undefined): Hit[] {
  if (!below) return [];
  const hits: Hit[] = [];
  for (const id of ['uname', 'os-release']) {
    const file = levelFile(below, id);
    const text = files.get(file);
    const entry = text ? platformByHostOs(text) : undefined;
    if (!entry) continue;
    const line = findLine(files, file, entry.hostOs!);
    hits.push(hit(entry, file, line?.line, line?.text ?? '', `${below}, which runs this level, is a ${entry.name} host`));
  }
  const pve = proxmoxHostClue(files, below);
  const proxmox = hypervisorById('proxmox');
  if (pve && proxmox) hits.push({ entry: proxmox, clue: pve });
  return hits;
}

/** The platform of a level, and every clue that names it; undefined when none does. The
 * firmware (DMI) is asked first: a cloud's kernel can be booted elsewhere, its DMI cannot. */
export function platformOf(files: EvidenceFiles, level: Level, below?: Level): Platform | undefined {
  const hits = [
    ...dmiHits(files, level),
    ...detectVirtHit(files, level),
    ...kernelHits(files, level),
    ...hostHits(files, below),
  ];
  if (hits.length === 0) return undefined;
  const chosen = hits[0].entry;
  const evidence = hits.filter((h) => h.entry === chosen).map((h) => h.clue);
  return { id: chosen.id, name: chosen.name, evidence: evidence.slice(0, 4) };
}
