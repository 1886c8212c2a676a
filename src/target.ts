import { UsageError } from './errors.js';

export type Target = { kind: 'local' } | { kind: 'ssh'; user?: string; host: string; port?: number; spec: string };

/** TARGET is `local`, `[user@]host[:port]`, `[user@][v6addr]:port`, or an ssh_config Host alias. */
export function parseTarget(spec: string, flag: string): Target {
  const text = spec.trim();
  if (text === 'local') return { kind: 'local' };
  if (text === '')
    throw new UsageError(`${flag}: empty target (use local, [user@]host[:port] or an ssh_config Host alias)`);
  if (/[\s'"`$;&|<>\\]/.test(text))
    throw new UsageError(`${flag}: '${spec}' is not a valid target ([user@]host[:port])`);
  let rest = text;
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (!/^[A-Za-z0-9._][A-Za-z0-9._-]*\$?$/.test(user))
      throw new UsageError(`${flag}: '${spec}' has an invalid user name`);
  }
  let host = rest;
  let port: number | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracket) {
    host = bracket[1];
    port = bracket[2] === undefined ? undefined : Number(bracket[2]);
  } else if ((rest.match(/:/g) ?? []).length === 1) {
    const [h, p] = rest.split(':');
    if (!/^\d+$/.test(p)) throw new UsageError(`${flag}: '${spec}' has an invalid port`);
    host = h;
    port = Number(p);
  }
  if (port !== undefined && (port < 1 || port > 65535))
    throw new UsageError(`${flag}: port ${port} out of range in '${spec}'`);
  if (!/^[A-Za-z0-9._:%-]+$/.test(host) || host.startsWith('-')) {
    throw new UsageError(`${flag}: '${spec}' has an invalid host name`);
  }
  return { kind: 'ssh', user, host, port, spec: text };
}

export function describeTarget(target: Target): string {
  return target.kind === 'local' ? 'local' : target.spec;
}
