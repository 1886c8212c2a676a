// The same collection against dropbear (no SFTP) and with login shells bash, dash,
// busybox sh, zsh, fish and tcsh (whose startup files print a greeting): every item must
// give the same bytes, and no greeting ends up in an evidence file or its sha256.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseKvmDevice } from '../../src/analyse/parsers/kvm-userspace.ts';
import type { Manifest } from '../../src/bundle/manifest.ts';
import { newHome, readJson, runCli, unpack } from '../harness/cli.ts';
import { CLIENT_KEY, GREETING, isRoot, startHost, type TestHost, writeKnownHosts } from '../harness/hosts.ts';
import { skipTest } from '../harness/skip.ts';

const shells = suite<{ openssh?: TestHost; dropbear?: TestHost }>('servers and shells');
shells.before(async (ctx) => {
  ctx.openssh = await startHost({ name: 'shells' });
  ctx.dropbear = await startHost({ name: 'dropbear', daemon: 'dropbear' });
});
shells.after(async (ctx) => {
  await ctx.openssh?.stop();
  await ctx.dropbear?.stop();
});

// kvm-device is `ls -l`, whose column spacing differs between coreutils and busybox:
// compared once parsed.
const STABLE = ['cpuinfo', 'kvm-params', 'kvm-modules', 'cmdline', 'os-release', 'modprobe-conf', 'qemu-version'];

async function collectAs(host: TestHost, user: string) {
  const home = newHome();
  writeKnownHosts(path.join(home, '.ssh', 'known_hosts'), [host]);
  const r = await runCli(
    ['collect', '--l1', `${user}@127.0.0.1:${host.port}`, '-i', CLIENT_KEY, '--no-input', '-o', 'b.zip'],
    { home },
  );
  assert.ok([0, 4].includes(r.code!), `${user}: exit ${r.code}\n${r.stderr}`);
  const top = unpack(path.join(home, 'b.zip'));
  return { top, manifest: readJson<Manifest>(path.join(top, 'manifest.json')) };
}

if (!isRoot()) {
  skipTest('integration/servers-shells', 'needs root');
} else {
  let reference: Record<string, string> | undefined;
  const matrix = [
    ['openssh', 'root'],
    ['openssh', 'rootdash'],
    ['openssh', 'rootash'],
    ['openssh', 'rootzsh'],
    ['openssh', 'rootfish'],
    ['openssh', 'roottcsh'],
    ['openssh', 'rootecho'],
    ['dropbear', 'root'],
    ['dropbear', 'rootash'],
    ['dropbear', 'rootfish'],
  ] as const;
  for (const [server, user] of matrix) {
    shells(`${server} with ${user}'s login shell: items identical, none failed`, async (ctx) => {
      const { top, manifest } = await collectAs(ctx[server]!, user);
      const items = manifest.levels[0].items;
      const failed = items.filter((i) => i.status === 'failed' || i.status === 'timed-out');
      assert.equal(
        failed.map((i) => `${i.id}: ${i.reason}`),
        [],
      );
      assert.equal(readFileSync(path.join(top, 'L1', 'cpuinfo.txt')), readFileSync('/proc/cpuinfo'));
      const cpuinfo = items.find((i) => i.id === 'cpuinfo')!;
      assert.is(cpuinfo.sha256, createHash('sha256').update(readFileSync('/proc/cpuinfo')).digest('hex'));
      for (const item of items)
        assert.not.ok((item.stderr ?? '').includes(GREETING), `${item.id}: greeting in its stderr`);
      const files = Object.fromEntries(
        STABLE.map((id) => [id, readFileSync(path.join(top, 'L1', `${id}.txt`), 'utf8')]),
      );
      assert.match(files['kvm-params'], /^kvm\.[a-z_]+=/m);
      const device = parseKvmDevice(readFileSync(path.join(top, 'L1', 'kvm-device.txt'), 'utf8'));
      files['kvm-device'] = JSON.stringify({ ...device, line: undefined });
      reference ??= files;
      assert.is(files['kvm-device'], reference['kvm-device']);
      for (const id of STABLE) assert.is(files[id], reference[id], `${id} differs from the bash/OpenSSH run`);
    });
  }
  shells.run();
}
