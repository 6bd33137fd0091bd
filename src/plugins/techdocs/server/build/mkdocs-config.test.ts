import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMkDocsConfig } from './mkdocs-config.ts';
import { ProblemSink } from './problems.ts';

async function folderWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'atrium-mkdocs-'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

async function read(files: Record<string, string>, defaultSiteName?: string) {
  const problems = new ProblemSink();
  const config = await readMkDocsConfig(await folderWith(files), defaultSiteName, problems);
  return { config, problems: problems.list };
}

describe('readMkDocsConfig', () => {
  it('reads the settings the build uses, with nav lines', async () => {
    const { config, problems } = await read({
      'mkdocs.yml': `site_name: Payments
site_description: How we take money
repo_url: https://github.com/acme/payments
edit_uri: edit/main/docs/
docs_dir: ./documentation/
nav:
  - Home: index.md
  - guide.md
  - Reference:
      - API: reference/api.md
  - Status: https://status.example.com
plugins:
  - techdocs-core
  - search
`,
    });
    expect(problems).toEqual([]);
    expect(config).toEqual({
      configFile: 'mkdocs.yml',
      siteName: 'Payments',
      siteDescription: 'How we take money',
      repoUrl: 'https://github.com/acme/payments',
      editUri: 'edit/main/docs/',
      docsDir: 'documentation',
      plugins: ['techdocs-core', 'search'],
      markdownExtensions: [],
      nav: [
        { title: 'Home', target: 'index.md', line: 7 },
        { target: 'guide.md', line: 8 },
        {
          title: 'Reference',
          line: 9,
          children: [{ title: 'API', target: 'reference/api.md', line: 10 }],
        },
        { title: 'Status', target: 'https://status.example.com', line: 11 },
      ],
    });
  });

  it('parses Python tags as plain values and never reads the environment for !ENV', async () => {
    process.env.ATRIUM_TEST_SECRET = 'do-not-print';
    const { config, problems } = await read({
      'mkdocs.yml': `site_name: !ENV [ATRIUM_TEST_SECRET, "Fallback name"]
site_description: !ENV ATRIUM_TEST_SECRET
markdown_extensions:
  - admonition
  - pymdownx.emoji:
      emoji_index: !!python/name:material.extensions.emoji.twemoji
      emoji_generator: !!python/name:material.extensions.emoji.to_svg
  - pymdownx.superfences:
      custom_fences:
        - name: mermaid
          class: mermaid
          format: !!python/name:pymdownx.superfences.fence_code_format
  - toc:
      permalink: true
`,
    });
    expect(config.siteName).toBe('Fallback name');
    expect(config.siteDescription).toBeUndefined();
    expect(config.markdownExtensions).toEqual([
      'admonition',
      'pymdownx.emoji',
      'pymdownx.superfences',
      'toc',
    ]);
    expect(JSON.stringify(config)).not.toContain('do-not-print');
    expect(problems).toEqual([]);
  });

  it('warns about unknown plugins and extensions, naming the line, and adds techdocs-core', async () => {
    const { config, problems } = await read({
      'mkdocs.yml': `site_name: X
plugins:
  - search
  - monorepo
  - mermaid2:
      version: 10
markdown_extensions:
  - plantuml_markdown
  - admonition
`,
    });
    expect(config.plugins).toEqual(['search', 'monorepo', 'mermaid2', 'techdocs-core']);
    expect(problems).toEqual([
      {
        level: 'warning',
        message: "plugin 'monorepo' is not supported by Atrium's docs build; ignored",
        file: 'mkdocs.yml',
        line: 4,
      },
      {
        level: 'warning',
        message: "plugin 'mermaid2' is not supported by Atrium's docs build; ignored",
        file: 'mkdocs.yml',
        line: 5,
      },
      {
        level: 'warning',
        message:
          "markdown extension 'plantuml_markdown' is not supported by Atrium's docs build; ignored",
        file: 'mkdocs.yml',
        line: 8,
      },
    ]);
  });

  it('is silent about every extension techdocs-core enables that the build renders', async () => {
    // techdocs_core/core.py's list (and pymdownx.extra's parts), as a team copies it.
    const rendered = [
      'toc',
      'admonition',
      'pymdownx.details',
      'pymdownx.tabbed',
      'pymdownx.caret',
      'pymdownx.critic',
      'pymdownx.emoji',
      'pymdownx.inlinehilite',
      'pymdownx.magiclink',
      'pymdownx.mark',
      'pymdownx.smartsymbols',
      'pymdownx.snippets',
      'pymdownx.highlight',
      'pymdownx.extra',
      'pymdownx.betterem',
      'pymdownx.superfences',
      'pymdownx.tasklist',
      'pymdownx.tilde',
      'mdx_truly_sane_lists',
      'abbr',
      'attr_list',
      'def_list',
      'fenced_code',
      'footnotes',
      'md_in_html',
      'tables',
      'markdown.extensions.attr_list',
    ];
    const { problems } = await read({
      'mkdocs.yml': `site_name: X\nmarkdown_extensions:\n${rendered.map((n) => `  - ${n}`).join('\n')}\n`,
    });
    expect(problems).toEqual([]);
  });

  it('names each extension it does not render once, where it is first listed', async () => {
    const { problems } = await read({
      'mkdocs.yml': `site_name: X
markdown_extensions:
  - plantuml_markdown:
      server: http://www.plantuml.com/plantuml
  - markdown_inline_graphviz
  - pymdownx.arithmatex:
      generic: true
  - pymdownx.keys
  - plantuml_markdown
  - pymdownx.blocks.admonition
`,
    });
    expect(problems.map((p) => `${p.line} ${p.message}`)).toEqual([
      "3 markdown extension 'plantuml_markdown' is not supported by Atrium's docs build; ignored",
      "5 markdown extension 'markdown_inline_graphviz' is not supported by Atrium's docs build; ignored",
      "6 markdown extension 'pymdownx.arithmatex' is not supported by Atrium's docs build; ignored",
      "8 markdown extension 'pymdownx.keys' is not supported by Atrium's docs build; ignored",
      "10 markdown extension 'pymdownx.blocks.admonition' is not supported by Atrium's docs build; ignored",
    ]);
  });

  it('reports broken YAML with its line and falls back to the defaults', async () => {
    const { config, problems } = await read(
      { 'mkdocs.yml': 'site_name: Broken\nnav:\n  - Home: index.md\n   - bad: [x\n' },
      'my-service',
    );
    expect(config).toMatchObject({
      siteName: 'my-service',
      docsDir: 'docs',
      configFile: 'mkdocs.yml',
    });
    expect(config.nav).toBeUndefined();
    expect(problems[0]).toMatchObject({ level: 'error', file: 'mkdocs.yml', line: 4 });
    expect(problems[0]!.message).toMatch(/^invalid YAML: /);
  });

  it('refuses docs_dir outside the folder', async () => {
    for (const docsDir of ['../elsewhere', '/etc', 'docs/../../x']) {
      const { config, problems } = await read({
        'mkdocs.yml': `site_name: X\ndocs_dir: ${docsDir}\n`,
      });
      expect(config.docsDir).toBe('docs');
      expect(problems).toEqual([
        {
          level: 'error',
          message: `docs_dir '${docsDir}' must be a relative path inside the folder; using 'docs'`,
          file: 'mkdocs.yml',
          line: 2,
        },
      ]);
    }
  });

  it('prefers mkdocs.yaml and warns when both exist', async () => {
    const { config, problems } = await read({
      'mkdocs.yaml': 'site_name: From yaml\n',
      'mkdocs.yml': 'site_name: From yml\n',
    });
    expect(config.siteName).toBe('From yaml');
    expect(problems).toEqual([
      {
        level: 'warning',
        message: 'both mkdocs.yaml and mkdocs.yml exist; using mkdocs.yaml',
        file: 'mkdocs.yml',
      },
    ]);
  });

  it('generates a config when there is none', async () => {
    const { config, problems } = await read({}, 'Fizzbuzz Docs');
    expect(config).toEqual({
      siteName: 'Fizzbuzz Docs',
      docsDir: 'docs',
      plugins: ['techdocs-core'],
      markdownExtensions: [],
    });
    expect(problems).toEqual([]);
  });

  it('warns about unreadable nav entries with their line', async () => {
    const { config, problems } = await read({
      'mkdocs.yml': 'site_name: X\nnav:\n  - Home: index.md\n  - 42\n  - {a: 1, b: 2}\n',
    });
    expect(config.nav).toEqual([{ title: 'Home', target: 'index.md', line: 3 }]);
    expect(problems.map((p) => p.line)).toEqual([4, 5]);
  });
});
