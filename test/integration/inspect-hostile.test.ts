// `nestbug inspect` on whatever a stranger sends, through the real CLI process: JSON of
// the wrong shape, FIFOs and devices where files should be, a small zip of huge logs,
// over-long entry names. One clear line and exit 2, or a bounded result; never a hang,
// a TypeError or gigabytes of memory.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { newHome, runCli } from '../harness/cli.ts';
import { HARNESS, isRoot } from '../harness/hosts.ts';
import { run } from '../harness/processes.ts';
import { skipTest } from '../harness/skip.ts';

const inspect = suite('inspect on hostile input');

function oneLine(stderr: string, message: RegExp): void {
  const lines = stderr.trim().split('\n');
  assert.is(lines.length, 1, stderr);
  assert.match(lines[0], /^nestbug: /);
  assert.match(lines[0], message);
  assert.not.match(stderr, /TypeError|\n\s+at /);
}

function bundleFolder(home: string, name: string, manifest: string): string {
  const top = path.join(home, name);
  mkdirSync(path.join(top, 'L1'), { recursive: true });
  writeFileSync(path.join(top, 'L1', 'cpuinfo.txt'), 'processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vmx\n');
  writeFileSync(path.join(top, 'manifest.json'), manifest);
  return top;
}

/** Peak RSS (VmHWM) of a running process, polled until it exits. */
function watchPeak(pid: number): { stop(): number } {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      peak = Math.max(peak, kb);
    } catch {
      // exited
    }
  }, 20);
  return {
    stop: () => {
      clearInterval(timer);
      return peak * 1024;
    },
  };
}

inspect('valid JSON of the wrong shape in manifest.json: "not a nestbug manifest", exit 2, no TypeError', async () => {
  const home = newHome();
  const shapes = [
    '{"levels":[null]}',
    '{"levels":[1,2]}',
    '{"levels":{}}',
    '[]',
    'null',
    '"text"',
    '{"levels":[{"level":"L1","target":"x","reached":true,"items":[null]}]}',
    '{"levels":[{"level":"L1","target":"x","reached":true,"items":[{"id":"a","status":"ok","files":[7]}]}]}',
    '{"levels":[{"level":"L9","target":"x","reached":true,"items":[]}]}',
    '{"levels":[{"level":"L1","target":{"a":1},"reached":true,"items":[]}]}',
    '{"levels":[{"level":"L1","target":"x","reached":true,"items":[],"facts":null}]}',
    '{"levels":[],"commandLine":[{}]}',
  ];
  for (const [i, manifest] of shapes.entries()) {
    const top = bundleFolder(home, `b${i}`, manifest);
    for (const args of [[top], [top, '--json'], [top, '--summary']]) {
      const r = await runCli(['inspect', ...args], { home, timeoutMs: 30000 });
      assert.is(r.code, 2, `${manifest} ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
      oneLine(r.stderr, /manifest\.json: not a nestbug manifest \(/);
      assert.is(r.stdout, '');
    }
  }
});

if (!isRoot()) {
  skipTest('integration/inspect-hostile', 'FIFO and device cases need root (mknod)');
} else {
  inspect('a FIFO or a device where a file should be is skipped, never opened', async () => {
    const home = newHome();
    const top = bundleFolder(home, 'fifo-bundle', '{}');
    const manifest = path.join(top, 'manifest.json');
    run(['rm', manifest]);
    run(['mkfifo', manifest]);
    run(['mknod', path.join(top, 'L1', 'dmesg.txt'), 'c', '1', '5']);
    symlinkSync('/dev/zero', path.join(top, 'L1', 'lscpu.txt'));
    const r = await runCli(['inspect', top, '--json'], { home, timeoutMs: 30000 });
    assert.ok([0, 3, 4].includes(r.code!), `exit ${r.code}\n${r.stderr}`);
    const result = JSON.parse(r.stdout) as { levels: Record<string, { evidence: Array<{ file: string }> }> };
    assert.ok(result.levels.L1, 'the regular file was still read');
    const fifo = path.join(home, 'named-pipe.zip');
    run(['mkfifo', fifo]);
    const direct = await runCli(['inspect', fifo], { home, timeoutMs: 30000 });
    assert.is(direct.code, 2);
    oneLine(direct.stderr, /not a regular file or folder/);
  });
}

inspect('a 3 MB zip of large logs: memory stays under 300 MB, the result comes in seconds', async () => {
  const home = newHome();
  execFileSync(
    'python3',
    [
      '-c',
      `
import zipfile
z = zipfile.ZipFile('logs.zip', 'w', zipfile.ZIP_DEFLATED, compresslevel=9)
line = b"2026-11-26 10:15:00.000+0000: starting up libvirt version: 9.0.0, qemu version: 7.2.0, hostname: hv01\\n"
tiny = b"x\\n" * (4 * 1024 * 1024)
for level in ['L0', 'L1', 'L2']:
    z.writestr(f'nestbug-x/{level}/dmesg.txt', line * (150 * 1024 * 1024 // len(line)))
    for item in ['cpuinfo', 'lscpu', 'domains', 'qemu-cmdlines']:
        z.writestr(f'nestbug-x/{level}/{item}.txt', tiny)
    for i in range(2):
        z.writestr(f'nestbug-x/{level}/libvirt/d{i}.log', line * (60 * 1024 * 1024 // len(line)))
z.close()`,
    ],
    { cwd: home },
  );
  let watch: { stop(): number } | undefined;
  const started = Date.now();
  const r = await runCli(['inspect', 'logs.zip', '--json'], {
    home,
    timeoutMs: 120000,
    onSpawn: (pid) => (watch = watchPeak(pid)),
  });
  const peak = watch!.stop();
  assert.ok([0, 3, 4].includes(r.code!), `exit ${r.code}\n${r.stderr}`);
  JSON.parse(r.stdout);
  assert.ok(peak > 0, 'the peak was measured');
  assert.ok(peak < 300 * 1024 * 1024, `peak RSS ${Math.round(peak / 1048576)} MB`);
  assert.ok(Date.now() - started < 60000, `took ${Date.now() - started} ms`);
});

inspect('SIGTERM while a large archive unpacks: exit 130 at once, the unpacked copy removed', async () => {
  const home = newHome();
  const tmp = mkdtempSync(path.join(HARNESS, 'tmp-'));
  execFileSync(
    'python3',
    [
      '-c',
      `
import zipfile
z = zipfile.ZipFile('slow.zip', 'w', zipfile.ZIP_DEFLATED, compresslevel=9)
for i in range(8):
    z.writestr(f'nestbug-x/L1/libvirt/d{i}.log', b'starting up libvirt version: 9.0.0\\n' * (100 * 1024 * 1024 // 35))
z.close()`,
    ],
    { cwd: home },
  );
  let pid = 0;
  const done = runCli(['inspect', 'slow.zip'], { home, env: { TMPDIR: tmp }, onSpawn: (p) => (pid = p) });
  const deadline = Date.now() + 20000;
  while (readdirSync(tmp).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(readdirSync(tmp).length > 0, 'unpacking started');
  const sent = Date.now();
  process.kill(pid, 'SIGTERM');
  const r = await done;
  assert.is(r.code, 130, r.stderr);
  assert.ok(Date.now() - sent < 3000, 'at once');
  assert.equal(readdirSync(tmp), [], 'no unpacked copy left');
});

inspect('over-long entry names are refused with a short message', async () => {
  const home = newHome();
  execFileSync(
    'python3',
    [
      '-c',
      `
import zipfile
z = zipfile.ZipFile('long.zip', 'w')
z.writestr('nestbug-x/L1/cpuinfo.txt', 'flags : vmx\\n')
z.writestr('nestbug-x/L1/' + 'a' * 5000 + '.txt', 'x')
z.close()
z = zipfile.ZipFile('deep.zip', 'w')
z.writestr('nestbug-x/L1/cpuinfo.txt', 'flags : vmx\\n')
z.writestr('nestbug-x/' + 'd/' * 700 + 'x.txt', 'x')
z.close()`,
    ],
    { cwd: home },
  );
  for (const file of ['long.zip', 'deep.zip']) {
    const r = await runCli(['inspect', file], { home, timeoutMs: 30000 });
    assert.is(r.code, 2, `${file}: exit ${r.code}\n${r.stderr}`);
    oneLine(r.stderr, /archive entry name of \d+ bytes is too long/);
    assert.ok(r.stderr.length < 300, `short: ${r.stderr.length} characters`);
  }
});

inspect.run();
