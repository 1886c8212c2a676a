// summary.md and summary.txt travel as one string through redaction (one mapping for
// both); a marker no host text can hold separates them.
const MARKER = '\u0000\u0001nestbug-summary-txt\u0001\u0000';

export function joinSummaries(markdown: string, text: string | undefined): string {
  return text === undefined ? markdown : `${markdown}${MARKER}${text}`;
}

export function splitSummaries(joined: string): [string, string | undefined] {
  const at = joined.indexOf(MARKER);
  return at < 0 ? [joined, undefined] : [joined.slice(0, at), joined.slice(at + MARKER.length)];
}
