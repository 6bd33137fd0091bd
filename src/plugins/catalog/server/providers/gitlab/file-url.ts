/**
 * Reading a GitLab blob URL (`https://gitlab.example.com/group/project/-/blob/main/catalog-info.yaml`,
 * what GitLab discovery and Backstage write as location targets) through the API instead of the
 * HTML page: `/projects/:path/repository/files/:file/raw?ref=`, with the integration's token.
 */
import type { ScmIntegrationsConfig } from '../../../../../core/reading/integrations.ts';

export interface GitlabBlobUrl {
  /** `group/sub/project` */
  project: string;
  ref: string;
  /** Path of the file in the repository, without a leading slash. */
  path: string;
}

/**
 * The project, ref and file of a blob (or raw) URL, below `webPath` (the instance's relative URL
 * root, `''` for most). The ref is taken as the first segment after `/-/blob/`, as GitLab's own
 * links to a default branch are written; undefined when the URL is not a blob URL.
 */
export function parseGitlabBlobUrl(url: URL, webPath = ''): GitlabBlobUrl | undefined {
  let path = url.pathname;
  const root = webPath.replace(/\/+$/, '');
  if (root) {
    if (!path.startsWith(`${root}/`)) return undefined;
    path = path.slice(root.length);
  }
  // `/-/` separates the project from GitLab's own routes; old URLs without it are a fallback.
  const match =
    /^\/(.+?)\/-\/(?:blob|raw)\/([^/]+)\/(.+)$/.exec(path) ??
    /^\/(.+?)\/(?:blob|raw)\/([^/]+)\/(.+)$/.exec(path);
  if (!match) return undefined;
  try {
    const project = decodeURIComponent(match[1]!);
    const ref = decodeURIComponent(match[2]!);
    const file = decodeURIComponent(match[3]!).replace(/^\/+/, '');
    if (!project || project.endsWith('/-') || !file) return undefined;
    return { project, ref, path: file };
  } catch {
    return undefined;
  }
}

/**
 * The API request that reads `target`, when it is a blob URL on a configured
 * `integrations.gitlab` host (or gitlab.com); undefined for anything else (then the plain fetch).
 */
export function gitlabFileRequest(
  target: string,
  integrations: ScmIntegrationsConfig | undefined,
): { url: string; headers: Record<string, string> } | undefined {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const host = url.host.toLowerCase();
  const entry = integrations?.gitlab?.find((e) => e.host.toLowerCase() === host);
  if (!entry && host !== 'gitlab.com') return undefined;
  const apiBaseUrl = (entry?.apiBaseUrl ?? `https://${url.host}/api/v4`).replace(/\/+$/, '');
  let webPath = '';
  try {
    const api = new URL(apiBaseUrl);
    if (api.host.toLowerCase() === host) webPath = api.pathname.replace(/\/api\/v4\/?$/, '');
  } catch {
    return undefined;
  }
  const blob = parseGitlabBlobUrl(url, webPath);
  if (!blob) return undefined;
  const ref = encodeURIComponent(blob.ref);
  return {
    url: `${apiBaseUrl}/projects/${encodeURIComponent(blob.project)}/repository/files/${encodeURIComponent(blob.path)}/raw?ref=${ref}`,
    headers: entry?.token ? { 'PRIVATE-TOKEN': entry.token } : {},
  };
}
