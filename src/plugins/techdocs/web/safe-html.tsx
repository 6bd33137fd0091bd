/**
 * Turns a page fragment into React elements without ever handing HTML to the DOM: the text
 * is parsed by DOMParser (an inert document: no script runs, no image loads) and walked,
 * keeping only allowlisted tags and attributes. The server sanitised the fragment already;
 * this is the second wall, so a bug on either side alone does not reach the user.
 */
import { createElement, type MouseEvent, type ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { resolveSitePath } from '../common/index.ts';
import { type ContentTab, ContentTabs } from './ContentTabs.tsx';
import { MermaidDiagram } from './MermaidDiagram.tsx';

/** Where the links and images of a page go. */
export interface LinkTargets {
  /** Path of the page being rendered ('' is the home page). */
  pagePath: string;
  /** Router location of a page of this site (`hash` without '#'). */
  pageHref(path: string, hash: string): string;
  /** URL of a file of the site (image, download). */
  fileUrl(path: string): string;
  /** An in-page anchor was followed: scroll to it and put it in the URL. */
  onAnchor(id: string): void;
}

/** Tags kept as they are. */
const TAGS = new Set([
  'a',
  'abbr',
  'article',
  'aside',
  'b',
  'blockquote',
  'br',
  'caption',
  'cite',
  'code',
  'col',
  'colgroup',
  'dd',
  'del',
  'details',
  'dfn',
  'div',
  'dl',
  'dt',
  'em',
  'figcaption',
  'figure',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
  'i',
  'img',
  'input',
  'ins',
  'kbd',
  'li',
  'mark',
  'ol',
  'p',
  'pre',
  'q',
  's',
  'samp',
  'section',
  'small',
  'span',
  'strong',
  'sub',
  'summary',
  'sup',
  'table',
  'tbody',
  'td',
  'tfoot',
  'th',
  'thead',
  'time',
  'tr',
  'u',
  'ul',
  'var',
  'wbr',
]);

/** Tags dropped together with everything inside them. */
const DROP = new Set([
  'script',
  'style',
  'template',
  'noscript',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'svg',
  'math',
  'link',
  'meta',
  'base',
  'title',
  'head',
  'form',
  'button',
  'textarea',
  'select',
  'option',
  'audio',
  'video',
  'source',
  'track',
  'canvas',
  'portal',
  'dialog',
  'slot',
]);

const VOID = new Set(['br', 'hr', 'img', 'input', 'col', 'wbr']);

/** Attributes kept on every allowed tag (React names). */
const GLOBAL_ATTRS: Record<string, string> = {
  id: 'id',
  title: 'title',
  lang: 'lang',
  dir: 'dir',
};

const TAG_ATTRS: Record<string, Record<string, string>> = {
  a: { name: 'name' },
  img: { alt: 'alt', width: 'width', height: 'height', align: 'align' },
  td: { colspan: 'colSpan', rowspan: 'rowSpan', align: 'align' },
  th: { colspan: 'colSpan', rowspan: 'rowSpan', align: 'align', scope: 'scope' },
  col: { span: 'span' },
  colgroup: { span: 'span' },
  ol: { start: 'start', reversed: 'reversed' },
  li: { value: 'value' },
  time: { datetime: 'dateTime' },
  abbr: {},
  details: { open: 'open' },
};

/**
 * Class names the docs stylesheet knows (highlighting, admonitions, task lists, footnotes):
 * others are dropped so a page cannot borrow the portal's own classes.
 */
const CLASS_TOKEN =
  /^(hljs(-[\w-]+)?|[a-z]+_+|language-[\w+#-]+|admonition(-title)?|note|abstract|summary|tldr|info|todo|tip|hint|important|success|check|done|question|help|faq|warning|caution|attention|failure|fail|missing|danger|error|bug|example|quote|cite|inline|end|task-list(-item)?(-checkbox)?|contains-task-list|footnotes?(-[\w-]+)?|footnote-(ref|item|backref|sep)|headerlink|header-anchor|highlight|tabbed-(set|block|selected|title)|twemoji|filename|critic|comment|md-button(--primary)?)$/;

function classNames(value: string): string | undefined {
  const kept = value.split(/\s+/).filter((token) => CLASS_TOKEN.test(token));
  return kept.length ? kept.join(' ') : undefined;
}

/** The URL without the control characters and blanks that browsers ignore inside a scheme. */
function withoutControls(url: string): string {
  let out = '';
  for (const char of url) {
    const code = char.charCodeAt(0);
    if (code > 0x20 && code !== 0x7f) out += char;
  }
  return out;
}

/** `scheme:` at the start of a URL, as a browser would read it (it skips controls and blanks). */
function schemeOf(url: string): string | undefined {
  const cleaned = withoutControls(url);
  const match = /^([a-z][a-z0-9+.-]*):/i.exec(cleaned);
  return match ? match[1]!.toLowerCase() : undefined;
}

type Href =
  | { kind: 'page'; to: string }
  | { kind: 'anchor'; id: string }
  | { kind: 'external'; href: string }
  | { kind: 'file'; href: string };

/** Classifies a link; undefined when it may not be followed (javascript:, data:, //host…). */
export function classifyHref(href: string, targets: LinkTargets): Href | undefined {
  const trimmed = href.trim();
  if (trimmed === '') return undefined;
  const scheme = schemeOf(trimmed);
  if (scheme) {
    if (scheme === 'http' || scheme === 'https' || scheme === 'mailto') {
      return { kind: 'external', href: trimmed };
    }
    return undefined;
  }
  if (/^[\\/]{2}/.test(withoutControls(trimmed))) return undefined;
  if (trimmed.startsWith('#')) return { kind: 'anchor', id: decodeHash(trimmed.slice(1)) };
  if (trimmed.startsWith('/')) {
    // A portal path written by the author, e.g. /catalog/default/component/x.
    return trimmed.startsWith('/api/')
      ? { kind: 'file', href: trimmed }
      : { kind: 'page', to: trimmed };
  }
  const resolved = resolveSitePath(targets.pagePath, trimmed);
  if (!resolved) return undefined;
  if (resolved.kind === 'page') {
    if (resolved.path === targets.pagePath && resolved.hash) {
      return { kind: 'anchor', id: decodeHash(resolved.hash) };
    }
    return { kind: 'page', to: targets.pageHref(resolved.path, resolved.hash) };
  }
  return { kind: 'file', href: targets.fileUrl(resolved.path) };
}

function decodeHash(hash: string): string {
  try {
    return decodeURIComponent(hash);
  } catch {
    return hash;
  }
}

/** The image source to use, or undefined to drop the image. */
export function imageSrc(src: string, targets: LinkTargets): string | undefined {
  const trimmed = src.trim();
  const scheme = schemeOf(trimmed);
  if (scheme === 'http' || scheme === 'https') return trimmed;
  if (scheme === 'data') {
    return /^data:image\/(png|jpe?g|gif|webp|avif|bmp);base64,[a-z0-9+/=\s]+$/i.test(trimmed)
      ? trimmed
      : undefined;
  }
  if (scheme || trimmed === '' || /^[\\/]{2}/.test(trimmed)) return undefined;
  if (trimmed.startsWith('/'))
    return trimmed.startsWith('/api/techdocs/static/') ? trimmed : undefined;
  const resolved = resolveSitePath(targets.pagePath, trimmed);
  return resolved ? targets.fileUrl(resolved.path) : undefined;
}

/** Elements whose whitespace-only text children are layout noise (and invalid in tables). */
const NO_TEXT = new Set(['table', 'thead', 'tbody', 'tfoot', 'tr', 'colgroup', 'ul', 'ol', 'dl']);

function convertChildren(node: Node, targets: LinkTargets, skip?: Node): ReactNode[] {
  const out: ReactNode[] = [];
  const skipBlank = node.nodeType === Node.ELEMENT_NODE && NO_TEXT.has((node as Element).localName);
  node.childNodes.forEach((child, index) => {
    if (child === skip) return;
    if (skipBlank && child.nodeType === Node.TEXT_NODE && !child.textContent?.trim()) return;
    const converted = convertNode(child, targets, index);
    if (converted !== null && converted !== undefined) out.push(converted);
  });
  return out;
}

function convertNode(node: Node, targets: LinkTargets, key: number): ReactNode {
  if (node.nodeType === Node.TEXT_NODE) return node.textContent;
  if (node.nodeType !== Node.ELEMENT_NODE) return null;
  const element = node as Element;
  const tag = element.localName.toLowerCase();
  // Elements of other namespaces (SVG, MathML inside HTML) are dropped whole.
  if (element.namespaceURI !== 'http://www.w3.org/1999/xhtml' || DROP.has(tag)) return null;
  if (!TAGS.has(tag)) {
    // Unknown wrappers (<center>, <font>, <main>…) keep their content, not themselves.
    const children = convertChildren(element, targets);
    return children.length ? createElement('span', { key }, ...children) : null;
  }
  const props: Record<string, unknown> = { key };
  const allowed = { ...GLOBAL_ATTRS, ...(TAG_ATTRS[tag] ?? {}) };
  for (const attr of Array.from(element.attributes)) {
    const name = attr.name.toLowerCase();
    if (name === 'class') {
      const value = classNames(attr.value);
      if (value) props.className = value;
      continue;
    }
    if (name === 'style' && (tag === 'td' || tag === 'th')) {
      // Table-cell alignment is the one style kept (Markdown tables use it).
      const align = /(?:^|;)\s*text-align\s*:\s*(left|right|center)\s*(?:;|$)/i.exec(attr.value);
      if (align) props.style = { textAlign: align[1]!.toLowerCase() };
      continue;
    }
    const reactName = allowed[name];
    if (!reactName) continue;
    if (reactName === 'open' || reactName === 'reversed') props[reactName] = true;
    else props[reactName] = attr.value;
  }
  if (tag === 'input') {
    // Only the read-only checkboxes of task lists.
    if ((element.getAttribute('type') ?? '').toLowerCase() !== 'checkbox') return null;
    return createElement('input', {
      key,
      type: 'checkbox',
      checked: element.hasAttribute('checked'),
      disabled: true,
      readOnly: true,
      className: props.className,
    });
  }
  if (tag === 'img') {
    const src = imageSrc(element.getAttribute('src') ?? '', targets);
    if (!src) {
      const alt = element.getAttribute('alt');
      return alt ? createElement('span', { key, className: 'docs-missing-image' }, alt) : null;
    }
    return createElement('img', { ...props, src, loading: 'lazy', referrerPolicy: 'no-referrer' });
  }
  if (tag === 'span' && element.classList.contains('twemoji')) {
    const svg = convertIcon(element, key);
    if (svg) return svg;
  }
  if (tag === 'pre' && element.classList.contains('mermaid')) {
    return createElement(MermaidDiagram, { key, source: element.textContent ?? '' });
  }
  if (tag === 'div' && element.classList.contains('tabbed-set')) {
    const tabs = convertTabs(element, targets);
    if (tabs) return createElement(ContentTabs, { key, ...tabs });
  }
  const children = VOID.has(tag) ? [] : convertChildren(element, targets);
  if (tag === 'a') return convertLink(element, props, children, targets);
  return createElement(tag, props, ...(VOID.has(tag) ? [] : children));
}

const VIEW_BOX = /^0 0 \d{1,4} \d{1,4}$/;
const PATH_DATA = /^[MmZzLlHhVvCcSsQqTtAa0-9eE.,+\-\s]+$/;

/**
 * An icon of the build (`span.twemoji > svg > path`, see the server's icons.ts) redrawn from
 * its numbers and path data only; anything else in or on the SVG is not carried over.
 */
function convertIcon(span: Element, key: number): ReactNode {
  const svg = Array.from(span.children).find((child) => child.localName === 'svg');
  const viewBox = svg?.getAttribute('viewBox') ?? '';
  if (!svg || !VIEW_BOX.test(viewBox)) return undefined;
  const paths = Array.from(svg.children)
    .filter((child) => child.localName === 'path')
    .map((path) => ({
      d: path.getAttribute('d') ?? '',
      fillRule: path.getAttribute('fill-rule') === 'evenodd' ? ('evenodd' as const) : undefined,
    }));
  if (paths.length === 0 || !paths.every((path) => PATH_DATA.test(path.d))) return undefined;
  return createElement(
    'span',
    { key, className: 'twemoji' },
    createElement(
      'svg',
      { xmlns: 'http://www.w3.org/2000/svg', viewBox, 'aria-hidden': true, focusable: false },
      ...paths.map((path, index) =>
        createElement('path', { key: index, d: path.d, fillRule: path.fillRule }),
      ),
    ),
  );
}

/** A `.tabbed-set` of content tabs (see the server's content-tabs.ts) as tab data. */
function convertTabs(
  set: Element,
  targets: LinkTargets,
): { tabs: ContentTab[]; initial: number } | undefined {
  const blocks = Array.from(set.children).filter(
    (child) => child.localName === 'div' && child.classList.contains('tabbed-block'),
  );
  if (!blocks.length) return undefined;
  const tabs = blocks.map((block, index) => {
    const title = Array.from(block.children).find(
      (child) => child.localName === 'p' && child.classList.contains('tabbed-title'),
    );
    return {
      title: title?.textContent?.trim() || `Tab ${index + 1}`,
      content: convertChildren(block, targets, title),
    };
  });
  const selected = blocks.findIndex((block) => block.classList.contains('tabbed-selected'));
  return { tabs, initial: Math.max(0, selected) };
}

function convertLink(
  element: Element,
  props: Record<string, unknown>,
  children: ReactNode[],
  targets: LinkTargets,
): ReactNode {
  const raw = element.getAttribute('href');
  const href = raw === null ? undefined : classifyHref(raw, targets);
  if (!href) return createElement('span', { ...props, className: props.className }, ...children);
  switch (href.kind) {
    case 'anchor':
      return createElement(
        'a',
        {
          ...props,
          href: `#${encodeURIComponent(href.id)}`,
          onClick: (event: MouseEvent) => {
            if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
            event.preventDefault();
            targets.onAnchor(href.id);
          },
        },
        ...children,
      );
    case 'page':
      return createElement(Link, { ...props, to: href.to } as never, ...children);
    case 'file':
      return createElement(
        'a',
        { ...props, href: href.href, target: '_blank', rel: 'noopener' },
        ...children,
      );
    case 'external':
      return createElement(
        'a',
        { ...props, href: href.href, target: '_blank', rel: 'noopener noreferrer' },
        ...children,
      );
  }
}

/** The fragment as React elements (see the file comment for what is kept). */
export function htmlToReact(html: string, targets: LinkTargets): ReactNode[] {
  const doc = new DOMParser().parseFromString(`<!doctype html><body>${html}`, 'text/html');
  return convertChildren(doc.body, targets);
}
