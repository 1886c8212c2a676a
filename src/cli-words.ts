// The first word of the command line, looked at before the option parser: a mistyped
// command is an error with a suggestion (collect is the default command, so the parser
// alone would take "colect" as a stray argument), `help WORD` must name a command, and
// `version` is a command like the others.

export type FirstWord = { kind: 'pass' } | { kind: 'version' } | { kind: 'error'; message: string };

/** Edit distance, for "did you mean". */
export function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_v, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

export function suggestion(word: string, commands: readonly string[]): string {
  const best = commands
    .map((c) => ({ c, d: distance(word.toLowerCase(), c) }))
    .filter(({ c, d }) => d <= Math.max(2, Math.floor(c.length / 3)) || c.startsWith(word.toLowerCase()))
    .sort((x, y) => x.d - y.d)[0];
  return best ? ` (did you mean ${best.c}?)` : ` (commands: ${commands.join(', ')})`;
}

export function firstWord(argv: readonly string[], commands: readonly string[]): FirstWord {
  const [word, next] = argv;
  if (word === undefined || word.startsWith('-')) return { kind: 'pass' };
  if (word === 'version')
    return argv.length === 1 ? { kind: 'version' } : { kind: 'error', message: 'version takes no arguments' };
  if (word === 'help') {
    if (next === undefined || next.startsWith('-') || commands.includes(next)) return { kind: 'pass' };
    return { kind: 'error', message: `no help for '${next}': not a command${suggestion(next, commands)}` };
  }
  if (commands.includes(word)) return { kind: 'pass' };
  return { kind: 'error', message: `unknown command '${word}'${suggestion(word, commands)}` };
}
