// Connection errors said in the words the user typed ("cannot resolve 'lab-l2'"), with
// what to check, instead of the resolver's or the socket's codes.
import { HostError } from '../errors.js';

const UNRESOLVED = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA']);

export interface TypedTarget {
  /** The host as typed (an alias or a name). */
  typed: string;
  /** What it resolved to through ssh_config (HostName), or the same. */
  host: string;
  port: number;
  /** The ssh_config file read, as shown to the user (~/.ssh/config, or -F FILE). */
  configName: string;
  /** The typed name is a Host of that file. */
  isAlias: boolean;
}

function codeOf(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } })?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

/** A clearer HostError for resolution and refusal; other errors unchanged. */
export function explainConnectError(error: unknown, target: TypedTarget): unknown {
  const code = codeOf(error);
  if (code && UNRESOLVED.has(code)) {
    if (!target.isAlias)
      return new HostError(`cannot resolve '${target.typed}' (not a Host in ${target.configName} either)`);
    return new HostError(
      `cannot resolve '${target.host}' (the HostName of Host ${target.typed} in ${target.configName})`,
    );
  }
  if (code === 'ECONNREFUSED') {
    const shown = target.typed === target.host ? `'${target.typed}'` : `'${target.typed}' (${target.host})`;
    return new HostError(
      `nothing listens on port ${target.port} of ${shown} (connection refused): is sshd running there, and is the port right?`,
    );
  }
  return error;
}
