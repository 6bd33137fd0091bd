import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { glob } from 'tinyglobby';
import { describe, expect, it } from 'vitest';
import type { SearchIndexFile, SiteMetadata } from '../src/plugins/techdocs/common/index.ts';
import {
  type BuildProblem,
  buildSite,
  DocsBuildError,
  hashDocsSource,
} from '../src/plugins/techdocs/server/build/index.ts';
import { executableParts } from '../src/plugins/techdocs/server/build/render.testkit.ts';
import { LocalDocsStorage } from '../src/plugins/techdocs/server/storage/index.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const fixtures = fileURLToPath(
  new URL('./fixtures/backstage/backstage-examples/', import.meta.url),
);
const bin = path.join(repo, 'bin/atrium.mjs');
const run = promisify(execFile);

const silentLog = { info() {}, warn() {}, error() {} };

async function tempDir(prefix = 'atrium-docs-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

/** A source folder from a map of relative paths to contents. */
async function sourceWith(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await tempDir('atrium-docs-src-');
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  }
  return dir;
}

async function build(sourceDir: string, defaultSiteName?: string) {
  const outDir = path.join(await tempDir('atrium-docs-out-'), 'site');
  const logged: string[] = [];
  const log = {
    info: (m: string) => logged.push(`info ${m}`),
    warn: (m: string) => logged.push(`warn ${m}`),
    error: (m: string) => logged.push(`error ${m}`),
  };
  const result = await buildSite({ sourceDir, outDir, log, defaultSiteName });
  const page = (pagePath: string) =>
    readFile(path.join(outDir, pagePath === '' ? 'index.html' : `${pagePath}/index.html`), 'utf8');
  const search = JSON.parse(
    await readFile(path.join(outDir, 'search/search_index.json'), 'utf8'),
  ) as SearchIndexFile;
  const metadata = JSON.parse(
    await readFile(path.join(outDir, 'techdocs_metadata.json'), 'utf8'),
  ) as SiteMetadata;
  return { ...result, outDir, page, search, written: metadata, logged };
}

const brief = (problems: BuildProblem[]) =>
  problems.map((p) => `${p.level} ${p.file ?? ''}${p.line ? `:${p.line}` : ''} ${p.message}`);

describe('docs build: the demo docs in examples/', () => {
  it('builds booking-service with its nav, admonition, table, code and rewritten links', async () => {
    const site = await build(path.join(repo, 'examples/components/booking-service'));
    expect(site.problems).toEqual([]);
    expect(site.metadata).toMatchObject({
      site_name: 'Booking Service',
      site_description: 'How shipment booking works, and how to run it',
      repo_url: 'https://github.com/kestrel-freight/booking-service',
      edit_uri: 'edit/main/docs/',
      nav: [
        { title: 'Overview', path: '' },
        { title: 'Architecture', path: 'architecture' },
        { title: 'Runbook', path: 'runbook' },
      ],
    });
    expect(site.written).toEqual(site.metadata);
    expect(site.metadata.files).toEqual([
      'architecture/index.html',
      'index.html',
      'runbook/index.html',
      'search/search_index.json',
      'techdocs_metadata.json',
    ]);
    const home = await site.page('');
    expect(home).toContain(
      '<h2 id="what-happens-when-a-customer-books">What happens when a customer books <a class="headerlink" href="#what-happens-when-a-customer-books" aria-hidden="true">¶</a></h2>',
    );
    expect(home).toContain('<a href="architecture/#quote-engine">quote engine</a>');
    expect(home).toContain(
      '<div class="admonition note">\n<p class="admonition-title">Idempotency</p>',
    );
    expect(home).toContain('<td>TypeScript on Node.js 22</td>');
    expect(home).toContain('<code class="hljs language-bash">');
    expect(home).toContain('<span class="hljs-comment"># http://localhost:7010</span>');
    const architecture = await site.page('architecture');
    // The link target exists: the rewritten link lands on a real heading id.
    expect(architecture).toContain('<h2 id="quote-engine">');
    expect(architecture).toContain('<pre class="mermaid"><code>flowchart LR');
    const pages = site.metadata.pages!;
    expect(pages.map((p) => [p.path, p.title, p.source, p.prev?.path, p.next?.path])).toEqual([
      ['', 'Overview', 'index.md', undefined, 'architecture'],
      ['architecture', 'Architecture', 'architecture.md', '', 'runbook'],
      ['runbook', 'Runbook', 'runbook.md', 'architecture', undefined],
    ]);
    expect(pages[1]!.toc).toEqual([
      { level: 2, id: 'quote-engine', text: 'Quote engine' },
      { level: 2, id: 'labels-and-customs', text: 'Labels and customs' },
      { level: 2, id: 'data-model', text: 'Data model' },
    ]);
    expect(site.search.docs).toContainEqual({
      location: 'runbook/#kafka-publishing-is-lagging',
      title: 'Kafka publishing is lagging',
      text: expect.stringContaining(
        'restart the pods (kubectl rollout restart deploy/booking-service)',
      ),
    });
    expect(site.search.docs.find((d) => d.location === 'architecture/')?.title).toBe(
      'Architecture',
    );
    expect(site.metadata.etag).toBe(site.metadata.source_hash);
    expect(site.metadata.source_hash).toBe(
      await hashDocsSource(path.join(repo, 'examples/components/booking-service')),
    );
  });

  it('builds tracking-service and payment-gateway', async () => {
    const tracking = await build(path.join(repo, 'examples/components/tracking-service'));
    expect(tracking.problems).toEqual([]);
    expect(tracking.metadata.nav).toEqual([
      { title: 'Overview', path: '' },
      { title: 'Event codes', path: 'event-codes' },
    ]);
    expect(await tracking.page('')).toContain('<a href="event-codes/">event codes</a>');
    expect(await tracking.page('event-codes')).toContain('<td><code>DLV</code></td>');

    const payments = await build(path.join(repo, 'examples/payments/payment-gateway'));
    expect(payments.problems).toEqual([]);
    expect(payments.metadata.site_name).toBe('Payment Gateway');
    const home = await payments.page('');
    expect(home).toContain('<a href="lifecycle/">Payments API</a>');
    expect(home).toContain(
      '<div class="admonition warning">\n<p class="admonition-title">PCI DSS scope</p>',
    );
  });
});

describe('docs build: Backstage example docs', () => {
  it('builds every folder with an mkdocs.yml in the fixtures', async () => {
    const configs = await glob('**/mkdocs.{yml,yaml}', { cwd: fixtures });
    expect(configs.length).toBeGreaterThanOrEqual(2);
    for (const config of configs) {
      const site = await build(path.join(fixtures, path.dirname(config)));
      expect(site.metadata.pages!.length, config).toBeGreaterThan(0);
      expect(
        site.problems.filter((p) => p.level === 'error'),
        config,
      ).toEqual([]);
    }
  });

  it('builds documented-component with its nav, code, task list and directive admonitions', async () => {
    const site = await build(
      path.join(fixtures, 'plugins/techdocs-backend/examples/documented-component'),
    );
    expect(site.metadata.site_name).toBe('Example Documentation');
    expect(site.metadata.nav).toEqual([
      { title: 'Home', path: '' },
      { title: 'Subpage', path: 'sub-page' },
      { title: 'Code Sample', path: 'code/code-sample' },
      { title: 'Extensions', path: 'extensions' },
    ]);
    // The fixture draws a PlantUML diagram, which needs a server-side tool: named once. And
    // it references an image it does not ship.
    expect(brief(site.problems)).toEqual([
      "warning docs/extensions.md:46 markdown extension 'plantuml_markdown' (enabled by techdocs-core) is not rendered by Atrium's docs build; shown as code",
      "warning docs/index.md:30 missing image 'images/backstage-logo-cncf.svg'",
    ]);
    const home = await site.page('');
    expect(home).toContain('<a href="sub-page/">A sub page</a>');
    expect(home).toContain('<a href="code/code-sample/">Inline code examples</a>');
    expect(home).toContain('<img src="images/backstage-logo-cncf.svg" alt="Backstage Logo" />');
    expect(home).toContain('<th>Topic</th>');
    const code = await site.page('code/code-sample');
    expect(code).toContain(
      '<code class="hljs language-python"><span class="hljs-keyword">def</span> <span class="hljs-title function_">getUsersInGroup</span>',
    );
    const extensions = await site.page('extensions');
    expect(extensions).toContain(
      '<li class="task-list-item"><input type="checkbox" disabled checked class="task-list-item-checkbox" /> Phase 1</li>',
    );
    expect(extensions).toContain('<div class="admonition error">\n<p>This is an error alert');
    // pymdownx.emoji shortcodes, as Unicode
    expect(extensions).toContain('Very nice job on documentation! 👍');
    expect(extensions).toContain('Animals: 🐯 🐴 🐢 🐺 🐸');
    expect(extensions).not.toContain(':thumbsup:');
    expect(site.metadata.pages!.find((p) => p.path === 'code/code-sample')).toMatchObject({
      title: 'Code Sample',
      prev: { path: 'sub-page', title: 'Subpage' },
      next: { path: 'extensions', title: 'Extensions' },
    });
  });

  it('generates a config when there is no mkdocs.yml, and says why nothing builds without docs/', async () => {
    const dir = path.join(
      fixtures,
      'plugins/techdocs-backend/examples/documented-component-default-mkdocs',
    );
    const error = await buildSite({
      sourceDir: dir,
      outDir: path.join(await tempDir(), 'site'),
      log: silentLog,
      defaultSiteName: 'Documented Component Default Mkdocs',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DocsBuildError);
    expect(brief((error as DocsBuildError).problems)).toEqual([
      "error  docs folder 'docs' not found",
      'error  nothing to build',
    ]);
    // With the docs moved to docs/, the generated config builds it.
    const copy = await tempDir();
    await cp(dir, copy, { recursive: true });
    await rename(path.join(copy, 'documentation'), path.join(copy, 'docs'));
    const site = await build(copy, 'Documented Component Default Mkdocs');
    expect(site.metadata.site_name).toBe('Documented Component Default Mkdocs');
    expect(site.metadata.nav).toEqual([{ title: 'Home', path: '' }]);
    expect(await site.page('')).toBe('<p>this is the documentation</p>\n');
  });
});

describe('docs build: a site exercising every feature', () => {
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
    'base64',
  );

  it('builds folder-order nav, footnotes, task lists, images, front matter and links', async () => {
    const dir = await sourceWith({
      'docs/README.md': '# Readme home\n',
      'docs/index.md': '# Welcome\n\nSee [deploying](guide/deploy.md#step-2) and [ops](ops/).\n',
      'docs/zeta.md': '---\ntitle: Last page\n---\n# Zeta heading\n',
      'docs/guide/index.md': '# The guide\n',
      'docs/guide/deploy.md': `# Deploy

Text with a note[^n].

[^n]: Footnote text.

![Diagram](img/diagram.png)
![Logo](../logo.png "The logo")

- [x] written
- [ ] reviewed

## Step 2

Back to [the top](#deploy), [home](../index.md), [guide](index.md).

| a | b |
|---|:-:|
| 1 | 2 |
`,
      'docs/guide/img/diagram.png': png,
      'docs/logo.png': png,
      'docs/files/report.pdf': 'pdf',
      'docs/.hidden.md': '# hidden\n',
      'docs/ops_notes/run-book.md': 'No heading here.\n',
    });
    const site = await build(dir, 'Feature site');
    expect(brief(site.problems)).toEqual([
      'warning docs/README.md same page URL as docs/index.md; this file is skipped',
    ]);
    expect(site.metadata.site_name).toBe('Feature site');
    expect(site.metadata.nav).toEqual([
      { title: 'Welcome', path: '' },
      { title: 'Last page', path: 'zeta' },
      {
        title: 'Guide',
        children: [
          { title: 'The guide', path: 'guide' },
          { title: 'Deploy', path: 'guide/deploy' },
        ],
      },
      { title: 'Ops notes', children: [{ title: 'Run book', path: 'ops_notes/run-book' }] },
    ]);
    expect(site.metadata.files).toEqual([
      'files/report.pdf',
      'guide/deploy/index.html',
      'guide/img/diagram.png',
      'guide/index.html',
      'index.html',
      'logo.png',
      'ops_notes/run-book/index.html',
      'search/search_index.json',
      'techdocs_metadata.json',
      'zeta/index.html',
    ]);
    expect(await readFile(path.join(site.outDir, 'guide/img/diagram.png'))).toEqual(png);
    const deploy = await site.page('guide/deploy');
    expect(deploy).toContain('<img src="../img/diagram.png" alt="Diagram" />');
    expect(deploy).toContain('<img src="../../logo.png" alt="Logo" title="The logo" />');
    expect(deploy).toContain('<sup class="footnote-ref"><a href="#fn1" id="fnref1">[1]</a></sup>');
    expect(deploy).toContain('<li id="fn1" class="footnote-item"><p>Footnote text.');
    expect(deploy).toContain(
      '<input type="checkbox" disabled checked class="task-list-item-checkbox" /> written',
    );
    expect(deploy).toContain(
      '<input type="checkbox" disabled class="task-list-item-checkbox" /> reviewed',
    );
    expect(deploy).toContain('<a href="#deploy">the top</a>');
    expect(deploy).toContain('<a href="../../">home</a>');
    expect(deploy).toContain('<a href="../">guide</a>');
    expect(deploy).toContain('<th style="text-align:center">b</th>');
    expect(await site.page('')).toContain('<a href="guide/deploy/#step-2">deploying</a>');
    expect(await site.page('zeta')).toBe(
      '<h1 id="zeta-heading">Zeta heading <a class="headerlink" href="#zeta-heading" aria-hidden="true">¶</a></h1>\n',
    );
    expect(site.search.docs.map((d) => d.location)).toEqual([
      '',
      'zeta/',
      'guide/',
      'guide/deploy/',
      'guide/deploy/#step-2',
      'ops_notes/run-book/',
    ]);
    expect(site.search.docs.find((d) => d.location === 'guide/deploy/#step-2')?.text).toBe(
      'Back to the top, home, guide. a b 1 2 Footnote text. ↩︎',
    );
  });

  it('uses mkdocs.yaml over mkdocs.yml, keeps external nav links and drops unsafe ones', async () => {
    const dir = await sourceWith({
      'mkdocs.yaml': `site_name: Yaml wins
nav:
  - Start: index.md
  - Status: https://status.example.com
  - Evil: javascript:alert(1)
  - Section:
      - other.md
`,
      'mkdocs.yml': 'site_name: Yml loses\n',
      'docs/index.md': '# Start page\n',
      'docs/other.md': '# Other title\n',
      'docs/orphan.md': '# Orphan\n',
    });
    const site = await build(dir);
    expect(site.metadata.site_name).toBe('Yaml wins');
    expect(site.metadata.nav).toEqual([
      { title: 'Start', path: '' },
      { title: 'Status', url: 'https://status.example.com' },
      { title: 'Section', children: [{ title: 'Other title', path: 'other' }] },
    ]);
    expect(brief(site.problems)).toEqual([
      'warning mkdocs.yml both mkdocs.yaml and mkdocs.yml exist; using mkdocs.yaml',
      "warning mkdocs.yaml:5 nav: link 'javascript:alert(1)' is not http, https or mailto; ignored",
    ]);
    // A page not in nav is still built, without previous/next.
    expect(await site.page('orphan')).toContain('Orphan');
    expect(site.metadata.pages!.find((p) => p.path === 'orphan')).toEqual({
      path: 'orphan',
      title: 'Orphan',
      source: 'orphan.md',
      toc: [],
    });
    expect(site.logged).toContain('info pages built but not in nav: docs/orphan.md');
  });
});

describe('docs build: bad input', () => {
  it('sanitises hostile pages: nothing executable reaches any fragment', async () => {
    const hostile = `# Hostile

<script>alert('x')</script>
<img src=x onerror=alert(1)>
[x](javascript:alert(1))
<a href="JaVaScRiPt:alert(1)">a</a>
<a href="&#106;avascript:alert(1)">b</a>
<svg><script>alert(1)</script></svg>
<iframe src="https://evil.example"></iframe>
<style>*{display:none}</style>
<img src="data:image/svg+xml;base64,PHN2Zz4=">
<a href="data:text/html,<script>alert(1)</script>">d</a>

!!! danger "<script>alert(1)</script>"
    <img src=x onerror=alert(2)>
`;
    const dir = await sourceWith({
      'mkdocs.yml': 'site_name: "<script>alert(1)</script>"\n',
      'docs/index.md': hostile,
      'docs/nested/page.md': hostile,
    });
    const site = await build(dir);
    for (const pagePath of ['', 'nested/page']) {
      const html = await site.page(pagePath);
      expect(executableParts(html), html).toEqual([]);
      expect(html).not.toMatch(/<(script|svg|iframe|style)/i);
      expect(html).not.toMatch(/<[^>]*\son[a-z]+=/i);
    }
    // site_name is data, not markup: it is stored as written and the reader prints it as text.
    expect(site.metadata.site_name).toBe('<script>alert(1)</script>');
    // The admonition title is shown as text; the search index holds that text, decoded.
    expect(await site.page('')).toContain(
      '<p class="admonition-title">&lt;script&gt;alert(1)&lt;/script&gt;</p>',
    );
    expect(site.search.docs[0]!.text).toContain(
      'Hostile [x](javascript:alert(1)) a b d <script>alert(1)</script>',
    );
  });

  it('reports a broken mkdocs.yml with its line and still builds the docs folder in folder order', async () => {
    const dir = await sourceWith({
      'mkdocs.yml': 'site_name: Broken\nnav:\n  - Home: index.md\n  - [unclosed\n',
      'docs/index.md': '# Home page\n',
      'docs/b.md': '# Bee\n',
    });
    const site = await build(dir, 'fallback-name');
    expect(site.problems[0]).toMatchObject({ level: 'error', file: 'mkdocs.yml', line: 4 });
    expect(site.metadata.site_name).toBe('fallback-name');
    expect(site.metadata.nav).toEqual([
      { title: 'Home page', path: '' },
      { title: 'Bee', path: 'b' },
    ]);
  });

  it('warns about a nav page that does not exist, naming mkdocs.yml and the line', async () => {
    const dir = await sourceWith({
      'mkdocs.yml': 'site_name: X\nnav:\n  - Home: index.md\n  - Gone: gone.md\n',
      'docs/index.md': '# Home\n\n[broken](missing.md) and ![pic](nope.png)\n',
    });
    const site = await build(dir);
    expect(brief(site.problems)).toEqual([
      "warning docs/index.md:3 link to missing page 'missing.md'",
      "warning docs/index.md:3 missing image 'nope.png'",
      "warning mkdocs.yml:4 nav: page 'gone.md' was not found in the docs folder (or was not built); entry ignored",
    ]);
    expect(site.metadata.nav).toEqual([{ title: 'Home', path: '' }]);
    expect(site.logged).toContain("warn docs/index.md:3: link to missing page 'missing.md'");
  });

  it('skips a page over 5 MB with an error and builds the rest', async () => {
    const dir = await sourceWith({
      'docs/index.md': '# Home\n',
      'docs/huge.md': `# Huge\n\n${'word '.repeat(1_100_000)}`,
    });
    const site = await build(dir);
    expect(brief(site.problems)).toEqual([
      'error docs/huge.md page is 5.2 MB, over the 5 MB limit; skipped',
    ]);
    expect(site.metadata.pages!.map((p) => p.path)).toEqual(['']);
  });

  it('warns about unknown plugins in the build log and still builds', async () => {
    const dir = await sourceWith({
      'mkdocs.yml': 'site_name: X\nplugins:\n  - techdocs-core\n  - kroki\n',
      'docs/index.md': '# Home\n',
    });
    const site = await build(dir);
    expect(site.logged).toContain(
      "warn mkdocs.yml:4: plugin 'kroki' is not supported by Atrium's docs build; ignored",
    );
    expect(site.metadata.pages).toHaveLength(1);
  });

  it('refuses symlinks leaving the folder, for pages, images and docs_dir', async () => {
    const outside = await sourceWith({ 'secret.md': '# Secret\n\nTOP SECRET', 'secret.png': 'x' });
    const dir = await sourceWith({ 'docs/index.md': '# Home\n' });
    await symlink(path.join(outside, 'secret.md'), path.join(dir, 'docs/leak.md'));
    await symlink(path.join(outside, 'secret.png'), path.join(dir, 'docs/leak.png'));
    await symlink(path.join(dir, 'docs/index.md'), path.join(dir, 'docs/inside.md'));
    const site = await build(dir);
    expect(brief(site.problems)).toEqual([
      'error docs/leak.md symlink leaves the docs folder: refused',
      'error docs/leak.png symlink leaves the docs folder: refused',
    ]);
    expect(site.metadata.files).not.toContain('leak.png');
    expect(site.metadata.pages!.map((p) => p.path)).toEqual(['', 'inside']);
    expect(JSON.stringify(site.search)).not.toContain('TOP SECRET');

    const linkedDocs = await sourceWith({ 'mkdocs.yml': 'site_name: X\ndocs_dir: linked\n' });
    await symlink(outside, path.join(linkedDocs, 'linked'));
    const error = await buildSite({
      sourceDir: linkedDocs,
      outDir: path.join(await tempDir(), 'site'),
      log: silentLog,
    }).catch((e: unknown) => e);
    expect(brief((error as DocsBuildError).problems)).toEqual([
      "error mkdocs.yml docs_dir 'linked' leads outside the folder: refused",
      'error  nothing to build',
    ]);
  });

  it('refuses to empty an output folder that is not a previous build, or that holds the sources', async () => {
    const dir = await sourceWith({ 'docs/index.md': '# Home\n' });
    const precious = await sourceWith({ 'thesis.txt': 'years of work' });
    await expect(buildSite({ sourceDir: dir, outDir: precious, log: silentLog })).rejects.toThrow(
      `output folder '${precious}' is not empty and is not a built docs site: refused`,
    );
    expect(await readFile(path.join(precious, 'thesis.txt'), 'utf8')).toBe('years of work');
    await expect(buildSite({ sourceDir: dir, outDir: dir, log: silentLog })).rejects.toThrow(
      /is or holds the source folder/,
    );
    // An earlier build is replaced, and an output folder inside docs/ is not read as sources.
    const inside = path.join(dir, 'docs/site');
    await buildSite({ sourceDir: dir, outDir: inside, log: silentLog });
    const again = await buildSite({ sourceDir: dir, outDir: inside, log: silentLog });
    expect(again.metadata.files).toEqual([
      'index.html',
      'search/search_index.json',
      'techdocs_metadata.json',
    ]);
  });

  it('never copies a file over a generated page or site file', async () => {
    const dir = await sourceWith({
      'docs/index.md': '# Home\n',
      'docs/guide.md': '# Guide\n',
      'docs/raw/index.html': '<script>alert(1)</script>',
      'docs/guide/index.HTML': '<script>alert(1)</script>',
      'docs/search/search_index.json': '{"docs": []}',
      'docs/techdocs_metadata.json': '{}',
      'docs/raw/page.html': '<p>served as a file</p>',
    });
    const site = await build(dir);
    expect(brief(site.problems)).toEqual([
      'warning docs/guide/index.HTML this file would replace a generated page or site file; not copied',
      'warning docs/raw/index.html this file would replace a generated page or site file; not copied',
      'warning docs/search/search_index.json this file would replace a generated page or site file; not copied',
      'warning docs/techdocs_metadata.json this file would replace a generated page or site file; not copied',
    ]);
    expect(site.metadata.files).toEqual([
      'guide/index.html',
      'index.html',
      'raw/page.html',
      'search/search_index.json',
      'techdocs_metadata.json',
    ]);
  });

  it('stops when aborted', async () => {
    const dir = await sourceWith({ 'docs/index.md': '# Home\n' });
    const controller = new AbortController();
    controller.abort();
    await expect(
      buildSite({
        sourceDir: dir,
        outDir: path.join(await tempDir(), 'site'),
        log: silentLog,
        signal: controller.signal,
      }),
    ).rejects.toThrow(/abort/i);
  });
});

describe('hashDocsSource', () => {
  it('changes with any edit, addition, rename or config change, and only then', async () => {
    const dir = await sourceWith({
      'mkdocs.yml': 'site_name: X\n',
      'docs/index.md': '# Home\n',
      'docs/img/a.png': 'aaaa',
      'catalog-info.yaml': 'not docs',
    });
    const first = await hashDocsSource(dir);
    expect(await hashDocsSource(dir)).toBe(first);
    await writeFile(path.join(dir, 'catalog-info.yaml'), 'still not docs');
    expect(await hashDocsSource(dir)).toBe(first);

    const seen = new Set([first]);
    const expectNew = async () => {
      const hash = await hashDocsSource(dir);
      expect(seen.has(hash)).toBe(false);
      seen.add(hash);
    };
    await writeFile(path.join(dir, 'docs/img/a.png'), 'aaab'); // same size
    await expectNew();
    await writeFile(path.join(dir, 'docs/new.md'), '# New\n');
    await expectNew();
    await rename(path.join(dir, 'docs/new.md'), path.join(dir, 'docs/renamed.md'));
    await expectNew();
    await writeFile(path.join(dir, 'mkdocs.yml'), 'site_name: Y\n');
    await expectNew();
    await rm(path.join(dir, 'docs/renamed.md'));
    await expectNew();

    // A copy with other mtimes hashes the same: the hash is of contents.
    const copy = await tempDir();
    await cp(dir, copy, { recursive: true });
    expect(await hashDocsSource(copy)).toBe(await hashDocsSource(dir));
  });
});

describe('atrium docs CLI', () => {
  async function atrium(args: string[], cwd: string) {
    try {
      const { stdout, stderr } = await run('node', [bin, ...args], { cwd });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it('builds into --out, prints file:line warnings, and publishes into the configured storage', async () => {
    const dir = await sourceWith({
      'mkdocs.yml': 'site_name: CLI docs\nplugins:\n  - unknown-plugin\n',
      'docs/index.md': '# Home\n\n![x](missing.png)\n',
    });
    const built = await atrium(['docs', 'build', '.', '--out', 'out/site'], dir);
    expect(built.code).toBe(0);
    expect(built.stdout.trim().split('\n')).toEqual([
      "mkdocs.yml:3: warning: plugin 'unknown-plugin' is not supported by Atrium's docs build; ignored",
      "docs/index.md:3: warning: missing image 'missing.png'",
    ]);
    expect(built.stderr).toContain('Built 1 page and copied 0 files into');
    expect(await readFile(path.join(dir, 'out/site/index.html'), 'utf8')).toContain(
      '<h1 id="home">',
    );

    const storageDir = path.join(dir, 'storage');
    await writeFile(
      path.join(dir, 'atrium-test.yaml'),
      `techdocs:\n  publisher:\n    type: local\n    local:\n      publishDirectory: ${storageDir}\n`,
    );
    const published = await atrium(
      [
        'docs',
        'publish',
        '--entity',
        'default/Component/My-Service',
        '--directory',
        'out/site',
        '-c',
        'atrium-test.yaml',
      ],
      dir,
    );
    expect(published.stderr).toContain(
      "Published 3 file(s) of 'CLI docs' as default/component/my-service",
    );
    expect(published.code).toBe(0);
    const storage = new LocalDocsStorage(storageDir);
    expect(
      (await storage.getMetadata({ namespace: 'default', kind: 'component', name: 'my-service' }))
        ?.site_name,
    ).toBe('CLI docs');
    expect(
      (
        await storage.readFile(
          { namespace: 'default', kind: 'component', name: 'my-service' },
          'index.html',
        )
      )?.toString(),
    ).toContain('<h1 id="home">');

    const badEntity = await atrium(
      ['docs', 'publish', '--entity', 'oops', '-d', 'out/site', '-c', 'atrium-test.yaml'],
      dir,
    );
    expect(badEntity.code).toBe(1);
    expect(badEntity.stderr).toContain("Invalid entity 'oops': expected <namespace>/<kind>/<name>");
    const notASite = await atrium(
      [
        'docs',
        'publish',
        '--entity',
        'default/component/x',
        '-d',
        'docs',
        '-c',
        'atrium-test.yaml',
      ],
      dir,
    );
    expect(notASite.code).toBe(1);
    expect(notASite.stderr).toContain('not a built docs site');
  });

  it('exits 1 when nothing could be built', async () => {
    const dir = await sourceWith({ 'mkdocs.yml': 'site_name: X\n' });
    const result = await atrium(['docs', 'build', '--out', 'site'], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("mkdocs.yml: error: docs folder 'docs' not found");
    expect(result.stderr).toContain('No page could be built');
  });
});
