// Pure: which kernel log covers the boot. dmesg's ring buffer drops its oldest lines on
// a host that ran for a while; the journal's `journalctl -k -b 0` keeps them.

export interface KernelLogChoice {
  item: 'dmesg' | 'kernel-journal';
  why: string;
}

/** dmesg starts at boot when its first line is the kernel's first (timestamp 0 or the banner). */
export function dmesgStartsAtBoot(text: string): boolean | undefined {
  const first = text.split('\n').find((l) => l.trim() !== '');
  if (first === undefined) return undefined;
  if (/^\[\s*0\.0+\]|Linux version |Booting Linux on physical CPU/.test(first)) return true;
  return /^\[\s*\d+\.\d+\]/.test(first) ? false : undefined;
}

export function chooseKernelLog(dmesg: string | undefined, journal: string | undefined): KernelLogChoice | undefined {
  // A skipped item's file holds its reason, not kernel lines.
  const hasJournal = journal !== undefined && /^\[\s*\d+\.\d+\]/m.test(journal);
  if (dmesg === undefined && !hasJournal) return undefined;
  if (dmesg === undefined)
    return { item: 'kernel-journal', why: 'dmesg was not collected; the journal holds the kernel log' };
  if (!hasJournal)
    return {
      item: 'dmesg',
      why: dmesgStartsAtBoot(dmesg) === false ? 'dmesg no longer starts at boot and no journal was collected' : 'dmesg',
    };
  if (dmesgStartsAtBoot(dmesg) === false) return { item: 'kernel-journal', why: 'dmesg no longer starts at boot' };
  return { item: 'dmesg', why: 'dmesg starts at boot' };
}
