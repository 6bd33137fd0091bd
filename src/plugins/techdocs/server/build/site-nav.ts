import path from 'node:path';
import type { NavItem } from '../../common/index.ts';
import type { MkDocsConfig, RawNavEntry } from './mkdocs-config.ts';
import type { ProblemSink } from './problems.ts';

export interface NavPage {
  path: string;
  /** Relative to docs_dir. */
  source: string;
  /** The page's own title (front matter, h1 or file name). */
  title: string;
}

const ALLOWED_LINK = /^(https?:|mailto:)/i;
const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/**
 * The site navigation: from `nav:` when mkdocs.yml has one, else every page in folder order
 * (each folder's index first, then its pages, then its sub-folders as sections).
 * `titles` holds the titles nav gives to pages (the first one wins).
 */
export function buildNav(input: {
  config: MkDocsConfig;
  pages: NavPage[];
  pagesBySource: Map<string, string>;
  problems: ProblemSink;
}): { items: NavItem[]; titles: Map<string, string> } {
  const titles = new Map<string, string>();
  if (input.config.nav) {
    const ownTitles = new Map(input.pages.map((page) => [page.path, page.title]));
    const items = fromConfig(input.config.nav, input, ownTitles, titles);
    return { items, titles };
  }
  return { items: fromFolders(input.pages), titles };
}

function fromConfig(
  entries: RawNavEntry[],
  input: { config: MkDocsConfig; pagesBySource: Map<string, string>; problems: ProblemSink },
  ownTitles: Map<string, string>,
  titles: Map<string, string>,
): NavItem[] {
  const file = input.config.configFile;
  const items: NavItem[] = [];
  for (const entry of entries) {
    if (entry.children) {
      const children = fromConfig(entry.children, input, ownTitles, titles);
      if (children.length > 0) items.push({ title: entry.title ?? '', children });
      else input.problems.warn(`nav: section '${entry.title}' has no pages`, file, entry.line);
      continue;
    }
    const target = (entry.target ?? '').trim();
    if (HAS_SCHEME.test(target) || target.startsWith('//')) {
      if (ALLOWED_LINK.test(target)) items.push({ title: entry.title ?? target, url: target });
      else {
        input.problems.warn(
          `nav: link '${target}' is not http, https or mailto; ignored`,
          file,
          entry.line,
        );
      }
      continue;
    }
    const source = path.posix.normalize(target.replace(/\\/g, '/')).replace(/^\.\//, '');
    const pagePath = input.pagesBySource.get(source);
    if (pagePath === undefined) {
      input.problems.warn(
        `nav: page '${target}' was not found in the docs folder (or was not built); entry ignored`,
        file,
        entry.line,
      );
      continue;
    }
    if (entry.title !== undefined && !titles.has(pagePath)) titles.set(pagePath, entry.title);
    items.push({
      title: entry.title ?? ownTitles.get(pagePath) ?? pageFallbackTitle(source),
      path: pagePath,
    });
  }
  return items;
}

interface Folder {
  index?: NavPage;
  pages: NavPage[];
  folders: Map<string, Folder>;
}

function fromFolders(pages: NavPage[]): NavItem[] {
  const root: Folder = { pages: [], folders: new Map() };
  for (const page of [...pages].sort((a, b) => (a.source < b.source ? -1 : 1))) {
    const dir = path.posix.dirname(page.source);
    let folder = root;
    if (dir !== '.') {
      for (const part of dir.split('/')) {
        let next = folder.folders.get(part);
        if (!next) {
          next = { pages: [], folders: new Map() };
          folder.folders.set(part, next);
        }
        folder = next;
      }
    }
    const isIndex = page.path === (dir === '.' ? '' : dir);
    if (isIndex) folder.index = page;
    else folder.pages.push(page);
  }
  return folderItems(root);
}

function folderItems(folder: Folder): NavItem[] {
  const items: NavItem[] = [];
  if (folder.index) items.push({ title: folder.index.title, path: folder.index.path });
  for (const page of folder.pages) items.push({ title: page.title, path: page.path });
  for (const [name, child] of [...folder.folders].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const children = folderItems(child);
    if (children.length > 0) items.push({ title: nameToTitle(name), children });
  }
  return items;
}

/** Page paths of the nav in reading order, each once (for previous / next). */
export function flattenNav(items: NavItem[], out: string[] = [], seen = new Set<string>()) {
  for (const item of items) {
    if (item.path !== undefined && !seen.has(item.path)) {
      seen.add(item.path);
      out.push(item.path);
    }
    if (item.children) flattenNav(item.children, out, seen);
  }
  return out;
}

/** MkDocs' title for a page without heading: 'Home' for the home page, else from the name. */
export function pageFallbackTitle(sourceRel: string): string {
  const withoutExt = sourceRel.replace(/\.(md|markdown)$/i, '');
  const base = path.posix.basename(withoutExt);
  if (/^(index|readme)$/i.test(base)) {
    const dir = path.posix.dirname(withoutExt);
    return dir === '.' ? 'Home' : nameToTitle(path.posix.basename(dir));
  }
  return nameToTitle(base);
}

function nameToTitle(name: string): string {
  const spaced = name.replace(/[-_]+/g, ' ').trim();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}
