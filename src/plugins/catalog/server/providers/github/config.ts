/**
 * A GitHub discovery provider's configuration made ready to use: the integration it talks
 * through (REST and GraphQL endpoints; its token or apps answer through github-credentials.ts),
 * Backstage's repository filters as one predicate, and the catalog path as an exact path or a
 * glob matcher.
 */
import { Minimatch } from 'minimatch';
import {
  type GithubDiscoveryProviderConfig,
  hasGlob,
} from '../../../../../core/config/github-providers.ts';
import type { ScmIntegrationsConfig } from '../../../../../core/reading/integrations.ts';
import { githubApiBaseUrl, githubGraphqlUrl } from './file-url.ts';

/** What the filters look at, from a GraphQL node or a webhook's `repository` object. */
export interface RepositoryFacts {
  name: string;
  /** The repository's web URL: `https://github.com/org/repo`. */
  url: string;
  isArchived: boolean;
  isFork: boolean;
  /** Lower case: public, private, internal. */
  visibility: string;
  topics: string[];
  /** Absent for an empty repository. */
  defaultBranch?: string;
}

export interface GithubProviderSettings {
  config: GithubDiscoveryProviderConfig;
  apiBaseUrl: string;
  graphqlUrl: string;
  /** Sent with every API request; the authorization comes per owner from the credentials. */
  headers: Record<string, string>;
  /** Whether GitHub App installation tokens authenticate (else the integration's token). */
  viaApp: boolean;
  /** The app chosen by the provider's `app`, when the host has apps. */
  appId?: number;
  /** The catalog path without a leading slash. */
  catalogPath: string;
  /** Set when the catalog path holds a glob. */
  glob?: Minimatch;
}

/** The integration entry for the provider's host, with a token or apps; a clear error otherwise. */
export function resolveSettings(
  config: GithubDiscoveryProviderConfig,
  integrations: ScmIntegrationsConfig | undefined,
): GithubProviderSettings {
  const where = `catalog.providers.github${config.id === 'default' ? '' : `.${config.id}`}`;
  const entry = integrations?.github?.find(
    (e) => e.host.toLowerCase() === config.host.toLowerCase(),
  );
  const apps = entry?.apps ?? [];
  if (!entry || (!entry.token && !apps.length)) {
    throw new Error(
      `${where}: GitHub discovery of ${config.host} needs a token: add an integrations.github entry {host: ${config.host}, token} or {host: ${config.host}, apps: [{appId, privateKey}]} (GitHub's GraphQL API does not answer anonymous requests)`,
    );
  }
  if (!config.organization && !apps.length) {
    throw new Error(
      `${where}: discovering every installation of GitHub App ${config.app} needs the app: add {appId: ${config.app}, privateKey} to integrations.github[].apps of the ${config.host} entry, or set organization`,
    );
  }
  // Without apps configured, `app` is what it always was here: ignored, the token is used.
  const appId = apps.length ? config.app : undefined;
  if (appId !== undefined && !apps.some((app) => app.appId === appId)) {
    throw new Error(
      `${where}.app: GitHub App ${config.app} is not configured for ${config.host}: add {appId: ${config.app}, privateKey} to integrations.github[].apps of the ${config.host} entry${apps.length ? ` (configured: ${apps.map((a) => a.appId).join(', ')})` : ''}`,
    );
  }
  const apiBaseUrl = githubApiBaseUrl(config.host, entry.apiBaseUrl);
  const catalogPath = config.catalogPath.replace(/^\/+/, '');
  return {
    config,
    apiBaseUrl,
    graphqlUrl: githubGraphqlUrl(apiBaseUrl),
    headers: {
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
    },
    viaApp: apps.length > 0,
    ...(appId !== undefined ? { appId } : {}),
    catalogPath,
    ...(hasGlob(catalogPath) ? { glob: new Minimatch(catalogPath, { dot: true }) } : {}),
  };
}

/** Backstage's topic filter: include needs one of its topics, exclude wins over include. */
export function satisfiesTopicFilter(
  topics: string[],
  filter: { include?: string[]; exclude?: string[] },
): boolean {
  const include = filter.include ?? [];
  const exclude = filter.exclude ?? [];
  if (exclude.length && topics.some((t) => exclude.includes(t))) return false;
  if (include.length && !topics.some((t) => include.includes(t))) return false;
  return true;
}

/** Backstage anchors the repository pattern: it must match the whole name. */
function anchored(pattern: string): RegExp {
  return new RegExp(
    `${pattern.startsWith('^') ? '' : '^'}${pattern}${pattern.endsWith('$') ? '' : '$'}`,
  );
}

/** Why a repository is left out, or undefined when every filter lets it through. */
export function filterReason(
  repo: RepositoryFacts,
  filters: GithubDiscoveryProviderConfig['filters'],
): string | undefined {
  if (!repo.defaultBranch) return 'empty repository';
  if (repo.isArchived && !filters.allowArchived) return 'archived';
  if (repo.isFork && !filters.allowForks) return 'fork';
  if (filters.repository && !anchored(filters.repository).test(repo.name)) {
    return 'name does not match filters.repository';
  }
  if (!satisfiesTopicFilter(repo.topics, filters.topic)) return 'topics';
  if (
    filters.visibility.length &&
    !filters.visibility.includes(repo.visibility.toLowerCase() as never)
  ) {
    return 'visibility';
  }
  return undefined;
}

/** The branch read in `repo`: filters.branch, else its default branch. */
export function branchOf(settings: GithubProviderSettings, repo: RepositoryFacts): string {
  return settings.config.filters.branch ?? repo.defaultBranch ?? 'HEAD';
}

/** The location target of one file: Backstage's `<repo url>/blob/<branch>/<path>`. */
export function blobUrl(repoUrl: string, branch: string, path: string): string {
  return `${repoUrl.replace(/\/+$/, '')}/blob/${branch}/${encodeURI(path.replace(/^\/+/, ''))}`;
}

/** Whether a file path of a repository is a catalog file of this provider. */
export function isCatalogFile(settings: GithubProviderSettings, path: string): boolean {
  const clean = path.replace(/^\/+/, '');
  return settings.glob ? settings.glob.match(clean) : clean === settings.catalogPath;
}
