// Real SSH servers for the tests: OpenSSH sshd or dropbear, each in its own mount and UTS
// namespace (own hostname, and a test /etc/passwd, /etc/shadow, /etc/group and
// /etc/sudoers bind-mounted over the real ones), optionally in a network namespace.
// Nothing on the host itself is changed.

import type { ChildProcess } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { atExit, run, startProcess, stopProcess } from './processes.ts';

export const HARNESS = mkdtempSync(path.join(os.tmpdir(), 'nestbug-test-'));
// Test users other than root read their authorized keys below it.
chmodSync(HARNESS, 0o755);
atExit(() => run(['rm', '-rf', HARNESS], { allowFail: true }));

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export function have(binary: string): boolean {
  return run(['sh', '-c', `command -v ${binary} || true`]).trim() !== '';
}

/** Users every test host knows. uid-0 aliases let tests try other login shells as root. */
export const USERS: Record<string, { uid: number; shell: string; home?: string }> = {
  root: { uid: 0, shell: '/bin/bash' },
  rootdash: { uid: 0, shell: '/bin/dash' },
  rootash: { uid: 0, shell: path.join(HARNESS, 'bin', 'ash') },
  nbsudo: { uid: 1999, shell: '/bin/bash' },
  nbplain: { uid: 1998, shell: '/bin/bash' },
  // sudo asks this one for its password (SUDO_TEST_PASSWORD)
  nbpass: { uid: 1997, shell: '/bin/bash' },
  // root with this machine's own home: its ~/.bashrc runs for every command, as on real hosts
  rootrc: { uid: 0, shell: '/bin/bash', home: os.homedir() },
  // Login shells people have; their startup files print a greeting (see GREETING).
  rootzsh: { uid: 0, shell: '/usr/bin/zsh' },
  rootfish: { uid: 0, shell: '/usr/bin/fish' },
  roottcsh: { uid: 0, shell: '/usr/bin/tcsh' },
  rootcsh: { uid: 0, shell: '/usr/bin/csh' },
  // bash whose ~/.bashrc greets on stdout and stderr
  rootecho: { uid: 0, shell: '/bin/bash' },
};

/** What the startup files of the test users above print, on stdout and on stderr. */
export const GREETING = 'Welcome to bashrc land';

/** Startup files that greet, per login shell (tcsh reads ~/.tcshrc, csh ~/.cshrc). */
const GREETING_FILES: Record<string, Record<string, string>> = {
  rootzsh: { '.zshenv': `echo '${GREETING}'; echo '${GREETING}' >&2\n` },
  rootfish: { '.config/fish/config.fish': `echo '${GREETING}'; echo '${GREETING}' >&2\n` },
  roottcsh: { '.tcshrc': `echo '${GREETING}'\n` },
  rootcsh: { '.cshrc': `echo '${GREETING}'\n` },
  rootecho: { '.bashrc': `echo '${GREETING}'; printf '%s' '${GREETING} without newline'; echo '${GREETING}' >&2\n` },
};

export const SUDO_TEST_PASSWORD = 'nb-sudo-pw-5521';

let prepared = false;
export const CLIENT_KEY = path.join(HARNESS, 'client_ed25519');

function prepareSystemFiles(): void {
  if (prepared) return;
  prepared = true;
  mkdirSync(path.join(HARNESS, 'bin'), { recursive: true });
  symlinkSync('/bin/busybox', path.join(HARNESS, 'bin', 'ash'));
  run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'nestbug-test-client', '-f', CLIENT_KEY]);
  const pub = readFileSync(`${CLIENT_KEY}.pub`, 'utf8');
  const etc = path.join(HARNESS, 'etc');
  mkdirSync(path.join(HARNESS, 'authorized_keys'), { recursive: true });
  mkdirSync(etc, { recursive: true });
  // Keep the system users (sshd privilege separation needs "sshd"), replace root's home.
  const base = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('root:'));
  const passwd: string[] = [];
  const shadow: string[] = [];
  for (const [name, u] of Object.entries(USERS)) {
    const home = u.home ?? path.join(HARNESS, 'home', name);
    writeFileSync(path.join(HARNESS, 'authorized_keys', name), pub, { mode: 0o644 });
    if (!u.home) {
      // Created one by one: a recursive mkdir would give the parents mode 0700 too.
      mkdirSync(path.join(HARNESS, 'home'), { recursive: true, mode: 0o755 });
      mkdirSync(home, { mode: 0o755 });
      mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
      writeFileSync(path.join(home, '.ssh', 'authorized_keys'), pub, { mode: 0o600 });
      for (const [file, text] of Object.entries(GREETING_FILES[name] ?? {})) {
        mkdirSync(path.dirname(path.join(home, file)), { recursive: true });
        writeFileSync(path.join(home, file), text);
      }
      chmodSync(home, 0o755);
      run(['chown', '-R', `${u.uid}:${u.uid}`, home]);
    }
    passwd.push(`${name}:x:${u.uid}:${u.uid}:nestbug test:${home}:${u.shell}`);
    const hash = name === 'nbpass' ? run(['openssl', 'passwd', '-6', SUDO_TEST_PASSWORD]).trim() : '*';
    shadow.push(`${name}:${hash}:19000:0:99999:7:::`);
  }
  writeFileSync(path.join(etc, 'passwd'), `${[...passwd, ...base].join('\n')}\n`);
  const baseShadow = existsSync('/etc/shadow')
    ? readFileSync('/etc/shadow', 'utf8')
        .split('\n')
        .filter((l) => l && !Object.keys(USERS).some((n) => l.startsWith(`${n}:`)))
    : [];
  writeFileSync(path.join(etc, 'shadow'), `${[...shadow, ...baseShadow].join('\n')}\n`, { mode: 0o640 });
  const group = readFileSync('/etc/group', 'utf8').trimEnd();
  writeFileSync(path.join(etc, 'group'), `${group}\nnbsudo:x:1999:\nnbplain:x:1998:\nnbpass:x:1997:\n`);
  // dropbear refuses logins whose shell is not listed in /etc/shells
  const shells = existsSync('/etc/shells') ? readFileSync('/etc/shells', 'utf8') : '';
  const extra = [USERS.rootash.shell, '/bin/dash', '/usr/bin/zsh', '/usr/bin/fish', '/usr/bin/tcsh', '/usr/bin/csh'];
  writeFileSync(path.join(etc, 'shells'), `${shells}${extra.join('\n')}\n`);
  writeFileSync(
    path.join(etc, 'sudoers'),
    'Defaults env_reset\nroot ALL=(ALL:ALL) ALL\nnbsudo ALL=(ALL:ALL) NOPASSWD: ALL\nnbpass ALL=(ALL:ALL) ALL\n',
    { mode: 0o440 },
  );
  mkdirSync('/run/sshd', { recursive: true });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function waitForBanner(host: string, port: number, timeoutMs: number, netns?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = netns
      ? run(
          ['ip', 'netns', 'exec', netns, 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port} 2>/dev/null && head -c 4 <&3`],
          { allowFail: true },
        ).startsWith('SSH-')
      : await new Promise<boolean>((resolve) => {
          const sock = net.connect({ host, port });
          sock.once('data', (d) => {
            sock.destroy();
            resolve(d.toString().startsWith('SSH-'));
          });
          sock.once('error', () => resolve(false));
          // QEMU's user-net forward accepts and then closes while the guest boots.
          sock.once('close', () => resolve(false));
          sock.setTimeout(1000, () => {
            sock.destroy();
            resolve(false);
          });
        });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no SSH server answered on ${host}:${port} within ${timeoutMs} ms`);
}

export interface TestHost {
  name: string;
  address: string;
  port: number;
  /** `[127.0.0.1]:2222 ssh-ed25519 AAAA...` for a known_hosts file. */
  knownHostsLine: string;
  hostKeyPub: string;
  log: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface HostOptions {
  name: string;
  daemon?: 'openssh' | 'dropbear';
  /** Network namespace to run in; the server then listens on all its addresses. */
  netns?: string;
  /** Address the test uses to reach it (default 127.0.0.1). */
  address?: string;
  port?: number;
  sshdExtra?: string[];
  /** DEBUG1 logs forwarded connections (direct-tcpip), proof that a jump went through. */
  logLevel?: 'INFO' | 'VERBOSE' | 'DEBUG1';
  /** Its own PID namespace and /proc, and empty /run/libvirt and /var/log/libvirt: the
   * host sees neither the QEMU processes nor the libvirt domains of other tests running
   * on this machine at the same time. */
  isolated?: boolean;
  /** Shell commands run inside the host's own mount namespace before the server starts
   * (a tmpfs with planted files over a system folder). */
  setup?: string;
}

function namespaced(opts: HostOptions, command: string): string[] {
  const etc = path.join(HARNESS, 'etc');
  const binds = ['passwd', 'shadow', 'group', 'sudoers', 'shells']
    .filter((f) => existsSync(`/etc/${f}`))
    .map((f) => `mount --bind ${etc}/${f} /etc/${f}`)
    .join(' && ');
  const pids = opts.isolated ? ['--pid', '--fork', '--kill-child', '--mount-proc'] : [];
  const libvirt = opts.isolated
    ? ['/run/libvirt', '/var/log/libvirt']
        .filter((d) => existsSync(d))
        .map((d) => ` && mount -t tmpfs -o size=1m tmpfs ${d}`)
        .join('')
    : '';
  const inner = [
    'unshare',
    '--mount',
    '--uts',
    ...pids,
    '--propagation',
    'private',
    'sh',
    '-c',
    `${binds}${libvirt} && ${opts.setup ?? 'true'} && hostname ${opts.name} && exec ${command}`,
  ];
  return opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...inner] : inner;
}

export async function startHost(opts: HostOptions): Promise<TestHost> {
  prepareSystemFiles();
  const dir = path.join(HARNESS, 'hosts', opts.name);
  mkdirSync(dir, { recursive: true });
  const port = opts.port ?? (opts.netns ? 22 : await freePort());
  const address = opts.address ?? '127.0.0.1';
  const log = path.join(dir, 'server.log');
  let command: string;
  let hostKeyPub: string;
  if ((opts.daemon ?? 'openssh') === 'openssh') {
    const key = path.join(dir, 'host_ed25519');
    if (!existsSync(key)) run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', opts.name, '-f', key]);
    hostKeyPub = readFileSync(`${key}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
    const config = path.join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        // sshd takes the first value of a keyword: the test's own settings go first.
        ...(opts.sshdExtra ?? []),
        `ListenAddress ${opts.netns ? '0.0.0.0' : '127.0.0.1'}`,
        `Port ${port}`,
        `HostKey ${key}`,
        'PidFile none',
        `AuthorizedKeysFile ${path.join(HARNESS, 'authorized_keys')}/%u`,
        'StrictModes no',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        'UsePAM no',
        'PrintMotd no',
        'AllowTcpForwarding yes',
        `LogLevel ${opts.logLevel ?? 'INFO'}`,
        'Subsystem sftp internal-sftp',
        '',
      ].join('\n'),
    );
    run(['/usr/sbin/sshd', '-t', '-f', config]);
    command = `/usr/sbin/sshd -D -e -f ${config}`;
  } else {
    const key = path.join(dir, 'dropbear_ed25519');
    if (!existsSync(key)) run(['dropbearkey', '-t', 'ed25519', '-f', key]);
    hostKeyPub = run(['dropbearkey', '-y', '-f', key])
      .split('\n')
      .find((l) => l.startsWith('ssh-'))!
      .split(' ')
      .slice(0, 2)
      .join(' ');
    command = `/usr/sbin/dropbear -F -E -s -p ${opts.netns ? '' : '127.0.0.1:'}${port} -r ${key}`;
  }
  const child = startProcess(`${opts.daemon ?? 'openssh'} ${opts.name}`, namespaced(opts, command), log);
  await waitForBanner(opts.netns ? '127.0.0.1' : address, port, 10000, opts.netns);
  const name = port === 22 ? address : `[${address}]:${port}`;
  return {
    name: opts.name,
    address,
    port,
    knownHostsLine: `${name} ${hostKeyPub}`,
    hostKeyPub,
    log,
    process: child,
    stop: () => stopProcess(child),
  };
}

export function writeKnownHosts(file: string, hosts: TestHost[]): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${hosts.map((h) => h.knownHostsLine).join('\n')}\n`);
  return file;
}

export function copyClientKey(to: string): string {
  copyFileSync(CLIENT_KEY, to);
  chmodSync(to, 0o600);
  return to;
}
