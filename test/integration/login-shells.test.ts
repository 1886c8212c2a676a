// Commands reach sh unchanged through every login shell people use (bash, dash, busybox
// sh, zsh, fish, tcsh, csh), through a real sshd, and whatever those shells' startup files
// print stays out of every command's output.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { newHome } from '../harness/cli.ts';
import { CLIENT_KEY, GREETING, isRoot, startHost, type TestHost, writeKnownHosts } from '../harness/hosts.ts';
import { skipTest } from '../harness/skip.ts';

const HOSTILE = [
  "x';touch /tmp/pwned;'",
  '$(reboot)',
  '`id`',
  'a b\tc\nd',
  "'",
  '"double" and \\backslash',
  '\\\\',
  "\\'",
  '*?[abc]',
  '~root',
  '-n',
  '',
  'ünïcödé ✓',
  '!history',
  '!!',
  '${HOME}',
  '$HOME',
  'semi;colon|pipe&amp>redir<in',
  '%s %b \\0101',
  '\n',
  'end\n\n',
  '{a,b}',
  '#comment',
];

const shells = suite<{ host?: TestHost; knownHosts?: string }>('login shells');
shells.before(async (ctx) => {
  ctx.host = await startHost({ name: 'logins' });
  ctx.knownHosts = writeKnownHosts(path.join(newHome(), 'known_hosts'), [ctx.host]);
});
shells.after(async (ctx) => {
  await ctx.host?.stop();
});

async function connectAs(user: string, ctx: { host?: TestHost; knownHosts?: string }) {
  const { SshTransport } = await import('../../src/transport/ssh.ts');
  const { HostKeyStore } = await import('../../src/transport/host-key-store.ts');
  const { loadIdentity } = await import('../../src/transport/identities.ts');
  return SshTransport.connect(
    {
      host: '127.0.0.1',
      port: ctx.host!.port,
      user,
      hostKeyName: '127.0.0.1',
      identities: [loadIdentity(CLIENT_KEY, { explicit: true })!],
      label: user,
    },
    { hostKeys: new HostKeyStore(ctx.knownHosts!, []), acceptNewHostKeys: false },
  );
}

async function run(transport: Awaited<ReturnType<typeof connectAs>>, argvs: string[][]) {
  const { PassThrough } = await import('node:stream');
  const outs = argvs.map(() => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
  });
  const results = await Promise.all(
    transport.runMany(argvs.map((argv, i) => ({ argv, asRoot: false, timeoutMs: 20000, stdout: outs[i].stream }))),
  );
  return results.map((r, i) => ({ ...r, stdout: outs[i].text() }));
}

if (!isRoot()) {
  skipTest('integration/login-shells', 'needs root (sshd with test users)');
  shells.run();
} else {
  for (const user of ['root', 'rootdash', 'rootash', 'rootzsh', 'rootfish', 'roottcsh', 'rootcsh', 'rootecho']) {
    shells(
      `${user}: hostile arguments arrive unchanged, exit codes and stderr are each command's own, no greeting inside`,
      async (ctx) => {
        const transport = await connectAs(user, ctx);
        try {
          const [printed, failing, cpuinfo, missing] = await run(transport, [
            ['printf', '%s\\0', ...HOSTILE],
            ['sh', '-c', 'echo "to stderr: $1" >&2; exit 3', 'nestbug', "it's $(x)"],
            ['cat', '/proc/cpuinfo'],
            ['nestbug-no-such-command'],
          ]);
          assert.equal(printed.stdout.split('\0').slice(0, -1), HOSTILE);
          assert.is(printed.exitCode, 0);
          assert.is(printed.stderr, '');
          assert.is(failing.exitCode, 3);
          assert.is(failing.stderr, "to stderr: it's $(x)\n");
          assert.is(cpuinfo.stdout, readFileSync('/proc/cpuinfo', 'utf8'));
          assert.is(missing.exitCode, 127);
          for (const r of [printed, failing, cpuinfo, missing])
            assert.not.ok(r.stdout.includes(GREETING) || r.stderr.includes(GREETING), 'greeting leaked');
        } finally {
          await transport.close();
        }
      },
    );
  }
  shells.run();
}
