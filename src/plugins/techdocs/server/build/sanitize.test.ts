import { describe, expect, it } from 'vitest';
import { executableParts, renderForTest } from './render.testkit.ts';

const HOSTILE: Record<string, string> = {
  'script tag': '<script>alert("script")</script>\n\ntext after',
  'img onerror': '<img src=x onerror=alert("img")>',
  'markdown javascript link': '[click](javascript:alert("md"))',
  'mixed-case javascript href': '<a href="JaVaScRiPt:alert(1)">mixed</a>',
  'entity-encoded javascript href': '<a href="&#106;avascript:alert(1)">entity</a>',
  'hex entity with tab': '<a href="jav&#x09;ascript:alert(1)">tab</a>',
  'markdown entity javascript link': '[x](&#106;avascript:alert(1))',
  'markdown autolink javascript': '<javascript:alert(1)>',
  'vbscript href': '<a href="vbscript:msgbox(1)">vb</a>',
  'svg script': '<svg><script>alert("svg")</script></svg>',
  'svg onload': '<svg onload=alert(1)><circle r="10"/></svg>',
  iframe: '<iframe src="https://evil.example/"></iframe>',
  'style tag': '<style>body { display: none }</style>',
  'style attribute': '<div style="background:url(javascript:alert(1))">styled</div>',
  'data url link': '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>',
  'data svg image': '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
  'markdown data image': '![x](data:image/png;base64,iVBORw0KGgo=)',
  'object and embed': '<object data="x.swf"></object><embed src="x.swf">',
  'form and input':
    '<form action="https://evil.example"><input type="text" name="q"><button>go</button></form>',
  'meta refresh': '<meta http-equiv="refresh" content="0;url=https://evil.example">',
  'base and link': '<base href="https://evil.example/"><link rel="stylesheet" href="x.css">',
  'details ontoggle': '<details open ontoggle=alert(1)><summary>s</summary>x</details>',
  'math xlink': '<math><mi xlink:href="javascript:alert(1)">m</mi></math>',
  'noscript mxss': '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  'enabled checkbox': '<input type="checkbox" onclick="alert(1)">',
  'admonition title': '!!! note "<img src=x onerror=alert(1)>"\n    body',
  'table cell style':
    '| a |\n|--:|\n| b |\n\n<table><tr><td style="text-align:left;background-image:url(javascript:x)">c</td></tr></table>',
  'protocol-relative image': '<img src="//evil.example/x.png">',
  'http image': '<img src="http://evil.example/x.png">',
  srcset: '<img src="a.png" srcset="javascript:alert(1) 1x">',
  'attr_list event handler': '[x](https://x.example){: onclick="alert(1)" onmouseover=alert(2) }',
  'attr_list style and href':
    '![i](a.png){ style="background:url(javascript:x)" src="javascript:alert(1)" }',
  'attr_list javascript href': '[x](y){ href="javascript:alert(1)" }',
  'attr_list on a paragraph': 'text\n{: onclick="alert(1)" .x #ok }',
  'md_in_html with handlers':
    '<div markdown onclick="alert(1)">\n<img src=x onerror=alert(2)>\n\n[a](javascript:alert(3))\n</div>',
  'md_in_html span script': '<p markdown="span"><script>alert(1)</script>*x*</p>',
  'mermaid fence breaking out': '```mermaid\n</code></pre><script>alert(1)</script>\n```',
  'fence title': '```{ .py title="<img src=x onerror=alert(1)>" }\nx\n```',
  'critic markup with html': '{++<img src=x onerror=alert(1)>++} {>><script>alert(2)</script><<}',
  'raw svg in an icon span': '<span class="twemoji"><svg><script>alert(1)</script></svg></span>',
  'abbr title': '*[X]: "><script>alert(1)</script>\n\nX marks',
  'deflist html': 'Term\n:   <img src=x onerror=alert(1)>',
  'snippet-looking line': '--8<-- "../../etc/passwd"',
};

describe('sanitised pages', () => {
  it('has a checker that sees executable HTML when it is there', () => {
    expect(
      executableParts(
        '<a href="jav&#x09;ascript:x" onclick="y">a</a><script></script><img src="data:image/svg+xml,x"><input type="text">',
      ),
    ).toEqual([
      "href='jav\tascript:x' on <a>",
      'attribute onclick on <a>',
      'tag <script>',
      "src='data:image/svg+xml,x' on <img>",
      'input type text',
      'enabled input',
    ]);
  });

  for (const [name, markdown] of Object.entries(HOSTILE)) {
    it(`leaves nothing executable: ${name}`, () => {
      const { html } = renderForTest(markdown);
      expect(executableParts(html), html).toEqual([]);
      expect(html).not.toMatch(
        /<script|<iframe|<svg|<style|<object|<embed|<form|<meta|<base|<link/i,
      );
      expect(html).not.toMatch(/<[^>]*\son[a-z]+=/i);
    });
  }

  it('drops the content of script and style, keeps the text around them', () => {
    const { html } = renderForTest(HOSTILE['script tag']!);
    expect(html).not.toContain('alert');
    expect(html).toContain('<p>text after</p>');
  });

  it('escapes a hostile tab title as text, and its body is sanitised like any other', () => {
    const { html } = renderForTest(
      '=== "<img src=x onerror=alert(1)>"\n\n    <script>alert(2)</script>[x](javascript:alert(3))\n',
    );
    expect(executableParts(html)).toEqual([]);
    expect(html).toContain('<p class="tabbed-title">&lt;img src=x onerror=alert(1)&gt;</p>');
  });

  it('escapes a hostile admonition title as text', () => {
    const { html } = renderForTest(HOSTILE['admonition title']!);
    expect(html).toContain('<p class="admonition-title">&lt;img src=x onerror=alert(1)&gt;</p>');
  });

  it('keeps only the alignment of table cells', () => {
    const { html } = renderForTest(HOSTILE['table cell style']!);
    expect(html).toContain('<th style="text-align:right">a</th>');
    expect(html).toContain('<td style="text-align:left">c</td>');
  });

  it('keeps a checkbox only as a disabled one', () => {
    const { html } = renderForTest(HOSTILE['enabled checkbox']!);
    expect(html).toBe('<input type="checkbox" disabled />');
  });

  it('drops unknown classes that could borrow the portal styles', () => {
    const { html } = renderForTest(
      '<p class="fixed inset-0 admonition-title">x</p><div class="modal">y</div>',
    );
    expect(html).toBe('<p class="admonition-title">x</p><div>y</div>');
  });

  it('adds rel=noopener to external links and keeps safe relative and mail links', () => {
    const { html } = renderForTest(
      '[ext](https://example.com/a) [mail](mailto:a@example.com) [rel](other/) <a href="https://x.example" rel="opener">raw</a>',
    );
    expect(html).toContain('<a href="https://example.com/a" rel="noopener noreferrer">ext</a>');
    expect(html).toContain('<a href="mailto:a@example.com">mail</a>');
    expect(html).toContain('<a href="other/">rel</a>');
    expect(html).toContain('<a href="https://x.example" rel="noopener noreferrer">raw</a>');
  });

  it('keeps the raw HTML authors write for layout', () => {
    const { html } = renderForTest(
      '<details><summary>More</summary>\n\nHidden *text*\n\n</details>\n\n<kbd>Ctrl</kbd>+<kbd>C</kbd> H<sub>2</sub>O',
    );
    expect(html).toContain('<details><summary>More</summary>');
    expect(html).toContain('<em>text</em>');
    expect(html).toContain('<kbd>Ctrl</kbd>+<kbd>C</kbd> H<sub>2</sub>O');
  });

  it('keeps what attr_list may set, with safe values only', () => {
    const { html } = renderForTest(
      [
        '![a](https://x.example/a.png){ width=300 height="50%" align=left }',
        '![b](https://x.example/b.png){ width="1;x" align=middle }',
        '[c](https://x.example/){:target="_blank"} [d](other/){: target="_blank" } [e](f/){ target=frame }',
        '[Go](https://x.example/){ .md-button .md-button--primary .fixed } {: #p-id }',
      ].join('\n\n'),
    );
    expect(html).toContain(
      '<img src="https://x.example/a.png" alt="a" width="300" height="50%" align="left" />',
    );
    expect(html).toContain('<img src="https://x.example/b.png" alt="b" />');
    expect(html).toContain(
      '<a href="https://x.example/" target="_blank" rel="noopener noreferrer">c</a> <a href="other/" target="_blank" rel="noopener">d</a> <a href="f/">e</a>',
    );
    expect(html).toContain('<a href="https://x.example/" class="md-button md-button--primary"');
  });

  it('draws only icons the build knows, whatever an author writes in raw HTML', () => {
    const { html } = renderForTest(
      '<span class="twemoji" data-atrium-icon="material-check" onclick="x"><svg onload=alert(2)></svg></span> <span data-atrium-icon="../../x" class="twemoji">y</span>',
    );
    expect(executableParts(html)).toEqual([]);
    expect(html).toMatch(
      /^<p><span class="twemoji"><svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 24 24"><path d="[^"]+"\/><\/svg><\/span> <span class="twemoji">y<\/span><\/p>\n$/,
    );
  });

  it('keeps mermaid source as escaped text in pre.mermaid', () => {
    const { html } = renderForTest(HOSTILE['mermaid fence breaking out']!);
    expect(html).toBe(
      '<pre class="mermaid"><code>&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;</code></pre>\n',
    );
  });
});
