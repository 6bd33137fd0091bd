import type { MarkdownIt, StateBlock, Token } from 'markdown-it';
import { tokenizeInside } from './nested-blocks.ts';

/**
 * Python-Markdown's md_in_html: a raw HTML element with a `markdown` attribute has its
 * content read as Markdown (admonitions, tabs and other HTML elements included):
 *
 *     <div class="grid" markdown>
 *     !!! note
 *         Inside a div.
 *     </div>
 *
 * `markdown="span"` (and `markdown="1"` on elements that hold only phrasing content) reads
 * the content as one paragraph's inline Markdown. The `markdown` attribute itself is
 * dropped, as Python-Markdown drops it. Elements without it stay raw HTML, as in MkDocs.
 */
export function mdInHtmlPlugin(md: MarkdownIt): void {
  md.block.ruler.before('html_block', 'md_in_html', mdInHtmlRule, {
    alt: ['paragraph', 'reference', 'blockquote'],
  });
}

/** Elements whose content Python-Markdown reads inline for `markdown="1"`. */
const SPAN_LEVEL = new Set([
  'p',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'dt',
  'td',
  'th',
  'summary',
  'span',
  'a',
  'em',
  'strong',
  'li',
  'figcaption',
]);

/** An opening tag at the start of a line, with a `markdown` attribute somewhere in it. */
const OPEN_TAG =
  /^<([A-Za-z][A-Za-z0-9-]*)((?:\s+[A-Za-z_:][\w:.-]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*>/;
const MARKDOWN_ATTR = /\s+markdown(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?(?=\s|$)/i;

function mdInHtmlRule(state: StateBlock, startLine: number, endLine: number, silent: boolean) {
  if (state.sCount[startLine]! - state.blkIndent >= 4) return false;
  const first = state.bMarks[startLine]! + state.tShift[startLine]!;
  if (state.src.charCodeAt(first) !== 0x3c /* < */) return false;
  const line = state.src.slice(first, state.eMarks[startLine]);
  const open = OPEN_TAG.exec(line);
  if (!open) return false;
  const attrText = open[2] ?? '';
  const markdown = MARKDOWN_ATTR.exec(attrText);
  if (!markdown) return false;
  const tag = open[1]!.toLowerCase();
  const mode = (markdown[1] ?? markdown[2] ?? markdown[3] ?? '1').toLowerCase();
  if (mode === '0') return false;
  const rest = line.slice(open[0].length);
  const close = findClose(state, tag, startLine, open[0].length, endLine);
  if (!close) return false;
  if (silent) return true;
  const sameLine = close.line === startLine;
  // Content on the opening line: the whole element on one line, or a first line of text.
  const firstText = sameLine ? close.before : rest;

  const openHtml = `<${open[1]}${attrText.replace(MARKDOWN_ATTR, '')}>\n`;
  const openToken: Token = state.push('html_block', '', 0);
  openToken.content = openHtml;
  openToken.map = [startLine, startLine + 1];

  const inline = mode === 'span' || (mode !== 'block' && SPAN_LEVEL.has(tag)) || sameLine;
  if (inline) {
    const content = [firstText.trim()];
    for (let line = startLine + 1; line < close.line; line++) {
      content.push(state.src.slice(state.bMarks[line]! + state.tShift[line]!, state.eMarks[line]));
    }
    if (!sameLine && close.before.trim()) content.push(close.before.trim());
    const token: Token = state.push('inline', '', 0);
    token.content = content.join('\n').trim();
    token.map = [startLine + 1, close.line + 1];
    token.children = [];
  } else {
    if (firstText.trim()) pushParagraph(state, firstText.trim(), startLine);
    tokenizeInside(state, startLine + 1, close.line, { parentType: 'md_in_html', indent: 0 });
    // Text before the closing tag on its line: a last paragraph, as Python-Markdown reads it.
    if (close.before.trim()) pushParagraph(state, close.before.trim(), close.line);
  }
  const closeToken: Token = state.push('html_block', '', 0);
  closeToken.content = `</${open[1]}>\n${close.after.trim() ? `${close.after.trim()}\n` : ''}`;
  closeToken.map = [close.line, close.line + 1];
  state.line = close.line + 1;
  return true;
}

function pushParagraph(state: StateBlock, content: string, line: number): void {
  state.push('paragraph_open', 'p', 1).map = [line, line + 1];
  const token: Token = state.push('inline', '', 0);
  token.content = content;
  token.map = [line, line + 1];
  token.children = [];
  state.push('paragraph_close', 'p', -1);
}

/**
 * The line of the `</tag>` that closes the element opened before `from`, counting nested
 * elements of the same name; with the text before and after it on that line.
 */
function findClose(
  state: StateBlock,
  tag: string,
  from: number,
  /** Where to start on the first line (after the opening tag). */
  offset: number,
  endLine: number,
): { line: number; before: string; after: string } | undefined {
  const token = new RegExp(`<(/?)${tag}(?=[\\s>/])[^>]*>`, 'gi');
  let depth = 1;
  let fence: string | undefined;
  for (let line = from; line < endLine; line++) {
    if (line > from && state.sCount[line]! < state.blkIndent && !state.isEmpty(line)) {
      return undefined;
    }
    const start = state.bMarks[line]! + state.tShift[line]! + (line === from ? offset : 0);
    const raw = state.src.slice(start, state.eMarks[line]);
    // Tags shown as code (fenced blocks, `code spans`) neither open nor close anything.
    const fenceMark = /^(`{3,}|~{3,})/.exec(raw)?.[1];
    if (fenceMark && (fence === undefined || fenceMark.startsWith(fence))) {
      fence = fence === undefined ? fenceMark : undefined;
      continue;
    }
    if (fence !== undefined) continue;
    const text = raw.replace(/(`+)[\s\S]*?\1/g, (code) => ' '.repeat(code.length));
    token.lastIndex = 0;
    for (let match = token.exec(text); match; match = token.exec(text)) {
      if (match[1] === '/') depth -= 1;
      else if (!match[0].endsWith('/>')) depth += 1;
      if (depth === 0) {
        return {
          line,
          before: raw.slice(0, match.index),
          after: raw.slice(match.index + match[0].length),
        };
      }
    }
  }
  return undefined;
}
