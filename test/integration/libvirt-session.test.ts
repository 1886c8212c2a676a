// libvirt session domains: nestbug, run by the user who owns a qemu:///session with a
// running guest, collects that session's domains and logs, and the analysis sees the guest.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { guestsOf } from '../../src/analyse/guests.ts';
import type { Manifest } from '../../src/bundle/manifest.ts';
import { loadBundle } from '../../src/bundle/reader.ts';
import { readJson, unpack } from '../harness/cli.ts';
import { asSessionUser, startSessionWithDomain } from '../harness/libvirt-session.ts';
import { run } from '../harness/processes.ts';
import { ROOT } from '../helpers.ts';

const root = process.getuid?.() === 0;
const sessionTest = root ? test : test.skip;
if (!root) console.log('  integration/libvirt-session: needs root (to run as another user): skipped');

sessionTest("a user's session domain and its QEMU log are collected; the guest runs on TCG", async () => {
  const session = await startSessionWithDomain();
  try {
    const out = run(
      asSessionUser(session.home, [
        process.execPath,
        path.join(ROOT, 'bin', 'nestbug.js'),
        'collect',
        '--l1',
        'local',
        '--no-input',
        '--json',
        '-o',
        path.join(session.home, 's.zip'),
      ]),
      { allowFail: true, timeoutMs: 120000 },
    );
    const result = JSON.parse(out);
    const top = unpack(path.join(session.home, 's.zip'));
    const items = readJson<Manifest>(path.join(top, 'manifest.json')).levels[0].items;
    const domains = items.find((i) => i.id === 'libvirt-session-domains')!;
    assert.is(domains.status, 'ok', domains.reason);
    const text = readFileSync(path.join(top, 'L1', 'libvirt-session-domains.txt'), 'utf8');
    assert.match(text, new RegExp(`==> domain ${session.domain} <==`));
    assert.match(text, /<domain type='qemu'/);
    const logs = items.find((i) => i.id === 'libvirt-session-logs')!;
    assert.ok(
      logs.files?.some((f) => f.file === `L1/libvirt-session/${session.domain}.log`),
      JSON.stringify(logs),
    );
    assert.match(readFileSync(path.join(top, 'L1', 'libvirt-session-qemu-logs.txt'), 'utf8'), /qemu-system-x86_64/);
    const guests = result.checks.find((c: { id: string }) => c.id === 'l1-guests-on-kvm');
    assert.ok(guests, "the session guest is one of L1's guests");
    assert.is(guests.status, 'fail');
    assert.match(guests.summary, new RegExp(session.domain));
    const bundle = await loadBundle(top);
    try {
      const guest = guestsOf(bundle.files, 'L1').find((g) => g.name === session.domain)!;
      assert.is(guest.domain?.file, 'L1/libvirt-session-domains.txt');
      assert.is(guest.log?.file, `L1/libvirt-session/${session.domain}.log`);
    } finally {
      await bundle.cleanup();
    }
  } finally {
    await session.stop();
  }
});

test.run();
