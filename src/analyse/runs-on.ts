// Pure: what each level runs on, from its own evidence (inside view) and from the
// level below (outside view). Facts and traps: see the project's detection notes.
import type { Level } from '../levels.js';
import { archClues } from './arch/clues.js';
import { type EvidenceFiles, findLine, levelFile } from './evidence.js';
import { parseCpuinfo } from './parsers/cpuinfo.js';
import {
  QEMU_MACHINE_DMI, byDetectVirt, byDmesgName, byLscpuHypervisor, byLscpuVendor, bySignature, bySysinfo, hypervisorByDmi,
  hypervisorForRunsOn, platformByDmi,
} from './hypervisors.js';
import { hypervisorSignatures, printableSignature } from './parsers/cpuid.js';
import { parseColonLines } from './parsers/key-value.js';
import { lscpuContainer } from './parsers/container.js';
import { kernelLog } from './kernel-log.js';
import { parseDetectVirt, parseDmidecode, parseIdentity } from './parsers/small.js';
import type { Clue, LevelVerdict, RunsOn, Strength } from './types.js';

function clue(says: RunsOn, strength: Strength, why: string, file: string, line: number | undefined, text: string): Clue {
  return { view: 'inside', says, strength, why, file, line, text };
}

type DmiSays = RunsOn | 'qemu' | undefined;

/** What DMI names: a hypervisor, a platform whose hypervisor is known, or a QEMU machine
 * (which says nothing: KVM and TCG look alike). */
function dmiSays(dmi: string): { says: DmiSays; name?: string } {
  const named = hypervisorByDmi(dmi) ?? platformByDmi(dmi);
  if (named && !named.dmiPlatformOnly) return { says: named.runsOn as RunsOn, name: named.name };
  if (!named && QEMU_MACHINE_DMI.test(dmi)) return { says: 'qemu' };
  return { says: undefined };
}

export function insideClues(files: EvidenceFiles, level: Level): { clues: Clue[]; qemuMachine?: Clue; virtual?: Clue } {
  const clues: Clue[] = [];
  const f = (id: string) => levelFile(level, id);
  let qemuMachine: Clue | undefined;
  let virtual: Clue | undefined;

  // DMI first: VirtualBox and Parallels also expose a KVM CPUID signature.
  // dmidecode needs root; /sys/class/dmi/id (the identity item) does not; the kernel's DMI line is last.
  const dmiText = files.get(f('dmidecode'));
  const dmi = dmiText ? parseDmidecode(dmiText) : undefined;
  const identityText = files.get(f('identity'));
  const identity = identityText ? parseIdentity(identityText) : undefined;
  const dmiLine = findLine(files, kernelLog(files, level).file, /\bDMI: /);
  const firmware =
    dmi?.manufacturer !== undefined
      ? { dmi: `${dmi.manufacturer} ${dmi.product ?? ''}`, file: f('dmidecode'), line: dmi.line, text: `Manufacturer: ${dmi.manufacturer}, Product Name: ${dmi.product ?? ''}` }
      : identity?.vendor !== undefined
        ? { dmi: `${identity.vendor} ${identity.product ?? ''}`, file: f('identity'), line: findLine(files, f('identity'), /^sys_vendor=/)?.line, text: `sys_vendor=${identity.vendor}, product_name=${identity.product ?? ''}` }
        : dmiLine
          ? { dmi: dmiLine.text.replace(/^.*?\bDMI: /, ''), file: dmiLine.file, line: dmiLine.line, text: dmiLine.text }
          : undefined;
  let dmiVendor: RunsOn | 'qemu' | undefined;
  if (firmware) {
    const said = dmiSays(firmware.dmi);
    dmiVendor = said.says;
    if (dmiVendor === 'qemu') qemuMachine = clue('other', 1, 'DMI names a QEMU machine (same under KVM and TCG)', firmware.file, firmware.line, firmware.text);
    else if (dmiVendor) clues.push(clue(dmiVendor, 2, `DMI names ${said.name}`, firmware.file, firmware.line, firmware.text));
  }
  if (!qemuMachine && dmiLine && /QEMU|Bochs|Standard PC/.test(dmiLine.text)) {
    qemuMachine = clue('other', 1, 'the kernel reports a QEMU machine in its DMI line (same under KVM and TCG)', dmiLine.file, dmiLine.line, dmiLine.text);
  }

  // CPUID hypervisor leaves: the level's own CPU says who provides it.
  for (const id of ['cpuid-signature', 'extra-cpuid-dump', 'x86info'] as const) {
    const text = files.get(f(id));
    if (!text) continue;
    const sigs = hypervisorSignatures(text);
    const base = sigs.find((s) => s.leaf === 0x40000000);
    const next = sigs.find((s) => s.leaf === 0x40000100);
    const baseVendor = base ? bySignature(base.signature) : undefined;
    const nextVendor = next ? bySignature(next.signature) : undefined;
    if (baseVendor?.entry.runsOn === 'hyperv' && nextVendor?.entry.runsOn === 'kvm') {
      clues.push(clue('kvm', 3, 'CPUID 0x40000100 says KVMKVMKVM behind a Hyper-V compatible 0x40000000: KVM with Hyper-V enlightenments', f(id), next!.line, next!.text));
    } else if (baseVendor) {
      let says = baseVendor.entry.runsOn as RunsOn;
      let why = `CPUID 0x40000000 signature "${printableSignature(base!.signature)}" = ${baseVendor.name}`;
      const exporter = dmiVendor && dmiVendor !== 'qemu' ? hypervisorForRunsOn(dmiVendor) : undefined;
      if (says === 'kvm' && exporter?.exportsKvmSignature) {
        says = exporter.runsOn as RunsOn;
        why += `, but DMI says ${exporter.name}, which exports a KVM signature too`;
      }
      clues.push(clue(says, 3, why, f(id), base!.line, base!.text));
    }
    if (baseVendor) break;
  }

  const dmesg = kernelLog(files, level).file;
  const detected = findLine(files, dmesg, /Hypervisor detected: /) ?? findLine(files, f('extra-dmesg-grep'), /Hypervisor detected: /);
  if (detected) {
    const name = detected.text.replace(/^.*Hypervisor detected: /, '');
    const says = (byDmesgName(name)?.runsOn ?? 'other') as RunsOn;
    clues.push(clue(says, 2, `the kernel detected ${name} from CPUID`, detected.file, detected.line, detected.text));
  }
  const paravirt = findLine(files, dmesg, /Booting paravirtualized kernel on /) ?? findLine(files, f('extra-dmesg-grep'), /Booting paravirtualized kernel on /);
  if (paravirt && /on KVM/.test(paravirt.text) && !detected) {
    clues.push(clue('kvm', 2, 'the kernel booted paravirtualized on KVM', paravirt.file, paravirt.line, paravirt.text));
  }
  const bareHardware = paravirt && /bare hardware/.test(paravirt.text) ? paravirt : undefined;

  const lscpu = parseColonLines(files.get(f('lscpu')) ?? '');
  const vendorLine = lscpu.find((l) => l.key === 'Hypervisor vendor');
  const hvLine = lscpu.find((l) => l.key === 'Hypervisor');
  const hvEntry = hvLine ? byLscpuHypervisor(hvLine.value) : undefined;
  if (hvLine && hvEntry && (!vendorLine || /IBM/i.test(vendorLine.value))) {
    clues.push(clue(hvEntry.runsOn as RunsOn, 2, `lscpu: the hypervisor is ${hvLine.value} (${hvEntry.name})`, f('lscpu'), hvLine.line, `Hypervisor: ${hvLine.value}`));
  } else if (vendorLine && vendorLine.value !== '(null)' && vendorLine.value !== '' && !lscpuContainer(files.get(f('lscpu')) ?? '')) {
    // With "Virtualization type: container" the vendor made the container (OpenVZ shows
    // Parallels): no VM clue; levels.LN.container says it.
    const says = (byLscpuVendor(vendorLine.value)?.runsOn ?? 'other') as RunsOn;
    const typeLine = lscpu.find((l) => l.key === 'Virtualization type');
    if (says === 'xen' && typeLine?.value === 'none') {
      clues.push(clue('xen', 2, 'lscpu: Xen with virtualization type none: a Xen dom0, the control domain on a Xen host', f('lscpu'), vendorLine.line, `Hypervisor vendor: ${vendorLine.value}`));
    } else {
      clues.push(clue(says, 2, `lscpu: hypervisor vendor ${vendorLine.value}`, f('lscpu'), vendorLine.line, `Hypervisor vendor: ${vendorLine.value}`));
    }
  }

  const detect = parseDetectVirt(files.get(f('detect-virt')) ?? '');
  const detectEntry = detect === 'none' ? undefined : detect ? byDetectVirt(detect) : undefined;
  if (detect && (detectEntry || detect === 'none')) {
    const says = (detectEntry?.runsOn ?? 'bare-metal') as RunsOn;
    clues.push(clue(says, 2, `systemd-detect-virt --vm says ${detect}${detect === 'qemu' ? ' (QEMU without KVM)' : ''}`, f('detect-virt'), 1, detect));
  }

  const arch = archClues(files, level);
  clues.push(...arch.clues);
  const sysinfo = arch.sysinfoTcg ? undefined : files.get(f('sysinfo'));
  if (sysinfo) {
    const lines = parseColonLines(sysinfo);
    const cp = lines.find((l) => /^VM00 Control Program$/.test(l.key));
    const lpar = lines.find((l) => /^LPAR /.test(l.key));
    if (cp) {
      const says = (bySysinfo(cp.value)?.runsOn ?? 'other') as RunsOn;
      clues.push(clue(says, 3, `/proc/sysinfo: the innermost level (VM00) runs under ${cp.value}`, f('sysinfo'), cp.line, `${cp.key}: ${cp.value}`));
    } else if (lpar) {
      clues.push(clue('lpar', 3, '/proc/sysinfo shows an LPAR and no VM level', f('sysinfo'), lpar.line, `${lpar.key}: ${lpar.value}`));
    }
  }

  const cpuText = files.get(f('cpuinfo'));
  if (cpuText) {
    const cpu = parseCpuinfo(cpuText);
    if (cpu.modelName && /QEMU TCG CPU/.test(cpu.modelName)) {
      clues.push(clue('tcg', 1, 'CPU model "QEMU TCG CPU" comes from TCG somewhere below (it passes through -cpu host)', f('cpuinfo'), cpu.modelLine, `model name: ${cpu.modelName}`));
    }
    if (cpu.arch === 'x86' && cpu.flagsLine) {
      if (cpu.flags.has('hypervisor')) {
        virtual = clue('other', 1, 'the CPU has the hypervisor flag: some hypervisor runs this level', f('cpuinfo'), cpu.flagsLine, 'flags: ... hypervisor ...');
      } else {
        clues.push(clue('bare-metal', 2, 'no hypervisor flag in the CPU flags', f('cpuinfo'), cpu.flagsLine, 'flags: (no hypervisor)'));
      }
    }
  }

  // Without a signature, a QEMU machine whose kernel found no paravirtual hypervisor is
  // TCG: KVM always announces itself unless hidden with kvm=off.
  const named = clues.some((c) => c.strength >= 2 && c.says !== 'bare-metal' && c.says !== 'tcg');
  if (!named && qemuMachine && (virtual || bareHardware) && (bareHardware || files.get(dmesg) !== undefined)) {
    const cite = bareHardware ?? qemuMachine;
    clues.push(clue('tcg', 1, 'a QEMU machine without any KVM signature: TCG (or KVM hidden with kvm=off)', cite.file, cite.line, cite.text));
  }
  return { clues, qemuMachine, virtual };
}

/** Best conclusion of a set of clues: strongest first, then most clues agreeing. */
export function conclude(clues: readonly Clue[]): { says: RunsOn; strength: Strength | 0 } {
  if (clues.length === 0) return { says: 'unknown', strength: 0 };
  const top = Math.max(...clues.map((c) => c.strength)) as Strength;
  const votes = new Map<RunsOn, number>();
  for (const c of clues) if (c.strength === top) votes.set(c.says, (votes.get(c.says) ?? 0) + 1);
  // At equal strength a named hypervisor beats "no hypervisor flag" (flags can be hidden).
  const ranked = [...votes].sort((a, b) => b[1] - a[1] || (a[0] === 'bare-metal' ? 1 : b[0] === 'bare-metal' ? -1 : 0));
  return { says: ranked[0][0], strength: top };
}

const FIXED_LABELS: Partial<Record<RunsOn, string>> = { 'bare-metal': 'bare metal', other: 'another hypervisor', unknown: 'unknown' };

export function runsOnLabel(r: RunsOn): string {
  return FIXED_LABELS[r] ?? hypervisorForRunsOn(r)?.name ?? r;
}

export function decideLevel(level: Level, inside: Clue[], outside: Clue[], outsideNote?: string): LevelVerdict {
  const i = conclude(inside);
  const o = conclude(outside);
  const disagree = i.says !== 'unknown' && o.says !== 'unknown' && i.says !== o.says;
  // Proof beats statement beats inference; at equal strength below proof, how the level
  // was started (outside) beats heuristics inside (e.g. systemd >= 256 says qemu for KVM
  // with Hyper-V enlightenments); at proof level the CPU's own signature wins.
  const outsideWins = o.strength > i.strength || (o.strength === i.strength && o.strength > 0 && o.strength < 3);
  const runsOn = outsideWins ? o.says : i.says;
  let reason: string;
  if (i.says === 'unknown' && o.says === 'unknown') reason = 'no evidence';
  else if (o.says === 'unknown') reason = 'from its own CPU and kernel (no outside view)';
  else if (i.says === 'unknown') reason = 'from how the level below runs it (no inside evidence)';
  else if (!disagree) reason = 'its own CPU and kernel and the level below agree';
  else {
    reason = `the views disagree: inside it looks like ${runsOnLabel(i.says)}, the level below runs it on ${runsOnLabel(o.says)}; the ${outsideWins ? 'outside' : 'inside'} evidence is stronger`;
  }
  if (outsideNote) reason += `; ${outsideNote}`;
  const evidence = [...inside, ...outside].sort((a, b) => b.strength - a.strength);
  return { level, runsOn, inside: i.says, outside: o.says, disagree, reason, evidence };
}
