// A level reached over SSH (node-ssh on ssh2). Host keys are verified against
// known_hosts before any authentication; commands run through the remote wrapper.
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { NodeSSH } from 'node-ssh';
import type ssh2 from 'ssh2';
import { HostError, messageOf } from '../errors.js';
import { BatchItem, BatchRun, dropStopped, type ExecChannel } from './batch.js';
import { ChannelPool } from './channel-pool.js';
import {
  type AuthPlan,
  authPlan,
  type ConnectQuestions,
  PausableDeadline,
  refusedMessage,
} from './connect-questions.js';
import type { HostKeyStore } from './host-key-store.js';
import type { Identity } from './identities.js';
import { loginShellCommand } from './quote.js';
import type { RemoteMode } from './remote-command.js';
import type { Privilege, RunRequest, RunResult, Transport } from './types.js';

export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
  /** Name looked up in known_hosts (HostKeyAlias, else host). */
  hostKeyName: string;
  identities: Identity[];
  /** ssh-agent socket, when SSH_AUTH_SOCK is set. */
  agent?: string;
  /** What the user typed, for messages. */
  label: string;
}

export interface ConnectOptions {
  hostKeys: HostKeyStore;
  acceptNewHostKeys: boolean;
  /** Reach the endpoint through this connection (ProxyJump). */
  via?: SshTransport;
  connectTimeoutMs?: number;
  /** Aborted on Ctrl-C / SIGTERM: connecting stops at once. */
  signal?: AbortSignal;
  /** At a terminal: ask about unknown host keys and for a password. */
  ask?: ConnectQuestions;
}

// sshd's default MaxSessions is 10; keep a margin for a second client on the same host.
const CHANNELS_PER_HOST = 8;
const OPEN_TIMEOUT_MS = 20000;
/** Linux limits one argument (the login shell's -c text) to 128 KiB, but dropbear refuses an
 * exec request longer than 9000 bytes (MAX_CMD_LEN: "String too long", and it drops the whole
 * connection): stay below that. */
const MAX_COMMAND_BYTES = 8 * 1024;

export class SshTransport implements Transport {
  privilege: Privilege = { mode: 'none', why: 'not probed yet' };
  lostReason?: string;
  private readonly channels = new ChannelPool(CHANNELS_PER_HOST);

  private constructor(
    readonly label: string,
    private readonly ssh: NodeSSH,
    private readonly client: ssh2.Client,
  ) {
    client.on('error', (error) => {
      this.lostReason ??= `connection error: ${error.message}`;
    });
    client.on('close', () => {
      this.lostReason ??= 'connection closed by the remote host';
    });
  }

  static async connect(endpoint: SshEndpoint, options: ConnectOptions): Promise<SshTransport> {
    const timeout = options.connectTimeoutMs ?? 15000;
    const { host, port } = endpoint;
    const stream = options.via ? options.via.forwardOut(host, port, timeout) : openSocket(host, port, timeout);
    const sock = await abortable(stream, options.signal, (s) => s.destroy());
    let keyProblem: string | undefined;
    // ssh2's own handshake timeout would run while a person answers a question.
    const deadline = new PausableDeadline(timeout, () => sock.destroy());
    const ask = options.ask;
    const asking = <T>(question: Promise<T>): Promise<T> => {
      deadline.pause();
      return question.finally(() => deadline.resume());
    };
    const hostVerifier = (key: Buffer, verify: (ok: boolean) => void): void => {
      // Returns nothing: ssh2 then waits for verify (a returned value is taken as the answer).
      const outcome = options.hostKeys.check(endpoint.hostKeyName, endpoint.port, key, options.acceptNewHostKeys);
      if (outcome.ok) {
        verify(true);
        return;
      }
      keyProblem = outcome.message;
      const unknown = outcome.unknown;
      if (!unknown || !ask) {
        verify(false);
        return;
      }
      const trusted = async (): Promise<boolean> => {
        if (!(await asking(ask.trustHostKey(unknown, options.hostKeys.file)))) return false;
        const added = options.hostKeys.add(unknown.name, unknown.blob);
        if (!added.ok) {
          keyProblem = added.message;
          return false;
        }
        keyProblem = undefined;
        ask.recorded(unknown, options.hostKeys.file);
        return true;
      };
      trusted().then(verify, () => verify(false));
    };
    const auth = authPlan(
      endpoint.user,
      authMethods(endpoint),
      ask && { password: () => asking(ask.password(endpoint.label)) },
    );
    const ssh = new NodeSSH();
    const onAbort = () => sock.destroy();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await ssh.connect({
        sock: sock as unknown as ssh2.ConnectConfig['sock'],
        host: endpoint.host,
        port: endpoint.port,
        username: endpoint.user,
        readyTimeout: 0,
        keepaliveInterval: 5000,
        keepaliveCountMax: 4,
        hostVerifier,
        authHandler: auth.handler as unknown as ssh2.ConnectConfig['authHandler'],
        algorithms: options.hostKeys.algorithmsFor(endpoint.hostKeyName, endpoint.port),
      } as never);
    } catch (error) {
      sock.destroy();
      if (options.signal?.aborted) throw new HostError(`${endpoint.label}: interrupted while connecting`);
      if (deadline.expired && !keyProblem) {
        throw new HostError(`${endpoint.label}: no SSH handshake within ${Math.round(timeout / 1000)} s`);
      }
      throw connectFailure(endpoint, keyProblem, messageOf(error), auth, ask !== undefined);
    } finally {
      deadline.clear();
      options.signal?.removeEventListener('abort', onAbort);
    }
    return new SshTransport(endpoint.label, ssh, ssh.connection as ssh2.Client);
  }

  forwardOut(host: string, port: number, timeoutMs = OPEN_TIMEOUT_MS): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        reject(new HostError(`${this.label}: cannot open a tunnel to ${host}:${port}: ${why}`));
      };
      if (this.lostReason) return fail(this.lostReason);
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        fail(`no answer within ${Math.round(timeoutMs / 1000)} s`);
      }, timeoutMs);
      this.client.forwardOut('127.0.0.1', 0, host, port, (error, stream) => {
        clearTimeout(timer);
        if (late) return void stream?.destroy();
        if (error) fail(error.message);
        else resolve(stream);
      });
    });
  }

  /** Runs one command (the probe, a quick check). */
  run(request: RunRequest): Promise<RunResult> {
    return this.runMany([request])[0];
  }

  /** Runs a plan's commands: slow ones in channels of their own, the rest in as few
   * shared channels (login shells) as the command length allows. */
  runMany(requests: readonly RunRequest[]): Array<Promise<RunResult>> {
    const entries = requests.map((request) => this.queue(request));
    const shared = entries.filter((e) => !e.item.request.alone).map((e) => e.item);
    for (const entry of entries) if (entry.item.request.alone) void this.runItems([entry.item]);
    for (const group of groupByCommandSize(shared)) void this.runItems(group);
    return entries.map((e) => e.result);
  }

  private queue(request: RunRequest): { item: BatchItem; result: Promise<RunResult> } {
    let resolve!: (result: RunResult) => void;
    const result = new Promise<RunResult>((r) => (resolve = r));
    const sudo = request.asRoot && this.privilege.mode === 'sudo';
    const password = sudo && this.privilege.mode === 'sudo' ? this.privilege.password : undefined;
    const mode: RemoteMode = !sudo ? 'plain' : password !== undefined ? 'sudo-password' : 'sudo';
    return { item: new BatchItem(request, mode, password, resolve), result };
  }

  /** Runs items in one channel; those after an item that had to be cut run in the next. */
  private async runItems(items: BatchItem[]): Promise<void> {
    for (let pending = dropStopped(items); pending.length; pending = dropStopped(pending)) {
      let release = () => {};
      const open = async (command: string) => {
        const lease = await this.channels.open(() => this.openExec(command));
        release = lease.release;
        return lease.channel;
      };
      try {
        pending = await new BatchRun(pending).run(open, () => this.lostReason);
      } finally {
        release();
      }
    }
  }

  /** Opens an exec channel, within a deadline: a host that never answers must not hold us. */
  private openExec(command: string): Promise<ExecChannel> {
    return new Promise((resolve, reject) => {
      if (this.lostReason) return reject(new Error(this.lostReason));
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(new Error(`no answer to a channel request within ${OPEN_TIMEOUT_MS / 1000} s`));
      }, OPEN_TIMEOUT_MS);
      this.client.exec(command, (error, channel) => {
        clearTimeout(timer);
        if (late) return void channel?.close();
        if (error) return reject(error);
        const closed = new Promise<void>((done) => channel.once('close', () => done()));
        resolve({
          stdout: channel,
          stderr: channel.stderr,
          write: (text) => void channel.write(text),
          end: () => void channel.end(),
          close: () => void channel.close(),
          closed,
        });
      });
    });
  }

  async close(): Promise<void> {
    this.lostReason ??= 'closed';
    this.ssh.dispose();
  }
}

function authMethods(endpoint: SshEndpoint): Array<Record<string, unknown>> {
  const methods: Array<Record<string, unknown>> = [];
  if (endpoint.agent) methods.push({ type: 'agent', username: endpoint.user, agent: endpoint.agent });
  for (const { key } of endpoint.identities) methods.push({ type: 'publickey', username: endpoint.user, key });
  return methods;
}

function connectFailure(
  endpoint: SshEndpoint,
  keyProblem: string | undefined,
  text: string,
  auth: AuthPlan,
  canAsk: boolean,
): HostError {
  if (keyProblem) return new HostError(keyProblem);
  const refused = /authentication methods failed/i.test(text);
  if (!refused) return new HostError(`${endpoint.label}: ssh connection failed: ${text}`);
  const tried = [endpoint.agent ? 'ssh-agent' : '', ...endpoint.identities.map((i) => i.file)].filter(Boolean);
  return new HostError(refusedMessage(endpoint, tried, auth, canAsk));
}

/** `promise`, or a HostError as soon as `signal` aborts; a late result is disposed of. */
async function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  dispose: (late: T) => void,
): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) throw new HostError('interrupted while connecting');
  let onAbort = () => {};
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(new HostError('interrupted while connecting'));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.then((value) => signal.aborted && dispose(value)).catch(() => {});
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function openSocket(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    // ssh2 does not set TCP_NODELAY; with it, small request/response exchanges stop
    // waiting on delayed ACKs (connect+auth ~210 ms -> ~46 ms on loopback).
    const sock = net.connect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new HostError(`${host}:${port}: no answer within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      resolve(sock);
    });
    sock.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why =
        error.code === 'ECONNREFUSED'
          ? 'connection refused'
          : error.code === 'ENOTFOUND'
            ? 'unknown host name'
            : error.message;
      // The cause keeps the code: connect-errors.ts says it in the words the user typed.
      reject(new HostError(`${host}:${port}: ${why}`, { cause: error }));
    });
  });
}

/** Consecutive groups whose command text stays under MAX_COMMAND_BYTES. */
function groupByCommandSize(items: BatchItem[]): BatchItem[][] {
  const groups: BatchItem[][] = [];
  let size = 0;
  for (const item of items) {
    // Each item's argv costs about what it costs alone, escaped for the login shell.
    const cost = loginShellCommand(item.request.argv).length;
    if (groups.length === 0 || size + cost > MAX_COMMAND_BYTES) {
      groups.push([]);
      size = 4096;
    }
    groups[groups.length - 1].push(item);
    size += cost;
  }
  return groups;
}
