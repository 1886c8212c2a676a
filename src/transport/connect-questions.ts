// What a connection may ask the person at the terminal, as ssh does: whether to trust an
// unknown host key, and a login password when the server offers one and no key works.
// Without a terminal nobody is asked and the error says how to do without.
import type { UnknownHostKey } from './host-key-store.js';

export interface ConnectQuestions {
  /** Shows the key type and fingerprint; true when the person trusts it. */
  trustHostKey(key: UnknownHostKey, knownHostsFile: string): Promise<boolean>;
  /** Said after a trusted key was recorded. */
  recorded(key: UnknownHostKey, knownHostsFile: string): void;
  /** The login password for user@host; undefined when the person gives none. */
  password(label: string): Promise<string | undefined>;
  /** What the person chose, for the equivalent command line. */
  readonly choices: { trustedHostKeys: string[]; passwordLogins: string[] };
}

/** ssh's short name of a key type: ED25519, RSA, ECDSA. */
export function shortKeyType(keyType: string): string {
  if (keyType === 'ssh-ed25519') return 'ED25519';
  if (keyType === 'ssh-rsa') return 'RSA';
  if (keyType.startsWith('ecdsa-')) return 'ECDSA';
  if (keyType === 'ssh-dss') return 'DSA';
  return keyType.toUpperCase();
}

export function hostKeyQuestionText(key: UnknownHostKey, label: string): string {
  const shown = label === key.name ? `'${key.name}'` : `'${label}' (${key.name})`;
  return [
    `The authenticity of host ${shown} can't be established.`,
    `${shortKeyType(key.keyType)} key fingerprint is ${key.fingerprint}.`,
    'This key is not known by any other names.',
  ].join('\n');
}

export function recordedText(key: UnknownHostKey, knownHostsFile: string): string {
  return `Warning: Permanently added '${key.name}' (${shortKeyType(key.keyType)}) to the list of known hosts (${knownHostsFile}).`;
}

/** The answer to "(yes/no/[fingerprint])": the fingerprint typed counts as yes. */
export function parseTrustAnswer(answer: string, fingerprint: string): 'yes' | 'no' | undefined {
  const a = answer.trim();
  if (/^yes$/i.test(a) || a === fingerprint || `SHA256:${a}` === fingerprint) return 'yes';
  if (/^no$/i.test(a)) return 'no';
  return undefined;
}

/** Ctrl-C at a question stops the run as Ctrl-C anywhere else does (the prompt library
 * took the keypress, so the signal is raised again). */
async function interruptible<T>(ask: () => Promise<T>, declined: T): Promise<T> {
  try {
    return await ask();
  } catch (error) {
    if ((error as { name?: string })?.name === 'ExitPromptError') process.kill(process.pid, 'SIGINT');
    return declined;
  }
}

/** Questions at a real terminal; one at a time (levels connect side by side). */
export function terminalQuestions(out: NodeJS.WritableStream): ConnectQuestions {
  let queue: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(ask: () => Promise<T>): Promise<T> => {
    const next = queue.then(ask, ask);
    queue = next.catch(() => undefined);
    return next;
  };
  const choices = { trustedHostKeys: [] as string[], passwordLogins: [] as string[] };
  return {
    choices,
    trustHostKey: (key) =>
      oneAtATime(() =>
        interruptible(async () => {
          const { input } = await import('@inquirer/prompts');
          out.write(`${hostKeyQuestionText(key, key.name)}\n`);
          const answer = await input({
            message: 'Are you sure you want to continue connecting (yes/no/[fingerprint])?',
            validate: (v) =>
              parseTrustAnswer(v, key.fingerprint) ? true : "Please type 'yes', 'no' or the fingerprint",
          });
          const yes = parseTrustAnswer(answer, key.fingerprint) === 'yes';
          if (yes) choices.trustedHostKeys.push(key.name);
          return yes;
        }, false),
      ),
    recorded: (key, file) => out.write(`${recordedText(key, file)}\n`),
    password: (label) =>
      oneAtATime(() =>
        interruptible(async () => {
          const { password } = await import('@inquirer/prompts');
          const typed = await password({
            message: `${label}'s password (kept in memory only, never written):`,
            mask: '*',
          });
          if (typed === '') return undefined;
          choices.passwordLogins.push(label);
          return typed;
        }, undefined),
      ),
  };
}

/** A connection deadline that stops while a person is answering a question. */
export class PausableDeadline {
  private timer?: NodeJS.Timeout;
  private left: number;
  private startedAt = 0;
  expired = false;

  constructor(
    ms: number,
    private readonly onExpire: () => void,
  ) {
    this.left = ms;
    this.resume();
  }

  pause(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.left -= Date.now() - this.startedAt;
  }

  resume(): void {
    if (this.timer || this.expired) return;
    this.startedAt = Date.now();
    this.timer = setTimeout(
      () => {
        this.expired = true;
        this.onExpire();
      },
      Math.max(this.left, 0),
    );
    this.timer.unref();
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

type AuthMethod = Record<string, unknown>;
type AuthCallback = (next: AuthMethod | false) => void;

export interface AuthPlan {
  /** ssh2's authHandler: keys first, then the password when offered and a person can answer. */
  handler(methodsLeft: string[] | null, partial: boolean | null, next: AuthCallback): AuthMethod | false | undefined;
  /** The server offered password or keyboard-interactive. */
  passwordOffered(): boolean;
  /** The person declined to type a password. */
  passwordDeclined(): boolean;
}

export function authPlan(
  user: string,
  keys: AuthMethod[],
  ask: { password(): Promise<string | undefined> } | undefined,
): AuthPlan {
  let index = 0;
  let asked = false;
  let offered = false;
  let declined = false;
  return {
    passwordOffered: () => offered,
    passwordDeclined: () => declined,
    handler(methodsLeft, _partial, next) {
      // The first call comes before the server said what it accepts.
      if (methodsLeft === null && keys.length === 0) return { type: 'none', username: user };
      if (index < keys.length) return keys[index++];
      const left = methodsLeft ?? [];
      const kind = left.includes('password')
        ? 'password'
        : left.includes('keyboard-interactive')
          ? 'keyboard-interactive'
          : undefined;
      if (!kind) return false;
      offered = true;
      if (!ask || asked) return false;
      asked = true;
      void ask.password().then(
        (password) => {
          if (password === undefined) {
            declined = true;
            return next(false);
          }
          if (kind === 'password') return next({ type: 'password', username: user, password });
          next({
            type: 'keyboard-interactive',
            username: user,
            prompt: (_n: string, _i: string, _l: string, prompts: unknown[], finish: (answers: string[]) => void) =>
              finish(prompts.map(() => password)),
          });
        },
        () => next(false),
      );
      return undefined;
    },
  };
}

/** The refusal, in words that say what to do. */
export function refusedMessage(
  to: { label: string; user: string; host: string; port: number },
  tried: string[],
  plan: AuthPlan,
  canAsk: boolean,
): string {
  const keys = tried.length ? `tried ${tried.join(', ')}` : 'no key to offer: pass -i FILE or start ssh-agent';
  if (!plan.passwordOffered()) return `${to.label}: ${to.user} was refused by the server (${keys})`;
  if (plan.passwordDeclined()) return `${to.label}: no password given, and no key was accepted (${keys})`;
  if (canAsk) return `${to.label}: ${to.user} was refused: wrong password, and no key was accepted (${keys})`;
  const copy = `ssh-copy-id ${to.port === 22 ? '' : `-p ${to.port} `}${to.user}@${to.host}`;
  return (
    `${to.label}: the server wants a password for ${to.user} (${keys}); nestbug asks for one only at a terminal. ` +
    `To run without it, install a key once (${copy}), then pass -i KEY or use ssh-agent`
  );
}
