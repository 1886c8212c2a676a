// Errors the CLI turns into one clear line and a specific exit code.
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A host could not be reached or refused us; the other hosts go on. */
export class HostError extends Error {
  override name = 'HostError';
}

/** The output could not be written (disk full, I/O error): exit 1, said plainly. */
export class OutputError extends Error {
  override name = 'OutputError';
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
