import { describe, expect, it } from 'vitest';
import { createMarkdown, newPageEnv, slugify } from './markdown.ts';
import { renderForTest } from './render.testkit.ts';

describe('page Markdown', () => {
  it('gives headings MkDocs ids with a permalink, and a TOC of h2–h4', () => {
    const { html, env } = renderForTest(
      '# Title\n\n## Quote engine\n\n### Café & more!\n\n#### Deep\n\n##### Too deep\n\n## Quote engine\n',
    );
    expect(html).toContain(
      '<h2 id="quote-engine">Quote engine <a class="headerlink" href="#quote-engine" aria-hidden="true">¶</a></h2>',
    );
    expect(env.h1).toBe('Title');
    expect(env.toc).toEqual([
      { level: 2, id: 'quote-engine', text: 'Quote engine' },
      { level: 3, id: 'cafe-more', text: 'Café & more!' },
      { level: 4, id: 'deep', text: 'Deep' },
      { level: 2, id: 'quote-engine_1', text: 'Quote engine' },
    ]);
  });

  it('slugs like Python-Markdown', () => {
    const ids = new Set<string>();
    expect(slugify('Hello, World!', ids)).toBe('hello-world');
    expect(slugify('Hello, World!', ids)).toBe('hello-world_1');
    expect(slugify('日本語', ids)).toBe('_1');
    expect(slugify('a - b__c', ids)).toBe('a-b__c');
  });

  it('highlights fenced code by language and leaves unknown languages plain', () => {
    const { html } = renderForTest(
      '```python\ndef f(x):\n    return x\n```\n\n```mermaid\ngraph LR\n  a --> b\n```\n\n```\n<b>plain</b>\n```',
    );
    expect(html).toContain(
      '<pre><code class="hljs language-python"><span class="hljs-keyword">def</span> <span class="hljs-title function_">f</span>',
    );
    // superfences' mermaid fence (fence_code_format): the reader draws it.
    expect(html).toContain('<pre class="mermaid"><code>graph LR\n  a --&gt; b</code></pre>');
    expect(html).toContain('<pre><code class="hljs">&lt;b&gt;plain&lt;/b&gt;\n</code></pre>');
  });

  it('renders admonitions with their body as Markdown', () => {
    const { html } = renderForTest(
      '!!! warning "Mind the gap"\n    Some **bold** text.\n\n    - a list\n\nafter\n',
    );
    expect(html).toBe(
      '<div class="admonition warning">\n<p class="admonition-title">Mind the gap</p>\n<p>Some <strong>bold</strong> text.</p>\n<ul>\n<li>a list</li>\n</ul>\n</div>\n<p>after</p>\n',
    );
  });

  it('renders default titles, no-title admonitions and unknown types', () => {
    expect(renderForTest('!!! tip\n    x').html).toContain('<p class="admonition-title">Tip</p>');
    expect(renderForTest('!!! note ""\n    x').html).toBe(
      '<div class="admonition note">\n<p>x</p>\n</div>\n',
    );
    expect(renderForTest('!!! made-up\n    x').html).toContain(
      '<div class="admonition">\n<p class="admonition-title">Made up</p>',
    );
  });

  it('renders ??? as collapsed and ???+ as expanded details', () => {
    expect(renderForTest('??? question "Why?"\n    Because.').html).toBe(
      '<details class="question">\n<summary>Why?</summary>\n<p>Because.</p>\n</details>\n',
    );
    expect(renderForTest('???+ note\n    Open.').html).toContain('<details class="note" open>');
  });

  it('nests admonitions and keeps code inside them', () => {
    const { html } = renderForTest(
      '!!! note\n    outer\n\n    !!! danger\n        inner\n\n    ```bash\n    echo hi\n    ```\n',
    );
    expect(html).toContain('<div class="admonition danger">');
    expect(html).toContain('<p>inner</p>');
    expect(html).toContain(
      '<code class="hljs language-bash"><span class="hljs-built_in">echo</span> hi',
    );
  });

  it('links bare URLs but not file names that look like domains', () => {
    expect(renderForTest('See https://example.com/x and runbook.md or notes.io').html).toBe(
      '<p>See <a href="https://example.com/x" rel="noopener noreferrer">https://example.com/x</a> and runbook.md or notes.io</p>\n',
    );
  });

  it('turns emoji shortcodes into Unicode and icon codes into SVG, outside code only', () => {
    expect(
      renderForTest(
        'Ship it :rocket: :material-no-such-icon: `:rocket: :material-check:`\n\n    :heart:\n',
      ).html,
    ).toBe(
      '<p>Ship it 🚀 :material-no-such-icon: <code>:rocket: :material-check:</code></p>\n<pre><code>:heart:\n</code></pre>\n',
    );
    const { html } = renderForTest(
      '[:octicons-mark-github-16: GitHub](https://github.com) :material-check:',
    );
    expect(html).toMatch(
      /^<p><a href="https:\/\/github.com" rel="noopener noreferrer"><span class="twemoji"><svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 16 16"><path d="M[^"]+"\/><\/svg><\/span> GitHub<\/a> <span class="twemoji"><svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 24 24"><path d="M21,7L9,19L3.5,13.5L4.91,12.09L9,16.17L19.59,5.59L21,7Z"\/><\/svg><\/span><\/p>\n$/,
    );
  });

  it('renders content tabs: consecutive tabs as one set, ===! starting another, ===+ chosen', () => {
    const html = renderForTest(
      [
        '=== "macOS"',
        '',
        '    Run **brew**:',
        '',
        '    ```sh',
        '    brew install atrium',
        '    ```',
        '',
        '=== "Linux"',
        '    Use `apt`.',
        '',
        'Between.',
        '',
        '===! "A"',
        '',
        '    a',
        '',
        '===+ "B"',
        '',
        '    b',
        '',
        '    !!! note',
        '        nested',
        '',
        '===! "C"',
        '    c',
        '',
        '    === "Inner"',
        '        inner',
        '',
      ].join('\n'),
    ).html;
    const sets = html.split('<div class="tabbed-set">').length - 1;
    expect(sets).toBe(4); // macOS+Linux, A+B, C, Inner
    expect(html).toContain(
      '<div class="tabbed-block">\n<p class="tabbed-title">macOS</p>\n<p>Run <strong>brew</strong>:</p>\n<pre><code class="hljs language-sh">',
    );
    expect(html).toContain(
      '<div class="tabbed-block">\n<p class="tabbed-title">Linux</p>\n<p>Use <code>apt</code>.</p>\n</div>\n</div>\n<p>Between.</p>',
    );
    expect(html).toContain(
      '<div class="tabbed-block tabbed-selected">\n<p class="tabbed-title">B</p>\n<p>b</p>\n<div class="admonition note">',
    );
    expect(html).toContain('<p class="tabbed-title">Inner</p>\n<p>inner</p>');
    // Without a quoted title it is not a tab.
    expect(renderForTest('=== macOS\n').html).toBe('<p>=== macOS</p>\n');
  });

  it('reads the directive admonitions of Backstage examples', () => {
    expect(renderForTest(':::note{severity="warning"}\nCareful **now**.\n:::\n').html).toBe(
      '<div class="admonition warning">\n<p>Careful <strong>now</strong>.</p>\n</div>\n',
    );
    expect(renderForTest(':::tip[Pro tip]\nx\n:::').html).toContain(
      '<p class="admonition-title">Pro tip</p>',
    );
    expect(renderForTest(':::note\nnever closed').html).toBe('<p>:::note\nnever closed</p>\n');
  });

  it('renders footnotes, task lists and tables', () => {
    const { html } = renderForTest(
      'Text[^1].\n\n[^1]: The note.\n\n- [x] done\n- [ ] todo\n\n| a | b |\n|:-|-:|\n| 1 | 2 |\n',
    );
    expect(html).toContain('<sup class="footnote-ref"><a href="#fn1" id="fnref1">[1]</a></sup>');
    expect(html).toContain(
      '<li id="fn1" class="footnote-item"><p>The note. <a href="#fnref1" class="footnote-backref">',
    );
    expect(html).toContain(
      '<li class="task-list-item"><input type="checkbox" disabled checked class="task-list-item-checkbox" /> done</li>',
    );
    expect(html).toContain('<th style="text-align:left">a</th>');
    expect(html).toContain('<td style="text-align:right">2</td>');
  });

  it('reads attr_list with or without the colon, on images, links, paragraphs and headings', () => {
    const { html, env } = renderForTest(
      '## Setup {: #setup-id }\n\n![a](https://x.example/a.png){: width="200" }\n\n[b](https://x.example/){ target=_blank }\n\ntext\n{ #text-id }\n',
    );
    expect(html).toContain('<h2 id="setup-id">Setup <a class="headerlink" href="#setup-id"');
    expect(env.toc).toEqual([{ level: 2, id: 'setup-id', text: 'Setup' }]);
    expect(html).toContain('<img src="https://x.example/a.png" alt="a" width="200" />');
    expect(html).toContain(
      '<a href="https://x.example/" target="_blank" rel="noopener noreferrer">b</a>',
    );
    expect(html).toContain('<p id="text-id">text</p>');
  });

  it('keeps a repeated attr_list id instead of failing the page, and slugs around it', () => {
    const { env } = renderForTest('## A { #same }\n\n## B { #same }\n\n## Same\n');
    expect(env.toc.map((entry) => entry.id)).toEqual(['same', 'same-1', 'same_1']);
  });

  it('reads md_in_html only with a closed element carrying the markdown attribute', () => {
    expect(renderForTest('<div markdown>\n*a*\n').html).toBe('<div>\n*a*\n</div>');
    expect(renderForTest('<div markdown="0">\n*a*\n</div>').html).toBe('<div>\n*a*\n</div>');
    expect(
      renderForTest('<details markdown>\n<summary>More</summary>\n\n*hidden*\n</details>').html,
    ).toBe('<details>\n<summary>More</summary>\n<p><em>hidden</em></p>\n</details>\n');
    // A closing tag shown as code does not close the element.
    expect(renderForTest('<div markdown>\n```html\n</div>\n```\nafter `</div>`\n</div>').html).toBe(
      '<div>\n<pre><code class="hljs language-html"><span class="hljs-tag">&lt;/<span class="hljs-name">div</span>&gt;</span>\n</code></pre>\n<p>after <code>&lt;/div&gt;</code></p>\n</div>\n',
    );
  });

  it('follows nl2br when mkdocs.yml lists it', () => {
    const env = newPageEnv() as unknown as Record<string, unknown>;
    expect(createMarkdown({ breaks: true }).render('a\nb', env)).toBe('<p>a<br>\nb</p>\n');
    expect(createMarkdown().render('a\nb', newPageEnv() as never)).toBe('<p>a\nb</p>\n');
  });

  it('records PlantUML and Graphviz diagrams, which it leaves as code, with their line', () => {
    const { html, env } = renderForTest(
      'x\n\n```plantuml\n@startuml\n@enduml\n```\n\n{% dot g.svg\n  digraph G { a -> b }\n%}\n\n```puml\n```\n',
    );
    expect([...(env.unrendered ?? [])]).toEqual([
      ['plantuml_markdown', 3],
      ['markdown_inline_graphviz', 8],
    ]);
    expect(html).toContain('<code class="hljs language-plantuml">@startuml');
  });

  it('applies smartsymbols to text, not to code or bare URLs', () => {
    expect(renderForTest('a --> b `c --> d` https://x.example/a-->b').html).toBe(
      '<p>a → b <code>c --&gt; d</code> <a href="https://x.example/a--" rel="noopener noreferrer">https://x.example/a--</a>&gt;b</p>\n',
    );
  });
});
