import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type NavItem,
  type PageMetadata,
  pageFile,
  type SearchIndexDoc,
  type SearchIndexFile,
  type SiteMetadata,
} from '../../common/index.ts';
import { extensionName, isRenderedExtension } from './extensions.ts';
import { splitFrontMatter } from './front-matter.ts';
import { isInside } from './fs-safety.ts';
import { LinkResolver } from './links.ts';
import { createMarkdown, newPageEnv } from './markdown.ts';
import { ProblemSink } from './problems.ts';
import { sanitizePage } from './sanitize.ts';
import { searchEntries } from './search-text.ts';
import { expandSnippets, hasSnippets, type SnippetFolders } from './snippets.ts';
import { readDocsSource, type SourceFile } from './source-files.ts';
import { hashSource, rememberDigest } from './source-hash.ts';
import { buildNav, flattenNav, pageFallbackTitle } from './site-nav.ts';
import { type BuildOptions, type BuildResult, DocsBuildError } from './types.ts';

/** Pages larger than this are skipped: a docs page that size is a mistake or an attack. */
export const MAX_PAGE_BYTES = 5 * 1024 * 1024;

const METADATA_FILE = 'techdocs_metadata.json';
const SEARCH_INDEX_FILE = 'search/search_index.json';
const MARKDOWN = /\.(md|markdown)$/i;

interface PageSource {
  file: SourceFile;
  path: string;
  /** Path for messages, relative to the source folder. */
  shown: string;
}

interface BuiltPage {
  source: PageSource;
  html: string;
  toc: PageMetadata['toc'];
  h1?: string;
  frontMatterTitle?: string;
}

/**
 * Builds the site of `sourceDir` into `outDir` (layout: ../../common/index.ts). Problems in
 * the sources are logged and returned, and the build goes on without the broken part; it
 * throws DocsBuildError only when no page at all could be built, leaving `outDir` untouched.
 */
export async function buildSite(options: BuildOptions): Promise<BuildResult> {
  const problems = new ProblemSink(options.log);
  const fail = (message: string): never => {
    problems.error(message);
    throw new DocsBuildError(message, problems.list);
  };
  let rootReal = '';
  try {
    rootReal = await realpath(path.resolve(options.sourceDir));
    if (!(await stat(rootReal)).isDirectory()) throw new Error('not a folder');
  } catch {
    fail(`source folder '${options.sourceDir}' not found`);
  }
  const outAbs = path.resolve(options.outDir);
  const outReal = await realpath(outAbs).catch(() => outAbs);
  if (isInside(outReal, rootReal)) {
    fail(`output folder '${options.outDir}' is or holds the source folder: refused`);
  }
  await checkOutputFolder(outReal, options.outDir, fail);

  const source = await readDocsSource(rootReal, {
    defaultSiteName: options.defaultSiteName,
    problems,
  });
  const { config, docsPrefix } = source;
  const files = source.readmeFallback ? [source.readmeFallback] : source.files;
  const { pages, assets } = classify(files, docsPrefix, problems);

  const pagesBySource = new Map(pages.map((page) => [page.file.rel, page.path]));
  const resolver = new LinkResolver(pagesBySource, new Set(assets.map((asset) => asset.rel)));
  const md = createMarkdown({
    breaks: config.markdownExtensions.some((name) => extensionName(name) === 'nl2br'),
  });
  const snippets = snippetFolders(rootReal, config.docsDir, docsPrefix, problems);
  // Extensions not rendered are named once per build: those mkdocs.yml lists were named
  // when it was read; those techdocs-core enables are named at the first page using them.
  const named = new Set(
    config.markdownExtensions.filter((name) => !isRenderedExtension(name)).map(extensionName),
  );
  const built: BuiltPage[] = [];
  let done = 0;
  for (const page of pages) {
    // One page at a time, then a turn of the event loop: a server building docs keeps
    // answering requests. Page files are small (≤ 5 MB), so they are read synchronously; the
    // promise API cost more CPU than the reads themselves on a 1,000-page site.
    await yieldToEventLoop();
    options.signal?.throwIfAborted();
    const result = renderPage(page, readSource(page.file), md, resolver, problems, snippets);
    if (result) {
      built.push(result.page);
      for (const [extension, line] of result.unrendered) {
        if (named.has(extension)) continue;
        named.add(extension);
        problems.warn(
          `markdown extension '${extension}' (enabled by techdocs-core) is not rendered by Atrium's docs build; shown as code`,
          page.shown,
          line || undefined,
        );
      }
    }
    done += 1;
    options.onProgress?.(done, pages.length);
  }
  if (built.length === 0) {
    fail(source.found ? 'no page could be built' : 'nothing to build');
  }
  if (!built.some((page) => page.source.path === '')) {
    problems.warn('no index.md: the site has no home page', `${docsPrefix}index.md`);
  }

  const builtPaths = new Set(built.map((page) => page.source.path));
  const nav = buildNav({
    config,
    pages: built.map((page) => ({
      path: page.source.path,
      source: page.source.file.rel,
      title: page.frontMatterTitle ?? page.h1 ?? pageFallbackTitle(page.source.file.rel),
    })),
    pagesBySource: new Map([...pagesBySource].filter(([, pagePath]) => builtPaths.has(pagePath))),
    problems,
  });
  const order = flattenNav(nav.items);
  const position = new Map(order.map((pagePath, index) => [pagePath, index]));
  const titleOf = (page: BuiltPage) =>
    nav.titles.get(page.source.path) ??
    page.frontMatterTitle ??
    page.h1 ??
    pageFallbackTitle(page.source.file.rel);
  const titles = new Map(built.map((page) => [page.source.path, titleOf(page)]));
  const link = (pagePath: string | undefined) =>
    pagePath === undefined
      ? undefined
      : { path: pagePath, title: titles.get(pagePath) ?? pagePath };
  const notInNav = built.filter((page) => !position.has(page.source.path));
  if (config.nav && notInNav.length > 0) {
    problems.info(
      `pages built but not in nav: ${notInNav.map((page) => page.source.shown).join(', ')}`,
    );
  }

  options.signal?.throwIfAborted();
  await rm(outReal, { recursive: true, force: true });
  await mkdir(outReal, { recursive: true });
  const written: string[] = [];
  const searchDocs: SearchIndexDoc[] = [];
  const pageMetadata: PageMetadata[] = [];
  const sorted = [...built].sort(
    (a, b) =>
      (position.get(a.source.path) ?? Number.MAX_SAFE_INTEGER) -
      (position.get(b.source.path) ?? Number.MAX_SAFE_INTEGER),
  );
  const writer = new OutputWriter(outReal);
  for (const [index, page] of sorted.entries()) {
    if (index % 50 === 0) await yieldToEventLoop();
    const file = pageFile(page.source.path);
    writer.write(file, page.html);
    written.push(file);
    const title = titles.get(page.source.path)!;
    searchDocs.push(...searchEntries(page.source.path, title, page.html));
    const at = position.get(page.source.path);
    const meta: PageMetadata = {
      path: page.source.path,
      title,
      source: page.source.file.rel,
      toc: page.toc,
    };
    const prev = at === undefined ? undefined : link(order[at - 1]);
    const next = at === undefined ? undefined : link(order[at + 1]);
    if (prev) meta.prev = prev;
    if (next) meta.next = next;
    pageMetadata.push(meta);
  }
  for (const asset of assets) {
    options.signal?.throwIfAborted();
    await writer.copy(asset.rel, asset.abs);
    written.push(asset.rel);
  }
  const searchIndex: SearchIndexFile = {
    config: { lang: ['en'], separator: '[\\s\\-]+' },
    docs: searchDocs,
  };
  await writeOutput(outReal, SEARCH_INDEX_FILE, JSON.stringify(searchIndex));
  written.push(SEARCH_INDEX_FILE, METADATA_FILE);

  const sourceHash = await hashSource(source);
  const metadata: SiteMetadata = {
    site_name: config.siteName,
    ...(config.siteDescription !== undefined && { site_description: config.siteDescription }),
    build_timestamp: Date.now(),
    files: written.sort(),
    etag: options.etag ?? sourceHash,
    source_hash: sourceHash,
    ...(options.sourceCommit !== undefined && { source_commit: options.sourceCommit }),
    ...(config.repoUrl !== undefined && { repo_url: config.repoUrl }),
    ...(config.editUri !== undefined && { edit_uri: config.editUri }),
    nav: nav.items,
    pages: pageMetadata,
  };
  await writeOutput(outReal, METADATA_FILE, JSON.stringify(metadata, null, 2));
  options.log.info(
    `Built ${built.length} page${built.length === 1 ? '' : 's'} and copied ${assets.length} file${
      assets.length === 1 ? '' : 's'
    } into ${options.outDir}`,
  );
  return { metadata, problems: problems.list };
}

/** An existing output folder is replaced only if it is empty or a previous build. */
async function checkOutputFolder(
  outReal: string,
  shown: string,
  fail: (message: string) => never,
): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(outReal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    return fail(`output folder '${shown}' cannot be used: ${(error as Error).message}`);
  }
  if (entries.length > 0 && !entries.includes(METADATA_FILE)) {
    fail(`output folder '${shown}' is not empty and is not a built docs site: refused`);
  }
}

/** Writes site files, creating each folder once; small files synchronously (see above). */
class OutputWriter {
  private readonly root: string;
  private readonly folders = new Set<string>();

  constructor(root: string) {
    this.root = root;
  }

  write(rel: string, content: string): void {
    writeFileSync(this.target(rel), content);
  }

  /** Copies can be large (PDFs, videos): those stay asynchronous. */
  async copy(rel: string, from: string): Promise<void> {
    await copyFile(from, this.target(rel));
  }

  private target(rel: string): string {
    const target = path.join(this.root, ...rel.split('/'));
    const folder = path.dirname(target);
    if (!this.folders.has(folder)) {
      mkdirSync(folder, { recursive: true });
      this.folders.add(folder);
    }
    return target;
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function writeOutput(outReal: string, rel: string, content: string): Promise<void> {
  const target = path.join(outReal, ...rel.split('/'));
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, content);
}

/** The page path of a Markdown file: 'a/b.md' → 'a/b', 'a/index.md' and 'a/README.md' → 'a'. */
export function pagePathOf(rel: string): string {
  const withoutExt = rel.replace(MARKDOWN, '');
  const base = path.posix.basename(withoutExt).toLowerCase();
  if (base === 'index' || base === 'readme') {
    const dir = path.posix.dirname(withoutExt);
    return dir === '.' ? '' : dir;
  }
  return withoutExt;
}

function classify(
  files: SourceFile[],
  docsPrefix: string,
  problems: ProblemSink,
): { pages: PageSource[]; assets: SourceFile[] } {
  const byPath = new Map<string, PageSource>();
  const rank = (rel: string) => {
    const base = path.posix.basename(rel).toLowerCase().replace(MARKDOWN, '');
    return base === 'index' ? 0 : base === 'readme' ? 1 : 2;
  };
  for (const file of files.filter((candidate) => MARKDOWN.test(candidate.rel))) {
    const shown = docsPrefix + file.rel;
    if (file.size > MAX_PAGE_BYTES) {
      problems.error(
        `page is ${(file.size / 1024 / 1024).toFixed(1)} MB, over the 5 MB limit; skipped`,
        shown,
      );
      continue;
    }
    const page: PageSource = { file, path: pagePathOf(file.rel), shown };
    const existing = byPath.get(page.path);
    if (existing) {
      const [keep, drop] =
        rank(file.rel) < rank(existing.file.rel) ? [page, existing] : [existing, page];
      problems.warn(`same page URL as ${keep.shown}; this file is skipped`, drop.shown);
      byPath.set(page.path, keep);
      continue;
    }
    byPath.set(page.path, page);
  }
  const pages = [...byPath.values()].sort((a, b) => compare(a.file.rel, b.file.rel));
  // A file may not take the place of a generated file or of a page's folder.
  const reserved = new Set<string>([METADATA_FILE, SEARCH_INDEX_FILE]);
  const pageDirs = new Set<string>();
  for (const page of pages) {
    reserved.add(pageFile(page.path));
    for (let dir = page.path; dir !== '' && dir !== '.'; dir = path.posix.dirname(dir)) {
      pageDirs.add(dir);
    }
  }
  const assets: SourceFile[] = [];
  for (const file of files) {
    if (MARKDOWN.test(file.rel)) continue;
    const isIndexHtml = path.posix.basename(file.rel).toLowerCase() === 'index.html';
    if (reserved.has(file.rel) || pageDirs.has(file.rel) || isIndexHtml) {
      problems.warn(
        'this file would replace a generated page or site file; not copied',
        docsPrefix + file.rel,
      );
      continue;
    }
    assets.push(file);
  }
  return { pages, assets };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The page's text, or the read error; the digest is remembered for the source hash. */
function readSource(file: SourceFile): string | Error {
  try {
    const buffer = readFileSync(file.abs);
    rememberDigest(file, buffer);
    return buffer.toString('utf8');
  } catch (error) {
    return error as Error;
  }
}

/** Where pymdownx.snippets may read (the docs folder), or undefined without one. */
function snippetFolders(
  rootReal: string,
  docsDir: string,
  docsPrefix: string,
  problems: ProblemSink,
): SnippetFolders | undefined {
  try {
    const docsReal = realpathSync(path.join(rootReal, docsDir));
    return isInside(rootReal, docsReal) ? { rootReal, docsReal, docsPrefix, problems } : undefined;
  } catch {
    return undefined;
  }
}

function renderPage(
  page: PageSource,
  text: string | Error,
  md: ReturnType<typeof createMarkdown>,
  resolver: LinkResolver,
  problems: ProblemSink,
  snippets: SnippetFolders | undefined,
): { page: BuiltPage; unrendered: Map<string, number> } | undefined {
  if (text instanceof Error) {
    problems.error(`cannot read: ${text.message}`, page.shown);
    return undefined;
  }
  const front = splitFrontMatter(text);
  if (front.error) problems.warn(front.error.message, page.shown, front.error.line);
  const env = newPageEnv();
  let clean: string;
  try {
    let body = front.body;
    // Lines of the page as written, for messages about lines that snippets moved.
    let pageLine = (line: number) => line;
    if (snippets && hasSnippets(body)) {
      const expanded = expandSnippets(body, page.shown, snippets);
      body = expanded.text;
      pageLine = (line) => expanded.pageLines[line - 1] ?? line;
    }
    const html = md.render(body, env as unknown as Record<string, unknown>);
    clean = sanitizePage(html, (url, kind, line) => {
      const resolved = resolver.resolve(page.file.rel, page.path, url, kind);
      if (resolved.problem) {
        problems.warn(resolved.problem, page.shown, line ? pageLine(line) : undefined);
      }
      return resolved.href;
    });
    for (const [extension, line] of env.unrendered ?? []) {
      env.unrendered!.set(extension, line ? pageLine(line) : 0);
    }
  } catch (error) {
    problems.error(`cannot render: ${(error as Error).message}`, page.shown);
    return undefined;
  }
  return {
    page: {
      source: page,
      html: clean,
      toc: env.toc,
      ...(env.h1 !== undefined && env.h1 !== '' && { h1: env.h1 }),
      ...(front.title !== undefined && { frontMatterTitle: front.title }),
    },
    unrendered: env.unrendered ?? new Map(),
  };
}

export type { NavItem };
