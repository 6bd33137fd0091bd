/**
 * Types of a built docs site, shared by the build (server), the storage, the REST API and the
 * reader page (web). The site layout follows MkDocs with directory URLs so that sites built
 * by Backstage's own tooling and published by CI can be served too.
 *
 * Site layout (paths relative to the site root):
 *   techdocs_metadata.json     SiteMetadata
 *   <path>/index.html          the SANITISED HTML FRAGMENT of one page body (no <html>, no
 *                              <head>, no nav); `index.html` for the home page (path '')
 *   search/search_index.json   SearchIndexFile
 *   any other file             copied from docs_dir unchanged (images, PDFs, …)
 *
 * URLs inside the fragments are RELATIVE TO THE PAGE'S DIRECTORY URL, like MkDocs output:
 * on page `guide/deploy` a link to `guide/rollback.md#undo` is written `../rollback/#undo`, an
 * image `img/a.png` next to it `../img/a.png`, an in-page anchor stays `#undo`. The reader
 * resolves them with `resolveSitePath` below: page links map to
 * `/docs/:namespace/:kind/:name/<path>/#hash`, other files to
 * `/api/techdocs/static/docs/:namespace/:kind/:name/<file>`.
 */

/** Entity coordinates in TechDocs order (namespace/kind/name, not the catalog's kind first). */
export interface DocsTriplet {
  namespace: string;
  kind: string;
  name: string;
}

/** A navigation entry: a section (children), a page (path) or an external link (url). */
export interface NavItem {
  title: string;
  /** Page path as in `PageMetadata.path` ('' is the home page). */
  path?: string;
  /** External link (http/https/mailto) from `nav:` in mkdocs.yml. */
  url?: string;
  children?: NavItem[];
}

/** A heading of a page (h2–h4), in document order. */
export interface TocEntry {
  level: number;
  /** The heading's `id` attribute in the fragment. */
  id: string;
  text: string;
}

export interface PageLink {
  path: string;
  title: string;
}

export interface PageMetadata {
  /** '' for the home page, 'guide/deploy' style otherwise (no `.md`, no trailing slash). */
  path: string;
  title: string;
  /** Source file relative to docs_dir, e.g. 'guide/deploy.md' (for "edit this page"). */
  source: string;
  toc: TocEntry[];
  prev?: PageLink;
  next?: PageLink;
}

/** `techdocs_metadata.json`. The snake_case fields are Backstage's; the rest are Atrium's. */
export interface SiteMetadata {
  site_name: string;
  site_description?: string;
  /** Epoch milliseconds. */
  build_timestamp: number;
  /** Every file of the site, relative to its root, '/' separated. */
  files: string[];
  etag?: string;
  /** hashDocsSource() of the source folder the site was built from. */
  source_hash?: string;
  source_commit?: string;
  repo_url?: string;
  edit_uri?: string;
  nav?: NavItem[];
  pages?: PageMetadata[];
}

/** One entry of `search/search_index.json`: a whole page or one of its h2/h3 sections. */
export interface SearchIndexDoc {
  /** '<path>/' or '<path>/#<heading-id>'; the home page is '' and '#<heading-id>'. */
  location: string;
  title: string;
  /** Plain text: no markup, HTML entities decoded, whitespace collapsed. */
  text: string;
}

export interface SearchIndexFile {
  config?: { lang?: string[]; separator?: string };
  docs: SearchIndexDoc[];
}

/** The fragment file of a page path: '' → 'index.html', 'a/b' → 'a/b/index.html'. */
export function pageFile(path: string): string {
  return path === '' ? 'index.html' : `${path}/index.html`;
}

/** The page path of a search location: 'a/b/#x' → 'a/b', '#x' → ''. */
export function locationPath(location: string): { path: string; hash: string } {
  const hashAt = location.indexOf('#');
  const base = hashAt < 0 ? location : location.slice(0, hashAt);
  const hash = hashAt < 0 ? '' : location.slice(hashAt + 1);
  return { path: base.replace(/\/+$/, ''), hash };
}

/**
 * Resolves a URL found in the fragment of page `pagePath` against the site root.
 * Returns undefined for absolute URLs (scheme or leading '/'), which are left as they are.
 * `kind: 'page'` when the target is a directory URL (ends with '/' or is empty) — a page of
 * the site; `kind: 'file'` otherwise (image, download).
 * Targets climbing above the site root are clamped to it (as a browser would).
 */
export function resolveSitePath(
  pagePath: string,
  href: string,
): { kind: 'page' | 'file'; path: string; hash: string } | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('/')) return undefined;
  const hashAt = href.indexOf('#');
  const hash = hashAt < 0 ? '' : href.slice(hashAt + 1);
  let rest = hashAt < 0 ? href : href.slice(0, hashAt);
  const queryAt = rest.indexOf('?');
  if (queryAt >= 0) rest = rest.slice(0, queryAt);
  if (rest === '') return { kind: 'page', path: pagePath, hash };
  const parts = pagePath === '' ? [] : pagePath.split('/');
  for (const segment of rest.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') parts.pop();
    else parts.push(segment);
  }
  const isPage = rest.endsWith('/') || rest === '.' || rest === '..';
  return { kind: isPage ? 'page' : 'file', path: parts.join('/'), hash };
}
