import { InputError } from '../../../../core/errors.ts';
import {
  integrationTypeForHost,
  type ScmIntegrationType,
  type ScmIntegrationsConfig,
} from '../../../../core/reading/integrations.ts';

export {
  integrationForHost,
  integrationTypeForHost,
  type ScmIntegrationHost,
  type ScmIntegrationType,
  type ScmIntegrationsConfig,
} from '../../../../core/reading/integrations.ts';

export interface ParsedRepoUrl {
  host: string;
  owner?: string;
  repo: string;
  organization?: string;
  workspace?: string;
  project?: string;
}

const REQUIRED: Record<ScmIntegrationType, (p: Partial<ParsedRepoUrl>) => string[]> = {
  github: () => ['owner', 'repo'],
  gitlab: (p) => (p.project ? [] : ['owner', 'repo']),
  bitbucketCloud: () => ['workspace', 'project', 'repo'],
  bitbucketServer: () => ['project', 'repo'],
  azure: () => ['project', 'repo'],
  gitea: () => ['repo'],
  gerrit: () => ['repo'],
};

/**
 * Parses the RepoUrlPicker format `host?owner=o&repo=r` (COMPAT.md §6.2): the host must be
 * an SCM integration, and the parameters its type needs must be present.
 */
export function parseRepoUrl(
  repoUrl: string,
  integrations: ScmIntegrationsConfig | undefined,
): ParsedRepoUrl {
  if (typeof repoUrl !== 'string' || repoUrl === '') {
    throw new InputError(
      `Invalid repo URL ${JSON.stringify(repoUrl)}: expected a string such as github.com?owner=o&repo=r`,
    );
  }
  let url: URL;
  try {
    url = new URL(`https://${repoUrl}`);
  } catch {
    throw new InputError(
      `Invalid repo URL '${repoUrl}': expected the form host?owner=o&repo=r (e.g. github.com?owner=acme&repo=service)`,
    );
  }
  const host = url.host;
  const type = integrationTypeForHost(host, integrations);
  if (!type) {
    throw new InputError(
      `No matching integration configuration for host ${host}, please check your integrations config`,
    );
  }
  const param = (name: string) => {
    const value = url.searchParams.get(name)?.replace(/^\/+|\/+$/g, '');
    return value ? value : undefined;
  };
  const parsed: Partial<ParsedRepoUrl> = { host };
  for (const key of ['owner', 'repo', 'organization', 'workspace', 'project'] as const) {
    const value = param(key);
    if (value !== undefined) parsed[key] = value;
  }
  for (const name of REQUIRED[type](parsed)) {
    if (!parsed[name as keyof ParsedRepoUrl]) {
      throw new InputError(`Invalid repo URL passed to publisher: ${repoUrl}, missing ${name}`);
    }
  }
  return parsed as ParsedRepoUrl;
}
