// Pure: a clue a level's own evidence gives about what it runs on.
import type { Clue, RunsOn, Strength } from './types.js';

export function insideClue(
  says: RunsOn,
  strength: Strength,
  why: string,
  file: string,
  line: number | undefined,
  text: string,
): Clue {
  return { view: 'inside', says, strength, why, file, line, text };
}
