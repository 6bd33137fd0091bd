import sanitizeHtml from 'sanitize-html';
import { ADMONITION_TYPES } from './admonitions.ts';

/** Rewrites one URL of the page; `line` is set for links written in Markdown (not raw HTML). */
export type UrlRewriter = (url: string, kind: 'link' | 'image', line: number | undefined) => string;

const HEADINGS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];

const ALLOWED_TAGS = [
  ...HEADINGS,
  'p',
  'ul',
  'ol',
  'li',
  'dl',
  'dt',
  'dd',
  'table',
  'thead',
  'tbody',
  'tfoot',
  'tr',
  'th',
  'td',
  'caption',
  'code',
  'pre',
  'span',
  'a',
  'img',
  'blockquote',
  'details',
  'summary',
  'div',
  'section',
  'input',
  'sup',
  'sub',
  'hr',
  'br',
  'em',
  'strong',
  'b',
  'i',
  'del',
  's',
  'mark',
  'kbd',
  'abbr',
  'figure',
  'figcaption',
];

const ALIGN = { 'text-align': [/^(left|right|center)$/] };

/**
 * The allowlist every page goes through, Markdown-made and raw HTML alike: document
 * structure, highlight.js spans, admonitions, content tabs, task-list checkboxes (disabled),
 * footnotes.
 * Nothing that runs code or loads active content: no script, style, iframe, object, svg, form,
 * no event-handler or style attributes (except table-cell alignment), and URLs limited to
 * http/https/mailto and relative (images: https and relative).
 */
const BASE_OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: ALLOWED_TAGS,
  allowedAttributes: {
    ...Object.fromEntries(HEADINGS.map((tag) => [tag, ['id']])),
    a: ['href', 'title', 'id', 'class', 'rel', 'aria-hidden'],
    img: ['src', 'alt', 'title', 'width', 'height'],
    code: ['class'],
    pre: ['class'],
    span: ['class'],
    div: ['class'],
    p: ['class'],
    details: ['class', 'open'],
    section: ['class'],
    ol: ['class', 'start'],
    ul: ['class'],
    li: ['class', 'id'],
    sup: ['class', 'id'],
    hr: ['class'],
    input: ['type', 'class', 'checked', 'disabled'],
    th: ['style', 'colspan', 'rowspan'],
    td: ['style', 'colspan', 'rowspan'],
    abbr: ['title'],
  },
  allowedClasses: {
    code: ['hljs', 'language-*'],
    pre: ['hljs'],
    span: ['hljs-*', 'language-*', /^[a-z]+_+$/],
    div: [
      'admonition',
      'highlight',
      'tabbed-set',
      'tabbed-block',
      'tabbed-selected',
      ...ADMONITION_TYPES,
    ],
    details: ADMONITION_TYPES,
    p: ['admonition-title', 'tabbed-title'],
    a: ['headerlink', 'footnote-backref'],
    section: ['footnotes'],
    ol: ['footnotes-list'],
    ul: ['contains-task-list'],
    li: ['footnote-item', 'task-list-item'],
    sup: ['footnote-ref'],
    hr: ['footnotes-sep'],
    input: ['task-list-item-checkbox'],
  },
  allowedStyles: { th: ALIGN, td: ALIGN },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['https'] },
  allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  // Content of these is dropped with the tag (not shown as text).
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'svg', 'math'],
  enforceHtmlBoundary: false,
};

/** Sanitises one page's HTML and rewrites its links and images with `rewrite`. */
export function sanitizePage(html: string, rewrite: UrlRewriter): string {
  return sanitizeHtml(html, {
    ...BASE_OPTIONS,
    transformTags: {
      a: (tagName, attribs) => {
        const next: Record<string, string> = { ...attribs };
        const line = lineOf(next);
        if (next.href !== undefined) next.href = rewrite(next.href, 'link', line);
        if (next.href !== undefined && /^\s*https?:/i.test(next.href)) {
          next.rel = 'noopener noreferrer';
        } else {
          delete next.rel;
        }
        return { tagName, attribs: next };
      },
      img: (tagName, attribs) => {
        const next: Record<string, string> = { ...attribs };
        const line = lineOf(next);
        if (next.src !== undefined) next.src = rewrite(next.src, 'image', line);
        return { tagName, attribs: next };
      },
      // Only read-only checkboxes (task lists): any other input is dropped.
      input: (_tagName, attribs) => {
        if ((attribs.type ?? '').toLowerCase() !== 'checkbox') {
          return { tagName: 'atrium-dropped', attribs: {} };
        }
        const next: Record<string, string> = { type: 'checkbox', disabled: '' };
        if (attribs.checked !== undefined) next.checked = '';
        if (attribs.class !== undefined) next.class = attribs.class;
        return { tagName: 'input', attribs: next };
      },
    },
  });
}

function lineOf(attribs: Record<string, string>): number | undefined {
  const value = attribs['data-md-line'];
  delete attribs['data-md-line'];
  if (value === undefined) return undefined;
  const line = Number(value);
  return Number.isInteger(line) && line > 0 ? line : 0;
}
