// Pure: text from hosts shown in Markdown without breaking out of its place:
// inline values become code spans (no HTML, no links), blocks get a fence longer than
// any backtick run they contain.
export function code(text: string, max = 200): string {
  let t = text.replace(/[\r\n\t]+/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '?');
  if (t.length > max) t = `${t.slice(0, max - 3)}...`;
  if (t.trim() === '') return '';
  const longest = Math.max(0, ...[...t.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = t.startsWith('`') || t.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${t}${pad}${fence}`;
}

/** A code span safe inside a GitHub table cell. */
export function cell(text: string | undefined, max = 200): string {
  if (text === undefined || text === '') return '-';
  return code(text, max).replace(/\|/g, '\\|');
}

export function fenced(text: string, info = ''): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${info}\n${text.replace(/\n$/, '')}\n${fence}`;
}

const ZWSP = '\u200b';

/** Our sentences may carry host text (guest names, kernel messages): escape what could
 * become HTML, a link, an image, code or a table cell, and defuse autolinks. */
export function escapeText(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/[\\`*[\]|~<>&]/g, (ch) => (ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : ch === '&' ? '&amp;' : `\\${ch}`))
    .replace(/:\/\//g, `:/${ZWSP}/`)
    .replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}${ZWSP}.`)
    .replace(/@(?=[A-Za-z0-9-]+\.)/g, `${ZWSP}@`);
}

export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_m, key: string) => values[key] ?? '');
}
