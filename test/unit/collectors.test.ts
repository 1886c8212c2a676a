import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CollectorFileError, mergeCollectors, parseCollectors } from '../../src/collect/collectors.ts';
import { loadCollectors } from '../../src/collect/load-collectors.ts';

const REQUIRED = [
  'uname',
  'os-release',
  'cpuinfo',
  'lscpu',
  'dmesg',
  'kvm-params',
  'kvm-device',
  'kvm-modules',
  'cmdline',
  'modprobe-conf',
  'qemu-version',
  'libvirt-version',
  'qemu-cmdlines',
  'libvirt-qemu-logs',
  'domains',
  'detect-virt',
  'x86info',
  'dmidecode',
  'sysinfo',
  'cpuid-signature',
];

test('the built-in list has every documented item, each citing the kernel doc', async () => {
  const all = await loadCollectors();
  const ids = all.map((c) => c.id);
  for (const id of REQUIRED) assert.ok(ids.includes(id), id);
  assert.is(new Set(ids).size, ids.length, 'ids are unique');
  for (const c of all) assert.ok(c.doc, `${c.id} has no doc line`);
  assert.equal(all.find((c) => c.id === 'x86info')!.arch, ['x86_64', 'i686', 'i586', 'i386']);
  assert.equal(all.find((c) => c.id === 'sysinfo')!.arch, ['s390x']);
  assert.is(all.find((c) => c.id === 'dmidecode')!.needsRoot, 'always');
  assert.is(all.find((c) => c.id === 'dmesg')!.needsRoot, 'when-dmesg-restricted');
});

const bad: Array<[string, RegExp]> = [
  ['- id: Bad_Id\n  title: x\n  file: /x', /entry 1: field 'id'/],
  ['- id: a\n  file: /x', /entry 1 \(a\): field 'title' is required/],
  ['- id: a\n  title: t', /needs exactly one of/],
  ['- id: a\n  title: t\n  file: /x\n  command: [x]', /needs exactly one of .*has file, command/],
  ['- id: a\n  title: t\n  file: relative', /absolute path/],
  ['- id: a\n  title: t\n  file: /x\n  levels: [L3]', /'levels' has 'L3'/],
  ['- id: a\n  title: t\n  file: /x\n  needsRoot: sometimes', /needsRoot/],
  ['- id: a\n  title: t\n  file: /x\n  timeout: -1', /timeout/],
  ['- id: a\n  title: t\n  file: /x\n  colour: red', /unknown field 'colour'/],
  ['- id: a\n  title: t\n  files: /var/log/*.log', /needs 'into'/],
  [
    '- id: a\n  title: t\n  file: /x\n  outcomes: [{when: "(", status: ok, reason: r}]',
    /outcomes\[0\].*regular expression/,
  ],
  ['id: a', /expected a list/],
  ['- [unclosed', /not valid YAML/],
];
for (const [text, message] of bad) {
  test(`a bad collectors file names file, entry and field: ${message.source}`, () => {
    assert.throws(
      () => parseCollectors(text, 'site.yaml'),
      (e: Error) => e instanceof CollectorFileError && e.message.startsWith('site.yaml') && message.test(e.message),
    );
  });
}

test('a site file adds items and may replace a built-in one by id', () => {
  const base = parseCollectors('- id: a\n  title: A\n  file: /a\n- id: b\n  title: B\n  command: [b]', 'base');
  const site = parseCollectors('- id: b\n  title: B2\n  script: echo b\n- id: c\n  title: C\n  file: /c', 'site');
  const merged = mergeCollectors([base, site]);
  assert.equal(
    merged.map((c) => `${c.id}:${c.title}`),
    ['a:A', 'b:B2', 'c:C'],
  );
  assert.throws(
    () => mergeCollectors([parseCollectors('- id: d\n  title: D\n  derivedFrom: nothing', 's')]),
    /names no collector/,
  );
});

test.run();
