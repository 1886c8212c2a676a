// nestbug-collect.sh in a real QEMU TCG guest (x86, busybox + dropbear only): the script
// copied in over SSH, run by the guest's own busybox sh, its archive brought back and
// merged, must give what `collect --l1` of the same guest gives: the same items with the
// same statuses and the same verdict JSON.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { newHome, runCli } from '../harness/cli.ts';
import { have, isRoot } from '../harness/hosts.ts';
import { assertParity, manifestOf, spawnRun, writeScript } from '../harness/parity.ts';
import { skipTest } from '../harness/skip.ts';
import { startX86Guest, type X86Guest } from '../harness/x86-guest.ts';

const guestParity = suite<{ vm?: X86Guest; t0: number }>('script-guest', { t0: 0 });
guestParity.before(async (ctx) => {
  ctx.t0 = Date.now();
  ctx.vm = await startX86Guest();
  console.log(`  script-guest: guest up in ${ctx.vm.guest.bootMs} ms (${ctx.vm.guest.attempts} boot(s))`);
});
guestParity.after((ctx) => {
  ctx.vm?.stop();
  console.log(`  script-guest: ${Date.now() - ctx.t0} ms in all`);
});

/** ssh into the guest as root, host key checked; `input` on the remote command's stdin. */
function sshGuest(vm: X86Guest, command: string, input?: Buffer) {
  const argv = ['ssh', '-q', '-i', vm.key, '-o', `UserKnownHostsFile=${vm.knownHosts}`, '-o', 'BatchMode=yes'];
  argv.push('-o', 'StrictHostKeyChecking=yes', '-p', String(vm.guest.port), 'root@127.0.0.1', command);
  return spawnRun(argv, { input, timeoutMs: 300000 });
}

const cannot = !isRoot() ? 'needs root' : !have('qemu-system-x86_64') ? 'needs qemu-system-x86_64' : undefined;
if (cannot) {
  skipTest('system/script-guest', cannot);
} else {
  guestParity(
    'a TCG guest with busybox only: script over ssh + merge gives the items, statuses and verdict of collect --l1',
    async ({ vm }) => {
      const home = newHome();
      const target = `root@127.0.0.1:${vm!.guest.port}`;
      const collect = await runCli(
        [
          'collect',
          '--l1',
          target,
          '-i',
          vm!.key,
          '--known-hosts',
          vm!.knownHosts,
          '--timeout',
          '60',
          '--no-input',
          '--json',
          '-q',
          '-o',
          'collect.zip',
        ],
        { home, timeoutMs: 300000 },
      );
      assert.ok([0, 3, 4].includes(collect.code!), collect.stderr);

      const shell = await sshGuest(vm!, 'readlink /bin/sh; command -v bash dash || true');
      assert.is(shell.stdout.toString().trim(), 'busybox', "the guest's sh is busybox, and it has no other shell");
      const script = readFileSync(await writeScript(home));
      const copied = await sshGuest(vm!, 'cat > /tmp/c.sh', script);
      assert.is(copied.code, 0, copied.stderr);
      const ran = await sshGuest(
        vm!,
        `sh /tmp/c.sh --level L1 --timeout 60 --target ${target} -o /tmp/l1.tar.gz >/dev/null`,
      );
      assert.ok([0, 3].includes(ran.code!), `the script in the guest: exit ${ran.code}\n${ran.stderr}`);
      const archive = await sshGuest(vm!, 'cat /tmp/l1.tar.gz');
      assert.ok(archive.stdout.length > 1000, `no archive came back:\n${archive.stderr}`);
      writeFileSync(path.join(home, 'l1.tar.gz'), archive.stdout);

      const merged = await runCli(['merge', 'l1.tar.gz', '--json', '-q', '-o', 'merged.zip'], { home });
      const mergedManifest = manifestOf(path.join(home, 'merged.zip'));
      assert.is(mergedManifest.levels[0].facts?.hostname, vm!.guest.hostname, 'collected inside the guest');
      assertParity(
        'TCG guest',
        { ...merged, manifest: mergedManifest },
        { ...collect, manifest: manifestOf(path.join(home, 'collect.zip')) },
      );
    },
  );
}

guestParity.run();
