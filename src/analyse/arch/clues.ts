// Pure: inside-view clues of the architectures without a CPUID hypervisor leaf (arm64,
// ppc64) and the s390x sysinfo trap (TCG claims KVM/Linux). Called by runs-on.ts.
import type { Level } from '../../levels.js';
import { type EvidenceFiles, findLine, levelFile } from '../evidence.js';
import { parseCpuinfo } from '../parsers/cpuinfo.js';
import { parseDmidecode } from '../parsers/small.js';
import type { Clue, RunsOn, Strength } from '../types.js';
import { arm64DmiFromDmesg, arm64DmiSays, deviceTreeHypervisorSays } from './arm64.js';
import { parseDeviceTree, parsePpcPlatform } from './ppc64.js';
import { parseSysinfoLayers, sysinfoSaysTcg } from './s390x.js';

function clue(
  says: RunsOn,
  strength: Strength,
  why: string,
  file: string,
  line: number | undefined,
  text: string,
): Clue {
  return { view: 'inside', says, strength, why, file, line, text };
}

/** QEMU's virt machine names KVM or QEMU in its SMBIOS product (arm64, LoongArch, RISC-V);
 * `.metal` is a bare-metal cloud instance on every architecture; cloud vendor names are
 * read the arm64 way only on arm64 (x86 EC2 instances may still be Xen). */
function virtMachineDmi(files: EvidenceFiles, level: Level): Clue | undefined {
  const file = levelFile(level, 'dmidecode');
  const dmi = parseDmidecode(files.get(file) ?? '');
  if (dmi.manufacturer !== undefined) {
    const said = arm64DmiSays(dmi.manufacturer, dmi.product ?? '');
    const qemuVirt = /^QEMU/i.test(dmi.manufacturer) && /Virtual Machine/.test(dmi.product ?? '');
    const onArm = parseCpuinfo(files.get(levelFile(level, 'cpuinfo')) ?? '').arch === 'arm';
    if (said && (qemuVirt || said.says === 'bare-metal' || onArm)) {
      return clue(
        said.says as RunsOn,
        said.strength,
        said.why,
        file,
        dmi.line,
        `Manufacturer: ${dmi.manufacturer}, Product Name: ${dmi.product}`,
      );
    }
  }
  const line = findLine(files, levelFile(level, 'dmesg'), /\bDMI: QEMU (KVM|QEMU) Virtual Machine\b/);
  const parts = line ? arm64DmiFromDmesg(line.text) : undefined;
  const said = parts ? arm64DmiSays(parts.vendor, parts.product) : undefined;
  return said && line
    ? clue(said.says as RunsOn, said.strength, `the kernel's DMI line: ${said.why}`, line.file, line.line, line.text)
    : undefined;
}

/** arm64 guests of KVM (Linux >= 5.11) log the KVM hypervisor services they found over SMCCC;
 * a QEMU virt machine whose complete boot log lacks that line is emulated. */
function arm64KvmServices(files: EvidenceFiles, level: Level): Clue | undefined {
  const file = levelFile(level, 'dmesg');
  const text = files.get(file);
  if (text === undefined) return undefined;
  const services = findLine(files, file, /smccc: KVM: hypervisor services detected/);
  if (services)
    return clue(
      'kvm',
      3,
      'the arm64 kernel found KVM hypervisor services over SMCCC',
      file,
      services.line,
      services.text,
    );
  const virt = findLine(files, file, /Machine model: linux,dummy-virt/);
  const release = /Linux version (\d+)\.(\d+)/.exec(text);
  const complete = /\[\s*0\.0+\] Booting Linux|\[\s*0\.0+\] Linux version/.test(text);
  const recent = release !== null && (Number(release[1]) > 5 || (Number(release[1]) === 5 && Number(release[2]) >= 11));
  if (virt && complete && recent && parseCpuinfo(files.get(levelFile(level, 'cpuinfo')) ?? '').arch !== 'x86') {
    return clue(
      'tcg',
      1,
      "a QEMU virt machine whose whole boot log has no 'smccc: KVM: hypervisor services detected' (arm64 KVM guests since Linux 5.11 log it): TCG",
      file,
      virt.line,
      virt.text,
    );
  }
  return undefined;
}

function ppcClues(files: EvidenceFiles, level: Level): Clue[] {
  const file = levelFile(level, 'cpuinfo');
  const platform = parsePpcPlatform(files.get(file) ?? '');
  const dtFile = levelFile(level, 'device-tree');
  const dtText = files.get(dtFile);
  const dt = parseDeviceTree(dtText ?? '');
  const hv = dt.get('hypervisor.compatible');
  const out: Clue[] = [];
  const text = `platform: ${platform.platform}, model: ${platform.model ?? ''}`;
  switch (platform.kind) {
    case 'powernv':
      out.push(
        clue(
          'bare-metal',
          2,
          'ppc64 platform PowerNV: bare metal on OPAL firmware (where KVM-HV runs)',
          file,
          platform.line,
          text,
        ),
      );
      break;
    case 'powervm':
      out.push(
        clue(
          'powervm',
          2,
          `ppc64 pSeries with IBM machine type ${platform.model}: a PowerVM LPAR`,
          file,
          platform.line,
          text,
        ),
      );
      break;
    case 'qemu-pseries':
      // QEMU adds /hypervisor (linux,kvm) to the device tree only under KVM.
      if (!hv && dtText !== undefined && dt.size > 0) {
        out.push(
          clue(
            'tcg',
            2,
            'a pSeries machine emulated by QEMU whose device tree has no /hypervisor node: QEMU adds one (linux,kvm) under KVM only',
            dtFile,
            dt.get('model')?.line ?? 1,
            dt.get('model') ? `model=${dt.get('model')!.value}` : 'no hypervisor.compatible',
          ),
        );
      }
      break;
  }
  return out;
}

function s390Clue(files: EvidenceFiles, level: Level): Clue | undefined {
  const file = levelFile(level, 'sysinfo');
  const text = files.get(file);
  if (!text) return undefined;
  const layers = parseSysinfoLayers(text);
  const tcg = sysinfoSaysTcg(layers);
  if (tcg) {
    const what = tcg.kind === 'machine' ? `Manufacturer: ${tcg.manufacturer}` : `VM00 Name: ${tcg.name}`;
    return clue(
      'tcg',
      3,
      `/proc/sysinfo was filled by QEMU's emulation (${what}): TCG, although VM00 claims KVM/Linux`,
      file,
      tcg.line,
      what,
    );
  }
  return undefined;
}

/** The device tree's /hypervisor node (ppc64 KVM: linux,kvm; arm64 Xen: xen,xen). */
function deviceTreeHypervisor(files: EvidenceFiles, level: Level): Clue | undefined {
  const file = levelFile(level, 'device-tree');
  const hv = parseDeviceTree(files.get(file) ?? '').get('hypervisor.compatible');
  const says = deviceTreeHypervisorSays(hv?.value);
  return hv && says
    ? clue(says.says as RunsOn, says.strength, says.why, file, hv.line, `hypervisor.compatible=${hv.value}`)
    : undefined;
}

/** Clues for a level from what only these architectures show. `sysinfoTcg` is set when
 * s390x sysinfo shows TCG: its VM00 `KVM/Linux` must then not count as KVM. */
export function archClues(files: EvidenceFiles, level: Level): { clues: Clue[]; sysinfoTcg: boolean } {
  const clues: Clue[] = [];
  const dmi = virtMachineDmi(files, level);
  if (dmi) clues.push(dmi);
  const smccc = arm64KvmServices(files, level);
  if (smccc) clues.push(smccc);
  const dtHypervisor = deviceTreeHypervisor(files, level);
  if (dtHypervisor) clues.push(dtHypervisor);
  clues.push(...ppcClues(files, level));
  const s390 = s390Clue(files, level);
  if (s390) clues.push(s390);
  return { clues, sysinfoTcg: s390 !== undefined };
}
