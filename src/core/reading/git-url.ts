/** Folder and file URLs of git hosts: GitHub style (`/owner/repo/tree/<ref>/<path>`) and GitLab style (`/group/repo/-/tree/<ref>/<path>`). */
export interface GitTreeLocation {
  /** `https://host/owner/repo` (GitHub style) or `https://host/group/sub/repo` (GitLab style). */
  repoUrl: string;
  /** What git fetches from: `repoUrl` + `.git`. */
  cloneUrl: string;
  style: 'github' | 'gitlab';
  kind: 'tree' | 'blob';
  /** Branch, tag or commit. Assumed to be one path segment (`feature/x` cannot be told apart from a path). */
  ref: string;
  /** Path inside the repository without leading or trailing `/`; `''` is the root. */
  path: string;
}

function encodePath(segments: string[]): string {
  return segments.map(encodeURIComponent).join('/');
}

/** Parses a git-hosted folder/file URL; undefined for any other URL. */
export function parseGitUrl(target: string): GitTreeLocation | undefined {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  let segments: string[];
  try {
    segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
  const build = (
    style: GitTreeLocation['style'],
    repo: string[],
    kind: string,
    ref: string | undefined,
    path: string[],
  ): GitTreeLocation | undefined => {
    if (!ref || (kind !== 'tree' && kind !== 'blob')) return undefined;
    const repoPath = encodePath(repo);
    const repoUrl = `${url.origin}/${repoPath.replace(/\.git$/, '')}`;
    return {
      repoUrl,
      cloneUrl: `${repoUrl}.git`,
      style,
      kind,
      ref,
      path: path.filter((s) => s !== '.').join('/'),
    };
  };
  const dash = segments.indexOf('-');
  if (dash >= 2 && (segments[dash + 1] === 'tree' || segments[dash + 1] === 'blob')) {
    return build(
      'gitlab',
      segments.slice(0, dash),
      segments[dash + 1]!,
      segments[dash + 2],
      segments.slice(dash + 3),
    );
  }
  if (segments.length >= 4 && (segments[2] === 'tree' || segments[2] === 'blob')) {
    return build('github', segments.slice(0, 2), segments[2]!, segments[3], segments.slice(4));
  }
  return undefined;
}

/**
 * A repository's own address (`https://github.com/org/repo`, `https://gitlab.com/group/sub/repo`,
 * with or without `.git`), read as Backstage's readers read it: the whole default branch
 * (`HEAD`). Undefined for anything with a query, a fragment or fewer than two path segments.
 */
export function parseRepoRootUrl(target: string): GitTreeLocation | undefined {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.search || url.hash) return undefined;
  let segments: string[];
  try {
    segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
  if (segments.length < 2 || segments.includes('-') || segments.some((s) => s === '..'))
    return undefined;
  const repoUrl = `${url.origin}/${encodePath(segments).replace(/\.git$/, '')}`;
  return {
    repoUrl,
    cloneUrl: `${repoUrl}.git`,
    style: segments.length === 2 ? 'github' : 'gitlab',
    kind: 'tree',
    ref: 'HEAD',
    path: '',
  };
}

/** The URL of `path` in the same repository and ref, as a folder (`tree`) or file (`blob`). */
export function formatGitUrl(
  location: GitTreeLocation,
  kind: 'tree' | 'blob',
  path: string,
): string {
  const marker = location.style === 'gitlab' ? `-/${kind}` : kind;
  const rest = path ? `/${encodePath(path.split('/'))}` : '';
  return `${location.repoUrl}/${marker}/${encodeURIComponent(location.ref)}${rest}`;
}
