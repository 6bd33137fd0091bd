import type { ParsedTerm } from './terms.ts';

/**
 * Highlighting, done here rather than by an engine so that both engines mark exactly the same
 * text: `title` whole, `text` as a window around its first match. Matches are word starts for
 * word hits (what the engines matched: every word as a prefix) and substrings for infix hits.
 */

/** Characters of `text` shown around its first match. */
export const SNIPPET_LENGTH = 200;
const LEAD = 60;

export type MatchMode = 'word' | 'infix';

export interface HighlightTags {
  preTag: string;
  postTag: string;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function matcher(parsed: ParsedTerm, mode: MatchMode): RegExp | undefined {
  if (!parsed.words.length) return undefined;
  // Longest first, so `pets` wins over `pet` where both start at one place.
  const alternatives = [...parsed.words]
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp)
    .join('|');
  return mode === 'word'
    ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives})`, 'giu')
    : new RegExp(`(?:${alternatives})`, 'giu');
}

function ranges(value: string, re: RegExp): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  re.lastIndex = 0;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    out.push([m.index, m.index + m[0].length]);
  }
  return out;
}

function mark(value: string, found: Array<[number, number]>, tags: HighlightTags): string {
  let out = '';
  let at = 0;
  for (const [start, end] of found) {
    out += value.slice(at, start) + tags.preTag + value.slice(start, end) + tags.postTag;
    at = end;
  }
  return out + value.slice(at);
}

/** Cuts a window around `first` at word boundaries where possible. */
function window(value: string, first: number): { start: number; end: number } {
  if (value.length <= SNIPPET_LENGTH) return { start: 0, end: value.length };
  let start = Math.max(0, first - LEAD);
  if (start > 0) {
    const space = value.lastIndexOf(' ', start);
    if (space >= 0 && first - space <= LEAD + 20) start = space + 1;
  }
  let end = Math.min(value.length, start + SNIPPET_LENGTH);
  if (end < value.length) {
    const space = value.indexOf(' ', end);
    if (space >= 0 && space - end <= 20) end = space;
  }
  return { start, end };
}

/**
 * The highlighted fields of one document, only those with a match. Text is not escaped:
 * the caller renders the result as text, splitting on the tags.
 */
export function highlightFields(
  doc: { title: string; text: string },
  parsed: ParsedTerm,
  mode: MatchMode,
  tags: HighlightTags,
): { title?: string; text?: string } {
  const re = matcher(parsed, mode);
  if (!re) return {};
  const out: { title?: string; text?: string } = {};
  const title = typeof doc.title === 'string' ? doc.title : '';
  const inTitle = ranges(title, re);
  if (inTitle.length) out.title = mark(title, inTitle, tags);
  const text = typeof doc.text === 'string' ? doc.text : '';
  const inText = ranges(text, re);
  if (inText.length) {
    const { start, end } = window(text, inText[0]![0]);
    const inside = inText
      .filter(([s, e]) => s >= start && e <= end)
      .map(([s, e]) => [s - start, e - start] as [number, number]);
    out.text =
      (start > 0 ? '…' : '') +
      mark(text.slice(start, end), inside, tags) +
      (end < text.length ? '…' : '');
  }
  return out;
}
