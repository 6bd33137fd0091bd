import type { MarkdownIt, StateCore, Token } from 'markdown-it';
import type { PageEnv } from './markdown.ts';

/**
 * pymdownx.superfences and pymdownx.highlight on top of markdown-it's fences:
 *
 * - the attribute form of the info string, ```` ```{ .python title="x" } ```` and
 *   ```` ```python title="x" linenums="1" ````, is read for the language and the title (as
 *   Material shows it: `<span class="filename">` above the code);
 * - ```` ```mermaid ```` becomes `<pre class="mermaid"><code>…</code></pre>`, superfences'
 *   fence_code_format, which the reader page draws as a diagram;
 * - pymdownx.inlinehilite: `` `#!python len(x)` `` is highlighted inline code.
 *
 * Diagram fences that need a server-side tool techdocs-core calls (PlantUML, Graphviz) stay
 * code, and the page records them so the build can say so once.
 */
export function fencesPlugin(
  md: MarkdownIt,
  highlight: (code: string, language: string) => string | undefined,
): void {
  md.core.ruler.after('block', 'superfences_info', readFenceInfo);
  md.core.ruler.after('block', 'unrendered_diagrams', noteUnrenderedDiagrams);
  const fence = md.renderer.rules.fence!;
  md.renderer.rules.fence = (tokens, idx, options, env, self) => {
    const token = tokens[idx]!;
    const meta = (token.meta ?? {}) as FenceMeta;
    if (token.info.trim().toLowerCase() === 'mermaid') {
      const source = token.content.replace(/\n$/, '');
      return `<pre class="mermaid"><code>${md.utils.escapeHtml(source)}</code></pre>\n`;
    }
    const html = fence(tokens, idx, options, env, self);
    if (meta.title === undefined || meta.title === '') return html;
    return `<div class="highlight"><span class="filename">${md.utils.escapeHtml(meta.title)}</span>${html.trimEnd()}</div>\n`;
  };
  const codeInline = md.renderer.rules.code_inline!;
  md.renderer.rules.code_inline = (tokens, idx, options, env, self) => {
    const match = INLINE_HILITE.exec(tokens[idx]!.content);
    if (match) {
      const language = match[1]!.toLowerCase();
      const html = highlight(match[2]!, language);
      if (html !== undefined) {
        return `<code class="highlight language-${language}">${html}</code>`;
      }
    }
    return codeInline(tokens, idx, options, env, self);
  };
}

type FenceMeta = { title?: string };

const INLINE_HILITE = /^#!([A-Za-z0-9_+#.-]+)[ \t]+([\s\S]+)$/;
const PAIR = /([A-Za-z_][\w-]*)=(?:"((?:\\"|[^"])*)"|'((?:\\'|[^'])*)'|(\S+))/g;

/** Splits a superfences info string into the language and the options it holds. */
export function parseFenceInfo(info: string): { language: string; title?: string } {
  let text = info.trim();
  let language = '';
  if (text.startsWith('{') && text.endsWith('}')) {
    text = text.slice(1, -1).trim();
    const firstClass = /(?:^|\s)\.([A-Za-z0-9_+#-][\w+#.-]*)/.exec(text);
    language = firstClass?.[1] ?? '';
  } else {
    const head = /^\.?([^\s{]+)/.exec(text);
    language = head?.[1] ?? '';
    text = text.slice(head?.[0].length ?? 0);
  }
  let title: string | undefined;
  for (const pair of text.matchAll(PAIR)) {
    if (pair[1] === 'title')
      title = (pair[2] ?? pair[3] ?? pair[4] ?? '').replace(/\\(["'])/g, '$1');
  }
  return { language, ...(title !== undefined && { title }) };
}

function readFenceInfo(state: StateCore): void {
  for (const token of state.tokens) {
    if (token.type !== 'fence') continue;
    const info = token.info.trim();
    // Only forms markdown-it's own reading gets wrong: braces, or options after the language.
    if (!/[{=]/.test(info)) continue;
    const parsed = parseFenceInfo(info);
    token.info = parsed.language;
    token.meta = { ...(token.meta ?? {}), title: parsed.title } satisfies FenceMeta;
  }
}

const PLANTUML = new Set(['plantuml', 'puml', 'uml']);
const GRAPHVIZ = /^\{%\s*(dot|neato|fdp|sfdp|twopi|circo)\b/;

function noteUnrenderedDiagrams(state: StateCore): void {
  const env = state.env as unknown as PageEnv;
  const note = (extension: string, token: Token) => {
    env.unrendered ??= new Map();
    if (!env.unrendered.has(extension)) {
      env.unrendered.set(extension, token.map ? token.map[0] + 1 : 0);
    }
  };
  for (const [index, token] of state.tokens.entries()) {
    if (token.type === 'fence') {
      const language = token.info
        .trim()
        .split(/\s+/)[0]!
        .replace(/^\{?\./, '')
        .toLowerCase();
      if (PLANTUML.has(language)) note('plantuml_markdown', token);
    } else if (token.type === 'inline' && state.tokens[index - 1]?.type === 'paragraph_open') {
      if (GRAPHVIZ.test(token.content)) note('markdown_inline_graphviz', token);
    }
  }
}
