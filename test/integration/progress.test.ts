// What a collection prints while it runs: without a terminal one line per finished item
// with its level and host; at a terminal (tmux, 40 rows) one folded line per level.
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Manifest } from '../../src/bundle/manifest.ts';
import { newHome, readJson, runCli, unpack } from '../harness/cli.ts';
import { CLIENT_KEY, have, isRoot, startHost, type TestHost, writeKnownHosts } from '../harness/hosts.ts';
import { skipTest } from '../harness/skip.ts';
import { Terminal } from '../harness/tmux.ts';

const progress = suite<{ host?: TestHost }>('progress');
progress.before(async (ctx) => {
  if (isRoot()) ctx.host = await startHost({ name: 'progress' });
});
progress.after(async (ctx) => {
  await ctx.host?.stop();
});

function prepareHome(host: TestHost): string {
  const home = newHome();
  writeKnownHosts(path.join(home, '.ssh', 'known_hosts'), [host]);
  return home;
}

if (!isRoot()) {
  skipTest('integration/progress', 'needs root (sshd with test users)');
} else {
  progress(
    'without a terminal: one line per finished item, prefixed by level and host; no waiting or running lines',
    async ({ host }) => {
      const home = prepareHome(host!);
      const l1 = `root@127.0.0.1:${host!.port}`;
      const r = await runCli(['collect', '--l0', 'local', '--l1', l1, '-i', CLIENT_KEY, '--no-input', '-o', 'b.zip'], {
        home,
      });
      assert.ok([0, 3, 4].includes(r.code!), r.stderr);
      const manifest = readJson<Manifest>(path.join(unpack(path.join(home, 'b.zip')), 'manifest.json'));
      const lines = r.stderr.split('\n');
      assert.not.match(r.stderr, /waiting for a channel|^\s*› running|connecting|probing/m);
      for (const level of manifest.levels) {
        const prefix = level.level === 'L0' ? 'L0 local: ' : `L1 ${l1}: `;
        for (const item of level.items) {
          const mine = lines.filter((l) => l.startsWith(`${prefix}${item.id}: `));
          assert.is(mine.length, 1, `${prefix}${item.id}: ${mine.length} lines\n${r.stderr}`);
          assert.ok(mine[0].startsWith(`${prefix}${item.id}: ${item.status === 'ok' ? 'ok' : ''}`), mine[0]);
        }
      }
    },
  );

  if (!have('tmux')) {
    skipTest('integration/progress at a terminal', 'needs tmux');
  } else {
    progress(
      'at a 40-row terminal: one line per level, finished items folded, no skipped item shown as a warning',
      async ({ host }) => {
        const home = prepareHome(host!);
        const l1 = `root@127.0.0.1:${host!.port}`;
        const term = Terminal.start(['collect', '--l0', 'local', '--l1', l1, '-i', CLIENT_KEY, '-o', 'b.zip'], {
          home,
          cwd: home,
          rows: 40,
        });
        try {
          const screen = await term.waitFor(/EXIT=\d+/, 120000);
          const list = screen.slice(0, screen.search(/Nested setup|Bundle:/));
          const levelLines = list.split('\n').filter((l) => /^\s*\S\s+L[01] /.test(l));
          assert.is(levelLines.length, 2, `one line per level:\n${list}`);
          assert.match(list, /L0 local: .*: \d+ items: \d+ ok/);
          assert.match(list, new RegExp(`L1 ${l1.replace(/[.[\]]/g, '\\$&')}: .*: \\d+ items: \\d+ ok`));
          assert.ok(list.split('\n').filter((l) => l.trim()).length <= 10, `the list fits a screen:\n${list}`);
          assert.not.match(list, /SKIPPED|↓|waiting for a channel/);
        } finally {
          term.close();
        }
      },
    );
  }
}

progress.run();
