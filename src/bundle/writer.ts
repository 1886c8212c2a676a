// The archive is written under a temporary name next to the output and renamed only
// when complete: the output path never holds a broken archive.

import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { type Archiver, TarArchive, ZipArchive } from 'archiver';
import { moveIntoPlace } from '../output-path.js';
import { removeOnExit } from '../signals.js';

export type BundleFormat = 'zip' | 'tar.gz';

export class BundleWriter {
  private readonly archive: Archiver;
  private readonly done: Promise<void>;
  private failure?: Error;
  private readonly forget: () => void;

  private constructor(
    readonly outputPath: string,
    readonly tempPath: string,
    readonly topFolder: string,
    format: BundleFormat,
  ) {
    this.archive =
      format === 'zip'
        ? new ZipArchive({ zlib: { level: 6 } })
        : new TarArchive({ gzip: true, gzipOptions: { level: 6 } });
    this.forget = removeOnExit(tempPath);
    const out = createWriteStream(tempPath, { flags: 'wx', mode: 0o644 });
    this.done = new Promise((resolve, reject) => {
      out.on('close', resolve);
      out.on('error', (error) => {
        this.failure ??= error;
        reject(error);
      });
      this.archive.on('error', (error) => {
        this.failure ??= error;
        reject(error);
      });
    });
    this.done.catch(() => {});
    this.archive.on('warning', (error) => {
      this.failure ??= error;
    });
    this.archive.pipe(out);
  }

  static create(outputPath: string, format: BundleFormat, topFolder: string): BundleWriter {
    const dir = path.dirname(outputPath);
    const temp = path.join(
      dir,
      `.${path.basename(outputPath)}.partial-${process.pid}-${randomBytes(4).toString('hex')}`,
    );
    return new BundleWriter(outputPath, temp, topFolder, format);
  }

  addFile(bundlePath: string, sourcePath: string): void {
    this.archive.file(sourcePath, { name: `${this.topFolder}/${bundlePath}`, mode: 0o644 });
  }

  addText(bundlePath: string, text: string): void {
    this.archive.append(Buffer.from(text), { name: `${this.topFolder}/${bundlePath}`, mode: 0o644, date: new Date() });
  }

  /** Finish the archive and move it into place (replacing an existing regular file only
   * when `replace`); returns its size in bytes. */
  async finish(replace = false): Promise<number> {
    try {
      await this.archive.finalize();
      await this.done;
      if (this.failure) throw this.failure;
      await moveIntoPlace(this.tempPath, this.outputPath, replace);
      this.forget();
      return (await stat(this.outputPath)).size;
    } catch (error) {
      await this.discard();
      throw error;
    }
  }

  async discard(): Promise<void> {
    this.archive.abort();
    await rm(this.tempPath, { force: true });
    this.forget();
  }
}
