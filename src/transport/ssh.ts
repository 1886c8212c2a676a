// A level reached over SSH (node-ssh on ssh2). Host keys are verified against
// known_hosts before any authentication; commands run through the remote wrapper.
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { NodeSSH } from 'node-ssh';
import type ssh2 from 'ssh2';
import { HostError, messageOf } from '../errors.js';
import type { Identity } from './identities.js';
import { type HostKeyStore } from './host-key-store.js';
import { type RemoteMode, remoteCommand } from './remote-command.js';
import { BATCH_SCRIPT, BatchDemux, batchToken } from './batch.js';
import { quoteArgv } from './quote.js';
import { Semaphore } from '../util/semaphore.js';
import { type Privilege, type RunRequest, type RunResult, STOPPED_BEFORE_START, StderrExcerpt, type Transport } from './types.js';

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
}

// sshd's default MaxSessions is 10; keep a margin for a second client on the same host.
const CHANNELS_PER_HOST = 8;
const CHANNEL_RETRY_MS = [50, 100, 200, 400, 800, 1600];
const KILL_GRACE_MS = 3000;
/** Items of one plan start within a few milliseconds of each other (each first creates
 * its spool folder): waiting this long puts them in one batch, one login shell. */
const BATCH_WINDOW_MS = 15;

interface Queued {
  request: RunRequest;
  resolve(result: RunResult): void;
}

export class SshTransport implements Transport {
  privilege: Privilege = { mode: 'none', why: 'not probed yet' };
  lostReason?: string;
  private readonly channels = new Semaphore(CHANNELS_PER_HOST);
  private queue: Queued[] = [];
  private flushScheduled = false;

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
    const sock = options.via
      ? await options.via.forwardOut(endpoint.host, endpoint.port)
      : await openSocket(endpoint.host, endpoint.port, timeout);
    let keyProblem: string | undefined;
    const hostVerifier = (key: Buffer): boolean => {
      // Must stay synchronous: ssh2 treats a returned Promise as acceptance.
      const outcome = options.hostKeys.check(endpoint.hostKeyName, endpoint.port, key, options.acceptNewHostKeys);
      if (outcome.ok) return true;
      keyProblem = outcome.message;
      return false;
    };
    const authHandler: Array<Record<string, unknown>> = [];
    if (endpoint.agent) authHandler.push({ type: 'agent', username: endpoint.user, agent: endpoint.agent });
    for (const identity of endpoint.identities) authHandler.push({ type: 'publickey', username: endpoint.user, key: identity.key });
    const ssh = new NodeSSH();
    try {
      await ssh.connect({
        sock: sock as unknown as ssh2.ConnectConfig['sock'],
        host: endpoint.host,
        port: endpoint.port,
        username: endpoint.user,
        readyTimeout: timeout,
        keepaliveInterval: 5000,
        keepaliveCountMax: 4,
        hostVerifier,
        authHandler: authHandler as unknown as ssh2.ConnectConfig['authHandler'],
        algorithms: options.hostKeys.algorithmsFor(endpoint.hostKeyName, endpoint.port),
      } as never);
    } catch (error) {
      sock.destroy();
      if (keyProblem) throw new HostError(keyProblem);
      const text = messageOf(error);
      if (/authentication methods failed/i.test(text)) {
        const tried = [endpoint.agent ? 'ssh-agent' : '', ...endpoint.identities.map((i) => i.file)].filter(Boolean);
        throw new HostError(
          `${endpoint.label}: ${endpoint.user} was refused by the server (tried ${tried.length ? tried.join(', ') : 'no key: pass -i FILE or start ssh-agent'})`,
        );
      }
      throw new HostError(`${endpoint.label}: ssh connection failed: ${text}`);
    }
    const client = ssh.connection as ssh2.Client;
    return new SshTransport(endpoint.label, ssh, client);
  }

  forwardOut(host: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      if (this.lostReason) return reject(new HostError(`${this.label}: cannot reach ${host}:${port} through it: ${this.lostReason}`));
      this.client.forwardOut('127.0.0.1', 0, host, port, (error, stream) => {
        if (error) reject(new HostError(`${this.label}: cannot open a tunnel to ${host}:${port}: ${error.message}`));
        else resolve(stream);
      });
    });
  }

  /** Requests made within BATCH_WINDOW_MS share one channel (one login shell); slow ones,
   * and those that need sudo's password on stdin, get a channel of their own. */
  run(request: RunRequest): Promise<RunResult> {
    const needsPassword = request.asRoot && this.privilege.mode === 'sudo' && this.privilege.password !== undefined;
    if (request.alone || needsPassword) return this.channels.use(() => this.runAlone(request));
    return new Promise((resolve) => {
      this.queue.push({ request, resolve });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setTimeout(() => {
          this.flushScheduled = false;
          const batch = this.queue.splice(0);
          void this.channels.use(() => this.runBatch(batch));
        }, BATCH_WINDOW_MS);
      }
    });
  }

  private commandText(request: RunRequest): string {
    const sudo = request.asRoot && this.privilege.mode === 'sudo' ? ['sudo', '-n', '--'] : [];
    return quoteArgv([...sudo, ...request.argv]);
  }

  private async runBatch(queued: Queued[]): Promise<void> {
    // Stopped while waiting for a channel (Ctrl-C): nothing to run.
    const items = queued.filter((q) => !q.request.stopSignal?.aborted);
    for (const q of queued) if (q.request.stopSignal?.aborted) q.resolve(STOPPED_BEFORE_START);
    if (items.length === 0) return;
    if (items.length === 1) return items[0].resolve(await this.runAlone(items[0].request));
    const started = Date.now();
    const fail = (transportError: string) => ({ exitCode: null, signal: null, timedOut: false, stopped: false, stderr: '', durationMs: Date.now() - started, transportError });
    // Listen for stops before the channel opens: a Ctrl-C while it opens must not be lost.
    const stopped = items.map((q) => q.request.stopSignal?.aborted === true);
    let onStopped = () => {};
    items.forEach((q, i) => q.request.stopSignal?.addEventListener('abort', () => ((stopped[i] = true), onStopped()), { once: true }));
    const token = batchToken();
    const argv = ['sh', '-c', BATCH_SCRIPT, 'nestbug', token, ...items.flatMap((q, i) => [String(i), this.commandText(q.request)])];
    let opened;
    try {
      opened = await this.openExec(remoteCommand(argv, 'plain'));
    } catch (error) {
      for (const q of items) q.resolve(fail(messageOf(error)));
      return;
    }
    const { channel, closed } = opened;
    const done = new Array<boolean>(items.length).fill(false);
    const stderr = items.map(() => new StderrExcerpt());
    let timedOutIndex = -1;
    let itemStart = Date.now();
    let timer: NodeJS.Timeout | undefined;
    let stopping = false;
    const stopChannel = () => {
      if (stopping) return;
      stopping = true;
      channel.end();
      setTimeout(() => channel.close(), KILL_GRACE_MS).unref();
    };
    let current = 0;
    let cutAt = -1;
    const stopIfAllStopped = () => {
      // Interrupted (every unfinished item stopped): stop the whole batch. The running item
      // stopped alone (its output reached the cap): stop the batch there and run the rest
      // again, as after a timeout.
      if (items.every((_q, j) => done[j] || stopped[j])) stopChannel();
      else if (stopped[current] && !done[current]) {
        cutAt = current;
        stopChannel();
      }
    };
    let channelClosed = false;
    const begin = (i: number) => {
      current = i;
      itemStart = Date.now();
      clearTimeout(timer);
      // Output still draining after the channel closed needs no new timer.
      if (i >= items.length || channelClosed) return;
      items[i].request.onStart?.();
      timer = setTimeout(() => {
        timedOutIndex = i;
        cutAt = i;
        stopChannel();
      }, items[i].request.timeoutMs);
      // The channel keeps the process alive while it runs; the timer must not outlive it.
      timer.unref();
    };
    onStopped = stopIfAllStopped;
    stopIfAllStopped();
    // stdout and stderr are separate streams: an item is finished when both have passed its
    // end marker (what it printed on stderr, e.g. the reason of its exit status, is known).
    const exitCodes = new Array<number | undefined>(items.length);
    const stderrEnded = new Array<boolean>(items.length).fill(false);
    const durations = new Array<number>(items.length).fill(0);
    const finish = (i: number) => {
      if (done[i] || exitCodes[i] === undefined) return;
      done[i] = true;
      items[i].resolve({ exitCode: exitCodes[i]!, signal: null, timedOut: false, stopped: stopped[i], stderr: stderr[i].text(), durationMs: durations[i] });
    };
    const out = new BatchDemux(token, {
      data: (i, chunk) => {
        if (stopped[i] || i >= items.length) return;
        return new Promise<void>((resolve) => items[i].request.stdout.write(chunk, () => resolve()));
      },
      end: (i, exitCode) => {
        if (i >= items.length || exitCodes[i] !== undefined) return;
        exitCodes[i] = exitCode;
        durations[i] = Date.now() - itemStart;
        if (stderrEnded[i]) finish(i);
        begin(i + 1);
      },
    });
    const err = new BatchDemux(token, {
      data: (i, chunk) => void (i < items.length && stderr[i].add(chunk)),
      end: (i) => {
        if (i >= items.length) return;
        stderrEnded[i] = true;
        finish(i);
      },
    });
    channel.pipe(out);
    channel.stderr.pipe(err);
    begin(0);
    await closed;
    channelClosed = true;
    clearTimeout(timer);
    // A channel closed without EOF (stopped, or the connection dropped) never ends the pipes.
    for (const demux of [out, err]) {
      if (!demux.writableEnded) demux.end();
      await new Promise<void>((resolve) => (demux.writableFinished ? resolve() : demux.once('finish', () => resolve())));
    }
    // An item whose exit status came but whose stderr marker did not (the channel was cut):
    // finished, with the stderr that arrived.
    items.forEach((_q, i) => finish(i));
    // What did not finish: the item that timed out, stopped items, and the ones after the
    // item the batch was cut at, which run again in a new batch.
    const again: Queued[] = [];
    items.forEach((q, i) => {
      if (done[i]) return;
      if (i === timedOutIndex) q.resolve({ exitCode: null, signal: null, timedOut: true, stopped: false, stderr: stderr[i].text(), durationMs: Date.now() - itemStart });
      else if (stopped[i]) q.resolve({ exitCode: null, signal: null, timedOut: false, stopped: true, stderr: stderr[i].text(), durationMs: 0 });
      else if (cutAt >= 0 && i > cutAt && !this.lostReason) again.push(q);
      else q.resolve(fail(this.lostReason ?? 'the batch channel closed early'));
    });
    if (again.length) void this.channels.use(() => this.runBatch(again));
  }

  private async runAlone(request: RunRequest): Promise<RunResult> {
    if (request.stopSignal?.aborted) return STOPPED_BEFORE_START;
    const started = Date.now();
    request.onStart?.();
    const mode: RemoteMode = !request.asRoot || this.privilege.mode !== 'sudo' ? 'plain' : this.privilege.password !== undefined ? 'sudo-password' : 'sudo';
    const command = remoteCommand(request.argv, mode);
    let channel: ssh2.ClientChannel;
    let exit: { code: number | null; signal: string | null };
    let closed: Promise<void>;
    try {
      ({ channel, exit, closed } = await this.openExec(command));
    } catch (error) {
      return { exitCode: null, signal: null, timedOut: false, stopped: false, stderr: '', durationMs: Date.now() - started, transportError: messageOf(error) };
    }
    if (mode === 'sudo-password' && this.privilege.mode === 'sudo') channel.write(`${this.privilege.password}\n`);
    const stderr = new StderrExcerpt();
    let timedOut = false;
    let stopped = false;
    const stopRemote = () => {
      // EOF on the channel's stdin makes the remote wrapper kill the command's process group.
      channel.end();
      setTimeout(() => channel.close(), KILL_GRACE_MS).unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stopRemote();
    }, request.timeoutMs);
    timer.unref();
    const onStop = () => {
      stopped = true;
      stopRemote();
    };
    request.stopSignal?.addEventListener('abort', onStop, { once: true });
    // Stopped while the channel was opening: the listener came too late.
    if (request.stopSignal?.aborted) onStop();
    channel.stderr.on('data', (chunk: Buffer) => stderr.add(chunk));
    channel.pipe(request.stdout, { end: false });
    await closed;
    channel.unpipe(request.stdout);
    clearTimeout(timer);
    request.stopSignal?.removeEventListener('abort', onStop);
    const lost = exit.code === null && exit.signal === null && !timedOut && !stopped;
    return {
      exitCode: exit.code,
      signal: exit.signal,
      timedOut,
      stopped,
      stderr: stderr.text(),
      durationMs: Date.now() - started,
      transportError: lost ? this.lostReason ?? 'the channel closed without an exit status' : undefined,
    };
  }

  /** Opens an exec channel. The exit listener is attached inside ssh2's callback: a fast
   * command's exit-status can arrive in the same packet batch as the exec reply, before
   * any awaiting code runs, and ssh2 does not replay that event. */
  private async openExec(command: string): Promise<{ channel: ssh2.ClientChannel; exit: { code: number | null; signal: string | null }; closed: Promise<void> }> {
    for (let attempt = 0; ; attempt++) {
      if (this.lostReason) throw new Error(this.lostReason);
      try {
        return await new Promise((resolve, reject) => {
          this.client.exec(command, (error, channel) => {
            if (error) return reject(error);
            const exit = { code: null as number | null, signal: null as string | null };
            channel.on('exit', (code: number | null, sig?: string) => {
              exit.code = code;
              exit.signal = sig ?? null;
            });
            const closed = new Promise<void>((done) => channel.once('close', () => done()));
            resolve({ channel, exit, closed });
          });
        });
      } catch (error) {
        // A server at its session limit answers "open failed"; dropbear sometimes refuses an
        // exec request under load. Either way the command never started: retry it.
        if (attempt >= CHANNEL_RETRY_MS.length || !/open fail|Unable to exec/i.test(messageOf(error))) throw error;
        await new Promise((r) => setTimeout(r, CHANNEL_RETRY_MS[attempt]));
      }
    }
  }

  async close(): Promise<void> {
    this.lostReason ??= 'closed';
    this.ssh.dispose();
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
      reject(new HostError(`${host}:${port}: ${error.code === 'ECONNREFUSED' ? 'connection refused' : error.code === 'ENOTFOUND' ? 'unknown host name' : error.message}`));
    });
  });
}
