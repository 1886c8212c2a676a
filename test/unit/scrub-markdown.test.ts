import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scrubQemuSecretsLine } from '../../src/collect/scrub.ts';
import { cell, code, escapeText, fenced } from '../../src/render/markdown.ts';

test('QEMU and libvirt secrets lose their value, keep their key', () => {
  const cases: Array<[string, string]> = [
    ['-spice port=5900,password=hunter2,addr=0.0.0.0', '-spice port=5900,password=<redacted>,addr=0.0.0.0'],
    ['-vnc :0,password=on', '-vnc :0,password=on'],
    ['-object secret,id=sec0,data=c2VjcmV0,format=base64', '-object secret,id=sec0,data=<redacted>,format=base64'],
    [
      `-object '{"qom-type":"secret","id":"sec0","data":"s3cr3t","format":"raw"}' \\`,
      `-object '{"qom-type":"secret","id":"sec0","data":"<redacted>","format":"raw"}' \\`,
    ],
    [`<graphics type='vnc' port='-1' passwd='topsecret'/>`, `<graphics type='vnc' port='-1' passwd='<redacted>'/>`],
    [
      'file=rbd:pool/img:id=admin:key=AQBxyz==:auth_supported=cephx',
      'file=rbd:pool/img:id=admin:key=<redacted>:auth_supported=cephx',
    ],
    ['HOME=/var/lib/libvirt/qemu/domain-1-l2 \\', 'HOME=<redacted> \\'],
    ['-append console=ttyS0 quiet', '-append console=ttyS0 quiet'],
    [
      '-object {"qom-type":"secret","id":"masterKey0","format":"raw","file":"/var/lib/libvirt/qemu/master-key.aes"}',
      '-object {"qom-type":"secret","id":"masterKey0","format":"raw","file":"/var/lib/libvirt/qemu/master-key.aes"}',
    ],
  ];
  for (const [input, expected] of cases) assert.is(scrubQemuSecretsLine(input), expected);
});

test('code spans are longer than any backtick run and never span lines', () => {
  assert.is(code('plain'), '`plain`');
  assert.is(code('a `b` c'), '``a `b` c``');
  assert.is(code('```x```'), '```` ```x``` ````');
  assert.not.match(code('a\nb\n## c'), /\n/);
  assert.is(cell('a|b'), '`a\\|b`');
  const block = fenced('```\n<script>alert(1)</script>\n````');
  assert.ok(block.startsWith('`````\n'));
  assert.ok(block.endsWith('\n`````'));
});

test('prose with host text cannot inject HTML, links or images', () => {
  const evil =
    'dom <img src=x onerror=alert(1)> [click](http://evil.example) ![i](http://x/y.png) www.evil.example a@b.example | cell';
  const out = escapeText(evil);
  assert.not.match(out, /<img/);
  assert.not.match(out, /[^\\]\]\(/, 'an unescaped ]( would be a link');
  assert.not.match(out, /http:\/\//);
  assert.not.match(out, /www\.evil/);
  assert.not.match(out, /[^\\]\|/);
});

test.run();
