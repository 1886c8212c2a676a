// L1 has a private address only L0 can reach: --l1-jump l0 goes through L0's sshd
// (separate hosts in network namespaces, each with its own sshd, host key and hostname).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Manifest } from '../../src/bundle/manifest.ts';
import { newHome, readJson, runCli, unpack } from '../harness/cli.ts';
import { CLIENT_KEY, isRoot, startHost, type TestHost, writeKnownHosts } from '../harness/hosts.ts';
import { createNetnsPair, type NetnsPair } from '../harness/netns.ts';
import { skipTest } from '../harness/skip.ts';

const jump = suite<{ net?: NetnsPair; l0?: TestHost; l1?: TestHost }>('jump');

jump.before(async (ctx) => {
  ctx.net = createNetnsPair();
  ctx.l0 = await startHost({ name: 'l0-sim', netns: ctx.net.l0, address: ctx.net.l0Address, logLevel: 'DEBUG1' });
  ctx.l1 = await startHost({ name: 'l1-sim', netns: ctx.net.l1, address: ctx.net.l1Address });
});
jump.after(async (ctx) => {
  await ctx.l1?.stop();
  await ctx.l0?.stop();
  ctx.net?.remove();
});

if (!isRoot()) {
  skipTest('integration/jump', 'needs root (network namespaces)');
} else {
  jump('L1 is unreachable directly, and collected through L0 with --l1-jump l0', async ({ net, l0, l1 }) => {
    const home = newHome();
    writeKnownHosts(path.join(home, '.ssh', 'known_hosts'), [l0!, l1!]);
    const direct = await runCli(
      [
        'collect',
        '--l1',
        `root@${net!.l1Address}`,
        '-i',
        CLIENT_KEY,
        '--no-input',
        '--timeout',
        '3',
        '-o',
        'direct.zip',
      ],
      { home },
    );
    assert.is(direct.code, 3, 'L1 must not be reachable without the jump');

    const r = await runCli(
      [
        'collect',
        '--l0',
        `root@${net!.l0Address}`,
        '--l1',
        `root@${net!.l1Address}`,
        '--l1-jump',
        'l0',
        '-i',
        CLIENT_KEY,
        '--no-input',
        '-o',
        'b.zip',
      ],
      { home },
    );
    assert.ok([0, 4].includes(r.code!), `exit ${r.code}\n${r.stderr}`);
    const top = unpack(path.join(home, 'b.zip'));
    assert.match(readFileSync(path.join(top, 'L0', 'uname.txt'), 'utf8'), / l0-sim /);
    assert.match(readFileSync(path.join(top, 'L1', 'uname.txt'), 'utf8'), / l1-sim /);
    const manifest = readJson<Manifest>(path.join(top, 'manifest.json'));
    assert.is(manifest.levels.find((l) => l.level === 'L1')?.via, 'L0');
    assert.ok(manifest.levels.every((l) => l.reached));
    // L0's sshd logged the forwarded connection to L1's private address.
    const log = readFileSync(l0!.log, 'utf8');
    assert.match(
      log,
      new RegExp(
        `direct-tcpip.*${net!.l1Address.replace(/\./g, '\\.')}|${net!.l1Address.replace(/\./g, '\\.')}.*port 22`,
      ),
    );
  });

  jump('ProxyJump from ~/.ssh/config works the same way', async ({ net, l0, l1 }) => {
    const home = newHome();
    writeKnownHosts(path.join(home, '.ssh', 'known_hosts'), [l0!, l1!]);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      path.join(home, '.ssh', 'config'),
      `Host sim-l0\n  HostName ${net!.l0Address}\n  User root\n  IdentityFile ${CLIENT_KEY}\nHost sim-l1\n  HostName ${net!.l1Address}\n  User root\n  ProxyJump sim-l0\n  IdentityFile ${CLIENT_KEY}\n`,
    );
    const r = await runCli(['collect', '--l1', 'sim-l1', '--no-input', '-o', 'b.tar.gz', '--json'], { home });
    assert.ok([0, 4].includes(r.code!), `exit ${r.code}\n${r.stderr}`);
    const result = JSON.parse(r.stdout);
    assert.is(result.levels.L1.reached, true);
  });

  jump('a wrong known_hosts entry for L1 stops L1 only; L0 is still collected', async ({ net, l0 }) => {
    const home = newHome();
    const kh = path.join(home, '.ssh', 'known_hosts');
    writeKnownHosts(kh, [l0!]);
    const { appendFileSync } = await import('node:fs');
    appendFileSync(kh, `${net!.l1Address} ${l0!.hostKeyPub}\n`);
    const r = await runCli(
      [
        'collect',
        '--l0',
        `root@${net!.l0Address}`,
        '--l1',
        `root@${net!.l1Address}`,
        '--l1-jump',
        'l0',
        '-i',
        CLIENT_KEY,
        '--no-input',
        '-o',
        'b.zip',
      ],
      { home },
    );
    assert.is(r.code, 3);
    assert.match(r.stderr, /HOST KEY CHANGED/);
    const top = unpack(path.join(home, 'b.zip'));
    const manifest = readJson<Manifest>(path.join(top, 'manifest.json'));
    assert.is(manifest.levels.find((l) => l.level === 'L0')?.reached, true);
    assert.is(manifest.levels.find((l) => l.level === 'L1')?.reached, false);
    assert.match(readFileSync(path.join(top, 'L0', 'uname.txt'), 'utf8'), /l0-sim/);
  });

  jump.run();
}
