/** One configured SCM host (`integrations.<type>[]` in app-config.yaml), looked up by host for parseRepoUrl and URL reading. */
export interface ScmIntegrationHost {
  host: string;
  token?: string;
  apiBaseUrl?: string;
  /** GitHub Apps of a GitHub host (see github-credentials.ts). */
  apps?: GithubAppCredentials[];
}

/** What authenticating as a GitHub App needs (`integrations.github[].apps[]`). */
export interface GithubAppCredentials {
  appId: number;
  /** PEM. */
  privateKey: string;
  /** Organisation or user logins this app may be used for; absent: all. */
  allowedInstallationOwners?: string[];
}

/**
 * The `integrations` config section, by integration type. Written with explicit keys (not an
 * index signature) so that `AtriumConfig['integrations']` is assignable to it.
 */
export interface ScmIntegrationsConfig {
  github?: ScmIntegrationHost[];
  gitlab?: ScmIntegrationHost[];
  bitbucketCloud?: ScmIntegrationHost[];
  bitbucketServer?: ScmIntegrationHost[];
  azure?: ScmIntegrationHost[];
  gitea?: ScmIntegrationHost[];
  gerrit?: ScmIntegrationHost[];
}

export type ScmIntegrationType = keyof ScmIntegrationsConfig;

export const INTEGRATION_TYPES: ScmIntegrationType[] = [
  'github',
  'gitlab',
  'bitbucketCloud',
  'bitbucketServer',
  'azure',
  'gitea',
  'gerrit',
];

/** Hosts Backstage knows without configuration. */
export const DEFAULT_HOSTS: Record<string, ScmIntegrationType> = {
  'github.com': 'github',
  'gitlab.com': 'gitlab',
  'bitbucket.org': 'bitbucketCloud',
  'dev.azure.com': 'azure',
};

/** The integration type serving `host` (configured first, then the built-in defaults). */
export function integrationTypeForHost(
  host: string,
  integrations: ScmIntegrationsConfig | undefined,
): ScmIntegrationType | undefined {
  const wanted = host.toLowerCase();
  for (const type of INTEGRATION_TYPES) {
    if (integrations?.[type]?.some((entry) => entry.host.toLowerCase() === wanted)) return type;
  }
  return DEFAULT_HOSTS[wanted];
}

/** The configured entry for `host` (for its token), if any. */
export function integrationForHost(
  host: string,
  integrations: ScmIntegrationsConfig | undefined,
): (ScmIntegrationHost & { type: ScmIntegrationType }) | undefined {
  const wanted = host.toLowerCase();
  for (const type of INTEGRATION_TYPES) {
    const entry = integrations?.[type]?.find((e) => e.host.toLowerCase() === wanted);
    if (entry) return { ...entry, type };
  }
  return undefined;
}
