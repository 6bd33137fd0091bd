import hljs from 'highlight.js';
import MarkdownIt, { type MarkdownIt as MarkdownItInstance, type StateCore } from 'markdown-it';
import anchor from 'markdown-it-anchor';
// @ts-expect-error markdown-it-emoji ships no type declarations
import { full as emoji } from 'markdown-it-emoji';
import footnote from 'markdown-it-footnote';
// @ts-expect-error markdown-it-task-lists ships no type declarations
import taskLists from 'markdown-it-task-lists';
import type { TocEntry } from '../../common/index.ts';
import { admonitionPlugin } from './admonitions.ts';
import { attrListPlugin } from './attr-list.ts';
import { contentTabsPlugin } from './content-tabs.ts';
import { fencesPlugin } from './fences.ts';
import { iconsPlugin } from './icons.ts';
import { mdInHtmlPlugin } from './md-in-html.ts';
import { pymdownxInlinePlugin } from './pymdownx-inline.ts';

/** What the renderer reads and fills for one page (markdown-it's `env`). */
export interface PageEnv {
  /** Collected: h2–h4 in order. */
  toc: TocEntry[];
  /** Collected: the text of the first h1. */
  h1?: string;
  /** Used by the slugger: ids already given on this page. */
  ids: Set<string>;
  /**
   * Collected: extensions techdocs-core enables whose syntax the page uses but the build does
   * not render (name → first line), for one warning per build.
   */
  unrendered?: Map<string, number>;
}

export function newPageEnv(): PageEnv {
  return { toc: [], ids: new Set() };
}

/**
 * Heading ids as Python-Markdown's toc extension makes them (what MkDocs users link to):
 * ASCII-folded, punctuation dropped, spaces and hyphens collapsed to '-', duplicates '_1', '_2'.
 */
export function slugify(text: string, ids: Set<string>): string {
  const base = text
    .normalize('NFKD')
    .replace(/[^\p{ASCII}]/gu, '')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[-\s]+/g, '-');
  let id = base;
  let counter = 0;
  while (id === '' || ids.has(id)) {
    counter += 1;
    id = `${base}_${counter}`;
  }
  ids.add(id);
  return id;
}

const FENCE_LANGUAGE = /^[A-Za-z0-9_+#.-]+$/;

/** highlight.js markup of `code`, or undefined when the language is unknown to it. */
function highlightCode(code: string, language: string): string | undefined {
  if (!FENCE_LANGUAGE.test(language) || !hljs.getLanguage(language)) return undefined;
  try {
    return hljs.highlight(code, { language, ignoreIllegals: true }).value;
  } catch {
    return undefined;
  }
}

export interface MarkdownOptions {
  /** Python-Markdown's nl2br: a newline inside a paragraph is a line break. */
  breaks?: boolean;
}

/**
 * The markdown-it instance of the build: raw HTML on (the sanitiser runs after it), with the
 * extensions techdocs-core enables (see extensions.ts for the list and what is left out).
 */
export function createMarkdown(options: MarkdownOptions = {}): MarkdownItInstance {
  const md: MarkdownItInstance = new MarkdownIt({
    html: true,
    linkify: true,
    typographer: false,
    breaks: options.breaks ?? false,
    highlight(code, info) {
      const language = (info.trim().split(/\s+/)[0] ?? '').replace(/^\{?\.?|\}$/g, '');
      const safe = FENCE_LANGUAGE.test(language) ? language.toLowerCase() : '';
      const languageClass = safe ? ` language-${safe}` : '';
      const html = safe ? highlightCode(code, safe) : undefined;
      return `<pre><code class="hljs${languageClass}">${html ?? md.utils.escapeHtml(code)}</code></pre>`;
    },
  });
  // Bare URLs become links, but not words that merely look like domains ('runbook.md').
  md.linkify.set({ fuzzyLink: false, fuzzyEmail: false });
  md.use(attrListPlugin);
  md.use(admonitionPlugin);
  md.use(contentTabsPlugin);
  md.use(mdInHtmlPlugin);
  md.use(footnote);
  md.use(taskLists, { enabled: false });
  md.use(pymdownxInlinePlugin);
  // pymdownx.emoji (in techdocs-core): `:thumbsup:` → 👍, as Unicode text; Material's icon
  // codes (`:material-account:`) are SVG icons.
  md.use(emoji);
  md.use(iconsPlugin);
  md.use(fencesPlugin, highlightCode);
  // Ids set with attr_list (`## Title { #id }`) are taken before generated ones.
  md.core.ruler.push('attr_list_ids', (state) => {
    const ids = (state.env as unknown as PageEnv).ids;
    for (const token of state.tokens) {
      const id = token.type === 'heading_open' ? token.attrGet('id') : null;
      if (id) ids.add(String(id));
    }
  });
  md.use(anchor, {
    level: [1, 2, 3, 4, 5, 6],
    tabIndex: false,
    // Python-Markdown keeps a repeated attr_list id as written; so does the build.
    failOnNonUnique: false,
    slugifyWithState: (text: string, state: { env: unknown }) =>
      slugify(text, (state.env as unknown as PageEnv).ids),
    permalink: anchor.permalink.linkInsideHeader({
      symbol: '¶',
      class: 'headerlink',
      placement: 'after',
      ariaHidden: true,
    }),
  });
  md.core.ruler.push('atrium_page', collectPageFacts);
  return md;
}

function headingText(inline: { children: { type: string; content: string }[] | null }) {
  return (inline.children ?? [])
    .filter((child) => child.type === 'text' || child.type === 'code_inline')
    .map((child) => child.content)
    .join('')
    .trim();
}

/**
 * Gathers the TOC and the h1, and tags every author-written link and image with its line
 * (`data-md-line`, read and removed by the sanitiser's URL rewriting) for link warnings.
 */
function collectPageFacts(state: StateCore): void {
  const env = state.env as unknown as PageEnv;
  const tokens = state.tokens;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.type === 'heading_open') {
      const level = Number(token.tag.slice(1));
      const id = String(token.attrGet('id') ?? '');
      const inline = tokens[i + 1];
      const text = inline ? headingText(inline) : '';
      if (level === 1 && env.h1 === undefined) env.h1 = text;
      if (level >= 2 && level <= 4) env.toc.push({ level, id, text });
    }
    if (token.type !== 'inline' || !token.children) continue;
    const line = token.map ? token.map[0] + 1 : undefined;
    for (const child of token.children) {
      if (child.type === 'link_open') {
        const href = child.attrGet('href')?.toString();
        // Anchor permalinks and footnote refs are generated, not written by the author.
        if (href && !href.startsWith('#')) {
          child.attrSet('data-md-line', String(line ?? ''));
        }
      } else if (child.type === 'image') {
        const src = child.attrGet('src')?.toString();
        if (src) {
          child.attrSet('data-md-line', String(line ?? ''));
        }
      }
    }
  }
}
