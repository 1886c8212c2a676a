// Turns each level's TARGET into a transport: local, direct SSH, or SSH through another
// level or jump host (--l1-jump l0, --l2-jump l1, ProxyJump in ~/.ssh/config).
import os from 'node:os';
import { HostError, messageOf } from '../errors.js';
import type { Level } from '../levels.js';
import { parseTarget, type Target } from '../target.js';
import { explainConnectError } from '../transport/connect-errors.js';
import type { ConnectQuestions } from '../transport/connect-questions.js';
import type { HostKeyStore } from '../transport/host-key-store.js';
import { defaultIdentityFiles, type Identity, loadIdentity } from '../transport/identities.js';
import { LocalTransport } from '../transport/local.js';
import { type SshEndpoint, SshTransport } from '../transport/ssh.js';
import type { SshConfigFile } from '../transport/ssh-config.js';
import type { Transport } from '../transport/types.js';

export type JumpSpec = { kind: 'level'; level: Level } | { kind: 'target'; target: Target };

export interface LevelSpec {
  level: Level;
  target: Target;
  jump?: JumpSpec;
}

export interface ConnectSettings {
  sshConfig: SshConfigFile;
  hostKeys: HostKeyStore;
  acceptNewHostKeys: boolean;
  /** Identities loaded from -i (already validated). */
  identities: Identity[];
  passphrase?: string;
  agent?: string;
  connectTimeoutMs: number;
  /** At a terminal: unknown host keys and passwords are asked for. */
  ask?: ConnectQuestions;
  /** Aborted on Ctrl-C / SIGTERM: connecting stops at once. */
  signal?: AbortSignal;
}

export function describeVia(spec: LevelSpec): string | undefined {
  if (!spec.jump) return undefined;
  return spec.jump.kind === 'level'
    ? spec.jump.level
    : spec.jump.target.kind === 'local'
      ? 'local'
      : spec.jump.target.spec;
}

export class Connector {
  private readonly pending = new Map<Level, Promise<Transport>>();
  private readonly opened: Transport[] = [];

  constructor(
    private readonly specs: readonly LevelSpec[],
    private readonly settings: ConnectSettings,
  ) {}

  /** Connect a level once; levels used as jumps are shared with their own collection. */
  connect(level: Level): Promise<Transport> {
    let promise = this.pending.get(level);
    if (!promise) {
      const spec = this.specs.find((s) => s.level === level);
      promise = spec
        ? this.open(spec)
        : Promise.reject(new HostError(`${level} is not a collected level, so nothing can jump through it`));
      promise.catch(() => {});
      this.pending.set(level, promise);
    }
    return promise;
  }

  private async open(spec: LevelSpec): Promise<Transport> {
    if (spec.target.kind === 'local') return this.track(new LocalTransport());
    let via: SshTransport | undefined;
    if (spec.jump?.kind === 'level') {
      let jump: Transport;
      try {
        jump = await this.connect(spec.jump.level);
      } catch (error) {
        throw new HostError(
          `cannot reach ${spec.target.spec} through ${spec.jump.level}: ${spec.jump.level} is not reachable (${messageOf(error)})`,
        );
      }
      via = jump instanceof SshTransport ? jump : undefined;
    } else if (spec.jump?.kind === 'target' && spec.jump.target.kind === 'ssh') {
      via = await this.openChain(spec.jump.target, undefined);
    }
    return this.track(await this.openChain(spec.target, via, spec.jump !== undefined));
  }

  /** Connect to a target, honouring its ProxyJump unless a jump was given explicitly. */
  private async openChain(
    target: Target & { kind: 'ssh' },
    via: SshTransport | undefined,
    explicitJump = false,
  ): Promise<SshTransport> {
    const { endpoint, proxyJump } = this.endpointFor(target);
    let hop = via;
    if (!explicitJump && !via && proxyJump) {
      for (const hopSpec of proxyJump
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        const hopTarget = parseTarget(hopSpec.replace(/^ssh:\/\//, ''), `ProxyJump of ${target.spec}`);
        if (hopTarget.kind !== 'ssh') continue;
        hop = this.track(await this.connectExplained(hopTarget, this.endpointFor(hopTarget).endpoint, hop));
      }
    }
    return this.connectExplained(target, endpoint, hop);
  }

  private async connectExplained(
    target: Target & { kind: 'ssh' },
    endpoint: SshEndpoint,
    via: SshTransport | undefined,
  ) {
    try {
      return await SshTransport.connect(endpoint, this.connectOptions(via));
    } catch (error) {
      const config = this.settings.sshConfig;
      throw explainConnectError(error, {
        typed: target.host,
        host: endpoint.host,
        port: endpoint.port,
        configName: config.source ?? '~/.ssh/config',
        isAlias: config.aliases.some((a) => a.toLowerCase() === target.host.toLowerCase()),
      });
    }
  }

  private connectOptions(via: SshTransport | undefined) {
    return {
      hostKeys: this.settings.hostKeys,
      acceptNewHostKeys: this.settings.acceptNewHostKeys,
      via,
      connectTimeoutMs: this.settings.connectTimeoutMs,
      ask: this.settings.ask,
      signal: this.settings.signal,
    };
  }

  endpointFor(target: Target & { kind: 'ssh' }): { endpoint: SshEndpoint; proxyJump?: string } {
    const config = this.settings.sshConfig.lookup(target.host);
    const host = config.hostName ?? target.host;
    const port = target.port ?? config.port ?? 22;
    const user = target.user ?? config.user ?? os.userInfo().username;
    const identities = [...this.settings.identities];
    for (const file of [...config.identityFiles, ...defaultIdentityFiles()]) {
      if (identities.some((i) => i.file === file)) continue;
      const identity = loadIdentity(file, { explicit: false, passphrase: this.settings.passphrase });
      if (identity) identities.push(identity);
    }
    return {
      endpoint: {
        host,
        port,
        user,
        hostKeyName: config.hostKeyAlias ?? host,
        identities,
        agent: this.settings.agent,
        label: `${user}@${host}${port === 22 ? '' : `:${port}`}`,
      },
      proxyJump: config.proxyJump,
    };
  }

  private track<T extends Transport>(transport: T): T {
    this.opened.push(transport);
    return transport;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.opened.reverse().map((t) => t.close().catch(() => {})));
  }
}
