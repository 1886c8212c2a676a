// Pure: the facts the summary shows per level.
import type { Level } from '../levels.js';
import { type EvidenceFiles, levelFile } from './evidence.js';
import { parseCpuinfo, virtualizationFlags } from './parsers/cpuinfo.js';
import { firstValue, parseColonLines } from './parsers/key-value.js';
import { parseKvmParams } from './parsers/kvm-params.js';
import { parseKvmDevice, parseLibvirtVersion, parseOsRelease, parseQemuVersion, parseUname, parseIdentity } from './parsers/small.js';
import type { LevelTable } from './types.js';
import { kernelLogNote } from './kernel-log.js';

export function levelCollected(files: EvidenceFiles, level: Level): boolean {
  return files.list(`${level}/`).length > 0;
}

export function nestedParam(files: EvidenceFiles, level: Level) {
  const params = parseKvmParams(files.get(levelFile(level, 'kvm-params')) ?? '');
  return params.find((p) => p.name === 'nested' && /^kvm(_intel|_amd|_hv)?$/.test(p.module));
}

export function levelTable(files: EvidenceFiles, level: Level): LevelTable {
  const get = (id: string) => files.get(levelFile(level, id));
  const cpuText = get('cpuinfo');
  const cpu = cpuText ? parseCpuinfo(cpuText) : undefined;
  const lscpu = parseColonLines(get('lscpu') ?? '');
  const uname = parseUname(get('uname') ?? '');
  const identity = parseIdentity(get('identity') ?? '');
  const nested = nestedParam(files, level);
  const device = parseKvmDevice(get('kvm-device') ?? '');
  const modules = (get('kvm-modules') ?? '')
    .split('\n')
    .map((l) => l.split(/\s+/)[0])
    .filter((m) => /^kvm/.test(m));
  const lscpuFlags = firstValue(lscpu, 'Flags')?.value.split(/\s+/) ?? [];
  const flags = cpu?.flags.size ? cpu.flags : new Set(lscpuFlags);
  return {
    level,
    collected: levelCollected(files, level),
    hostname: identity.hostname ?? uname.hostname,
    kernel: uname.release,
    os: parseOsRelease(get('os-release') ?? ''),
    qemu: parseQemuVersion(get('qemu-version') ?? ''),
    libvirt: parseLibvirtVersion(get('libvirt-version') ?? ''),
    cpuModel: cpu?.modelName ?? firstValue(lscpu, 'Model name')?.value,
    cpuVendor: cpu?.vendor ?? firstValue(lscpu, 'Vendor ID')?.value,
    arch: uname.machine ?? firstValue(lscpu, 'Architecture')?.value,
    virtFlags: cpu ? virtualizationFlags(cpu) : ['vmx', 'svm', 'sie'].filter((f) => flags.has(f)),
    hypervisorFlag: flags.size ? flags.has('hypervisor') : undefined,
    nested: nested ? `${nested.module}.nested=${nested.value}` : undefined,
    kvmDevice: device ? (device.present ? `${device.mode ?? 'present'} ${device.owner ?? ''}:${device.group ?? ''}`.trim() : 'absent') : undefined,
    kvmModules: [...new Set(modules)],
    kernelLog: kernelLogNote(files, level),
  };
}
