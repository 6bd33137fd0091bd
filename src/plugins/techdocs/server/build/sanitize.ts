import sanitizeHtml from 'sanitize-html';
import { ADMONITION_TYPES } from './admonitions.ts';
import { ICON_ATTRIBUTE, iconSvg } from './icons.ts';

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
  'ins',
  's',
  'mark',
  'kbd',
  'abbr',
  'figure',
  'figcaption',
];

const ALIGN = { 'text-align': [/^(left|right|center)$/] };

/** Elements an author may give an id with attr_list (`{ #name }`), besides headings. */
const WITH_ID = ['p', 'div', 'span', 'img', 'table', 'dl', 'dt', 'dd', 'ul', 'ol', 'blockquote'];

/**
 * The allowlist every page goes through, Markdown-made and raw HTML alike: document
 * structure, highlight.js spans, admonitions, content tabs, task-list checkboxes (disabled),
 * footnotes, what attr_list may set (ids, image size and side, `target="_blank"`, Material's
 * button classes), critic marks, mermaid blocks (text; the reader draws them) and icon
 * placeholders, which become the build's own SVG after sanitising (see icons.ts).
 * Nothing that runs code or loads active content: no script, style, iframe, object, svg, form,
 * no event-handler or style attributes (except table-cell alignment), and URLs limited to
 * http/https/mailto and relative (images: https and relative).
 */
const BASE_OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: ALLOWED_TAGS,
  allowedAttributes: {
    ...Object.fromEntries([...HEADINGS, ...WITH_ID].map((tag) => [tag, ['id']])),
    a: ['href', 'title', 'id', 'class', 'rel', 'aria-hidden', 'target'],
    img: ['src', 'alt', 'title', 'width', 'height', 'align', 'id'],
    code: ['class'],
    pre: ['class'],
    span: ['class', 'id', ICON_ATTRIBUTE],
    div: ['class', 'id'],
    p: ['class', 'id'],
    details: ['class', 'open'],
    section: ['class'],
    ol: ['class', 'start', 'id'],
    ul: ['class', 'id'],
    li: ['class', 'id'],
    sup: ['class', 'id'],
    hr: ['class'],
    input: ['type', 'class', 'checked', 'disabled'],
    th: ['style', 'colspan', 'rowspan'],
    td: ['style', 'colspan', 'rowspan'],
    abbr: ['title'],
    ins: ['class'],
    del: ['class'],
    mark: ['class'],
  },
  allowedClasses: {
    code: ['hljs', 'language-*', 'highlight'],
    pre: ['hljs', 'mermaid'],
    span: ['hljs-*', 'language-*', /^[a-z]+_+$/, 'twemoji', 'filename', 'critic', 'comment'],
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
    a: ['headerlink', 'footnote-backref', 'md-button', 'md-button--primary'],
    ins: ['critic'],
    del: ['critic'],
    mark: ['critic'],
    ul: ['contains-task-list'],
    ol: ['footnotes-list'],
    section: ['footnotes'],
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

const ICON_PLACEHOLDER = new RegExp(
  `<span class="twemoji" ${ICON_ATTRIBUTE}="([a-z0-9-]+)"></span>`,
  'g',
);

/** Sanitises one page's HTML and rewrites its links and images with `rewrite`. */
export function sanitizePage(html: string, rewrite: UrlRewriter): string {
  const clean = sanitizeHtml(html, {
    ...BASE_OPTIONS,
    transformTags: {
      a: (tagName, attribs) => {
        const next: Record<string, string> = { ...attribs };
        const line = lineOf(next);
        if (next.href !== undefined) next.href = rewrite(next.href, 'link', line);
        // attr_list's {:target="_blank"}: a new tab, never a named frame.
        if (next.target !== undefined && next.target !== '_blank') delete next.target;
        if (next.href !== undefined && /^\s*https?:/i.test(next.href)) {
          next.rel = 'noopener noreferrer';
        } else if (next.target !== undefined) {
          next.rel = 'noopener';
        } else {
          delete next.rel;
        }
        return { tagName, attribs: next };
      },
      img: (tagName, attribs) => {
        const next: Record<string, string> = { ...attribs };
        const line = lineOf(next);
        if (next.src !== undefined) next.src = rewrite(next.src, 'image', line);
        if (next.align !== undefined && !/^(left|right)$/.test(next.align)) delete next.align;
        for (const size of ['width', 'height']) {
          if (next[size] !== undefined && !/^\d{1,5}(%|px)?$/.test(next[size]!)) delete next[size];
        }
        return { tagName, attribs: next };
      },
      // An icon placeholder keeps its one class and name, in this order, for the step below.
      span: (tagName, attribs) => {
        const name = attribs[ICON_ATTRIBUTE];
        if (name === undefined) return { tagName, attribs };
        const next: Record<string, string> = { ...attribs };
        delete next[ICON_ATTRIBUTE];
        if (!/^[a-z0-9-]+$/.test(name) || iconSvg(name) === undefined)
          return { tagName, attribs: next };
        return { tagName, attribs: { class: 'twemoji', [ICON_ATTRIBUTE]: name } };
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
  return clean.replace(ICON_PLACEHOLDER, (all, name: string) => {
    const svg = iconSvg(name);
    return svg === undefined ? all : `<span class="twemoji">${svg}</span>`;
  });
}

function lineOf(attribs: Record<string, string>): number | undefined {
  const value = attribs['data-md-line'];
  delete attribs['data-md-line'];
  if (value === undefined) return undefined;
  const line = Number(value);
  return Number.isInteger(line) && line > 0 ? line : 0;
}
