import type { MarkdownIt, StateBlock, Token } from 'markdown-it';
import { indentedBodyEnd, tokenizeInside } from './nested-blocks.ts';

/**
 * Content tabs of pymdownx.tabbed (part of techdocs-core), which markdown-it does not know:
 *
 *     === "macOS"
 *
 *         Body, indented by four spaces; any Markdown.
 *
 *     === "Linux"
 *
 *         …
 *
 * Consecutive tabs (blank lines between them only) form one set; `===!` starts a new set,
 * `===+` is the tab shown first. Output, readable as it is:
 * `<div class="tabbed-set"><div class="tabbed-block [tabbed-selected]"><p class="tabbed-title">…`;
 * the reader turns each set into real tabs.
 */
export function contentTabsPlugin(md: MarkdownIt): void {
  md.block.ruler.before('fence', 'content_tabs', tabsRule, {
    alt: ['paragraph', 'reference', 'blockquote', 'list'],
  });
  md.renderer.rules.tabbed_set_open = () => '<div class="tabbed-set">\n';
  md.renderer.rules.tabbed_set_close = () => '</div>\n';
  md.renderer.rules.tabbed_block_open = (tokens, idx) => {
    const meta = tokens[idx]!.meta as TabMeta;
    return `<div class="tabbed-block${meta.selected ? ' tabbed-selected' : ''}">\n<p class="tabbed-title">${md.utils.escapeHtml(meta.title)}</p>\n`;
  };
  md.renderer.rules.tabbed_block_close = () => '</div>\n';
}

type TabMeta = { title: string; selected: boolean };

const OPENER = /^===([!+]{0,2})[ \t]+"(.*)"[ \t]*$/;

function opener(state: StateBlock, line: number): RegExpExecArray | null {
  if (line >= state.lineMax || state.sCount[line]! - state.blkIndent >= 4) return null;
  if (state.sCount[line]! < state.blkIndent) return null;
  const start = state.bMarks[line]! + state.tShift[line]!;
  if (state.src.charCodeAt(start) !== 0x3d /* = */) return null;
  return OPENER.exec(state.src.slice(start, state.eMarks[line]));
}

function tabsRule(state: StateBlock, startLine: number, endLine: number, silent: boolean) {
  const first = opener(state, startLine);
  if (!first) return false;
  if (silent) return true;

  const setOpen: Token = state.push('tabbed_set_open', 'div', 1);
  setOpen.block = true;
  let line = startLine;
  let match: RegExpExecArray | null = first;
  while (match) {
    const lastBody = indentedBodyEnd(state, line, endLine);
    const meta: TabMeta = { title: match[2]!, selected: match[1]!.includes('+') };
    const open: Token = state.push('tabbed_block_open', 'div', 1);
    open.block = true;
    open.meta = meta;
    open.map = [line, lastBody + 1];
    tokenizeInside(state, line + 1, lastBody + 1, { parentType: 'tabbed', indent: 4 });
    const close: Token = state.push('tabbed_block_close', 'div', -1);
    close.block = true;

    // The next tab of the same set follows after blank lines only, and does not say `!`.
    let next = lastBody + 1;
    while (next < endLine && state.isEmpty(next)) next++;
    const following = next < endLine ? opener(state, next) : null;
    line = lastBody + 1;
    if (following && !following[1]!.includes('!')) {
      match = following;
      line = next;
    } else match = null;
  }
  const setClose: Token = state.push('tabbed_set_close', 'div', -1);
  setClose.block = true;
  state.line = line;
  return true;
}
