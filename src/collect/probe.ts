// One small script per host tells the planner what it needs: architecture, CPU vendor,
// user, which tools exist, whether dmesg is restricted, whether sudo works.
import { Writable } from 'node:stream';
import { HostError } from '../errors.js';
import type { Privilege, Transport } from '../transport/types.js';
import type { Collector } from './collectors.js';

export interface HostFacts {
  arch: string;
  vendor?: string;
  uid: number;
  user: string;
  hostname: string;
  dmesgRestricted: boolean;
  tools: Set<string>;
  /** Inside a VM, by the CPU's hypervisor flag, /proc/sysinfo VM levels or systemd. */
  virtualized: boolean;
  virtHint?: string;
  sudo: 'ok' | 'needs-password' | 'missing' | 'not-asked';
}

export const PROBE_SCRIPT = [
  'echo "arch=$(uname -m)"',
  'echo "uid=$(id -u)"',
  'echo "user=$(id -un 2>/dev/null)"',
  'echo "hostname=$(cat /proc/sys/kernel/hostname 2>/dev/null)"',
  `echo "vendor=$(sed -n 's/^vendor_id[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)"`,
  'echo "dmesg_restrict=$(cat /proc/sys/kernel/dmesg_restrict 2>/dev/null)"',
  'grep -q -w hypervisor /proc/cpuinfo 2>/dev/null && echo hypervisor_flag=1',
  "grep -q '^VM00' /proc/sysinfo 2>/dev/null && echo sysinfo_vm=1",
  'command -v systemd-detect-virt >/dev/null 2>&1 && echo "detect_virt=$(systemd-detect-virt --vm 2>/dev/null)"',
  'want_sudo=$1; shift',
  'for t in "$@"; do command -v "$t" >/dev/null 2>&1 && echo "tool=$t"; done',
  'if [ "$want_sudo" = 1 ] && [ "$(id -u)" != 0 ]; then',
  '  if ! command -v sudo >/dev/null 2>&1; then echo sudo=missing',
  '  elif sudo -n true 2>/dev/null; then echo sudo=ok',
  '  else echo sudo=needs-password; fi',
  'fi',
  'true',
].join('\n');

export function parseProbe(text: string): HostFacts {
  const values = new Map<string, string>();
  const tools = new Set<string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).trim();
    if (key === 'tool') tools.add(value);
    else values.set(key, value);
  }
  const arch = values.get('arch');
  const uid = Number(values.get('uid'));
  if (!arch || !Number.isInteger(uid)) throw new Error('the probe printed no architecture or user id');
  const detect = values.get('detect_virt') || undefined;
  return {
    arch,
    vendor: values.get('vendor') || undefined,
    uid,
    user: values.get('user') || String(uid),
    hostname: values.get('hostname') ?? '',
    dmesgRestricted: values.get('dmesg_restrict') === '1',
    tools,
    virtualized:
      values.has('hypervisor_flag') || values.has('sysinfo_vm') || (detect !== undefined && detect !== 'none'),
    virtHint:
      detect && detect !== 'none'
        ? detect
        : values.has('sysinfo_vm')
          ? 's390x VM'
          : values.has('hypervisor_flag')
            ? 'hypervisor CPU flag'
            : undefined,
    sudo: (values.get('sudo') as HostFacts['sudo']) ?? 'not-asked',
  };
}

/** A probe or quick check prints a few hundred bytes: more is a host that floods. */
export const SMALL_OUTPUT_CAP = 64 * 1024;
/** The probe's deadline: it reads a few files and runs `command -v` a few times. */
const PROBE_TIMEOUT_MS = 20000;

/** Keeps a small output; past the cap it stops the command. */
class SmallOutput extends Writable {
  private chunks: Buffer[] = [];
  private size = 0;
  readonly stop = new AbortController();
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    if (this.size + chunk.length > SMALL_OUTPUT_CAP) this.stop.abort();
    else this.chunks.push(chunk);
    this.size += chunk.length;
    done();
  }
  get overflowed(): boolean {
    return this.stop.signal.aborted;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Runs a small command and returns its stdout (probes and quick checks). Output beyond
 * SMALL_OUTPUT_CAP stops it and comes back as a transport error. */
export async function runSmall(
  transport: Transport,
  argv: string[],
  timeoutMs: number,
  asRoot = false,
  signal?: AbortSignal,
) {
  const out = new SmallOutput();
  const stopSignal = signal ? AbortSignal.any([out.stop.signal, signal]) : out.stop.signal;
  const result = await transport.run({ argv, asRoot, timeoutMs, stdout: out, stopSignal });
  if (out.overflowed) {
    const kib = SMALL_OUTPUT_CAP / 1024;
    const transportError = `it printed more than ${kib} KiB where a few hundred bytes were expected; stopped`;
    return { ...result, transportError, stdout: '' };
  }
  return { ...result, stdout: out.text() };
}

export function toolsWanted(collectors: readonly Collector[]): string[] {
  return [...new Set(collectors.map((c) => c.tool).filter((t): t is string => t !== undefined)), 'sudo'];
}

export interface ProbeOptions {
  sudo: boolean;
  sudoPassword?: string;
  timeoutMs: number;
  /** Aborted on Ctrl-C / SIGTERM. */
  signal?: AbortSignal;
}

export async function probeHost(
  transport: Transport,
  collectors: readonly Collector[],
  options: ProbeOptions,
): Promise<HostFacts> {
  const argv = ['sh', '-c', PROBE_SCRIPT, 'nestbug', options.sudo ? '1' : '0', ...toolsWanted(collectors)];
  const timeoutMs = Math.min(options.timeoutMs, PROBE_TIMEOUT_MS);
  const result = await runSmall(transport, argv, timeoutMs, false, options.signal);
  if (result.transportError) throw new HostError(`${transport.label}: the probe failed: ${result.transportError}`);
  if (result.timedOut) {
    const why = 'a login script or ForceCommand that does not end?';
    throw new HostError(`${transport.label}: the probe got no answer within ${timeoutMs / 1000} s (${why})`);
  }
  if (result.stopped) throw new HostError(`${transport.label}: the probe was interrupted`);
  if (result.exitCode !== 0) {
    throw new HostError(
      `${transport.label}: the probe failed (exit ${result.exitCode ?? result.signal}): ${result.stderr.trim().split('\n')[0] ?? ''}`,
    );
  }
  const facts = parseProbe(result.stdout);
  transport.privilege = await decidePrivilege(transport, facts, options);
  return facts;
}

async function decidePrivilege(transport: Transport, facts: HostFacts, options: ProbeOptions): Promise<Privilege> {
  if (facts.uid === 0) return { mode: 'root' };
  if (!options.sudo) return { mode: 'none', why: `connected as ${facts.user}, not root; pass --sudo to use sudo` };
  if (facts.sudo === 'ok') return { mode: 'sudo' };
  if (facts.sudo === 'missing') return { mode: 'none', why: 'sudo is not installed' };
  if (options.sudoPassword === undefined) {
    return { mode: 'none', why: 'sudo asks for a password (run nestbug at a terminal to type it, or allow NOPASSWD)' };
  }
  transport.privilege = { mode: 'sudo', password: options.sudoPassword };
  const check = await runSmall(
    transport,
    ['true'],
    Math.min(options.timeoutMs, PROBE_TIMEOUT_MS),
    true,
    options.signal,
  );
  if (check.exitCode === 0) return transport.privilege;
  return { mode: 'none', why: 'sudo refused the password' };
}
