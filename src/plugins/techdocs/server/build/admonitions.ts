import type { MarkdownIt, StateBlock, Token } from 'markdown-it';
import { indentedBodyEnd, tokenizeInside } from './nested-blocks.ts';

/**
 * Python-Markdown / MkDocs Material admonitions, which markdown-it does not know:
 *
 *     !!! note "Optional title"
 *         Body, indented by four spaces; any Markdown.
 *
 * `??? type` is a collapsed <details>, `???+ type` an expanded one. An empty title (`""`)
 * hides the title bar. The directive form of Backstage's own examples is read too:
 * `:::note{severity="warning"}` … `:::` (optionally `:::tip[Title]`).
 * Output matches MkDocs: `<div class="admonition note">` with a
 * `<p class="admonition-title">`, or `<details class="note"><summary>`.
 */
export function admonitionPlugin(md: MarkdownIt): void {
  md.block.ruler.before('fence', 'admonition', admonitionRule, {
    alt: ['paragraph', 'reference', 'blockquote', 'list'],
  });
  md.block.ruler.before('fence', 'admonition_directive', directiveRule, {
    alt: ['paragraph', 'reference', 'blockquote', 'list'],
  });
  md.renderer.rules.admonition_open = (tokens, idx) => {
    const meta = tokens[idx]!.meta as unknown as AdmonitionMeta;
    const classes = meta.classes.join(' ');
    const title = meta.title === '' ? '' : md.utils.escapeHtml(meta.title);
    if (meta.collapsible) {
      return `<details class="${classes}"${meta.open ? ' open' : ''}>\n<summary>${title}</summary>\n`;
    }
    const titleHtml = title === '' ? '' : `<p class="admonition-title">${title}</p>\n`;
    return `<div class="admonition ${classes}">\n${titleHtml}`;
  };
  md.renderer.rules.admonition_close = (tokens, idx) =>
    (tokens[idx]!.meta as unknown as AdmonitionMeta).collapsible ? '</details>\n' : '</div>\n';
}

type AdmonitionMeta = {
  classes: string[];
  title: string;
  collapsible: boolean;
  open: boolean;
};

/** The types MkDocs Material styles; others keep a title but get the plain `admonition` look. */
export const ADMONITION_TYPES = [
  'note',
  'abstract',
  'summary',
  'tldr',
  'info',
  'todo',
  'tip',
  'hint',
  'important',
  'success',
  'check',
  'done',
  'question',
  'help',
  'faq',
  'warning',
  'caution',
  'attention',
  'failure',
  'fail',
  'missing',
  'danger',
  'error',
  'bug',
  'example',
  'quote',
  'cite',
  'inline',
  'end',
];
const KNOWN = new Set(ADMONITION_TYPES);

const OPENER =
  /^(!!!|\?\?\?\+?)[ \t]+([A-Za-z][\w-]*(?:[ \t]+[A-Za-z][\w-]*)*)?[ \t]*(?:"(.*)")?[ \t]*$/;

function admonitionRule(state: StateBlock, startLine: number, endLine: number, silent: boolean) {
  if (state.sCount[startLine]! - state.blkIndent >= 4) return false;
  const start = state.bMarks[startLine]! + state.tShift[startLine]!;
  const first = state.src.charCodeAt(start);
  if (first !== 0x21 /* ! */ && first !== 0x3f /* ? */) return false;
  const match = OPENER.exec(state.src.slice(start, state.eMarks[startLine]));
  if (!match || (match[2] === undefined && match[3] === undefined)) return false;
  if (silent) return true;

  const words = (match[2] ?? '')
    .toLowerCase()
    .split(/[ \t]+/)
    .filter(Boolean);
  const type = words[0] ?? 'note';
  const title = match[3] ?? (type.charAt(0).toUpperCase() + type.slice(1)).replace(/[-_]/g, ' ');
  const meta: AdmonitionMeta = {
    classes: words.filter((word) => KNOWN.has(word)),
    title,
    collapsible: match[1] !== '!!!',
    open: match[1] === '???+',
  };

  const lastBody = indentedBodyEnd(state, startLine, endLine);

  const open: Token = state.push('admonition_open', meta.collapsible ? 'details' : 'div', 1);
  open.block = true;
  open.meta = meta;
  open.map = [startLine, lastBody + 1];

  tokenizeInside(state, startLine + 1, lastBody + 1, { parentType: 'admonition', indent: 4 });

  const close: Token = state.push('admonition_close', meta.collapsible ? 'details' : 'div', -1);
  close.block = true;
  close.meta = meta;
  state.line = lastBody + 1;
  return true;
}

const DIRECTIVE_OPEN = /^:::[ \t]*([A-Za-z][\w-]*)(?:\[([^\]]*)\])?(?:\{([^}]*)\})?[ \t]*$/;
const DIRECTIVE_CLOSE = /^:::[ \t]*$/;

function lineText(state: StateBlock, line: number): string {
  return state.src.slice(state.bMarks[line]! + state.tShift[line]!, state.eMarks[line]);
}

function directiveRule(state: StateBlock, startLine: number, endLine: number, silent: boolean) {
  if (state.sCount[startLine]! - state.blkIndent >= 4) return false;
  if (state.src.charCodeAt(state.bMarks[startLine]! + state.tShift[startLine]!) !== 0x3a) {
    return false;
  }
  const match = DIRECTIVE_OPEN.exec(lineText(state, startLine));
  if (!match) return false;
  // Find the matching closing fence, counting nested directives.
  let depth = 1;
  let closeLine = -1;
  for (let line = startLine + 1; line < endLine; line++) {
    if (state.sCount[line]! < state.blkIndent) break;
    const text = lineText(state, line);
    if (DIRECTIVE_CLOSE.test(text)) {
      depth -= 1;
      if (depth === 0) {
        closeLine = line;
        break;
      }
    } else if (DIRECTIVE_OPEN.test(text)) depth += 1;
  }
  if (closeLine < 0) return false;
  if (silent) return true;

  const name = match[1]!.toLowerCase();
  const severity = /severity\s*=\s*"?([\w-]+)"?/.exec(match[3] ?? '')?.[1]?.toLowerCase();
  const type = severity ?? name;
  const meta: AdmonitionMeta = {
    classes: KNOWN.has(type) ? [type] : [],
    title: match[2] ?? (severity ? '' : type.charAt(0).toUpperCase() + type.slice(1)),
    collapsible: false,
    open: false,
  };
  const open: Token = state.push('admonition_open', 'div', 1);
  open.block = true;
  open.meta = meta;
  open.map = [startLine, closeLine + 1];
  tokenizeInside(state, startLine + 1, closeLine, { parentType: 'admonition', indent: 0 });
  const close: Token = state.push('admonition_close', 'div', -1);
  close.block = true;
  close.meta = meta;
  state.line = closeLine + 1;
  return true;
}
