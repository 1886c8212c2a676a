// Pure: the shape most line-oriented items share.

/** One row per line whose trimmed text matches `pattern`, with the line's number (1-based) and text. */
export function rowsOf<Row>(
  text: string,
  pattern: RegExp,
  build: (m: RegExpExecArray) => Row,
): (Row & { line: number; text: string })[] {
  const rows: (Row & { line: number; text: string })[] = [];
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    const m = pattern.exec(trimmed);
    if (m) rows.push({ ...build(m), line: index + 1, text: trimmed });
  });
  return rows;
}
