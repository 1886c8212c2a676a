export const LEVELS = ['L0', 'L1', 'L2'] as const;
export type Level = (typeof LEVELS)[number];

export function isLevel(value: string): value is Level {
  return (LEVELS as readonly string[]).includes(value);
}

export function levelBelow(level: Level): Level | undefined {
  return level === 'L2' ? 'L1' : level === 'L1' ? 'L0' : undefined;
}
