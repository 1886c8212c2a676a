// A libvirt session daemon of an unprivileged user (nobody, with a HOME of its own under
// the harness folder) running one transient TCG domain: what `qemu:///session` users
// have. Every process is started here and stopped by its PID.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { HARNESS } from './hosts.ts';
import { atExit, killPid, run, startProcess, stopProcess } from './processes.ts';

export const SESSION_USER = { name: 'nobody', uid: 65534, gid: 65534 };

/** argv that runs a command as the session user, with its HOME (setpriv execs: the PID is the command's). */
export function asSessionUser(home: string, argv: string[]): string[] {
  return [
    'setpriv',
    `--reuid=${SESSION_USER.uid}`,
    `--regid=${SESSION_USER.gid}`,
    '--clear-groups',
    '--',
    'env',
    `HOME=${home}`,
    'XDG_RUNTIME_DIR=',
    'LIBVIRT_AUTOSTART=0',
    `PATH=${process.env.PATH}`,
    'LANG=C.UTF-8',
    ...argv,
  ];
}

export interface Session {
  home: string;
  domain: string;
  stop(): Promise<void>;
}

export async function startSessionWithDomain(): Promise<Session> {
  // Short: QEMU's monitor socket lives below it, and a UNIX socket path has 108 bytes.
  const home = mkdtempSync(path.join(HARNESS, 'h-'));
  chownSync(home, SESSION_USER.uid, SESSION_USER.gid);
  const virsh = (...args: string[]) =>
    run(asSessionUser(home, ['virsh', '-c', 'qemu:///session', ...args]), { allowFail: true, timeoutMs: 30000 });
  const daemon = startProcess(
    'libvirtd (session)',
    asSessionUser(home, ['/usr/sbin/libvirtd']),
    path.join(HARNESS, `libvirtd-session-${process.pid}.log`),
  );
  const stopDaemons = async () => {
    await stopProcess(daemon);
    // libvirtd started the user's virtlogd itself; its pidfile names it.
    const pidFile = path.join(home, '.cache', 'libvirt', 'virtlogd.pid');
    if (existsSync(pidFile)) killPid(Number(readFileSync(pidFile, 'utf8').trim()));
  };
  atExit(() => void stopDaemons());
  const deadline = Date.now() + 60000;
  while (!virsh('version').includes('libvirt')) {
    if (Date.now() > deadline) {
      await stopDaemons();
      throw new Error('the libvirt session daemon did not answer within 60 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const domain = `nbs-${process.pid}`;
  const xml = path.join(home, 'domain.xml');
  run(['sh', '-c', `cat > '${xml}'`], {
    input: [
      `<domain type='qemu'><name>${domain}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>`,
      `<os><type arch='x86_64' machine='q35'>hvm</type></os>`,
      `<devices><emulator>/usr/bin/qemu-system-x86_64</emulator><memballoon model='none'/></devices></domain>`,
    ].join(''),
  });
  chownSync(xml, SESSION_USER.uid, SESSION_USER.gid);
  const [cmd, ...args] = asSessionUser(home, ['virsh', '-c', 'qemu:///session', 'create', xml]);
  const create = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60000, killSignal: 'SIGKILL' });
  const created = `${create.stdout}${create.stderr}`;
  const destroy = () => void virsh('destroy', domain);
  atExit(destroy);
  if (!/created/.test(created)) {
    await stopDaemons();
    throw new Error(`the session domain could not be created: ${created}`);
  }
  return {
    home,
    domain,
    async stop() {
      destroy();
      await stopDaemons();
    },
  };
}
