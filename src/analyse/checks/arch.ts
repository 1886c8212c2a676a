// Pure: the checks of each architecture KVM nests on: the VMX/SVM features L1 lost and
// where its CPU model dropped them, kvm_intel/kvm_amd parameters on each level, arm64 EL2
// and the L0 kernel's nested mode, ppc64 nested KVM-HV, and s390x's levels below.
import type { Level } from '../../levels.js';
import { ARM64_NV_MIN_KERNEL, kernelAtLeast, kvmArmMode, machineGivesEl2, parseArm64Dmesg } from '../arch/arm64.js';
import { combinedFix, interpretKvmParams } from '../arch/kvm-x86-params.js';
import { domainNestedHv, machineNestedHv, parsePpcPlatform, ppcNestedErrors } from '../arch/ppc64.js';
import { levelsBelow, parseSysinfoLayers, sysinfoSaysTcg } from '../arch/s390x.js';
import { compareFeatures, svmFeatures, vmxFeatures } from '../arch/x86-features.js';
import { type Citation, type EvidenceFiles, findLine, levelFile } from '../evidence.js';
import type { Guest } from '../guests.js';
import { isOn, parseKvmParams } from '../parsers/kvm-params.js';
import { parseUname } from '../parsers/system.js';
import type { CheckStatus } from '../types.js';
import { cite, cpuOf, kvmLoaded, result } from './common.js';
import type { ChainContext, CheckDef, CheckResult } from './registry.js';

const isArch = (files: EvidenceFiles, level: Level, arch: 'arm' | 'ppc' | 's390x' | 'x86') =>
  cpuOf(files, level)?.arch === arch;

/** Where the CPU model given to L1 can hide features: the domain's <cpu> line (and any
 * disabled feature) or QEMU's -cpu argument. */
/** libvirt and QEMU name VMX sub-features `vmx-posted-intr`, Linux `posted_intr`. */
const sameFeature = (qemuName: string, linuxName: string) =>
  qemuName === linuxName || qemuName.replace(/^(vmx|svm)-/, '').replace(/-/g, '_') === linuxName;

const featureElement = (f: { policy: string; name: string }) => `<feature policy='${f.policy}' name='${f.name}'/>`;

function cpuModelCitations(
  files: EvidenceFiles,
  guest: Guest | undefined,
  lost: string[],
): { evidence: Citation[]; hint?: string } {
  if (!guest) return { evidence: [] };
  const d = guest.domain;
  if (d?.cpuMode) {
    const disabled = d.cpuFeatures.filter(
      (f) => (f.policy === 'disable' || f.policy === 'forbid') && lost.some((l) => sameFeature(f.name, l)),
    );
    const evidence = d.cpuLine ? [cite(d.file, d.cpuLine.line, d.cpuLine.text)] : [];
    for (const f of disabled) {
      const at = findLine(
        files,
        d.file,
        new RegExp(`<feature\\b[^>]*name=['"]${f.name.replace(/[^a-z0-9_-]/gi, '')}['"]`),
      );
      if (at) evidence.push(at);
    }
    if (disabled.length)
      return {
        evidence,
        hint: `the domain XML disables ${disabled.map(featureElement).join(', ')}`,
      };
    if (d.cpuMode === 'host-passthrough') return { evidence };
    const what = d.cpuMode === 'custom' ? `a named model (${d.cpuModel ?? 'custom'})` : `cpu mode='${d.cpuMode}'`;
    return {
      evidence,
      hint: `L1 is given ${what}, which can drop VMX/SVM sub-features; <cpu mode='host-passthrough'/> passes them all`,
    };
  }
  const q = guest.qemu;
  if (q?.cpuArg) {
    const line = q.argLine?.(q.cpuArg.slice(5)) ?? q.line;
    const evidence = [cite(q.file, line, q.cpuArg)];
    const minus = q.cpuArg
      .split(',')
      .filter(
        (p) => /^-|=off$/.test(p) && lost.some((l) => sameFeature(p.replace(/^[-+]/, '').replace(/=off$/, ''), l)),
      );
    if (minus.length) return { evidence, hint: `QEMU's ${q.cpuArg} switches off ${minus.join(', ')}` };
    if (q.cpu !== 'host' && q.cpu !== 'max')
      return {
        evidence,
        hint: `QEMU's ${q.cpuArg} is a named model, which can drop VMX/SVM sub-features; -cpu host passes them all`,
      };
    return { evidence };
  }
  return { evidence: [] };
}

export const l1VirtFeatures: CheckDef = {
  id: 'l1-virt-features',
  level: 'L1',
  titles: {
    pass: 'L1 has every VMX/SVM feature L0 has',
    fail: 'L1 lost VMX/SVM features L0 has',
    warn: 'L1 lost VMX/SVM features L0 has: L2 pays for it',
    unknown: 'which VMX/SVM features L1 lost is not known',
  },
  reads: ['cpuinfo'],
  alsoReads: ['domains', 'qemu-cmdlines'],
  evaluate(ctx) {
    const { files } = ctx;
    if (!ctx.collected.includes('L0') || !ctx.collected.includes('L1')) return undefined;
    const [t0, t1] = [files.get(levelFile('L0', 'cpuinfo')), files.get(levelFile('L1', 'cpuinfo'))];
    if (!t0 || !t1) return undefined;
    const kind = vmxFeatures(t0) ? 'vmx' : svmFeatures(t0) ? 'svm' : undefined;
    if (!kind) return undefined;
    const read = kind === 'vmx' ? vmxFeatures : svmFeatures;
    const [f0, f1] = [read(t0)!, read(t1)];
    const evidence = [cite(levelFile('L0', 'cpuinfo'), f0.line, `${f0.source}: ${[...f0.features].join(' ')}`)];
    if (!f1) return undefined; // no vmx/svm at all in L1: l1-virt-flag says so
    evidence.push(cite(levelFile('L1', 'cpuinfo'), f1.line, `${f1.source}: ${[...f1.features].join(' ')}`));
    const loss = compareFeatures(kind, f0, f1)!;
    const scope =
      loss.compared === 'flags'
        ? ` (compared on the names both cpuinfo files show: ` +
          `${kind === 'vmx' ? 'one has no `vmx flags` line' : 'the plain flags'})`
        : '';
    if (loss.lost.length === 0 && loss.otherLost.length === 0)
      return result('pass', `L1 has every ${kind.toUpperCase()} feature L0 shows${scope}`, evidence);
    const model = cpuModelCitations(files, ctx.matches.L1?.guest, [...loss.lost.map((l) => l.name), ...loss.otherLost]);
    evidence.push(...model.evidence);
    const major = loss.lost.filter((l) => l.major);
    const costs = loss.lost.map((l) => l.cost).join('; ');
    const other = loss.otherLost.length ? `; also lost: ${loss.otherLost.join(' ')}` : '';
    const status: CheckStatus = major.length || loss.lost.length ? 'warn' : 'pass';
    const fix =
      `${model.hint ? `${model.hint[0].toUpperCase()}${model.hint.slice(1)}. ` : ''}` +
      "Give L1 the host CPU: libvirt <cpu mode='host-passthrough'/> or QEMU -cpu host, " +
      "with no -vmx-*/-svm sub-feature switched off; check L0's kvm_intel/kvm_amd parameters " +
      '(a feature off there is off for L1).';
    return result(
      status,
      `L1 lost ${kind.toUpperCase()} features of L0${scope}: ` +
        `${loss.lost.map((l) => l.name).join(', ') || 'none with a known cost'}${costs ? ` — ${costs}` : ''}${other}`,
      evidence,
      fix,
    );
  },
};

function kvmParamsCheck(level: 'L0' | 'L1'): CheckDef {
  return {
    id: `${level.toLowerCase()}-kvm-params`,
    level,
    titles: {
      pass: `${level}'s kvm_intel/kvm_amd parameters suit nesting`,
      fail: `a kvm_intel/kvm_amd parameter on ${level} stops nesting`,
      warn: `kvm_intel/kvm_amd parameters on ${level} slow nested guests`,
      unknown: `${level}'s kvm_intel/kvm_amd parameters are not known`,
    },
    reads: ['kvm-params'],
    evaluate(ctx) {
      if (!ctx.collected.includes(level)) return undefined;
      const file = levelFile(level, 'kvm-params');
      const params = parseKvmParams(ctx.files.get(file) ?? '');
      // On L0, nested and EPT/NPT/shadow VMCS/APICv/AVIC have their own checks (l0-nested, l0-speed).
      const covered = new Set(
        level === 'L0' ? ['nested', 'ept', 'npt', 'enable_shadow_vmcs', 'enable_apicv', 'avic'] : [],
      );
      const findings = interpretKvmParams(params, level).filter(
        (f) => !covered.has(f.param.name) || f.param.module === 'kvm',
      );
      if (findings.length === 0) return undefined;
      const evidence = findings.map((f) =>
        cite(file, f.param.line, `${f.param.module}.${f.param.name}=${f.param.value}`),
      );
      const bad = findings.filter((f) => f.status !== 'pass');
      const status: CheckStatus = bad.some((f) => f.status === 'fail') ? 'fail' : bad.length ? 'warn' : 'pass';
      if (!bad.length)
        return result(
          'pass',
          `${level}: ${findings.map((f) => `${f.param.module}.${f.param.name}=${f.param.value}`).join(', ')}`,
          evidence,
        );
      return result(
        status,
        `${level}: ${bad.map((f) => `${f.param.module}.${f.param.name}=${f.param.value} (${f.meaning})`).join('; ')}`,
        evidence,
        combinedFix(bad, level),
      );
    },
  };
}
export const l0KvmParams = kvmParamsCheck('L0');
export const l1KvmParams = kvmParamsCheck('L1');

export const arm64El2: CheckDef = {
  id: 'arm64-el2',
  level: 'L1',
  titles: {
    pass: 'L1 (arm64) started at EL2: it can run KVM guests',
    fail: 'L1 (arm64) started at EL1: it cannot run KVM guests',
    warn: 'L1 (arm64) has EL2, but KVM did not start there',
    unknown: 'the exception level L1 (arm64) started at is not known',
  },
  reads: ['cpuinfo', 'dmesg'],
  alsoReads: ['qemu-cmdlines'],
  evaluate(ctx) {
    const { files } = ctx;
    if (!ctx.collected.includes('L1') || !isArch(files, 'L1', 'arm')) return undefined;
    const file = levelFile('L1', 'dmesg');
    const text = files.get(file);
    if (text === undefined)
      return result('unknown', "L1's dmesg was not collected: it says whether L1 started at EL2", []);
    const boot = parseArm64Dmesg(text);
    const evidence: Citation[] = [];
    for (const l of [boot.startedAt?.at, boot.kvmReady, boot.hypUnavailable])
      if (l) evidence.push(cite(file, l.line, l.text));
    const q = ctx.matches.L1?.guest?.qemu;
    const el2Given = q ? machineGivesEl2(q.machineArg) : undefined;
    if (q)
      evidence.push(
        cite(
          q.file,
          (q.machineArg ? q.argLine?.(q.machineArg.split(' ').slice(1).join(' ')) : undefined) ?? q.line,
          q.machineArg ?? `${q.binary} (no -machine)`,
        ),
      );
    const vmmFix =
      `Give L1's vCPU EL2: QEMU -machine virt,virtualization=on (with -accel kvm this needs an L0 ` +
      `kernel >= ${ARM64_NV_MIN_KERNEL.join('.')} booted with kvm-arm.mode=nested on ` +
      `FEAT_NV2 ` +
      `hardware${q ? '' : "; libvirt: <features><gic version='3'/></features> and the same machine option"}); ` +
      `cloud VMs need an instance type with nested virtualization.`;
    if (boot.startedAt?.el === 2) {
      if (boot.kvmReady)
        return result(
          'pass',
          `L1 started at EL2 and KVM initialized (${boot.kvmReady.text.replace(/^\[[^\]]*\]\s*/, '')})`,
          evidence,
        );
      return result(
        'warn',
        'L1 started at EL2, but its kernel log shows no KVM initialization (KVM not built in, or it failed: see dmesg)',
        evidence,
        'In L1: check dmesg for kvm lines and that the kernel has CONFIG_KVM.',
      );
    }
    if (boot.startedAt?.el === 1 || boot.hypUnavailable) {
      const why = el2Given === false ? `; its QEMU does not give EL2 (${q?.machineArg ?? 'no -machine option'})` : '';
      return result(
        'fail',
        `L1 started at EL1${boot.hypUnavailable ? ' and KVM says HYP mode not available' : ''}: it cannot host KVM ` +
          `guests${why}`,
        evidence,
        vmmFix,
      );
    }
    return result(
      'unknown',
      "L1's kernel log does not say which exception level it started at (the line is early in the boot: dmesg may " +
        'have wrapped)',
      evidence,
    );
  },
};

/** What L0 (arm64) says about giving its guests EL2: QEMU's refusal, the kernel, kvm-arm.mode, KVM ignored. */
function arm64L0Facts(files: EvidenceFiles) {
  // QEMU's refusal when asked for EL2 (virtualization=on) on a KVM host without nesting
  const refused = findLine(
    files,
    levelFile('L0', 'libvirt-qemu-logs'),
    /host kernel KVM does not support providing Virtualization extensions/,
  );
  const release = parseUname(files.get(levelFile('L0', 'uname')) ?? '').release;
  const cmdFile = levelFile('L0', 'cmdline');
  const mode = kvmArmMode(files.get(cmdFile) ?? '');
  const ignored = findLine(
    files,
    levelFile('L0', 'dmesg'),
    /KVM is not available\. Ignoring kvm-arm\.mode|HYP mode not available/,
  );
  const evidence: Citation[] = [];
  if (release) evidence.push(cite(levelFile('L0', 'uname'), 1, release));
  const modeLine = findLine(files, cmdFile, /kvm-arm\.mode=/);
  if (modeLine) evidence.push(modeLine);
  if (ignored) evidence.push(ignored);
  if (refused) evidence.push(refused);
  return { refused, release, mode, ignored, evidence };
}

export const arm64L0Nested: CheckDef = {
  id: 'arm64-l0-nested',
  level: 'L0',
  titles: {
    pass: 'L0 (arm64) runs a kernel that can give its guests EL2',
    fail: 'L0 (arm64) cannot give its guests EL2',
    warn: 'L0 (arm64) may not give its guests EL2',
    unknown: 'whether L0 (arm64) offers nested virtualization is not known',
  },
  reads: ['cpuinfo', 'uname', 'cmdline', 'dmesg'],
  alsoReads: ['libvirt-qemu-logs'],
  evaluate(ctx) {
    const { files } = ctx;
    if (!ctx.collected.includes('L0') || !isArch(files, 'L0', 'arm')) return undefined;
    const { refused, release, mode, ignored, evidence } = arm64L0Facts(files);
    const newEnough = kernelAtLeast(release, ARM64_NV_MIN_KERNEL);
    const fix =
      `Nested virtualization on arm64 needs FEAT_NV2 hardware (Neoverse V2/Graviton4, Apple M2+, ...), ` +
      `an L0 kernel >= ${ARM64_NV_MIN_KERNEL.join('.')} booted with ` +
      `kvm-arm.mode=nested, and L1 started with -machine virt,virtualization=on.`;
    if (refused && (newEnough === false || mode !== 'nested')) {
      return result(
        'fail',
        `QEMU on L0 could not give L1 EL2 (${refused.text.replace(/^.*?(host kernel KVM)/, '$1')})`,
        evidence,
        fix,
      );
    }
    if (ignored)
      return result(
        'fail',
        `L0's KVM is not available (${ignored.text.replace(/^\[[^\]]*\]\s*/, '')}): L0 did not start at EL2`,
        evidence,
        `L0 must boot at EL2 (firmware that leaves EL2 to Linux; on a VM, a host that gives it EL2). ${fix}`,
      );
    if (newEnough === false)
      return result(
        'fail',
        `L0 runs Linux ${release}: arm64 nested KVM arrived in ${ARM64_NV_MIN_KERNEL.join('.')}`,
        evidence,
        fix,
      );
    if (mode !== 'nested')
      return result(
        'fail',
        `L0's kernel command line has ${mode ? `kvm-arm.mode=${mode}` : 'no kvm-arm.mode=nested'}: ` +
          'KVM gives its guests no EL2',
        evidence,
        fix,
      );
    if (newEnough === undefined)
      return result(
        'unknown',
        `L0 boots with kvm-arm.mode=nested; its kernel version was not collected`,
        evidence,
        fix,
      );
    return result(
      'pass',
      `L0 runs Linux ${release} with kvm-arm.mode=nested (the hardware must still have FEAT_NV2: L1 starting at ` +
        `EL2 shows it does)`,
      evidence,
    );
  },
};

/** `<nested-hv state='on'/>` in the libvirt domain that runs L1, with the line to cite. */
function domainNestedHvOf(files: EvidenceFiles, guest: Guest | undefined): { on: boolean; cite: Citation } | undefined {
  const d = guest?.domain;
  const text = d ? files.get(d.file) : undefined;
  if (!d || text === undefined) return undefined;
  const lines = text.split('\n').slice(d.line - 1);
  const end = lines.findIndex((l) => /<\/domain>/.test(l));
  const found = domainNestedHv(lines.slice(0, end < 0 ? undefined : end + 1).join('\n'));
  if (found.line === undefined)
    return { on: false, cite: cite(d.file, d.line, `${d.typeLine} (no <nested-hv/> feature)`) };
  return { on: found.on, cite: cite(d.file, d.line + found.line - 1, found.text ?? '') };
}

/** What says whether L1 (ppc64) got nested HV: errors logged, L0's kvm_hv nested, cap-nested-hv, kvm_hv in L1. */
function ppcNestingFacts(ctx: ChainContext, evidence: Citation[]) {
  const { files } = ctx;
  const errors = (['dmesg', 'libvirt-qemu-logs'] as const).flatMap((id) =>
    ppcNestedErrors(files.get(levelFile('L1', id)) ?? '').map((e) => ({ ...e, file: levelFile('L1', id) })),
  );
  for (const e of errors) evidence.push(cite(e.file, e.line, e.text));
  const l0Nested = parseKvmParams(files.get(levelFile('L0', 'kvm-params')) ?? '').find(
    (p) => p.module === 'kvm_hv' && p.name === 'nested',
  );
  if (l0Nested) evidence.push(cite(levelFile('L0', 'kvm-params'), l0Nested.line, `kvm_hv.nested=${l0Nested.value}`));
  const q = ctx.matches.L1?.guest?.qemu;
  const fromDomain = domainNestedHvOf(files, ctx.matches.L1?.guest);
  const capOn = q ? machineNestedHv(q.machineArg) : fromDomain?.on;
  if (q) evidence.push(cite(q.file, q.line, q.machineArg ?? `${q.binary} (no -machine option)`));
  if (fromDomain) evidence.push(fromDomain.cite);
  const kvm = kvmLoaded(files, 'L1');
  const hv = kvm.modules.includes('kvm_hv');
  return { errors, l0Nested, q, capOn, hv };
}

export const ppc64NestedHv: CheckDef = {
  id: 'ppc64-nested-hv',
  level: 'L1',
  titles: {
    pass: 'L1 (ppc64) can run KVM-HV guests',
    fail: 'L1 (ppc64) cannot run KVM-HV guests: nested HV is missing',
    warn: 'L1 (ppc64) may not run KVM-HV guests',
    unknown: 'whether L1 (ppc64) can run KVM-HV guests is not known',
  },
  reads: ['cpuinfo', 'dmesg', 'kvm-modules', 'kvm-params', 'device-tree'],
  alsoReads: ['qemu-cmdlines', 'libvirt-qemu-logs', 'domains'],
  evaluate(ctx) {
    const { files } = ctx;
    if (!ctx.collected.includes('L1') || !isArch(files, 'L1', 'ppc')) return undefined;
    const platform = parsePpcPlatform(files.get(levelFile('L1', 'cpuinfo')) ?? '');
    const evidence: Citation[] = [];
    if (platform.line)
      evidence.push(
        cite(
          levelFile('L1', 'cpuinfo'),
          platform.line,
          `platform: ${platform.platform}, model: ${platform.model ?? ''}`,
        ),
      );
    if (platform.kind === 'powernv')
      return result('pass', 'L1 is PowerNV (bare metal): it runs KVM-HV guests directly, nothing is nested', evidence);
    const { errors, l0Nested, q, capOn, hv } = ppcNestingFacts(ctx, evidence);
    const capFix =
      "Start L1 with -machine pseries,cap-nested-hv=on (libvirt: <features><nested-hv state='on'/></features>) on " +
      'a POWER9/POWER10 KVM host whose kvm_hv has nested=1 ' +
      '(/sys/module/kvm_hv/parameters/nested).';
    if (errors.length)
      return result(
        'fail',
        `L1: ${errors.map((e) => e.meaning).join('; ')}`,
        evidence,
        errors.map((e) => e.fix).join(' '),
      );
    if (l0Nested && isOn(l0Nested.value) === false)
      return result(
        'fail',
        `L0's kvm_hv has nested=${l0Nested.value}: no guest of L0 gets nested HV`,
        evidence,
        'On L0, with all guests stopped: echo "options kvm_hv nested=1" > /etc/modprobe.d/kvm_hv.conf; modprobe -r ' +
          'kvm_hv; modprobe kvm_hv. ' +
          capFix,
      );
    if (capOn === false)
      return result(
        'fail',
        `L1 was started without cap-nested-hv=on ` +
          `(${q ? (q.machineArg ?? 'no -machine option') : "its domain XML has no <nested-hv state='on'/>"})`,
        evidence,
        capFix,
      );
    if (platform.kind === 'powervm' && !hv)
      return result(
        'warn',
        'L1 is a PowerVM LPAR without kvm_hv loaded: KVM-HV guests there need Power10 firmware with the nested API v2',
        evidence,
        hypervisorFixPowerVm,
      );
    if (hv)
      return result('pass', `L1 has kvm_hv loaded${capOn ? ' and was started with cap-nested-hv=on' : ''}`, evidence);
    return result(
      'unknown',
      'L1 is a pSeries guest without kvm_hv loaded and no nested-HV error: try modprobe kvm_hv in L1 and read dmesg',
      evidence,
      capFix,
    );
  },
};
const hypervisorFixPowerVm =
  'Use a Power10 system with firmware FW1060 or later, mark the LPAR KVM-capable on the HMC, and run a Linux ' +
  'kernel >= 6.8 in it.';

/** The lowest collected s390x level with sysinfo tells what runs below it. */
export function s390xBelow(
  files: EvidenceFiles,
  collected: readonly Level[],
): { level: Level; below: ReturnType<typeof levelsBelow>; tcg?: Citation; file: string } | undefined {
  for (const level of collected) {
    const file = levelFile(level, 'sysinfo');
    const text = files.get(file);
    if (!text) continue;
    const layers = parseSysinfoLayers(text);
    const tcg = sysinfoSaysTcg(layers);
    const what = tcg?.kind === 'machine' ? `Manufacturer: ${tcg.manufacturer}` : `VM00 Name: ${tcg?.name}`;
    return { level, below: levelsBelow(layers), tcg: tcg ? cite(file, tcg.line, what) : undefined, file };
  }
  return undefined;
}

export const s390xLayers: CheckDef = {
  id: 's390x-layers',
  level: 'L1',
  titles: {
    pass: 'the s390x levels below are known from /proc/sysinfo',
    fail: 'the s390x levels below cannot host KVM',
    warn: 'an s390x level below is emulated, not KVM',
    unknown: 'the s390x levels below are not known',
  },
  reads: ['sysinfo'],
  evaluate(ctx): CheckResult | undefined {
    const found = s390xBelow(ctx.files, ctx.collected);
    if (!found) return undefined;
    const { level, below, tcg, file } = found;
    if (tcg) {
      return {
        ...result(
          'warn',
          `${level}'s /proc/sysinfo was written by QEMU's emulation: ${level} runs on TCG, no real s390x layer is ` +
            `below it`,
          [tcg],
          'Run the s390x guest on an s390x KVM host (an LPAR or z/VM guest with the sie facility) to test nested KVM.',
        ),
        level,
      };
    }
    if (below.length === 0)
      return { ...result('pass', `${level} runs directly in an LPAR (no VM layer in its /proc/sysinfo)`, []), level };
    const names = ['L0', 'L1', 'L2'] as const;
    const idx = names.indexOf(level as (typeof names)[number]);
    const text = below
      .map((b) => `${idx - b.depth >= 0 ? names[idx - b.depth] : `the layer ${b.depth} below ${level}`} is ${b.is}`)
      .join('; ');
    const evidence = below.map((b) =>
      cite(
        file,
        b.layer.line,
        `VM${String(b.layer.index).padStart(2, '0')} Control Program: ${b.layer.controlProgram ?? ''}`,
      ),
    );
    return { ...result('pass', `from ${level}'s /proc/sysinfo: ${text}`, evidence), level };
  },
};

export const ARCH_CHECKS: readonly CheckDef[] = [
  l0KvmParams,
  arm64L0Nested,
  l1VirtFeatures,
  l1KvmParams,
  arm64El2,
  ppc64NestedHv,
  s390xLayers,
];
