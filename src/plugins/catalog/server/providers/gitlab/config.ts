/**
 * What a GitLab provider derives from its config entry: the integration that supplies the API
 * base URL and token, the web base URL of the instance, the compiled filters, and the rules
 * (Backstage's) that decide which branch and which file a project's location points at.
 */
import type { GitlabCatalogProviderConfig } from '../../../../../core/config/gitlab-providers.ts';
import type { AtriumConfig } from '../../../../../core/config/index.ts';

export type { GitlabCatalogProviderConfig };

/** A project as the GitLab REST API (v4) describes it; only the fields the providers read. */
export interface GitlabProject {
  id: number;
  path_with_namespace: string;
  web_url: string;
  default_branch?: string | null;
  archived?: boolean;
  topics?: string[];
  tag_list?: string[];
  /** Present only on forks: its presence marks one. */
  forked_from_project?: unknown;
  empty_repo?: boolean;
}

export interface GitlabTarget {
  /** REST API base, e.g. `https://gitlab.example.com/api/v4`, without a trailing slash. */
  apiBaseUrl: string;
  /** Web base, e.g. `https://gitlab.example.com` (with a relative URL root if the API has one). */
  webBaseUrl: string;
  token?: string;
}

/**
 * The integration for `config.host`: its `apiBaseUrl` and token. gitlab.com works without an
 * entry (public projects only); any other host must be configured, or the error says where.
 */
export function gitlabTarget(
  config: GitlabCatalogProviderConfig,
  atrium: Pick<AtriumConfig, 'integrations'>,
  key: string,
): GitlabTarget {
  const host = config.host.toLowerCase();
  const entry = atrium.integrations.gitlab.find((e) => e.host.toLowerCase() === host);
  if (!entry && host !== 'gitlab.com') {
    throw new Error(
      `${key}.host is ${config.host}, but integrations.gitlab has no entry for that host; add {host: ${config.host}, token: …} under integrations.gitlab in app-config.yaml`,
    );
  }
  const apiBaseUrl = (entry?.apiBaseUrl ?? `https://${config.host}/api/v4`).replace(/\/+$/, '');
  return {
    apiBaseUrl,
    webBaseUrl: apiBaseUrl.replace(/\/api\/v4$/, ''),
    ...(entry?.token ? { token: entry.token } : {}),
  };
}

/** The branch whose catalog file a project's location reads (Backstage's order). */
export function projectBranch(
  config: GitlabCatalogProviderConfig,
  project: { default_branch?: string | null },
): string {
  return config.branch ?? project.default_branch ?? config.fallbackBranch;
}

/** `<web_url>/-/blob/<branch>/<catalogFile>`: the location target, written as Backstage does. */
export function locationTarget(webUrl: string, branch: string, file: string): string {
  return `${webUrl.replace(/\/+$/, '')}/-/blob/${branch}/${file}`;
}

export interface ProjectFilters {
  /** Why `project` is left out, or undefined when it passes every filter but the file check. */
  reject(project: GitlabProject): string | undefined;
  /** Whether a project path is one this provider reads (group, pattern, excludes). */
  inScope(pathWithNamespace: string): boolean;
}

export function projectFilters(config: GitlabCatalogProviderConfig): ProjectFilters {
  const pattern = new RegExp(config.projectPattern);
  const excluded = new Set(config.excludeRepos);
  const inScope = (path: string) =>
    (!config.group || path.startsWith(`${config.group}/`)) &&
    pattern.test(path) &&
    !excluded.has(path);
  return {
    inScope,
    reject(project) {
      const path = project.path_with_namespace;
      if (config.group && !path.startsWith(`${config.group}/`)) return 'outside the group';
      if (!pattern.test(path)) return 'does not match projectPattern';
      if (excluded.has(path)) return 'listed in excludeRepos';
      if (config.skipForkedRepos && project.forked_from_project !== undefined) return 'a fork';
      if (!config.includeArchivedRepos && project.archived) return 'archived';
      const topics = project.topics ?? project.tag_list ?? [];
      if (config.topics.some((t) => !topics.includes(t))) return 'missing a topic of topics';
      return undefined;
    },
  };
}

/** `127.0.0.1:8080` → `127.0.0.1`: annotation keys take a DNS prefix, without a port. */
export function annotationHost(host: string): string {
  return host.toLowerCase().replace(/:\d+$/, '');
}
