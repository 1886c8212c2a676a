// Values planted on a real host: secrets must never reach the bundle; hostile names must
// stay data; --redact must leave none of the planted names and addresses.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { newHome, runCli, unpack } from '../harness/cli.ts';
import { CLIENT_KEY, HARNESS, have, isRoot, startHost, type TestHost, writeKnownHosts } from '../harness/hosts.ts';
import { createIdleDomain, ensureLibvirtd } from '../harness/libvirt.ts';
import { startProcess, stopProcess } from '../harness/processes.ts';
import { skipTest } from '../harness/skip.ts';

const PLANT = {
  hostname: 'plant-host-4242',
  ipv4: '203.0.113.77',
  ipv6: 'fe80::5054:ff:fe12:3456',
  mac: '52:54:00:ab:cd:ef',
  qemuMac: '52:54:00:12:34:99',
  uuid: '7f3e6c2a-1b4d-4c8e-9a0f-5d6e7f8a9b0c',
  word: 'planted-guest',
  secret: 'PLANTED-SECRET-DATA-99',
  spice: 'PLANTED-SPICE-PW',
  env: 'envtoken-PLANTED-123',
};
const HOSTILE = ["x';touch nb-pwned-a;'", '$(touch nb-pwned-b)', 'c"d`touch nb-pwned-c`'];

/** Every file of an unpacked bundle, as raw text. */
function allText(top: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push([path.relative(top, full), readFileSync(full, 'latin1')]);
    }
  };
  walk(top);
  return out;
}

const planted = suite<{ host?: TestHost; qemu?: ReturnType<typeof startProcess>; stopLibvirt?: () => Promise<void> }>(
  'planted values',
);

planted.before(async (ctx) => {
  ctx.host = await startHost({ name: PLANT.hostname });
  execFileSync('sh', [
    '-c',
    `echo "nestbug-test: peer ${PLANT.ipv4} gw ${PLANT.ipv6} lladdr ${PLANT.mac}" > /dev/kmsg`,
  ]);
  ctx.qemu = startProcess(
    'planted qemu',
    [
      'qemu-system-x86_64',
      '-name',
      `guest=${PLANT.word}`,
      '-machine',
      'q35,accel=tcg',
      '-S',
      '-display',
      'none',
      '-nodefaults',
      '-uuid',
      PLANT.uuid,
      '-object',
      `secret,id=sec0,data=${PLANT.secret}`,
      '-spice',
      `port=5999,addr=127.0.0.1,password=${PLANT.spice}`,
      '-netdev',
      'user,id=n0,net=10.77.0.0/24',
      '-device',
      `virtio-net-pci,netdev=n0,mac=${PLANT.qemuMac}`,
    ],
    path.join(HARNESS, 'planted-qemu.log'),
    { ...process.env, PLANTED_TOKEN: PLANT.env },
  );
  ctx.stopLibvirt = await ensureLibvirtd(path.join(HARNESS, 'libvirt-logs'));
  for (const name of HOSTILE) createIdleDomain(name, HARNESS);
});
planted.after(async (ctx) => {
  if (ctx.qemu) await stopProcess(ctx.qemu);
  const { destroyDomain } = await import('../harness/libvirt.ts');
  for (const name of HOSTILE) destroyDomain(name);
  await ctx.stopLibvirt?.();
  await ctx.host?.stop();
});

async function collect(host: TestHost, extra: string[], output: string) {
  const home = newHome();
  writeKnownHosts(path.join(home, '.ssh', 'known_hosts'), [host]);
  const r = await runCli(
    ['collect', '--l0', `root@127.0.0.1:${host.port}`, '-i', CLIENT_KEY, '--no-input', '-o', output, ...extra],
    { home, timeoutMs: 180000 },
  );
  assert.ok([0, 3, 4].includes(r.code!), `exit ${r.code}\n${r.stderr}`);
  return { home, top: unpack(path.join(home, output)), r };
}

if (!isRoot() || !have('qemu-system-x86_64') || !have('libvirtd')) {
  skipTest('integration/secrets-hostile', 'needs root, QEMU and libvirt');
} else {
  planted('secrets and process environments never reach the bundle; the key names stay', async ({ host }) => {
    const { top } = await collect(host!, [], 'plain.zip');
    const files = allText(top);
    for (const [name, text] of files) {
      for (const secret of [PLANT.secret, PLANT.spice, PLANT.env])
        assert.not.ok(text.includes(secret), `${secret} found in ${name}`);
    }
    const cmdlines = readFileSync(path.join(top, 'L0', 'qemu-cmdlines.txt'), 'utf8');
    assert.match(cmdlines, /secret,id=sec0,data=<redacted>/);
    assert.match(cmdlines, /password=<redacted>/);
    assert.match(cmdlines, new RegExp(`guest=${PLANT.word}`), 'not redacted without --redact');
  });

  planted('hostile libvirt domain names are collected as names: nothing else runs on the host', async ({ host }) => {
    const { top, home } = await collect(host!, [], 'hostile.zip');
    const domains = readFileSync(path.join(top, 'L0', 'domains.txt'), 'utf8');
    for (const name of HOSTILE) assert.ok(domains.includes(`==> domain ${name} <==`), `${name} not listed`);
    const logs = readdirSync(path.join(top, 'L0', 'libvirt'));
    assert.ok(
      logs.some((f) => f.startsWith('x__touch_nb-pwned-a')),
      logs.join(' '),
    );
    assert.ok(
      logs.every((f) => /^[A-Za-z0-9._-]+$/.test(f)),
      'bundle file names are plain',
    );
    for (const dir of [home, path.join(HARNESS, 'home', 'root'), '/', '/tmp', process.cwd()]) {
      for (const marker of ['nb-pwned-a', 'nb-pwned-b', 'nb-pwned-c'])
        assert.not.ok(existsSync(path.join(dir, marker)), `${dir}/${marker} was created`);
    }
    const summary = readFileSync(path.join(top, 'summary.md'), 'utf8');
    assert.not.match(summary, /<img|<script|\]\(http/);
  });

  planted(
    '--redact: none of the planted names and addresses survive; the mapping is next to the bundle, not in it',
    async ({ host }) => {
      const { top, home } = await collect(host!, ['--redact', '--redact-word', PLANT.word], 'red.zip');
      for (const [name, text] of allText(top)) {
        const lower = text.toLowerCase();
        for (const value of [
          PLANT.hostname,
          PLANT.ipv4,
          PLANT.ipv6,
          PLANT.mac,
          PLANT.qemuMac,
          PLANT.uuid,
          PLANT.word,
          '10.77.0.2',
        ]) {
          assert.not.ok(lower.includes(value.toLowerCase()), `${value} survived in ${name}`);
        }
        assert.not.ok(name.includes('redaction-map'), 'the mapping is not inside the bundle');
      }
      const map = JSON.parse(readFileSync(path.join(home, 'red.zip.redaction-map.json'), 'utf8'));
      assert.ok(Object.values(map.placeholders).includes(PLANT.hostname));
      assert.is(statSync(path.join(home, 'red.zip.redaction-map.json')).mode & 0o077, 0, 'private file');
      const uname = readFileSync(path.join(top, 'L0', 'uname.txt'), 'utf8');
      assert.match(uname, / host-\d+ /);
      // What kernel developers need is still there.
      assert.match(readFileSync(path.join(top, 'L0', 'cpuinfo.txt'), 'utf8'), /flags\s*:/);
      assert.match(readFileSync(path.join(top, 'summary.md'), 'utf8'), /Nested virtualization setup/);
      assert.match(readFileSync(path.join(top, 'manifest.json'), 'utf8'), /"redacted": true/);
    },
  );

  planted.run();
}
