import type { MarkdownIt, StateCore, StateInline, Token } from 'markdown-it';
import abbr from 'markdown-it-abbr';
import deflist from 'markdown-it-deflist';
import mark from 'markdown-it-mark';
import sub from 'markdown-it-sub';
import sup from 'markdown-it-sup';

/**
 * The inline syntax of techdocs-core's extensions, as pymdown-extensions renders it:
 * pymdownx.mark `==x==` → <mark>; caret `^^x^^` → <ins>, `H^2^O` → <sup>; tilde `~~x~~` →
 * <del>, `H~2~O` → <sub>; critic `{++ ++}` `{-- --}` `{~~ ~> ~~}` `{== ==}` `{>> <<}`;
 * smartsymbols (™ © ® ℅ ± → ← ↔ ≠, fractions, ordinals). With Python-Markdown's abbr
 * (`*[HTML]: Hyper Text…`) and def_list.
 */
export function pymdownxInlinePlugin(md: MarkdownIt): void {
  md.use(deflist);
  md.use(abbr);
  md.use(mark);
  md.inline.ruler.before('emphasis', 'caret_insert', insertTokenize);
  md.inline.ruler2.before('emphasis', 'caret_insert', (state) => {
    postProcessInsert(state, state.delimiters);
    for (const meta of state.tokens_meta ?? []) {
      if (meta?.delimiters) postProcessInsert(state, meta.delimiters);
    }
    return false;
  });
  md.use(sup);
  md.use(sub);
  md.inline.ruler.before('emphasis', 'critic', criticRule);
  md.core.ruler.push('tilde_delete', strikeAsDelete);
  md.core.ruler.push('smartsymbols', smartSymbols);
}

const CARET = 0x5e; /* ^ */

/** `^^` delimiters, paired like markdown-it-mark pairs `==` (same delimiter algorithm). */
function insertTokenize(state: StateInline, silent: boolean): boolean {
  if (silent || state.src.charCodeAt(state.pos) !== CARET) return false;
  const scanned = state.scanDelims(state.pos, true);
  let length = scanned.length;
  if (length < 2) return false;
  if (length % 2) {
    const token = state.push('text', '', 0);
    token.content = '^';
    length--;
  }
  for (let i = 0; i < length; i += 2) {
    const token = state.push('text', '', 0);
    token.content = '^^';
    if (!scanned.can_open && !scanned.can_close) continue;
    state.delimiters.push({
      marker: CARET,
      length: 0,
      token: state.tokens.length - 1,
      end: -1,
      open: scanned.can_open,
      close: scanned.can_close,
    } as StateInline['delimiters'][number]);
  }
  state.pos += scanned.length;
  return true;
}

function postProcessInsert(state: StateInline, delimiters: StateInline['delimiters']): void {
  for (const start of delimiters) {
    if (start.marker !== CARET || start.end === -1) continue;
    const end = delimiters[start.end]!;
    const open = state.tokens[start.token]!;
    open.type = 'ins_open';
    open.tag = 'ins';
    open.nesting = 1;
    open.markup = '^^';
    open.content = '';
    const close = state.tokens[end.token]!;
    close.type = 'ins_close';
    close.tag = 'ins';
    close.nesting = -1;
    close.markup = '^^';
    close.content = '';
  }
}

/** pymdownx.tilde writes <del> where markdown-it's strikethrough writes <s>. */
function strikeAsDelete(state: StateCore): void {
  for (const token of state.tokens) {
    for (const child of token.children ?? []) {
      if (child.type === 's_open' || child.type === 's_close') child.tag = 'del';
    }
  }
}

const CRITIC: Record<string, { close: string; tag: string; className: string }> = {
  '{++': { close: '++}', tag: 'ins', className: 'critic' },
  '{--': { close: '--}', tag: 'del', className: 'critic' },
  '{==': { close: '==}', tag: 'mark', className: 'critic' },
  '{>>': { close: '<<}', tag: 'span', className: 'critic comment' },
  '{~~': { close: '~~}', tag: 'del', className: 'critic' },
};

/** CriticMarkup in pymdownx.critic's default "view" mode. */
function criticRule(state: StateInline, silent: boolean): boolean {
  if (state.src.charCodeAt(state.pos) !== 0x7b /* { */) return false;
  const kind = CRITIC[state.src.slice(state.pos, state.pos + 3)];
  if (!kind) return false;
  const contentStart = state.pos + 3;
  const end = state.src.indexOf(kind.close, contentStart);
  if (end < 0 || end > state.posMax) return false;
  if (silent) return true;
  const substitution = kind.close === '~~}';
  const arrow = substitution ? state.src.indexOf('~>', contentStart) : -1;
  if (substitution && (arrow < 0 || arrow > end)) return false;
  const parts: Array<{ from: number; to: number; tag: string; className: string }> = substitution
    ? [
        { from: contentStart, to: arrow, tag: 'del', className: 'critic' },
        { from: arrow + 2, to: end, tag: 'ins', className: 'critic' },
      ]
    : [{ from: contentStart, to: end, tag: kind.tag, className: kind.className }];
  const oldMax = state.posMax;
  for (const part of parts) {
    const open: Token = state.push(`critic_${part.tag}_open`, part.tag, 1);
    open.attrSet('class', part.className);
    state.pos = part.from;
    state.posMax = part.to;
    state.md.inline.tokenize(state);
    state.push(`critic_${part.tag}_close`, part.tag, -1);
  }
  state.posMax = oldMax;
  state.pos = end + 3;
  return true;
}

const SYMBOLS: Array<[RegExp, string]> = [
  [/\(tm\)/gi, '™'],
  [/\(c\)/gi, '©'],
  [/\(r\)/gi, '®'],
  [/(?<![\w/])c\/o(?![\w/])/g, '℅'],
  [/\+\/-/g, '±'],
  [/<-->/g, '↔'],
  [/-->/g, '→'],
  [/<--/g, '←'],
  [/=\/=/g, '≠'],
];

const FRACTIONS: Record<string, string> = {
  '1/2': '½',
  '1/3': '⅓',
  '2/3': '⅔',
  '1/4': '¼',
  '3/4': '¾',
  '1/5': '⅕',
  '2/5': '⅖',
  '3/5': '⅗',
  '4/5': '⅘',
  '1/6': '⅙',
  '5/6': '⅚',
  '1/8': '⅛',
  '3/8': '⅜',
  '5/8': '⅝',
  '7/8': '⅞',
};
const FRACTION = /(?<![\w/])([1-7]\/[2-8])(?![\w/])/g;
/** Anything any of the patterns could match: most text has none, and skips them all. */
const ANY_SYMBOL = /\((?:tm|c|r)\)|c\/o|\+\/-|<--|-->|=\/=|[1-7]\/[2-8]|\d(?:st|nd|rd|th)/i;
const ORDINAL = /(?<![\w])(\d+)(st|nd|rd|th)(?![\w])/g;

function ordinalSuffix(number: string): string {
  const n = Number(number) % 100;
  if (n >= 11 && n <= 13) return 'th';
  return ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
}

/** pymdownx.smartsymbols, on text only (never inside code or raw HTML). */
function smartSymbols(state: StateCore): void {
  for (const token of state.tokens) {
    if (token.type !== 'inline' || !token.children) continue;
    const out: Token[] = [];
    // Inside bare URLs made links (`https://x/a-->b`), the text is the address.
    let insideAutolink = false;
    for (const child of token.children) {
      if (child.type === 'link_open') {
        insideAutolink = child.markup === 'linkify' || child.markup === 'autolink';
      }
      if (child.type === 'link_close') insideAutolink = false;
      if (child.type !== 'text' || insideAutolink || !ANY_SYMBOL.test(child.content)) {
        out.push(child);
        continue;
      }
      let text = child.content;
      for (const [pattern, symbol] of SYMBOLS) text = text.replace(pattern, symbol);
      text = text.replace(FRACTION, (all, fraction: string) => FRACTIONS[fraction] ?? all);
      let last = 0;
      for (const match of text.matchAll(ORDINAL)) {
        if (ordinalSuffix(match[1]!) !== match[2]!.toLowerCase()) continue;
        const head = new state.Token('text', '', 0);
        head.content = text.slice(last, match.index) + match[1];
        const open = new state.Token('sup_open', 'sup', 1);
        const suffix = new state.Token('text', '', 0);
        suffix.content = match[2]!;
        const close = new state.Token('sup_close', 'sup', -1);
        out.push(head, open, suffix, close);
        last = match.index + match[0].length;
      }
      child.content = text.slice(last);
      out.push(child);
    }
    token.children = out;
  }
}
