// What ~/.ssh/config says about a target: HostName, User, Port, IdentityFile,
// ProxyJump, HostKeyAlias. `Match exec` is never run (reading a config must not
// execute anything), Include is expanded here because the library does not.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SSHConfig from 'ssh-config';

export interface HostConfig {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  proxyJump?: string;
  hostKeyAlias?: string;
  hashKnownHosts?: boolean;
}

export interface SshConfigFile {
  /** Host aliases written without wildcards, for the wizard. */
  aliases: string[];
  /** The file read, as shown in messages (~/.ssh/config, or the -F file). */
  source?: string;
  lookup(host: string): HostConfig;
}

const MAX_INCLUDE_DEPTH = 16;

function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p;
}

function globFiles(pattern: string): string[] {
  const parts = pattern.split('/');
  let bases = [parts[0] === '' ? '/' : parts[0]];
  for (const part of parts.slice(1)) {
    if (part === '') continue;
    const next: string[] = [];
    for (const base of bases) {
      if (!/[*?[]/.test(part)) {
        next.push(path.join(base, part));
        continue;
      }
      const re = new RegExp(
        `^${part
          .replace(/[.+^${}()|\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      );
      let names: string[] = [];
      try {
        names = readdirSync(base).sort();
      } catch {
        continue;
      }
      for (const name of names) if (re.test(name)) next.push(path.join(base, name));
    }
    bases = next;
  }
  return bases.filter((f) => {
    try {
      return statSync(f).isFile();
    } catch {
      return false;
    }
  });
}

function readWithIncludes(file: string, home: string, depth = 0): string {
  if (depth > MAX_INCLUDE_DEPTH) return '';
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return '';
  }
  return text
    .split('\n')
    .map((line) => {
      const m = /^\s*include\s+(.+)$/i.exec(line);
      if (!m) return line;
      return m[1]
        .trim()
        .split(/\s+/)
        .map((p) => {
          const expanded = expandHome(p.replace(/^"|"$/g, ''), home);
          const absolute = path.isAbsolute(expanded) ? expanded : path.join(home, '.ssh', expanded);
          return globFiles(absolute)
            .map((f) => readWithIncludes(f, home, depth + 1))
            .join('\n');
        })
        .join('\n');
    })
    .join('\n');
}

function first(value: unknown): string | undefined {
  if (Array.isArray(value)) return value.length ? String(value[0]) : undefined;
  return typeof value === 'string' ? value : undefined;
}

export function parseSshConfig(text: string, home: string = os.homedir()): SshConfigFile {
  const config = SSHConfig.parse(text);
  const aliases: string[] = [];
  for (const line of config) {
    if (line.type === SSHConfig.DIRECTIVE && /^host$/i.test(line.param)) {
      const values = Array.isArray(line.value) ? line.value.map((v) => v.val) : String(line.value).split(/\s+/);
      for (const v of values) if (v && !/[*?!]/.test(v)) aliases.push(v);
    }
  }
  return {
    aliases,
    lookup(host: string): HostConfig {
      const c = config.compute(host, { ignoreCase: true, matchExec: false }) as Record<string, unknown>;
      const hostName = first(c.hostname);
      const user = first(c.user);
      const portText = first(c.port);
      const identityFiles = ((Array.isArray(c.identityfile) ? c.identityfile : []) as string[]).map((f) =>
        expandHome(
          f
            .replace(/%d/g, home)
            .replace(/%u/g, os.userInfo().username)
            .replace(/%h/g, hostName ?? host)
            .replace(/%r/g, user ?? os.userInfo().username)
            .replace(/%%/g, '%'),
          home,
        ),
      );
      const proxyJump = first(c.proxyjump);
      return {
        hostName: hostName?.replace(/%h/g, host),
        user,
        port: portText && /^\d+$/.test(portText) ? Number(portText) : undefined,
        identityFiles,
        proxyJump: proxyJump && proxyJump.toLowerCase() !== 'none' ? proxyJump : undefined,
        hostKeyAlias: first(c.hostkeyalias),
        hashKnownHosts: first(c.hashknownhosts)?.toLowerCase() === 'yes',
      };
    },
  };
}

/** ~/.ssh/config, or the -F file (with Includes); an empty config when there is none. */
export function loadSshConfig(home: string = os.homedir(), file?: string): SshConfigFile {
  const config = parseSshConfig(readWithIncludes(file ?? path.join(home, '.ssh', 'config'), home), home);
  return { ...config, source: file ?? '~/.ssh/config' };
}
