export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  partial: 3,
  checkFailed: 4,
  interrupted: 130,
} as const;

/** 3 (partial) wins over 4 (a check failed); warn and unknown do not count. */
export function collectExitCode(outcome: { partial: boolean; interrupted: boolean; anyCheckFailed: boolean }): number {
  if (outcome.interrupted) return EXIT.interrupted;
  if (outcome.partial) return EXIT.partial;
  if (outcome.anyCheckFailed) return EXIT.checkFailed;
  return EXIT.ok;
}
