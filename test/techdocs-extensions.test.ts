import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type BuildProblem,
  type BuildResult,
  buildSite,
} from '../src/plugins/techdocs/server/build/index.ts';
import { executableParts } from '../src/plugins/techdocs/server/build/render.testkit.ts';

/**
 * The Markdown extensions techdocs-core enables, compared with MkDocs: each page of
 * fixtures/techdocs-extensions/docs/ is built by Atrium and its HTML structure (elements,
 * their nesting, the classes and attributes that carry meaning, and the text) must equal
 * what Python-Markdown + pymdown-extensions produced for the same page
 * (fixtures/techdocs-extensions/expected/, made by reference.py there). One test per
 * construct, so a regression names the construct.
 *
 * Differences that are choices, normalised on both sides before comparing:
 * - code blocks: MkDocs writes Pygments tables with line numbers, Atrium highlight.js
 *   (`pre > code.language-x`); both become `codeblock[language][title]` with the code text;
 * - highlighting inside code (Pygments' or highlight.js' spans) is not compared, the code text is;
 * - icons: the SVG path data differs between icon-set releases; only `svg > path` is kept;
 * - permalinks: MkDocs' title="Permanent link" and Atrium's aria-hidden are not compared;
 * - link and image addresses are not compared (link rewriting has its own tests).
 */

const root = fileURLToPath(new URL('./fixtures/techdocs-extensions/', import.meta.url));

const COMPARED_ATTRIBUTES = [
  'id',
  'class',
  'title',
  'open',
  'width',
  'height',
  'align',
  'target',
  'alt',
];
const VOID = new Set(['br', 'hr', 'img', 'input', 'path', 'wbr']);

interface Node {
  tag: string;
  attrs: Record<string, string>;
  children: Array<Node | string>;
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  para: '¶',
  trade: '™',
  copy: '©',
  reg: '®',
  plusmn: '±',
  frac12: '½',
  frac34: '¾',
  rarr: '→',
  larr: '←',
  harr: '↔',
  ne: '≠',
};

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z0-9]+);/gi, (all, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    return ENTITIES[entity] ?? all;
  });
}

/** A small HTML reader: enough for MkDocs' and the sanitiser's regular output. */
function parse(html: string): Node {
  const top: Node = { tag: '#root', attrs: {}, children: [] };
  const stack = [top];
  const pattern =
    /<!--[\s\S]*?-->|<(\/?)([a-zA-Z][\w:-]*)((?:\s+[^\s=>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*)\s*(\/?)>|[^<]+/g;
  for (const match of html.matchAll(pattern)) {
    const current = stack[stack.length - 1]!;
    if (match[0].startsWith('<!--')) continue;
    if (match[2] === undefined) {
      current.children.push(decode(match[0]));
      continue;
    }
    const tag = match[2].toLowerCase();
    if (match[1] === '/') {
      const at = stack.map((node) => node.tag).lastIndexOf(tag);
      if (at > 0) stack.length = at;
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const attr of (match[3] ?? '').matchAll(
      /([^\s=>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g,
    )) {
      attrs[attr[1]!.toLowerCase()] = decode(attr[2] ?? attr[3] ?? attr[4] ?? '');
    }
    const node: Node = { tag, attrs, children: [] };
    current.children.push(node);
    if (!VOID.has(tag) && match[4] !== '/') stack.push(node);
  }
  return top;
}

function textOf(node: Node | string): string {
  return typeof node === 'string' ? node : node.children.map(textOf).join('');
}

function find(node: Node, test: (node: Node) => boolean): Node | undefined {
  if (test(node)) return node;
  for (const child of node.children) {
    if (typeof child === 'string') continue;
    const found = find(child, test);
    if (found) return found;
  }
  return undefined;
}

function classes(node: Node): string[] {
  return (node.attrs.class ?? '').split(/\s+/).filter(Boolean);
}

/** A code block as `codeblock[language=…][title=…]` holding its text (see the file comment). */
function codeBlock(node: Node): Node | undefined {
  const isHighlightDiv = node.tag === 'div' && classes(node).includes('highlight');
  const isPlainPre =
    node.tag === 'pre' && !classes(node).includes('mermaid') && find(node, (n) => n.tag === 'code');
  if (!isHighlightDiv && !isPlainPre) return undefined;
  const code = find(node, (n) => n.tag === 'code' && n !== node);
  if (!code) return undefined;
  const languageOf = (n: Node | undefined) =>
    n
      ? classes(n)
          .find((c) => c.startsWith('language-'))
          ?.slice('language-'.length)
      : undefined;
  const language = languageOf(node) ?? languageOf(code);
  const title = find(node, (n) => n.tag === 'span' && classes(n).includes('filename'));
  const attrs: Record<string, string> = {};
  if (language) attrs.language = language;
  if (title) attrs.title = textOf(title).trim();
  return { tag: 'codeblock', attrs, children: [textOf(code).replace(/\n$/, '')] };
}

/** The structure as indented lines: what the tests compare. */
function outline(node: Node | string, depth = 0, lines: string[] = []): string[] {
  const pad = '  '.repeat(depth);
  if (typeof node === 'string') {
    const text = node.replace(/\s+/g, ' ').trim();
    if (text) lines.push(`${pad}"${text}"`);
    return lines;
  }
  const block = codeBlock(node);
  if (block) {
    const attrs = Object.entries(block.attrs).map(([key, value]) => `[${key}=${value}]`);
    lines.push(`${pad}codeblock${attrs.join('')}`, `${pad}  ${JSON.stringify(block.children[0])}`);
    return lines;
  }
  if (node.tag === 'code') {
    lines.push(`${pad}code${classes(node).includes('highlight') ? '.highlight' : ''}`);
    lines.push(`${pad}  ${JSON.stringify(textOf(node))}`);
    return lines;
  }
  if (node.tag === 'svg') {
    lines.push(`${pad}svg`);
    for (const child of node.children) {
      if (typeof child !== 'string' && child.tag === 'path') lines.push(`${pad}  path`);
    }
    return lines;
  }
  if (node.tag !== '#root') {
    const attrs = COMPARED_ATTRIBUTES.filter((name) => node.attrs[name] !== undefined)
      .filter(
        (name) => !(node.tag === 'a' && classes(node).includes('headerlink') && name === 'title'),
      )
      .map((name) => {
        if (name === 'class') return `.${classes(node).sort().join('.')}`;
        if (name === 'open') return '[open]';
        return `[${name}=${node.attrs[name]}]`;
      });
    lines.push(`${pad}${node.tag}${attrs.join('')}`);
  }
  for (const child of node.children)
    outline(child, node.tag === '#root' ? depth : depth + 1, lines);
  return lines;
}

const structure = (html: string) => outline(parse(html));

let built: BuildResult;
let outDir: string;

beforeAll(async () => {
  outDir = path.join(await mkdtemp(path.join(tmpdir(), 'atrium-extensions-')), 'site');
  built = await buildSite({
    sourceDir: root,
    outDir,
    log: { info() {}, warn() {}, error() {} },
  });
});

const pageHtml = (name: string) => readFile(path.join(outDir, name, 'index.html'), 'utf8');
const expectedHtml = (name: string) =>
  readFile(path.join(root, 'expected', `${name}.html`), 'utf8');

const CONSTRUCTS: Record<string, string> = {
  'attr-list': 'attr_list: image size and side, link target, classes, paragraph and heading ids',
  'md-in-html': 'md_in_html: Markdown inside <div markdown>, nested, span mode; raw HTML stays raw',
  'admonitions-nested': 'admonitions nested three deep and inside a raw HTML block',
  details: 'pymdownx.details: ??? collapsed, ???+ open, nested, inside an admonition',
  'def-list': 'def_list: tight and loose definitions',
  abbr: 'abbr: *[HTML]: … definitions',
  mark: 'pymdownx.mark: ==mark==',
  caret: 'pymdownx.caret: ^^insert^^ and superscript',
  tilde: 'pymdownx.tilde: ~~delete~~ and subscript',
  snippets: 'pymdownx.snippets: sections, line ranges, block form, escape, inside a fence',
  superfences: 'pymdownx.superfences: fences in admonitions and lists, titles, mermaid',
  'toc-permalinks': 'toc: heading ids as Python-Markdown makes them, with ¶ permalinks',
  icons: 'Material icon shortcodes (material, octicons, fontawesome) as inline SVG',
  critic: 'pymdownx.critic: CriticMarkup in view mode',
  smartsymbols: 'pymdownx.smartsymbols: ™ © ® ℅ ± arrows ≠ fractions ordinals',
  inlinehilite: 'pymdownx.inlinehilite: `#!python code`',
};

describe('techdocs-core Markdown extensions, compared with MkDocs', () => {
  it('has a page and an expected file for every construct, and nothing else', async () => {
    const pages = (await readdir(path.join(root, 'docs')))
      .filter((name) => name.endsWith('.md') && name !== 'index.md')
      .map((name) => name.slice(0, -3));
    expect(pages.sort()).toEqual(Object.keys(CONSTRUCTS).sort());
    const expected = (await readdir(path.join(root, 'expected'))).map((n) =>
      n.replace(/\.html$/, ''),
    );
    for (const page of pages) expect(expected).toContain(page);
  });

  it('has a comparison that sees a broken construct', () => {
    expect(structure('<p>a <mark>b</mark></p>')).not.toEqual(structure('<p>a ==b==</p>'));
    expect(structure('<div class="admonition note"><p>x</p></div>')).not.toEqual(
      structure('<div class="admonition"><div class="note"><p>x</p></div></div>'),
    );
    // …and ignores what the file comment says it ignores.
    expect(
      structure(
        '<div class="language-py highlight"><table class="highlighttable"><tr><td class="linenos"><pre>1</pre></td><td class="code"><div><pre><span></span><code><span class="nb">x</span>\n</code></pre></div></td></tr></table></div>',
      ),
    ).toEqual(
      structure('<pre><code class="hljs language-py"><span class="hljs-x">x</span>\n</code></pre>'),
    );
  });

  for (const [name, construct] of Object.entries(CONSTRUCTS)) {
    it(`renders ${construct}`, async () => {
      const html = await pageHtml(name);
      expect(structure(html)).toEqual(structure(await expectedHtml(name)));
      expect(executableParts(html)).toEqual([]);
    });
  }

  it('builds the corpus with no warning: every extension it lists is rendered', () => {
    const problems = built.problems.map(
      (p: BuildProblem) => `${p.level} ${p.file ?? ''}:${p.line ?? ''} ${p.message}`,
    );
    expect(problems).toEqual([]);
  });
});

/** A source folder from a map of relative paths to contents. */
async function sourceWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'atrium-extensions-src-'));
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  }
  return dir;
}

async function problemsOf(files: Record<string, string>): Promise<string[]> {
  const out = path.join(await mkdtemp(path.join(tmpdir(), 'atrium-extensions-out-')), 'site');
  const warned: string[] = [];
  const result = await buildSite({
    sourceDir: await sourceWith(files),
    outDir: out,
    log: { info() {}, warn: (m) => warned.push(m), error: (m) => warned.push(m) },
  });
  expect(warned.length).toBe(result.problems.length);
  return result.problems.map((p) => `${p.level} ${p.file ?? ''}:${p.line ?? ''} ${p.message}`);
}

const PLANTUML_PAGE = '# P\n\n```plantuml\n@startuml\nA -> B\n@enduml\n```\n';

describe('mkdocs.yml warnings about extensions are true', () => {
  it('names an extension techdocs-core enables but Atrium does not render once per build, at its first use', async () => {
    const problems = await problemsOf({
      'mkdocs.yml': 'site_name: X\n',
      'docs/index.md': '# Home\n\n{% dot graph.svg\n  digraph G { a -> b }\n%}\n',
      'docs/a.md': PLANTUML_PAGE,
      'docs/b.md': PLANTUML_PAGE,
    });
    expect(problems).toEqual([
      "warning docs/a.md:3 markdown extension 'plantuml_markdown' (enabled by techdocs-core) is not rendered by Atrium's docs build; shown as code",
      "warning docs/index.md:3 markdown extension 'markdown_inline_graphviz' (enabled by techdocs-core) is not rendered by Atrium's docs build; shown as code",
    ]);
  });

  it('names an unrendered extension listed in mkdocs.yml there only, once', async () => {
    const problems = await problemsOf({
      'mkdocs.yml':
        'site_name: X\nmarkdown_extensions:\n  - plantuml_markdown\n  - attr_list\n  - plantuml_markdown\n',
      'docs/index.md': PLANTUML_PAGE,
    });
    expect(problems).toEqual([
      "warning mkdocs.yml:3 markdown extension 'plantuml_markdown' is not supported by Atrium's docs build; ignored",
    ]);
  });

  it('gives the page line of a broken link after included snippets, and names a refused snippet', async () => {
    const problems = await problemsOf({
      'mkdocs.yml': 'site_name: X\n',
      'docs/index.md':
        '# Home\n--8<-- "docs/parts/long.md"\n--8<-- "../mkdocs.yml"\n\n[broken](nowhere.md)\n',
      'docs/parts/long.md': 'one\ntwo\nthree\nfour\n',
    });
    // Line 5 as written, though four included lines now come before it.
    expect(problems).toEqual([
      "error docs/index.md:3 snippet '../mkdocs.yml' leaves the docs folder: refused",
      "warning docs/index.md:5 link to missing page 'nowhere.md'",
    ]);
  });
});
