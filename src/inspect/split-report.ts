// Pure: the body of a bug report (several pasted outputs under whatever headings the
// reporter typed: "## L0", "cpuinfo from L1:", "$ cat /proc/cpuinfo", code fences) split
// into the items it holds, in bundle layout, and what could not be placed.
import type { Level } from '../levels.js';
import { asItemText, defaultLevel, levelNamed, type PastedItem, recognise } from './recognise.js';

export interface PlacedPart {
  item: PastedItem;
  level: Level;
  /** 1-based lines of the report. */
  from: number;
  to: number;
  /** How the level was decided. */
  levelFrom: 'heading' | 'default';
}

export interface UnplacedPart {
  from: number;
  to: number;
  firstLine: string;
}

export interface SplitReport {
  files: Map<string, string>;
  placed: PlacedPart[];
  unplaced: UnplacedPart[];
}

interface Segment {
  from: number;
  lines: string[];
  heading?: string;
  level?: Level;
  /** The segment's own heading named the level (not one above it). */
  ownLevel?: boolean;
}

const FENCE = /^\s*(```|~~~)/;
const MARKDOWN_HEADING = /^\s*#{1,6}\s+\S/;
const UNDERLINE = /^\s*[=\-~^*]{3,}\s*$/;
const PROMPT = /^\s*(\S+@\S+[:~][^$#]*)?[$#]\s+\S/;

/** A short line that introduces what follows ("L1 dmesg:", "**cpuinfo (L0)**", "## L0").
 * A colon label starts a paragraph and is not indented: cpuinfo's "power management:"
 * follows another line of its block. */
function isLabel(line: string, prev: string | undefined, next: string | undefined): boolean {
  const t = line.trim();
  if (t === '' || t.length > 80) return false;
  if (MARKDOWN_HEADING.test(line) || /^\*\*[^*]+\*\*:?$/.test(t)) return true;
  if (next !== undefined && UNDERLINE.test(next) && !UNDERLINE.test(t)) return true;
  const startsParagraph = prev === undefined || prev.trim() === '';
  return startsParagraph && !/^\s/.test(line) && /:\s*$/.test(t) && t.split(/\s+/).length <= 8;
}

function isSection(line: string, next: string | undefined): boolean {
  return (
    MARKDOWN_HEADING.test(line) ||
    /^\s*\*\*[^*]+\*\*:?\s*$/.test(line) ||
    (next !== undefined && UNDERLINE.test(next) && !UNDERLINE.test(line))
  );
}

/** Sections ("## L1") set the level of what follows; a label or a prompt names the level
 * of its own output only. A label right before a prompt is one heading with it. */
function segments(lines: string[]): Segment[] {
  const out: Segment[] = [];
  let sectionLevel: Level | undefined;
  let current: Segment = { from: 1, lines: [] };
  const close = () => {
    if (current.lines.some((l) => l.trim() !== '')) out.push(current);
  };
  const open = (from: number, heading: string | undefined, section: boolean) => {
    const joined =
      current.lines.every((l) => l.trim() === '') && current.heading && heading
        ? `${current.heading} ${heading}`
        : heading;
    close();
    const named = heading ? levelNamed(heading) : undefined;
    if (section) sectionLevel = named ?? sectionLevel;
    const own = joined ? levelNamed(joined) : undefined;
    current = {
      from,
      lines: [],
      heading: joined,
      level: section ? sectionLevel : (own ?? sectionLevel),
      ownLevel: !section && own !== undefined,
    };
  };
  let inFence = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (FENCE.test(line)) {
      // A fence keeps the heading that introduced it.
      if (!inFence && current.lines.every((l) => l.trim() === '')) current.from = i + 2;
      else open(i + 2, undefined, false);
      inFence = !inFence;
      continue;
    }
    if (!inFence && UNDERLINE.test(line) && i > 0 && current.lines.length === 0) continue;
    if (!inFence && (isLabel(line, lines[i - 1], lines[i + 1]) || PROMPT.test(line))) {
      open(i + 2, line.trim(), isSection(line, lines[i + 1]));
      continue;
    }
    if (current.lines.length === 0) current.from = i + 1;
    current.lines.push(line);
  }
  close();
  return out;
}

/** "QEMU command line of L1" and "L2's domain XML" describe a guest: the level that runs
 * it is the one below. */
function levelOf(seg: Segment, item: PastedItem): Level | undefined {
  if (!seg.level || !seg.ownLevel || (item !== 'qemu-cmdlines' && item !== 'domains')) return seg.level;
  return seg.level === 'L2' ? 'L1' : 'L0';
}

/** A recognised segment without the prose typed after it ("Thanks for any help!"): the
 * trailing paragraphs that are not the same kind of output are split off. */
function trimProse(seg: Segment, item: PastedItem): Segment[] {
  const paragraphs: Array<{ from: number; lines: string[] }> = [];
  seg.lines.forEach((line, i) => {
    const last = paragraphs[paragraphs.length - 1];
    if (line.trim() === '') last?.lines.push(line);
    else if (!last || seg.lines[i - 1]?.trim() === '') paragraphs.push({ from: seg.from + i, lines: [line] });
    else last.lines.push(line);
  });
  const belongs = (p: { lines: string[] }) => {
    const text = p.lines.join('\n');
    return item === 'domains'
      ? /<\/domain>|<[a-z]/.test(text)
      : recognise(text) === item || /^\s*(\[|processor|\S+\s*:)/.test(text);
  };
  const rest: Segment[] = [];
  while (paragraphs.length > 1 && !belongs(paragraphs[paragraphs.length - 1])) {
    const p = paragraphs.pop()!;
    rest.unshift({ from: p.from, lines: p.lines, level: seg.level });
  }
  return [{ ...seg, lines: paragraphs.flatMap((p) => p.lines) }, ...rest];
}

export function splitReport(text: string, levelHint?: Level): SplitReport {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const bodyOf = (seg: Segment) => seg.lines.join('\n').replace(/^\n+|\n+$/g, '');
  const found: Array<{ seg: Segment; item?: PastedItem; text: string }> = segments(lines).flatMap((whole) => {
    const wholeBody = bodyOf(whole);
    const item = recognise(wholeBody) ?? (whole.heading ? recognise(`${whole.heading}\n${wholeBody}`) : undefined);
    if (!item) return [{ seg: whole, text: wholeBody }];
    const [seg, ...rest] = item === 'qemu-cmdlines' ? [whole] : trimProse(whole, item);
    return [
      { seg, item, text: item === 'qemu-cmdlines' ? `${whole.heading ?? ''}\n${wholeBody}` : bodyOf(seg) },
      ...rest.map((r) => ({ seg: r, text: bodyOf(r) })),
    ];
  });
  const fallback = levelHint ?? defaultLevel(found.filter((f) => f.item && !f.seg.level).map((f) => f.text));
  const files = new Map<string, string>();
  const placed: PlacedPart[] = [];
  const unplaced: UnplacedPart[] = [];
  for (const { seg, item, text: body } of found) {
    const to = seg.from + seg.lines.length - 1;
    if (!item) {
      const firstLine = body.split('\n').find((l) => l.trim() !== '') ?? '';
      if (firstLine) unplaced.push({ from: seg.from, to, firstLine: firstLine.trim().slice(0, 100) });
      continue;
    }
    const level = levelOf(seg, item) ?? fallback;
    const file = `${level}/${item}.txt`;
    const itemText = asItemText(item, body);
    // Two excerpts of one item (dmesg pasted in two parts) are kept together.
    files.set(file, files.has(file) && item !== 'qemu-cmdlines' ? `${files.get(file)}${itemText}` : itemText);
    placed.push({ item, level, from: seg.from, to, levelFrom: seg.level ? 'heading' : 'default' });
  }
  return { files, placed, unplaced };
}

export function describeSplit(name: string, split: SplitReport): string[] {
  const lines = [`${name}: read as pasted outputs`];
  for (const p of split.placed) {
    const how = p.levelFrom === 'heading' ? '' : ' (no level named: assumed)';
    lines.push(`  lines ${p.from}-${p.to}: ${p.item} of ${p.level}${how}`);
  }
  for (const u of split.unplaced) lines.push(`  lines ${u.from}-${u.to}: not placed (${u.firstLine})`);
  if (split.placed.length === 0)
    lines.push('  nothing recognised: paste cpuinfo, lscpu, dmesg, a domain XML or a QEMU command line');
  return lines;
}
