// nestbug script: writes nestbug-collect.sh (stdout, or -o FILE) from the collection list.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CollectorFileError } from '../collect/collectors.js';
import { loadCollectors, PACKAGE_ROOT } from '../collect/load-collectors.js';
import { UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { generateScript, ScriptError } from './generate.js';

export async function scriptTemplates(): Promise<{ head: string; tail: string }> {
  const read = (name: string) => readFile(path.join(PACKAGE_ROOT, 'templates', name), 'utf8');
  return { head: await read('collect-head.sh'), tail: await read('collect-tail.sh') };
}

export async function runScriptCommand(
  flags: { collectors?: string[]; output?: string },
  io: Io,
  version: string,
): Promise<number> {
  const extra = (flags.collectors ?? []).map((f) => path.resolve(io.cwd, f));
  let script: string;
  try {
    const collectors = await loadCollectors(extra);
    script = generateScript({
      collectors,
      version,
      sources: ['collectors/*.yaml', ...(flags.collectors ?? [])],
      ...(await scriptTemplates()),
    });
  } catch (error) {
    if (error instanceof CollectorFileError || error instanceof ScriptError) throw new UsageError(error.message);
    throw error;
  }
  if (flags.output) {
    const file = path.resolve(io.cwd, flags.output);
    try {
      await writeFile(file, script, { mode: 0o755 });
    } catch (error) {
      throw new UsageError(
        `-o ${flags.output}: cannot write (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      );
    }
  } else {
    io.stdout.write(script);
  }
  return 0;
}
