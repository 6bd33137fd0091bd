import path from 'node:path';

/**
 * Rewrites the URLs of one page from source form (relative to the Markdown file, `.md`
 * targets) to site form (relative to the page's directory URL), the way MkDocs does with
 * `use_directory_urls`: in `guide/deploy.md` (served at `guide/deploy/`), `rollback.md#undo`
 * becomes `../rollback/#undo` and `img/a.png` becomes `../img/a.png`.
 */
export class LinkResolver {
  /** Page path by source file (relative to docs_dir). */
  private readonly pages: Map<string, string>;
  /** Every non-Markdown file of the site (relative to docs_dir). */
  private readonly assets: Set<string>;

  constructor(pages: Map<string, string>, assets: Set<string>) {
    this.pages = pages;
    this.assets = assets;
  }

  /**
   * The site form of `href` found in `source` (served at page path `pagePath`), and what is
   * wrong with it, if anything. Absolute URLs, in-page anchors and links that already use
   * directory URLs (`other/`) are returned unchanged.
   */
  resolve(
    source: string,
    pagePath: string,
    href: string,
    kind: 'link' | 'image',
  ): { href: string; problem?: string } {
    const trimmed = href.trim();
    if (
      trimmed === '' ||
      trimmed.startsWith('#') ||
      trimmed.startsWith('/') ||
      trimmed.startsWith('?') ||
      /^[a-z][a-z0-9+.-]*:/i.test(trimmed)
    ) {
      return { href };
    }
    const hashAt = trimmed.indexOf('#');
    const hash = hashAt < 0 ? '' : trimmed.slice(hashAt);
    let pathPart = hashAt < 0 ? trimmed : trimmed.slice(0, hashAt);
    const queryAt = pathPart.indexOf('?');
    const query = queryAt < 0 ? '' : pathPart.slice(queryAt);
    if (queryAt >= 0) pathPart = pathPart.slice(0, queryAt);
    const decoded = safeDecode(pathPart);
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(source), decoded));
    if (target === '..' || target.startsWith('../')) {
      return { href, problem: `${kind} '${href}' points outside the docs folder` };
    }
    const isMarkdown = /\.(md|markdown)$/i.test(target);
    if (isMarkdown) {
      const targetPage = this.pages.get(target);
      if (targetPage === undefined) return { href, problem: `link to missing page '${href}'` };
      if (targetPage === pagePath && hash !== '') return { href: hash };
      return { href: encodePath(relativeDir(pagePath, targetPage)) + query + hash };
    }
    if (pathPart.endsWith('/') || pathPart === '' || pathPart === '.' || pathPart === '..') {
      // Already a directory URL relative to the page: MkDocs leaves these alone.
      return { href };
    }
    const rewritten = encodePath(relativeFile(pagePath, target)) + query + hash;
    if (!this.assets.has(target)) {
      const what = kind === 'image' ? 'missing image' : 'link to missing file';
      return { href: rewritten, problem: `${what} '${href}'` };
    }
    return { href: rewritten };
  }
}

/** From the directory URL of `fromPage` to that of `toPage` ('' is the site root). */
export function relativeDir(fromPage: string, toPage: string): string {
  const rel = path.posix.relative(`/${fromPage}`, `/${toPage}`);
  return rel === '' ? './' : `${rel}/`;
}

/** From the directory URL of `fromPage` to a file of the site. */
export function relativeFile(fromPage: string, file: string): string {
  return path.posix.relative(`/${fromPage}`, `/${file}`);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function encodePath(value: string): string {
  return value
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}
