// What a command may touch of the outside world, passed in so tests can drive it.
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stdinIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
  now(): Date;
}

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdinIsTTY: Boolean(process.stdin.isTTY),
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
  };
}

/** Prompts only when a person can answer: both ends are terminals, no CI, no --no-input. */
export function canPrompt(io: Io, inputAllowed: boolean): boolean {
  return inputAllowed && io.stdinIsTTY && Boolean(io.stdout.isTTY) && !io.env.CI;
}
