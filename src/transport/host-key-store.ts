// Known host keys from the user's known_hosts (written on --accept-new-host-keys) and the
// system-wide file (read only). The check is synchronous on purpose: see ssh.ts.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  fingerprint,
  hostKeyName,
  type KnownHostEntry,
  keyTypeOf,
  knownHostsLine,
  knownKeyAlgorithms,
  parseKnownHosts,
  verifyHostKey,
} from './known-hosts.js';

/** An unknown key names what a person needs to decide whether to trust it. */
export interface UnknownHostKey {
  name: string;
  keyType: string;
  fingerprint: string;
  blob: Buffer;
}

export type HostKeyOutcome = { ok: true; added?: boolean } | { ok: false; message: string; unknown?: UnknownHostKey };

export class HostKeyStore {
  private entries: KnownHostEntry[] = [];

  constructor(
    private readonly userFile: string,
    systemFiles: string[] = ['/etc/ssh/ssh_known_hosts'],
    private readonly hashNewEntries = false,
  ) {
    for (const file of [userFile, ...systemFiles]) {
      let text = '';
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      this.entries.push(...parseKnownHosts(text, file));
    }
  }

  algorithmsFor(host: string, port: number): { serverHostKey: string[] } | undefined {
    const algorithms = knownKeyAlgorithms(this.entries, hostKeyName(host, port));
    return algorithms ? { serverHostKey: algorithms } : undefined;
  }

  /** The known_hosts file new keys are written to. */
  get file(): string {
    return this.userFile;
  }

  check(host: string, port: number, blob: Buffer, acceptNew: boolean): HostKeyOutcome {
    const name = hostKeyName(host, port);
    const verdict = verifyHostKey(this.entries, name, blob);
    const shown = `${keyTypeOf(blob)} ${fingerprint(blob)}`;
    switch (verdict.status) {
      case 'ok':
        return { ok: true };
      case 'revoked':
        return {
          ok: false,
          message: `${name}: host key ${shown} is marked @revoked in ${verdict.entry.file}:${verdict.entry.line}; refusing to connect`,
        };
      case 'changed':
        return {
          ok: false,
          message: `${name}: HOST KEY CHANGED: the server offers ${shown} but ${verdict.entry.file}:${verdict.entry.line} holds another key; someone could be intercepting the connection. If the change is expected, remove that line (ssh-keygen -R '${name}') and rerun`,
        };
      case 'unknown': {
        if (!acceptNew) {
          return {
            ok: false,
            message: `${name}: unknown host key ${shown}; check the fingerprint, then rerun with --accept-new-host-keys (or add it to ${this.userFile})`,
            unknown: { name, keyType: keyTypeOf(blob), fingerprint: fingerprint(blob), blob },
          };
        }
        return this.add(name, blob);
      }
    }
  }

  /** Records a key (accepted with --accept-new-host-keys or at the prompt) in the user's file. */
  add(name: string, blob: Buffer): HostKeyOutcome {
    const line = knownHostsLine(name, blob, this.hashNewEntries);
    try {
      mkdirSync(path.dirname(this.userFile), { recursive: true, mode: 0o700 });
      appendFileSync(this.userFile, line, { mode: 0o600 });
    } catch (error) {
      return {
        ok: false,
        message: `${name}: cannot record the new host key in ${this.userFile}: ${(error as Error).message}`,
      };
    }
    this.entries.push(...parseKnownHosts(line, this.userFile));
    return { ok: true, added: true };
  }
}
