/**
 * OpenAPI and AsyncAPI descriptions are CommonMark (both specifications say so): rendered by
 * markdown-it, the renderer the docs build uses, then turned into React elements by the docs
 * reader's allowlist walk (safe-html.tsx), so no HTML string ever reaches the DOM. Raw HTML in
 * a description is allowed, as CommonMark allows it; scripts, event handlers, styles and
 * non-web links are dropped on the way.
 */
import MarkdownIt from 'markdown-it';
import { type ReactNode, useMemo } from 'react';
import { htmlToReact, type LinkTargets } from '../../../techdocs/web/safe-html.tsx';

const md = new MarkdownIt({ html: true, linkify: true, typographer: false });
// Bare URLs become links, but not words that merely look like domains ('openapi.yaml').
md.linkify.set({ fuzzyLink: false, fuzzyEmail: false });

/**
 * A definition shown in the portal has no base URL of its own, so a relative link or image in
 * a description cannot be resolved: links become in-page anchors, images are dropped (an
 * empty source loads nothing). Anchors scroll to the element they name (schemas have ids).
 */
const TARGETS: LinkTargets = {
  pagePath: '',
  pageHref: (_path, hash) => `#${encodeURIComponent(hash)}`,
  fileUrl: () => '',
  onAnchor: (id) => document.getElementById(id)?.scrollIntoView(),
};

/** A description as React elements; empty for anything that is not a string. */
export function renderMarkdown(source: unknown): ReactNode[] {
  if (typeof source !== 'string' || source.trim() === '') return [];
  return htmlToReact(md.render(source), TARGETS);
}

/** A CommonMark description, sanitised. Renders nothing when there is no description. */
export function Markdown({ source, className }: { source: unknown; className?: string }) {
  const nodes = useMemo(() => renderMarkdown(source), [source]);
  if (nodes.length === 0) return null;
  return <div className={className ? `markdown ${className}` : 'markdown'}>{nodes}</div>;
}
