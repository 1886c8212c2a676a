import { CollectorFileError } from '../collect/collectors.js';
import { loadCollectors } from '../collect/load-collectors.js';
import { docColumnText } from '../collect/kernel-doc.js';
import { UsageError } from '../errors.js';
import type { Io } from '../io.js';

export async function runCollectorsList(flags: { json?: boolean; collectors?: string[] }, io: Io): Promise<number> {
  let collectors;
  try {
    collectors = await loadCollectors(flags.collectors ?? []);
  } catch (error) {
    if (error instanceof CollectorFileError) throw new UsageError(error.message);
    throw error;
  }
  if (flags.json) {
    io.stdout.write(`${JSON.stringify(collectors.map((c) => ({
      id: c.id,
      title: c.title,
      levels: c.levels,
      arch: c.arch ?? null,
      vendor: c.vendor ?? null,
      needsRoot: c.needsRoot,
      tool: c.tool ?? null,
      package: c.package ?? null,
      source: c.file ? { file: c.file } : c.command ? { command: c.command } : c.files ? { files: c.files } : c.derivedFrom ? { derivedFrom: c.derivedFrom } : { script: c.script },
      doc: c.doc ?? null,
      definedIn: c.source,
    })), null, 2)}\n`);
    return 0;
  }
  const lines: string[] = [];
  for (const c of collectors) {
    const what = c.file ?? (c.command ? c.command.join(' ') : c.files ? `${c.files} (each file)` : c.derivedFrom ? `derived from ${c.derivedFrom}` : 'script');
    const where = [c.levels.join(','), c.arch ? c.arch.join('/') : 'any arch', c.vendor ? c.vendor.join('/') : undefined].filter(Boolean).join('; ');
    const root = c.needsRoot === 'never' ? '' : c.needsRoot === 'always' ? ', needs root' : c.needsRoot === 'prefer' ? ', root when available' : ', root when dmesg is restricted';
    lines.push(`${c.id.padEnd(22)} ${c.title}`);
    lines.push(`${''.padEnd(22)} ${what} [${where}${root}]`);
    if (c.doc) lines.push(...docColumnText(c.doc, `${''.padEnd(22)} `));
  }
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
