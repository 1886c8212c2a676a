// Help text details: each command's own exit codes, and defaults shown as the values
// they are (`30`, not `"30"`).
import { Help, type Option } from 'commander';

export const CHECK_EXIT_HELP = `
Exit status:
  0    every check passed
  1    unexpected error
  2    usage error (bad flag, target or identity file)
  3    a level was unreachable or a read failed (check never writes a bundle)
  4    a check failed (for example L1 runs on TCG); warn and unknown do not count
  130  interrupted (Ctrl-C or SIGTERM)
  3 wins over 4.`;

export const INSPECT_EXIT_HELP = `
Exit status:
  0    the bundle is complete and every check passed
  1    unexpected error
  2    PATH is missing or not a bundle (a folder, .zip or .tar.gz)
  3    the bundle is partial: when it was collected a level was unreachable or items failed
  4    a check failed on the evidence (for example L1 runs on TCG)
  3 wins over 4. Pasted files without a manifest are never partial.`;

/** commander quotes string defaults and choices as JSON: `30` and `zip` read better bare. */
export function optionDescription(this: Help, option: Option): string {
  const text = Help.prototype.optionDescription.call(this, option);
  return text.replace(/\((?:choices|default): [^()]*\)$/, (extra) => extra.replace(/"([^"]*)"/g, '$1'));
}
