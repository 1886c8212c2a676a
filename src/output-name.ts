// -o names an archive: a name that says it is something else (bug.txt, report.md) would
// hold a zip that no viewer opens, so it is refused with the name to use instead.
import { UsageError } from './errors.js';

const ARCHIVE = /\.(zip|tar\.gz|tgz)$/i;
const OTHER_EXTENSION = /\.([A-Za-z][A-Za-z0-9]{0,4})$/;

export function assertArchiveName(output: string | undefined): void {
  if (output === undefined || ARCHIVE.test(output)) return;
  const other = OTHER_EXTENSION.exec(output);
  if (!other) return;
  const base = output.slice(0, -other[0].length);
  throw new UsageError(
    `-o ${output}: a bundle is a .zip or .tar.gz archive, not .${other[1]}; use -o ${base}.zip ` +
      '(its summary.txt is the plain-text summary; nestbug inspect BUNDLE --text prints it)',
  );
}

/** The top folder inside the bundle, named after the same moment as the default file name. */
export function topFolderName(output: string, stampText: string): string {
  const m = /(?:^|\/)(nestbug-\d{8}-\d{6})\.(?:zip|tar\.gz|tgz)$/.exec(output);
  return m ? m[1] : `nestbug-${stampText}`;
}
