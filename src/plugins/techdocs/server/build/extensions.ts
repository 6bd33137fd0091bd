/**
 * Which Python-Markdown extensions the build renders, so that mkdocs.yml warnings say the
 * truth: a listed extension that is rendered (or changes nothing in Atrium's output) is
 * silent, any other is named once per build.
 *
 * techdocs-core always enables: toc (permalinks), admonition, pymdownx.details,
 * pymdownx.tabbed, caret, critic, emoji, inlinehilite, magiclink, mark, smartsymbols,
 * snippets, highlight, extra (abbr, attr_list, def_list, fenced_code, footnotes, md_in_html,
 * tables, betterem, superfences), tasklist, tilde, markdown_inline_graphviz,
 * plantuml_markdown and mdx_truly_sane_lists.
 */
export const RENDERED_EXTENSIONS = new Set([
  // Python-Markdown's own
  'abbr',
  'admonition',
  'attr_list',
  'codehilite',
  'def_list',
  'extra',
  'fenced_code',
  'footnotes',
  'md_in_html',
  'meta',
  'nl2br',
  'sane_lists',
  'tables',
  'toc',
  // pymdown-extensions
  'pymdownx.betterem',
  'pymdownx.caret',
  'pymdownx.critic',
  'pymdownx.details',
  'pymdownx.emoji',
  'pymdownx.extra',
  'pymdownx.highlight',
  'pymdownx.inlinehilite',
  'pymdownx.magiclink',
  'pymdownx.mark',
  'pymdownx.saneheaders',
  'pymdownx.smartsymbols',
  'pymdownx.snippets',
  'pymdownx.striphtml',
  'pymdownx.superfences',
  'pymdownx.tabbed',
  'pymdownx.tasklist',
  'pymdownx.tilde',
  // List indentation as CommonMark reads it, which is what it fixes.
  'mdx_truly_sane_lists',
  // Only tells MkDocs how to rewrite paths; the build resolves links itself.
  'pymdownx.pathconverter',
]);

/**
 * Extensions that techdocs-core enables whose output Atrium does not produce: both call a
 * diagram tool on the server (PlantUML, Graphviz). Pages using them show the diagram source.
 */
export const UNRENDERED_TECHDOCS_CORE_EXTENSIONS = [
  'plantuml_markdown',
  'markdown_inline_graphviz',
] as const;

/** The name as mkdocs.yml may spell it: `markdown.extensions.toc` is `toc`. */
export function extensionName(name: string): string {
  return name.replace(/^markdown\.extensions\./, '');
}

export function isRenderedExtension(name: string): boolean {
  return RENDERED_EXTENSIONS.has(extensionName(name));
}
