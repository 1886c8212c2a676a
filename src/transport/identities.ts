import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import { UsageError } from '../errors.js';

export interface Identity {
  file: string;
  key: ssh2.ParsedKey;
}

/** OpenSSH's default identities, tried when they exist. */
export function defaultIdentityFiles(home: string = os.homedir()): string[] {
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((n) => path.join(home, '.ssh', n));
}

/**
 * Parse identity files. A file the user named (-i) must load: unreadable, not a key, or a
 * wrong passphrase is a usage error. A default or ssh_config identity that is missing
 * or encrypted without a passphrase is passed over, as OpenSSH does in batch mode.
 */
export function loadIdentity(file: string, options: { explicit: boolean; passphrase?: string }): Identity | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (error) {
    if (!options.explicit) return undefined;
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`identity file ${file}: cannot read it (${code})`);
  }
  const parsed = ssh2.utils.parseKey(data, options.passphrase);
  if (parsed instanceof Error) {
    const encrypted = /passphrase/i.test(parsed.message);
    if (!options.explicit) return undefined;
    if (encrypted && options.passphrase === undefined) {
      throw new UsageError(
        `identity file ${file}: it is encrypted; load it into ssh-agent, or set NESTBUG_KEY_PASSPHRASE, or run nestbug at a terminal to be asked`,
      );
    }
    if (encrypted) throw new UsageError(`identity file ${file}: wrong passphrase`);
    throw new UsageError(`identity file ${file}: not a private key ssh can use (${parsed.message})`);
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  return { file, key };
}

export function isEncryptedKeyFile(file: string): boolean {
  try {
    const parsed = ssh2.utils.parseKey(readFileSync(file));
    return parsed instanceof Error && /passphrase/i.test(parsed.message);
  } catch {
    return false;
  }
}
