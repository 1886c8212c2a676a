// Pure: the checks along the chain. Each names the evidence it used and, when it does
// not pass, the fix in a sentence or two.
import type { Level } from '../levels.js';
import { type Citation, type EvidenceFiles, findLine, levelFile } from './evidence.js';
import { type Guest, type GuestMatch, guestAccel } from './guests.js';
import { nestedParam } from './level-table.js';
import { type CpuInfo, parseCpuinfo } from './parsers/cpuinfo.js';
import { cpuFromLscpu } from './parsers/lscpu-cpu.js';
import { isOn, parseKvmParams } from './parsers/kvm-params.js';
import { parseKvmDevice } from './parsers/small.js';
import { runsOnLabel } from './runs-on.js';
import type { Check, CheckStatus, LevelVerdict } from './types.js';
import { lostVmxFeatures, parseVmxMsrs } from './vmx.js';

export interface ChainContext {
  files: EvidenceFiles;
  collected: Level[];
  verdicts: Partial<Record<Level, LevelVerdict>>;
  /** Guests each level runs, and which one is the level above. */
  guests: Partial<Record<Level, Guest[]>>;
  matches: Partial<Record<Level, GuestMatch>>;
}

const cite = (file: string, line: number | undefined, text: string): Citation => ({ file, line, text: text.slice(0, 300) });

function check(id: string, level: Level, status: CheckStatus, summary: string, evidence: Citation[], fix?: string): Check {
  return { id, level, status, summary, evidence, ...(fix && status !== 'pass' ? { fix } : {}) };
}

/** The CPU of a level: /proc/cpuinfo, else lscpu's Flags line (file: where to cite it). */
function cpuOf(files: EvidenceFiles, level: Level): (CpuInfo & { file: string }) | undefined {
  const file = levelFile(level, 'cpuinfo');
  const text = files.get(file);
  return text ? { ...parseCpuinfo(text), file } : cpuFromLscpu(files.get(levelFile(level, 'lscpu')), levelFile(level, 'lscpu'));
}

function virtFlagOf(cpu: CpuInfo): 'vmx' | 'svm' | 'sie' | undefined {
  return (['vmx', 'svm', 'sie'] as const).find((f) => cpu.flags.has(f));
}

function expectedFlag(cpu: CpuInfo | undefined): string {
  if (cpu?.arch === 's390x') return 'sie';
  if (cpu?.vendor === 'GenuineIntel') return 'vmx';
  if (cpu?.vendor === 'AuthenticAMD' || cpu?.vendor === 'HygonGenuine') return 'svm';
  return 'vmx/svm';
}

function vendorModule(cpu: CpuInfo | undefined): string {
  if (cpu?.arch === 's390x') return 'kvm';
  if (cpu?.vendor === 'GenuineIntel') return 'kvm_intel';
  if (cpu?.vendor === 'AuthenticAMD' || cpu?.vendor === 'HygonGenuine') return 'kvm_amd';
  return 'kvm_intel or kvm_amd';
}

function kvmLoaded(files: EvidenceFiles, level: Level): { loaded: boolean | undefined; modules: string[]; cite?: Citation } {
  const text = files.get(levelFile(level, 'kvm-modules'));
  const params = parseKvmParams(files.get(levelFile(level, 'kvm-params')) ?? '');
  const fromModules = (text ?? '').split('\n').map((l) => l.split(/\s+/)[0]).filter((m) => /^kvm/.test(m));
  const modules = [...new Set([...fromModules, ...params.map((p) => p.module)])];
  if (text === undefined && params.length === 0) return { loaded: undefined, modules };
  const first = text ? findLine(files, levelFile(level, 'kvm-modules'), /^kvm/) : undefined;
  const c = first ?? (params[0] ? cite(levelFile(level, 'kvm-params'), params[0].line, `${params[0].module}.${params[0].name}=${params[0].value}`) : undefined);
  return { loaded: modules.length > 0, modules, cite: c };
}

export function l0HardwareCheck(ctx: ChainContext): Check | undefined {
  if (!ctx.collected.includes('L0')) return undefined;
  const { files } = ctx;
  const cpu = cpuOf(files, 'L0');
  const kvm = kvmLoaded(files, 'L0');
  const device = parseKvmDevice(files.get(levelFile('L0', 'kvm-device')) ?? '');
  const disabled = findLine(files, levelFile('L0', 'dmesg'), /disabled by bios|VMX not supported|no hardware support|SVM not supported|kvm: no virtualization/i);
  const evidence: Citation[] = [];
  if (disabled) evidence.push(disabled);
  const flag = cpu ? virtFlagOf(cpu) : undefined;
  if (cpu?.flagsLine) evidence.push(cite(cpu.file, cpu.flagsLine, flag ? `flags: ... ${flag} ...` : `flags: (no ${expectedFlag(cpu)})`));
  if (kvm.cite) evidence.push(kvm.cite);
  if (device) evidence.push(cite(levelFile('L0', 'kvm-device'), 1, device.line));
  if (!cpu && kvm.loaded === undefined) return check('l0-kvm', 'L0', 'unknown', 'L0: no cpuinfo or KVM module list to tell whether it can run KVM guests; L0/cpuinfo.txt, L0/lscpu.txt or L0/kvm-modules.txt (lsmod) would decide it', evidence);
  if (disabled) {
    return check('l0-kvm', 'L0', 'fail', `L0: the kernel says hardware virtualization is unavailable (${disabled.text.replace(/^\[[^\]]*\]\s*/, '')})`, evidence, 'Enable Intel VT-x or AMD-V (SVM) in the firmware setup of L0, then reload the KVM module.');
  }
  if (cpu?.arch === 's390x' && !flag) {
    // Older kernels do not list sie at all, so its absence proves nothing there.
    return check('l0-kvm', 'L0', kvm.loaded ? 'warn' : 'unknown', `L0: /proc/cpuinfo lists no sie feature (either the machine cannot run KVM guests, or its kernel predates the sie flag)${kvm.loaded ? `; KVM is loaded (${kvm.modules.join(', ')})` : ''}`, evidence, 'Check that the LPAR is allowed to run SIE and that the kvm module loads (dmesg).');
  }
  if (cpu && !flag && cpu.arch !== 'unknown') {
    const pvm = kvm.modules.includes('kvm_pvm');
    return check(
      'l0-kvm',
      'L0',
      'fail',
      `L0: no ${expectedFlag(cpu)} in its CPU flags: it has no hardware virtualization${pvm ? ' (its /dev/kvm comes from kvm_pvm, software nesting that needs PVM-enabled guest kernels)' : ''}`,
      evidence,
      cpu.flags.has('hypervisor')
        ? 'L0 is itself a virtual machine: give it hardware virtualization from its host (-cpu host / host-passthrough with nesting enabled there), or run the test on bare metal.'
        : `Enable ${expectedFlag(cpu) === 'svm' ? 'AMD-V (SVM)' : 'Intel VT-x'} in the firmware setup of L0.`,
    );
  }
  if (kvm.loaded === false || (device && !device.present)) {
    return check('l0-kvm', 'L0', 'fail', `L0: ${kvm.loaded === false ? 'no KVM module is loaded' : '/dev/kvm does not exist'}`, evidence, `Load the KVM module on L0: modprobe ${vendorModule(cpu)} (and check dmesg for why it did not load).`);
  }
  if (kvm.loaded === undefined) return check('l0-kvm', 'L0', 'unknown', `L0 has ${flag}; whether KVM is loaded was not collected`, evidence);
  return check('l0-kvm', 'L0', 'pass', `L0 has hardware virtualization (${flag}) and KVM loaded (${kvm.modules.join(', ')})`, evidence);
}

export function l0NestedCheck(ctx: ChainContext): Check | undefined {
  if (!ctx.collected.includes('L0')) return undefined;
  const { files } = ctx;
  const cpu = cpuOf(files, 'L0');
  const params = parseKvmParams(files.get(levelFile('L0', 'kvm-params')) ?? '');
  const nested = nestedParam(files, 'L0');
  const file = levelFile('L0', 'kvm-params');
  if (!nested) {
    const pvm = params.some((p) => p.module === 'kvm_pvm');
    if (pvm) {
      return check('l0-nested', 'L0', 'fail', 'L0: KVM is provided by kvm_pvm (no VMX/SVM), which has no nested parameter: hardware-assisted nesting is not available', [cite(file, params.find((p) => p.module === 'kvm_pvm')!.line, 'kvm_pvm')], 'Run L0 on a host with VT-x/AMD-V; kvm_pvm can only run guests with PVM-enabled kernels.');
    }
    return check('l0-nested', 'L0', 'unknown', `L0: the nested parameter of ${vendorModule(cpu)} was not found (module not loaded, or not collected)`, []);
  }
  const evidence = [cite(file, nested.line, `${nested.module}.nested=${nested.value}`)];
  const persisted = findLine(files, levelFile('L0', 'modprobe-conf'), /nested\s*=\s*(0|n|N)/);
  const cmdline = findLine(files, levelFile('L0', 'cmdline'), /kvm[-_](intel|amd)?\.?nested=|kvm\.nested=/);
  if (persisted) evidence.push(persisted);
  if (cmdline) evidence.push(cmdline);
  if (cpu?.arch === 's390x' || nested.module === 'kvm') {
    const hpage = params.find((p) => p.module === 'kvm' && p.name === 'hpage');
    if (hpage) evidence.push(cite(file, hpage.line, `kvm.hpage=${hpage.value}`));
    if (isOn(nested.value) && hpage && isOn(hpage.value)) {
      return check('l0-nested', 'L0', 'fail', 'L0: kvm.nested is on but kvm.hpage is on too: s390x nesting needs hpage=0', evidence, 'Load kvm with nested=1 hpage=0 on L0: add "options kvm nested=1 hpage=0" to /etc/modprobe.d/kvm.conf, then reload the module with all guests stopped.');
    }
  }
  if (isOn(nested.value)) return check('l0-nested', 'L0', 'pass', `L0: nesting is enabled (${nested.module}.nested=${nested.value})`, evidence);
  // modprobe-conf lines are grep -n -H output: FILE:LINE:TEXT
  const [persistedIn, persistedLine] = persisted ? persisted.text.split(':') : [];
  const conf = nested.module === 'kvm_intel' ? 'kvm_intel.conf' : nested.module === 'kvm_amd' ? 'kvm_amd.conf' : 'kvm.conf';
  const option = nested.module.replace('_', '-');
  return check(
    'l0-nested',
    'L0',
    'fail',
    `L0: nesting is disabled (${nested.module}.nested=${nested.value})${persistedIn ? `, and ${persistedIn} line ${persistedLine} persists it` : ''}`,
    evidence,
    `On L0, with all guests stopped: ${persistedIn ? `remove the nested=0 option from ${persistedIn}, then ` : ''}echo "options ${option} nested=1" > /etc/modprobe.d/${conf}; modprobe -r ${nested.module}; modprobe ${nested.module} (or boot with ${option}.nested=1).`,
  );
}

export function l0SpeedCheck(ctx: ChainContext): Check | undefined {
  if (!ctx.collected.includes('L0')) return undefined;
  const params = parseKvmParams(ctx.files.get(levelFile('L0', 'kvm-params')) ?? '');
  const file = levelFile('L0', 'kvm-params');
  const get = (m: string, n: string) => params.find((p) => p.module === m && p.name === n);
  const intel = params.some((p) => p.module === 'kvm_intel');
  const amd = params.some((p) => p.module === 'kvm_amd');
  if (!intel && !amd) return undefined;
  const names = intel ? ['ept', 'enable_shadow_vmcs', 'enable_apicv'] : ['npt', 'avic'];
  const found = names.map((n) => get(intel ? 'kvm_intel' : 'kvm_amd', n)).filter((p) => p !== undefined);
  const evidence = found.map((p) => cite(file, p.line, `${p.module}.${p.name}=${p.value}`));
  const tdp = found.find((p) => p.name === 'ept' || p.name === 'npt');
  if (tdp && isOn(tdp.value) === false) {
    return check('l0-speed', 'L0', 'warn', `L0: ${tdp.name.toUpperCase()} is off: L1 and L2 run on shadow page tables, and L2 will be very slow`, evidence, `Reload ${tdp.module} with ${tdp.name}=1 on L0 (it is on by default when the CPU supports it).`);
  }
  const off = found.filter((p) => p !== tdp && isOn(p.value) === false).map((p) => p.name);
  if (off.length) {
    return check('l0-speed', 'L0', 'warn', `L0: ${off.join(', ')} off: nested guests take more exits than needed (slow L2, not a correctness problem)`, evidence, `If the CPU supports them, reload ${intel ? 'kvm_intel' : 'kvm_amd'} with ${off.map((o) => `${o}=1`).join(' ')}.`);
  }
  if (!tdp) return check('l0-speed', 'L0', 'unknown', 'L0: the EPT/NPT parameter was not found', evidence);
  return check('l0-speed', 'L0', 'pass', `L0: ${[tdp, ...found.filter((p) => p !== tdp)].map((p) => `${p.name}=${p.value}`).join(', ')}`, evidence);
}

export function levelOnKvmCheck(ctx: ChainContext, level: Level): Check | undefined {
  const verdict = ctx.verdicts[level];
  if (!verdict || level === 'L0') return undefined;
  const evidence = verdict.evidence.slice(0, 4).map((c) => cite(c.file, c.line, c.text));
  const id = `${level.toLowerCase()}-on-kvm`;
  const below = level === 'L1' ? 'L0' : 'L1';
  switch (verdict.runsOn) {
    case 'kvm':
      return check(id, level, verdict.disagree ? 'warn' : 'pass', `${level} runs on KVM (${verdict.reason})`, evidence, verdict.disagree ? 'The two views disagree: compare the cited lines; kvm=off or a silent fallback are the usual causes.' : undefined);
    case 'tcg':
      return check(
        id,
        level,
        'fail',
        `${level} runs on TCG, QEMU's emulation, not on KVM: everything inside it is emulated, so this is not "KVM on KVM" (${verdict.reason})`,
        evidence,
        `Start ${level} with KVM on ${below}: libvirt <domain type='kvm'> (not type='qemu'), or QEMU -accel kvm (not tcg, and not kvm:tcg, which falls back silently); ${below} needs a usable /dev/kvm (see its checks).`,
      );
    case 'unknown':
      return check(id, level, 'unknown', `${level}: not enough evidence to tell what it runs on`, evidence, `Collect ${level} as root (cpuid-signature, dmidecode) and ${below} (QEMU command lines, libvirt logs).`);
    case 'bare-metal':
      return check(id, level, 'warn', `${level} looks like bare metal, not a guest: check that the levels were given in order (--l0 is the physical host)`, evidence);
    default:
      return check(id, level, 'warn', `${level} runs on ${runsOnLabel(verdict.runsOn)}, not KVM: nested KVM bugs are only reproducible on KVM`, evidence);
  }
}

/** How the level below started this level: does the virtual CPU offer vmx/svm? */
function startedWithNestingCpu(guest: Guest | undefined, flag: string): { ok: boolean | undefined; cite?: Citation; text?: string } {
  if (!guest) return { ok: undefined };
  if (guest.domain?.cpuMode) {
    const d = guest.domain as NonNullable<Guest['domain']> & { cpuMode: string };
    const feature = d.cpuFeatures.find((f) => f.name === 'vmx' || f.name === 'svm');
    const c = d.cpuLine ? cite(d.file, d.cpuLine.line, d.cpuLine.text) : undefined;
    if (feature) return { ok: feature.policy !== 'disable' && feature.policy !== 'forbid', cite: c, text: `<feature policy='${feature.policy}' name='${feature.name}'/>` };
    if (['host-passthrough', 'host-model', 'maximum'].includes(d.cpuMode)) return { ok: true, cite: c, text: `cpu mode='${d.cpuMode}'` };
    return { ok: false, cite: c, text: `cpu mode='${d.cpuMode}'${d.cpuModel ? ` model ${d.cpuModel}` : ''} without ${flag}` };
  }
  const cpuArg = guest.qemu?.cpuArg;
  if (!guest.qemu) return { ok: undefined };
  const file = guest.qemu.file;
  const line = guest.qemu.argLine?.(cpuArg ? cpuArg.slice(5) : '-cpu') ?? guest.qemu.line;
  if (!cpuArg) return { ok: false, cite: cite(file, guest.qemu.line, `${guest.qemu.binary} (no -cpu)`), text: 'no -cpu option: the default CPU model has no vmx/svm' };
  const c = cite(file, line, cpuArg);
  if (guest.qemu.nestedCpuFlag) return { ok: guest.qemu.nestedCpuFlag.on, cite: c, text: cpuArg };
  if (guest.qemu.cpu === 'host' || guest.qemu.cpu === 'max') return { ok: true, cite: c, text: cpuArg };
  return { ok: false, cite: c, text: `${cpuArg} without +${flag}` };
}

export function l1NestingCpuCheck(ctx: ChainContext): Check | undefined {
  const { files } = ctx;
  if (!ctx.collected.includes('L1')) return undefined;
  const cpu = cpuOf(files, 'L1');
  const l0cpu = cpuOf(files, 'L0');
  const flag = expectedFlag(l0cpu ?? cpu);
  const guest = ctx.matches.L1?.guest;
  const started = startedWithNestingCpu(guest, flag);
  const evidence: Citation[] = [];
  const seen = cpu ? virtFlagOf(cpu) : undefined;
  if (cpu?.flagsLine) evidence.push(cite(cpu.file, cpu.flagsLine, seen ? `flags: ... ${seen} ...` : `flags: (no vmx, svm or sie)`));
  if (started.cite) evidence.push(started.cite);
  if (!cpu) return check('l1-virt-flag', 'L1', 'unknown', 'L1: neither its cpuinfo nor lscpu is here; L1/cpuinfo.txt (cat /proc/cpuinfo) or L1/lscpu.txt would decide it', evidence);
  const kvm = kvmLoaded(files, 'L1');
  if (seen) {
    const how = started.text ? `; started with ${started.text}` : '';
    if (ctx.verdicts.L1?.runsOn === 'tcg') {
      return check('l1-virt-flag', 'L1', 'warn', `L1 sees ${seen} in its CPU flags${how}, but TCG emulates it: its guests run KVM on an emulated CPU, slowly`, evidence, 'Run L1 itself on KVM (see the L1 check); then -cpu host passes the real ' + seen + '.');
    }
    return check('l1-virt-flag', 'L1', 'pass', `L1 sees ${seen} in its CPU flags${how}`, evidence);
  }
  if (cpu.arch === 's390x') {
    return check('l1-virt-flag', 'L1', 'warn', 'L1 lists no sie feature in /proc/cpuinfo: its guests cannot use KVM, unless its kernel predates the sie flag', evidence, 'On the host: load kvm with nested=1 (and hpage=0), e.g. "options kvm nested=1 hpage=0" in /etc/modprobe.d/kvm.conf; the guest then sees sie.');
  }
  const pvm = kvm.modules.includes('kvm_pvm');
  const fix =
    started.ok === false
      ? `Give L1 the host CPU's virtualization: libvirt <cpu mode='host-passthrough'/> (or host-model), or QEMU -cpu host (or -cpu MODEL,+${flag === 'vmx/svm' ? 'vmx' : flag}); L0 also needs nested=1.`
      : `Check L0's nested parameter and how L1 is started: libvirt <cpu mode='host-passthrough'/> or QEMU -cpu host.`;
  return check(
    'l1-virt-flag',
    'L1',
    'fail',
    `L1 has no ${cpu.arch === 'x86' ? 'vmx or svm' : 'vmx/svm/sie'} in its CPU flags: its guests cannot use hardware-assisted KVM${pvm ? '; its /dev/kvm comes from kvm_pvm (software nesting: only PVM-enabled guest kernels can use it)' : ''}${started.text ? ` (started with ${started.text})` : ''}`,
    evidence,
    fix,
  );
}

export function l1KvmUsableCheck(ctx: ChainContext): Check | undefined {
  const { files } = ctx;
  if (!ctx.collected.includes('L1')) return undefined;
  const kvm = kvmLoaded(files, 'L1');
  const device = parseKvmDevice(files.get(levelFile('L1', 'kvm-device')) ?? '');
  const evidence: Citation[] = [];
  if (kvm.cite) evidence.push(kvm.cite);
  if (device) evidence.push(cite(levelFile('L1', 'kvm-device'), 1, device.line));
  const cpu = cpuOf(files, 'L1');
  if (kvm.loaded === undefined && !device) return check('l1-kvm', 'L1', 'unknown', 'L1: KVM modules and /dev/kvm were not collected', evidence);
  if (kvm.loaded === false || (device && !device.present)) {
    return check('l1-kvm', 'L1', 'fail', `L1: ${device && !device.present ? '/dev/kvm does not exist' : 'no KVM module is loaded'}: L1 cannot run KVM guests`, evidence, `In L1: modprobe ${vendorModule(cpu)}; if it fails, dmesg says why (usually no ${expectedFlag(cpu)} in L1: see the L1 CPU check).`);
  }
  const modules = kvm.modules.join(', ');
  const pvm = kvm.modules.includes('kvm_pvm') ? ' (kvm_pvm: software nesting without VMX/SVM)' : '';
  if (device?.mode && !/^c.{5}rw/.test(device.mode) && device.group !== 'root') {
    return check('l1-kvm', 'L1', 'pass', `L1 has KVM (${modules})${pvm} and /dev/kvm (${device.mode} ${device.owner}:${device.group})`, evidence);
  }
  if (device?.mode && !/^c.{3}rw/.test(device.mode)) {
    return check('l1-kvm', 'L1', 'warn', `L1 has KVM (${modules})${pvm}, but /dev/kvm is ${device.mode} ${device.owner}:${device.group}: only root can use it`, evidence, 'Let QEMU users open it: chgrp kvm /dev/kvm && chmod 660 /dev/kvm (udev does this on most distributions), and add the user to group kvm.');
  }
  return check('l1-kvm', 'L1', 'pass', `L1 has KVM (${modules})${pvm}${device ? ` and /dev/kvm (${device.mode ?? 'present'})` : ''}`, evidence);
}

export function guestsOnKvmCheck(ctx: ChainContext, host: Level): Check | undefined {
  // The L2s are the guests running now; when none runs, the defined domains that were
  // started before. Logs of domains that no longer exist are history, not L2s.
  const all = ctx.guests[host] ?? [];
  const running = all.filter((g) => g.running);
  const guests = running.length ? running : all.filter((g) => g.domain && g.log);
  if (!ctx.collected.includes(host) || host === 'L0' || guests.length === 0) return undefined;
  const guestLevel: Level = 'L2';
  const rows = guests.map((g) => ({ g, accel: guestAccel(g) }));
  const tcg = rows.filter((r) => r.accel.says === 'tcg');
  const evidence = rows.map((r) => r.accel.clue).filter((c) => c !== undefined).map((c) => cite(c.file, c.line, c.text));
  const names = (list: typeof rows) => list.map((r) => r.g.name ?? `pid ${r.g.pid}`).join(', ');
  if (tcg.length) {
    return check(
      `${host.toLowerCase()}-guests-on-kvm`,
      guestLevel,
      'fail',
      `${host} runs ${tcg.length} of its ${rows.length} guests on TCG, not KVM: ${names(tcg)} (${tcg[0].accel.clue?.why})`,
      evidence,
      `In ${host}: make sure /dev/kvm works (see the ${host} checks), then start the guests with libvirt type='kvm' or QEMU -accel kvm; remove a ":tcg" fallback so a KVM failure is an error, not a silent slowdown.`,
    );
  }
  const weak = rows.filter((r) => r.accel.strength < 2);
  if (weak.length) {
    return check(`${host.toLowerCase()}-guests-on-kvm`, guestLevel, 'warn', `${host}: ${names(weak)} may be on TCG: ${weak[0].accel.clue?.why ?? 'no accelerator evidence'}`, evidence, 'Start the guests with -accel kvm alone (no :tcg fallback) so a KVM failure stops QEMU instead of emulating.');
  }
  return check(`${host.toLowerCase()}-guests-on-kvm`, guestLevel, 'pass', `${host} runs its guests on KVM: ${names(rows)}`, evidence);
}

export function flagDiffCheck(ctx: ChainContext): Check | undefined {
  const l0 = cpuOf(ctx.files, 'L0');
  const l1 = cpuOf(ctx.files, 'L1');
  if (!l0 || !l1 || l0.flags.size === 0 || l1.flags.size === 0) return undefined;
  const lost = [...l0.flags].filter((f) => !l1.flags.has(f)).sort();
  const evidence = [cite(l0.file, l0.flagsLine, `${l0.flags.size} flags`), cite(l1.file, l1.flagsLine, `${l1.flags.size} flags`)];
  const important = lost.filter((f) => ['vmx', 'svm', 'sie', 'ept', 'npt', 'vpid', 'ept_ad', 'vnmi', 'flexpriority', 'tpr_shadow', 'avic', 'vgif', 'v_vmsave_vmload', 'nrip_save', 'lbrv', 'tsc_scale', 'x2apic', 'pdpe1gb'].includes(f));
  const vmx = lostVmxFeatures(parseVmxMsrs(ctx.files.get(levelFile('L0', 'vmx-msrs')) ?? ''), parseVmxMsrs(ctx.files.get(levelFile('L1', 'vmx-msrs')) ?? ''));
  const list = (xs: string[], n = 40) => (xs.length > n ? `${xs.slice(0, n).join(' ')} ... (${xs.length - n} more)` : xs.join(' '));
  const vmxText = vmx.length ? `; VMX features L1 lost: ${vmx.join(', ')}` : '';
  if (lost.length === 0 && vmx.length === 0) return check('l0-l1-flags', 'L1', 'pass', 'L1 sees every CPU flag L0 has', evidence);
  const status: CheckStatus = important.length || vmx.length ? 'warn' : 'pass';
  return check('l0-l1-flags', 'L1', status, `L1 lacks ${lost.length} of L0's CPU flags${important.length ? ` including ${important.join(', ')}` : ''}: ${list(lost)}${vmxText}`, evidence, "Start L1 with -cpu host (libvirt host-passthrough) to pass L0's features through; host-model and named models drop some.");
}

export function migrationCheck(ctx: ChainContext): Check | undefined {
  const l0 = cpuOf(ctx.files, 'L0') ?? cpuOf(ctx.files, 'L1');
  const l1Guests = ctx.guests.L1 ?? [];
  if (!l0 || l1Guests.length === 0) return undefined;
  const running = l1Guests.filter((g) => g.running);
  if (running.length === 0) return undefined;
  const evidence = running.slice(0, 3).map((g) => cite(g.qemu?.file ?? g.domain?.file ?? g.log?.file ?? '', g.qemu?.line ?? g.domain?.line ?? g.log?.line, g.name ?? `pid ${g.pid}`));
  if (l0.vendor === 'AuthenticAMD' || l0.vendor === 'HygonGenuine') {
    return check('l1-migration', 'L1', 'warn', `L1 runs ${running.length} L2 guest(s) on AMD: do not live-migrate or save/restore L1 while they run (kernel BUG, oops or panic)`, evidence, 'Stop the L2 guests before migrating, saving or snapshotting L1.');
  }
  return undefined;
}

export function xenL0Check(ctx: ChainContext): Check | undefined {
  const v = ctx.verdicts.L0;
  const v1 = ctx.verdicts.L1;
  if (v?.runsOn !== 'xen' && v1?.runsOn !== 'xen') return undefined;
  const level: Level = v?.runsOn === 'xen' ? 'L0' : 'L1';
  const c = (v?.runsOn === 'xen' ? v : v1)!.evidence[0];
  return check('xen-nesting', level, 'unknown', `Xen is underneath: nested HVM needs hap=1 and nestedhvm=1 in the guest's xl configuration, which nestbug cannot read from inside`, c ? [cite(c.file, c.line, c.text)] : [], 'In the xl configuration of the guest hypervisor, set hap=1 and nestedhvm=1, then restart it.');
}

export function allChecks(ctx: ChainContext): Check[] {
  const list = [
    l0HardwareCheck(ctx),
    l0NestedCheck(ctx),
    l0SpeedCheck(ctx),
    xenL0Check(ctx),
    levelOnKvmCheck(ctx, 'L1'),
    l1NestingCpuCheck(ctx),
    l1KvmUsableCheck(ctx),
    flagDiffCheck(ctx),
    guestsOnKvmCheck(ctx, 'L1'),
    levelOnKvmCheck(ctx, 'L2'),
    migrationCheck(ctx),
  ];
  return list.filter((c): c is Check => c !== undefined);
}
