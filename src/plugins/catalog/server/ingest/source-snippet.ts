// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Most characters of the offending line shown; longer lines are cut around the column. */
export const SNIPPET_WIDTH = 100;

/**
 * The line `line` of `content` with a caret under `column` (both 1-based), for a person
 * reading errors about their own file:
 *
 * ```
 *    12 |   name: x: y
 *       |          ^
 * ```
 *
 * Bounded to {@link SNIPPET_WIDTH} characters, with control characters (a file's escape
 * sequences could rewrite the terminal) shown as `?` and tabs as `→`, one column each so that
 * the caret stays under its character. Only for callers who may read the file anyway (the CLI on
 * the user's own files): the server never quotes files it reads on behalf of API callers.
 */
export function sourceSnippet(
  content: string,
  line: number,
  column?: number,
  width = SNIPPET_WIDTH,
): string | undefined {
  if (line < 1) return undefined;
  // Only the wanted line is cut out; a huge file is not split whole.
  let start = 0;
  for (let n = 1; n < line; n++) {
    const next = content.indexOf('\n', start);
    if (next < 0) return undefined;
    start = next + 1;
  }
  let end = content.indexOf('\n', start);
  if (end < 0) end = content.length;
  const text = [...content.slice(start, end).replace(/\r$/, '')];
  // An error at the end of the file (a quote never closed) points at nothing to show.
  if (!text.length) return undefined;
  const at = column && column >= 1 ? Math.min(column - 1, text.length) : undefined;
  let from = 0;
  if (text.length > width) {
    from =
      at === undefined ? 0 : Math.max(0, Math.min(at - Math.floor(width / 2), text.length - width));
  }
  const to = Math.min(text.length, from + width);
  const shown = text
    .slice(from, to)
    .map((c) => (c === '\t' ? '→' : CONTROL.test(c) ? '?' : c))
    .join('');
  const prefix = from > 0 ? '…' : '';
  const suffix = to < text.length ? '…' : '';
  const number = String(line);
  const gutter = ' '.repeat(number.length);
  const lines = [`  ${number} | ${prefix}${shown}${suffix}`];
  if (at !== undefined) lines.push(`  ${gutter} | ${' '.repeat(prefix.length + at - from)}^`);
  return lines.join('\n');
}
