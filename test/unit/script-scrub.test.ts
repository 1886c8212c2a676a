// The standalone script scrubs with awk what collect scrubs in TypeScript: both must give
// the same bytes for the same lines, under every awk the script may meet.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scrubQemuSecretsLine } from '../../src/collect/scrub.ts';
import { SCRUB_AWK } from '../../src/script/scrub-awk.ts';

const FRAGMENTS = [
  'password=',
  'PassWord=',
  'passwd=',
  'PASSWD =',
  'passwd = ',
  '"password"',
  '"Passwd" : ',
  ':',
  ',',
  ' ',
  '\t',
  "'",
  '"',
  'hunter2',
  'on',
  'OFF',
  'yes',
  'false',
  'secret',
  'SECRET',
  'data=',
  '"data"',
  'data',
  ':key=',
  'key=',
  'AQB==',
  '\\',
  '\\"',
  'x',
  'cipassword:',
  'cipassword: ',
  'vncpasswd',
  'SpicePasswd',
  'vnc',
  'spice',
  '-object ',
  'id=sec0',
  '{',
  '}',
  '\r',
  '\xa0',
  'é',
  'HOME',
  '=',
  ' \\',
  '_A1',
  'rbd:pool/img',
  '<graphics ',
];

/** Deterministic pseudo-random lines built from the fragments the rules look for. */
function generatedLines(count: number): string[] {
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const parts = 1 + (next() % 9);
    let line = '';
    for (let p = 0; p < parts; p++) line += FRAGMENTS[next() % FRAGMENTS.length];
    lines.push(line);
  }
  return lines;
}

function fixtureLines(): string[] {
  const root = path.join(import.meta.dirname, '../fixtures/captured');
  const lines: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (/(libvirt|qemu-cmdlines|domains)/.test(full)) lines.push(...readFileSync(full, 'latin1').split('\n'));
    }
  };
  walk(root);
  return lines;
}

const KNOWN = [
  '-spice port=5900,password=hunter2,addr=0.0.0.0',
  `-object '{"qom-type":"secret","id":"sec0","data":"s3cr3t","format":"raw"}' \\`,
  `<graphics type='vnc' port='-1' passwd='topsecret'/>`,
  'file=rbd:pool/img:id=admin:key=AQBxyz==:auth_supported=cephx',
  'HOME=/var/lib/libvirt/qemu/domain-1-l2 \\',
  'password=secret,data=x',
  `passwd = "a'b"`,
  '"password" :"a\\"b" "passwd":"c',
  'cipassword: $5$abc$def',
  'vncpasswd="s3cret" spicepasswd=abc,vnclisten=0.0.0.0',
];

const AWKS: Array<[string, string[]]> = [
  ['awk', ['awk']],
  ['busybox awk', ['busybox', 'awk']],
];

for (const [name, argv] of AWKS) {
  test(`the script's awk scrub equals scrubQemuSecretsLine (${name})`, () => {
    const lines = [...KNOWN, ...generatedLines(3000), ...fixtureLines()];
    const text = lines.join('\n');
    const out = execFileSync(argv[0], [...argv.slice(1), SCRUB_AWK], {
      input: Buffer.from(`${text}\n`, 'latin1'),
      env: { LC_ALL: 'C', PATH: process.env.PATH },
    });
    const got = out.toString('latin1').split('\n');
    const want = lines.map(scrubQemuSecretsLine);
    assert.is(got.length, want.length);
    for (let i = 0; i < want.length; i++) assert.is(got[i], want[i], `line ${i}: ${JSON.stringify(lines[i])}`);
  });
}

test('the awk scrub keeps a missing or present final newline, as the sink does', () => {
  for (const text of ['', 'a', 'a\n', 'a\n\n', 'password=x\nb']) {
    const out = execFileSync('awk', [SCRUB_AWK], { input: `${text}\n`, env: { LC_ALL: 'C' } }).toString();
    assert.is(out, text.split('\n').map(scrubQemuSecretsLine).join('\n'));
  }
});

test.run();
