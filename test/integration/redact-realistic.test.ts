// --redact on a realistic L0 + L1 setup: two real sshd hosts with FQDN hostnames (L1
// reached through L0), a libvirt log named after the guest in L0's own mount namespace,
// a defined libvirt domain with a guest serial, and kernel messages naming another host,
// MACs in three spellings and an IPv4 inside IPv6. None of the planted values survives
// anywhere: file contents, entry names, the manifest, summary.md, the --json output.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Manifest } from '../../src/bundle/manifest.ts';
import { newHome, readJson, runCli, unpack } from '../harness/cli.ts';
import { CLIENT_KEY, HARNESS, have, isRoot, startHost, type TestHost, writeKnownHosts } from '../harness/hosts.ts';
import { ensureLibvirtd, VIRSH } from '../harness/libvirt.ts';
import { atExit, run } from '../harness/processes.ts';

const L0_NAME = 'hv01.prod.example.org';
const L1_NAME = 'db7.prod.example.org';
const DOMAIN = `${L1_NAME}-nb${process.pid}`;
// Checked as whole names (not inside a longer word or a sha256), in any case.
const PLANTED = [
  'hv01',
  'db7',
  'prod.example',
  'backup3',
  '0011223344aa',
  '00:11:22:33:44:aa',
  '52-54-00-ab-cd-ef',
  '52:54:00:ab:cd:ef',
  '525400abcdef',
  '10.1.2.3',
  'fd12:3456:789a::42',
  'GUEST-SN-77',
  'XML-SN-55',
];

function survivors(text: string): string[] {
  return PLANTED.filter((v) =>
    new RegExp(`(?<![a-z0-9])${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![a-z0-9])`, 'i').test(text),
  );
}

function libvirtLog(): string {
  return [
    `2026-11-26 10:15:00.000+0000: starting up libvirt version: 9.0.0, package: 9.0.0-4 (Debian), qemu version: 7.2.0Debian 1:7.2+dfsg-7, kernel: 6.1.0-13-amd64, hostname: ${L0_NAME}`,
    'LC_ALL=C \\',
    'HOME=/var/lib/libvirt/qemu \\',
    '/usr/bin/qemu-system-x86_64 \\',
    `-name guest=${L1_NAME},debug-threads=on \\`,
    '-S \\',
    '-chardev socket,id=charmonitor,path=/var/lib/libvirt/qemu/domain-1-db7.prod.example.o/monitor.sock,server=on,wait=off \\',
    '-machine pc-q35-7.2,usb=off,dump-guest-core=off \\',
    '-accel kvm \\',
    '-cpu host,migratable=on \\',
    '-smbios type=1,serial=GUEST-SN-77 \\',
    `-blockdev '{"driver":"host_device","filename":"/dev/mapper/hv01--vg-root","node-name":"libvirt-2-storage"}' \\`,
    `-blockdev '{"driver":"file","filename":"/var/lib/libvirt/images/hv01-db7.qcow2","node-name":"libvirt-1-storage"}' \\`,
    '-netdev tap,fd=30,id=hostnet0 \\',
    '-device virtio-net-pci,netdev=hostnet0,id=net0,mac=52:54:00:ab:cd:ef,bus=pci.1,addr=0x0 \\',
    '-msg timestamp=on',
    '',
  ].join('\n');
}

const redact = suite<{ l0?: TestHost; l1?: TestHost; word?: TestHost; stopLibvirt?: () => Promise<void> }>(
  'redaction that misses nothing',
);

redact.before(async (ctx) => {
  if (!isRoot() || !have('libvirtd') || !existsSync('/var/log/libvirt/qemu')) return;
  const log = path.join(HARNESS, 'planted-libvirt.log');
  writeFileSync(log, libvirtLog());
  const setup = `mount -t tmpfs nestbug-planted /var/log/libvirt/qemu && cp ${log} '/var/log/libvirt/qemu/${L1_NAME}.log'`;
  ctx.l0 = await startHost({ name: L0_NAME, setup });
  ctx.l1 = await startHost({ name: L1_NAME });
  ctx.word = await startHost({ name: 'nested' });
  execFileSync('sh', [
    '-c',
    `echo "nestbug-test: enx0011223344aa: renamed from eth0; peer ::ffff:10.1.2.3 via fd12:3456:789a::42 lladdr 52-54-00-AB-CD-EF; backup3.prod.example.org not responding" > /dev/kmsg`,
  ]);
  ctx.stopLibvirt = await ensureLibvirtd(path.join(HARNESS, 'libvirt-logs'));
  const xml = path.join(HARNESS, 'planted-domain.xml');
  writeFileSync(
    xml,
    `<domain type='qemu'><name>${DOMAIN}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu><sysinfo type='smbios'><system><entry name='manufacturer'>QEMU</entry><entry name='serial'>XML-SN-55</entry></system></sysinfo><os><type arch='x86_64' machine='q35'>hvm</type><smbios mode='sysinfo'/></os><devices><emulator>/usr/bin/qemu-system-x86_64</emulator><interface type='user'><mac address='52:54:00:ab:cd:ef'/></interface><memballoon model='none'/></devices></domain>`,
  );
  run([...VIRSH, 'define', xml]);
  atExit(() => run([...VIRSH, 'undefine', DOMAIN], { allowFail: true, timeoutMs: 30000 }));
});
redact.after(async (ctx) => {
  run([...VIRSH, 'undefine', DOMAIN], { allowFail: true, timeoutMs: 30000 });
  await ctx.stopLibvirt?.();
  for (const h of [ctx.l0, ctx.l1, ctx.word]) await h?.stop();
});

/** Every file of an unpacked bundle, by its path inside the archive. */
function allFiles(top: string): Array<[string, string]> {
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

if (!isRoot() || !have('libvirtd') || !existsSync('/var/log/libvirt/qemu')) {
  console.log('  integration/redact-realistic: needs root and libvirt; skipped');
} else {
  redact(
    'L0 + L1 with FQDNs, libvirt logs, domain XML, other hosts, MAC spellings, IPv4 in IPv6: nothing survives',
    async ({ l0, l1 }) => {
      const home = newHome();
      writeKnownHosts(path.join(home, '.ssh', 'known_hosts'), [l0!, l1!]);
      // The hosts are named as users name them: by their FQDN, resolved in ~/.ssh/config.
      writeFileSync(
        path.join(home, '.ssh', 'config'),
        [l0!, l1!].map((h) => `Host ${h.name}\n  HostName 127.0.0.1\n  Port ${h.port}\n`).join(''),
      );
      const r = await runCli(
        [
          'collect',
          '--l0',
          `root@${L0_NAME}`,
          '--l1',
          `root@${L1_NAME}`,
          '--l1-jump',
          'l0',
          '-i',
          CLIENT_KEY,
          '--no-input',
          '--redact',
          '--json',
          '-o',
          'red.zip',
        ],
        { home, timeoutMs: 240000 },
      );
      assert.ok([0, 3, 4].includes(r.code!), `exit ${r.code}\n${r.stderr}`);
      assert.equal(survivors(r.stdout), [], 'the --json output');
      const top = unpack(path.join(home, 'red.zip'));
      const files = allFiles(top);
      for (const [name, text] of files) {
        assert.equal(survivors(name), [], `entry name ${name}`);
        assert.equal(survivors(text), [], `content of ${name}`);
      }
      // The planted evidence was collected, redacted (not dropped).
      const logs = files.filter(([name]) => name.startsWith('L0/libvirt/'));
      assert.is(logs.length, 1);
      const guest = /^L0\/libvirt\/(host-\d+)\.domain-1\.log$/.exec(logs[0][0])?.[1];
      assert.ok(guest, `the log is renamed with the placeholders: ${logs[0][0]}`);
      assert.match(logs[0][1], /host-\d--vg-root/);
      assert.match(logs[0][1], new RegExp(`host-\\d-${guest}\\.qcow2`));
      assert.match(logs[0][1], new RegExp(`domain-1-${guest}\\.domain-1/monitor`), 'the truncated name');
      assert.match(logs[0][1], /serial=serial-\d/);
      const domains = files.find(([name]) => name === 'L0/domains.txt')![1];
      assert.match(domains, /<entry name='serial'>serial-\d+<\/entry>/);
      const dmesg = files.find(([name]) => name === 'L0/dmesg.txt')![1];
      assert.match(
        dmesg,
        /enxmac-\d+: renamed from eth0; peer ip-\d+ via ip-\d+ lladdr mac-\d+; host-\d+\.domain-1 not responding/,
      );
      const manifest = readJson<Manifest>(path.join(top, 'manifest.json'));
      const listed = manifest.levels
        .flatMap((l) => l.items.flatMap((i) => [i.file, ...(i.files ?? []).map((f) => f.file)]))
        .filter((f): f is string => Boolean(f));
      for (const f of listed)
        assert.ok(existsSync(path.join(top, f)), `the manifest names ${f}, which is in the bundle`);
      assert.match(readFileSync(path.join(top, 'summary.md'), 'utf8'), /^\*\*Nested virtualization setup: /);
      const json = JSON.parse(r.stdout) as { levels: Record<string, { target: string }> };
      assert.match(json.levels.L1.target, /^root@host-\d+\.domain-1$/);
      const map = JSON.parse(readFileSync(path.join(home, 'red.zip.redaction-map.json'), 'utf8')) as {
        spellings: Record<string, string[]>;
      };
      const macSpellings = Object.values(map.spellings).find((s) => s.includes('00:11:22:33:44:aa'));
      assert.ok(
        macSpellings?.includes('0011223344aa') && macSpellings.includes('00-11-22-33-44-aa'),
        `the mapping has every spelling: ${macSpellings}`,
      );
    },
  );

  redact(
    'a host named with an ordinary word ("nested"): replaced where it names the host, the headline stays',
    async ({ word }) => {
      const home = newHome();
      writeKnownHosts(path.join(home, '.ssh', 'known_hosts'), [word!]);
      const r = await runCli(
        ['collect', '--l1', `root@127.0.0.1:${word!.port}`, '-i', CLIENT_KEY, '--no-input', '--redact', '-o', 'w.zip'],
        { home, timeoutMs: 240000 },
      );
      assert.ok([0, 3, 4].includes(r.code!), `exit ${r.code}\n${r.stderr}`);
      const top = unpack(path.join(home, 'w.zip'));
      assert.match(readFileSync(path.join(top, 'L1', 'uname.txt'), 'utf8'), /^Linux host-1 /);
      const summary = readFileSync(path.join(top, 'summary.md'), 'utf8');
      assert.match(summary, /^\*\*Nested virtualization setup: /);
      assert.not.match(summary, /host-1 virtualization|Host-1/);
    },
  );
}

redact.run();
