// Pure: the checks of L0, the host at the bottom: hardware virtualization, KVM, the
// nested parameter and the features that make nested guests fast.
import { findLine, levelFile } from '../evidence.js';
import { nestedParam } from '../level-table.js';
import { isOn, parseKvmParams } from '../parsers/kvm-params.js';
import { parseKvmDevice } from '../parsers/small.js';
import { HARDWARE_OFF, findDecisive } from '../decisive-lines.js';
import { nestingFix } from './platform-fix.js';
import type { Citation } from '../evidence.js';
import { cite, cpuOrLscpu, expectedFlag, kvmLoaded, result, vendorModule, virtFlagOf } from './common.js';
import type { CheckDef } from './registry.js';

export const l0Kvm: CheckDef = {
  id: 'l0-kvm',
  level: 'L0',
  titles: {
    pass: 'L0 has hardware virtualization and KVM',
    fail: 'L0 cannot run KVM guests',
    warn: 'L0 may not be able to run KVM guests',
    unknown: "L0's hardware virtualization is not known",
  },
  reads: ['cpuinfo', 'lscpu', 'kvm-modules', 'kvm-params', 'kvm-device'],
  alsoReads: ['dmesg', 'kernel-journal', 'extra-dmesg-grep'],
  evaluate(ctx) {
    if (!ctx.collected.includes('L0')) return undefined;
    const { files } = ctx;
    const isVm = ctx.verdicts.L0 && !['bare-metal', 'unknown'].includes(ctx.verdicts.L0.runsOn);
    const cpu = cpuOrLscpu(files, 'L0');
    const kvm = kvmLoaded(files, 'L0');
    const device = parseKvmDevice(files.get(levelFile('L0', 'kvm-device')) ?? '');
    const disabled = findDecisive(files, 'L0', HARDWARE_OFF)[0];
    const evidence: Citation[] = [];
    if (disabled) evidence.push(disabled);
    const flag = cpu ? virtFlagOf(cpu) : undefined;
    if (cpu?.flagsLine) evidence.push(cite(cpu.file, cpu.flagsLine, flag ? `flags: ... ${flag} ...` : `flags: (no ${expectedFlag(cpu)})`));
    if (kvm.cite) evidence.push(kvm.cite);
    if (device) evidence.push(cite(levelFile('L0', 'kvm-device'), 1, device.line));
    if (disabled && (!isVm || disabled.id === 'kvm-disabled-by-bios')) {
      return result(
        'fail',
        `the kernel says hardware virtualization is unavailable: "${disabled.quote}" (${disabled.means})`,
        evidence,
        'Enable Intel VT-x or AMD-V (SVM) in the firmware setup of L0, then reload the KVM module.',
        'L0 cannot run KVM guests: hardware virtualization is off',
      );
    }
    if (!cpu && kvm.loaded === undefined && !(disabled && isVm)) return result('unknown', 'no cpuinfo or KVM module list to tell whether L0 can run KVM guests', evidence);
    if (cpu?.arch === 's390x' && !flag) {
      // Older kernels do not list sie at all, so its absence proves nothing there.
      return result(
        kvm.loaded ? 'warn' : 'unknown',
        `/proc/cpuinfo lists no sie feature (either the machine cannot run KVM guests, or its kernel predates the sie flag)${kvm.loaded ? `; KVM is loaded (${kvm.modules.join(', ')})` : ''}`,
        evidence,
        'Check that the LPAR is allowed to run SIE and that the kvm module loads (dmesg).',
      );
    }
    // arm64 and ppc64 show no such flag: EL2 / hypervisor mode are checked from their logs.
    if ((cpu && !flag && (cpu.arch === 'x86' || cpu.arch === 's390x')) || (disabled && isVm)) {
      const pvm = kvm.modules.includes('kvm_pvm');
      const inVm = isVm || cpu?.flags.has('hypervisor');
      const vmFix = inVm ? nestingFix(ctx, 'L0', { startedWithoutFlag: false, flag: expectedFlag(cpu) }) : undefined;
      return result(
        'fail',
        `${cpu && !flag ? `no ${expectedFlag(cpu)} in L0's CPU flags: it has no hardware virtualization` : `the kernel says "${disabled!.quote}" (${disabled!.means})`}${pvm ? ' (its /dev/kvm comes from kvm_pvm, software nesting that needs PVM-enabled guest kernels)' : ''}${inVm ? '; L0 is itself a virtual machine' : ''}${vmFix?.note ? `; ${vmFix.note}` : ''}`,
        evidence,
        vmFix
          ? `L0 is itself a virtual machine: give it hardware virtualization from its host, or run the test on bare metal. ${vmFix.text}`
          : `Enable ${expectedFlag(cpu) === 'svm' ? 'AMD-V (SVM)' : 'Intel VT-x'} in the firmware setup of L0.`,
        vmFix ? vmFix.title.replace('L0', 'L0, itself a VM,') : `L0 has no hardware virtualization (no ${expectedFlag(cpu)})`,
      );
    }
    if (kvm.loaded === false || (device && !device.present)) {
      const what = kvm.loaded === false ? 'no KVM module is loaded' : '/dev/kvm does not exist';
      return result('fail', `${what} on L0`, evidence, `Load the KVM module on L0: modprobe ${vendorModule(cpu)} (and check dmesg for why it did not load).`, `L0 cannot run KVM guests: ${what}`);
    }
    if (kvm.loaded === undefined) return result('unknown', `L0 has ${flag ?? 'no virtualization flag to show'}; whether KVM is loaded was not collected`, evidence);
    return result('pass', `L0 has ${flag ? `hardware virtualization (${flag}) and ` : ''}KVM loaded (${kvm.modules.join(', ')})`, evidence);
  },
};

export const l0Nested: CheckDef = {
  id: 'l0-nested',
  level: 'L0',
  titles: {
    pass: 'L0 has nesting enabled',
    fail: 'L0 has nesting disabled',
    warn: "L0's nesting needs a look",
    unknown: "L0's nested parameter is not known",
  },
  reads: ['cpuinfo', 'lscpu', 'kvm-params', 'kvm-modules', 'modprobe-conf', 'cmdline'],
  evaluate(ctx) {
    if (!ctx.collected.includes('L0')) return undefined;
    const { files } = ctx;
    const cpu = cpuOrLscpu(files, 'L0');
    const params = parseKvmParams(files.get(levelFile('L0', 'kvm-params')) ?? '');
    const nested = nestedParam(files, 'L0');
    const file = levelFile('L0', 'kvm-params');
    if (!nested) {
      const pvm = params.find((p) => p.module === 'kvm_pvm');
      if (pvm) {
        return result(
          'fail',
          'KVM on L0 is provided by kvm_pvm (no VMX/SVM), which has no nested parameter: hardware-assisted nesting is not available',
          [cite(file, pvm.line, 'kvm_pvm')],
          'Run L0 on a host with VT-x/AMD-V; kvm_pvm can only run guests with PVM-enabled kernels.',
          'L0 cannot nest: its KVM is kvm_pvm, without VMX/SVM',
        );
      }
      return result('unknown', `the nested parameter of ${vendorModule(cpu)} on L0 was not found (module not loaded, or not collected)`, []);
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
        return result(
          'fail',
          'kvm.nested is on but kvm.hpage is on too: s390x nesting needs hpage=0',
          evidence,
          'Load kvm with nested=1 hpage=0 on L0: add "options kvm nested=1 hpage=0" to /etc/modprobe.d/kvm.conf, then reload the module with all guests stopped.',
          'L0 cannot nest: kvm.hpage is on',
        );
      }
    }
    if (isOn(nested.value)) return result('pass', `nesting is enabled (${nested.module}.nested=${nested.value})`, evidence);
    // modprobe-conf lines are grep -n -H output: FILE:LINE:TEXT
    const [persistedIn, persistedLine] = persisted ? persisted.text.split(':') : [];
    const conf = nested.module === 'kvm_intel' ? 'kvm_intel.conf' : nested.module === 'kvm_amd' ? 'kvm_amd.conf' : 'kvm.conf';
    const option = nested.module.replace('_', '-');
    const builtin = findLine(files, levelFile('L0', 'kvm-modules'), new RegExp(`^${nested.module} builtin$`));
    if (builtin) {
      // A built-in module has no modprobe.d: only the kernel command line sets its parameters.
      evidence.push(builtin);
      const wsl = ctx.verdicts.L0?.platform?.id === 'wsl2';
      return result(
        'fail',
        `nesting is disabled (${nested.module}.nested=${nested.value}), and ${nested.module} is built into L0's kernel`,
        evidence,
        wsl
          ? `${nested.module} is built into the WSL2 kernel: on Windows, add kernelCommandLine = ${nested.module}.nested=1 under [wsl2] in %UserProfile%\\.wslconfig, then wsl --shutdown.`
          : `${nested.module} is built into L0's kernel, so modprobe.d does not apply: boot L0 with ${nested.module}.nested=1 on the kernel command line (e.g. GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub).`,
      );
    }
    return result(
      'fail',
      `nesting is disabled (${nested.module}.nested=${nested.value})${persistedIn ? `, and ${persistedIn} line ${persistedLine} persists it` : ''}`,
      evidence,
      `On L0, with all guests stopped: ${persistedIn ? `remove the nested=0 option from ${persistedIn}, then ` : ''}echo "options ${option} nested=1" > /etc/modprobe.d/${conf}; modprobe -r ${nested.module}; modprobe ${nested.module} (or boot with ${option}.nested=1).`,
    );
  },
};

export const l0Speed: CheckDef = {
  id: 'l0-speed',
  level: 'L0',
  titles: {
    pass: 'L0 has EPT/NPT and the nesting speed features on',
    fail: 'L0 lacks EPT/NPT',
    warn: 'L0 has speed features off: nested guests will be slow',
    unknown: "L0's EPT/NPT setting is not known",
  },
  reads: ['kvm-params'],
  evaluate(ctx) {
    if (!ctx.collected.includes('L0')) return undefined;
    const file = levelFile('L0', 'kvm-params');
    const params = parseKvmParams(ctx.files.get(file) ?? '');
    const get = (m: string, n: string) => params.find((p) => p.module === m && p.name === n);
    const intel = params.some((p) => p.module === 'kvm_intel');
    const amd = params.some((p) => p.module === 'kvm_amd');
    if (!intel && !amd) return undefined;
    const names = intel ? ['ept', 'enable_shadow_vmcs', 'enable_apicv'] : ['npt', 'avic'];
    const found = names.map((n) => get(intel ? 'kvm_intel' : 'kvm_amd', n)).filter((p) => p !== undefined);
    const evidence = found.map((p) => cite(file, p.line, `${p.module}.${p.name}=${p.value}`));
    const tdp = found.find((p) => p.name === 'ept' || p.name === 'npt');
    if (tdp && isOn(tdp.value) === false) {
      return result(
        'warn',
        `${tdp.name.toUpperCase()} is off on L0: L1 and L2 run on shadow page tables, and L2 will be very slow`,
        evidence,
        `Reload ${tdp.module} with ${tdp.name}=1 on L0 (it is on by default when the CPU supports it).`,
        `L0 has ${tdp.name.toUpperCase()} off: nested guests will be very slow`,
      );
    }
    const off = found.filter((p) => p !== tdp && isOn(p.value) === false).map((p) => p.name);
    if (off.length) {
      return result(
        'warn',
        `${off.join(', ')} off on L0: nested guests take more exits than needed (slow L2, not a correctness problem)`,
        evidence,
        `If the CPU supports them, reload ${intel ? 'kvm_intel' : 'kvm_amd'} with ${off.map((o) => `${o}=1`).join(' ')}.`,
      );
    }
    if (!tdp) return result('unknown', 'the EPT/NPT parameter of L0 was not found', evidence);
    return result('pass', [tdp, ...found.filter((p) => p !== tdp)].map((p) => `${p.name}=${p.value}`).join(', '), evidence);
  },
};
