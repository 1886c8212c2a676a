// inspect reads bundles from strangers: nothing may land outside its temp folder, and
// bombs, huge files and garbage end in one clear error.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isAnalysed } from '../../src/analyse/evidence.ts';
import { loadBundle, safeEntryPath } from '../../src/bundle/reader.ts';
import { UsageError } from '../../src/errors.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nestbug-reader-'));
const limits = { maxEntries: 200, maxFileBytes: 1024 * 1024, maxTotalBytes: 4 * 1024 * 1024 };
const py = (script: string) => execFileSync('python3', ['-c', script], { cwd: dir });
const tmpBefore = () => readdirSync(os.tmpdir()).filter((n) => n.startsWith('nestbug-inspect-')).length;

test('entry names: no absolute path, no .., no drive letter', () => {
  assert.is(safeEntryPath('nestbug-x/L1/cpuinfo.txt'), 'nestbug-x/L1/cpuinfo.txt');
  assert.is(safeEntryPath('./a//b'), 'a/b');
  for (const bad of ['/etc/passwd', '../x', 'a/../../x', 'C:/x', 'a\\..\\..\\x', ''])
    assert.is(safeEntryPath(bad), undefined, bad);
});

test('a zip with ../ entries and a symlink writes nothing outside, still reads the rest', async () => {
  const victim = path.join(dir, 'victim');
  mkdirSync(victim);
  py(`
import zipfile, stat
z = zipfile.ZipFile('evil.zip', 'w')
z.writestr('nestbug-x/L1/cpuinfo.txt', 'processor\\t: 0\\nvendor_id\\t: GenuineIntel\\nflags\\t\\t: fpu vmx\\n')
z.writestr('../../victim/owned.txt', 'pwned')
z.writestr('nestbug-x/../../victim/owned2.txt', 'pwned')
info = zipfile.ZipInfo('nestbug-x/L1/dmesg.txt'); info.external_attr = (stat.S_IFLNK | 0o777) << 16
z.writestr(info, '/etc/shadow')
z.close()`);
  const before = tmpBefore();
  const bundle = await loadBundle(path.join(dir, 'evil.zip'), limits);
  assert.ok(bundle.files.get('L1/cpuinfo.txt')?.includes('vmx'));
  assert.is(bundle.files.get('L1/dmesg.txt'), undefined, 'symlink entries are not followed or created');
  await bundle.cleanup();
  assert.equal(readdirSync(victim), []);
  assert.is(tmpBefore(), before, 'temp folder removed');
});

test('a zip bomb stops at the size limit with one clear error', async () => {
  py(`
import zipfile
z = zipfile.ZipFile('bomb.zip', 'w', zipfile.ZIP_DEFLATED)
z.writestr('nestbug-x/L1/dmesg.txt', b'\\0' * (64 * 1024 * 1024))
z.close()`);
  const before = tmpBefore();
  try {
    await loadBundle(path.join(dir, 'bomb.zip'), limits);
    assert.unreachable('should refuse');
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    assert.match((error as Error).message, /bytes; refusing/);
  }
  assert.is(tmpBefore(), before);
});

test('too many entries are refused', async () => {
  py(`
import zipfile
z = zipfile.ZipFile('many.zip', 'w')
for i in range(500): z.writestr(f'nestbug-x/L1/f{i}.txt', 'x')
z.close()`);
  try {
    await loadBundle(path.join(dir, 'many.zip'), limits);
    assert.unreachable('should refuse');
  } catch (error) {
    assert.match((error as Error).message, /more than 200 entries/);
  }
});

test('a tar.gz with traversal, absolute paths and links is read safely', async () => {
  py(`
import tarfile, io
t = tarfile.open('evil.tar.gz', 'w:gz')
def add(name, data, kind=tarfile.REGTYPE, link=''):
    i = tarfile.TarInfo(name); i.type = kind; i.linkname = link; i.size = len(data) if kind == tarfile.REGTYPE else 0
    t.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
add('nestbug-x/L1/cpuinfo.txt', b'flags\\t: svm\\n')
add('nestbug-x/L1/link', b'', tarfile.SYMTYPE, '/etc')
add('nestbug-x/L1/link/x.txt', b'through the link')
add('/tmp/abs-owned.txt', b'pwned')
add('../tar-owned.txt', b'pwned')
t.close()`);
  const bundle = await loadBundle(path.join(dir, 'evil.tar.gz'), limits);
  assert.ok(bundle.files.get('L1/cpuinfo.txt')?.includes('svm'));
  await bundle.cleanup();
  assert.is(existsSync('/etc/x.txt'), false);
  assert.is(existsSync('/tmp/abs-owned.txt'), false);
  assert.is(existsSync(path.join(dir, '..', 'tar-owned.txt')), false);
});

test('garbage and missing paths are one-line usage errors', async () => {
  writeFileSync(path.join(dir, 'garbage.zip'), 'PK\x03\x04 this is not a zip at all');
  writeFileSync(path.join(dir, 'garbage.bin'), 'hello');
  for (const [file, message] of [
    ['garbage.zip', /not a readable zip|damaged zip/],
    ['garbage.bin', /not a nestbug bundle/],
    ['missing.zip', /no such file/],
  ] as const) {
    try {
      await loadBundle(path.join(dir, file), limits);
      assert.unreachable(file);
    } catch (error) {
      assert.ok(error instanceof UsageError, `${file}: ${error}`);
      assert.match((error as Error).message, message);
      assert.not.match((error as Error).message, /\n/);
    }
  }
});

test('a folder with a few pasted files works; one without the layout says what it expects', async () => {
  const pasted = path.join(dir, 'pasted');
  mkdirSync(path.join(pasted, 'L1'), { recursive: true });
  writeFileSync(path.join(pasted, 'L1', 'dmesg.txt'), '[    0.000000] Hypervisor detected: KVM\n');
  const bundle = await loadBundle(pasted, limits);
  assert.ok(bundle.files.get('L1/dmesg.txt'));
  try {
    await loadBundle(dir, limits);
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /no L0\/, L1\/, L2\/ folder/);
  }
});

test('only what the analysis reads is loaded; other files are listed, not read', async () => {
  const folder = path.join(dir, 'site');
  mkdirSync(path.join(folder, 'L0', 'libvirt'), { recursive: true });
  writeFileSync(path.join(folder, 'L0', 'cpuinfo.txt'), 'flags\t\t: svm\n');
  writeFileSync(path.join(folder, 'L0', 'libvirt', 'l1.log'), '-accel tcg\n');
  writeFileSync(path.join(folder, 'L0', 'site-big-output.txt'), 'x'.repeat(1 << 20));
  const bundle = await loadBundle(folder, limits);
  assert.is(bundle.files.get('L0/cpuinfo.txt'), 'flags\t\t: svm\n');
  assert.is(bundle.files.get('L0/libvirt/l1.log'), '-accel tcg\n');
  assert.is(bundle.files.get('L0/site-big-output.txt'), '', 'listed, never read');
  assert.equal(bundle.files.list('L0/'), ['L0/cpuinfo.txt', 'L0/libvirt/l1.log', 'L0/site-big-output.txt']);
  assert.ok(isAnalysed('L2/dmesg.txt') && isAnalysed('L1/libvirt/a b.log'));
  assert.not.ok(isAnalysed('L1/site-item.txt') || isAnalysed('L3/dmesg.txt') || isAnalysed('manifest.json'));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
