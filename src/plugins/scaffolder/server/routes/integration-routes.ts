import type { PluginEnvironment } from '../../../../core/plugin-api.ts';
import {
  DEFAULT_HOSTS,
  INTEGRATION_TYPES,
  type ScmIntegrationHost,
  type ScmIntegrationsConfig,
} from '../../../../core/reading/integrations.ts';
import type {
  ScmIntegrationSummary,
  ScmIntegrationsResponse,
} from '../../common/scm-integrations.ts';
import { P, strict } from './shared.ts';

/** The hosts of `integrations.*`, then the well-known hosts not configured; no tokens. */
export function scmIntegrationSummaries(
  integrations: ScmIntegrationsConfig,
): ScmIntegrationSummary[] {
  const items: ScmIntegrationSummary[] = [];
  const seen = new Set<string>();
  const add = (host: string, type: ScmIntegrationSummary['type']) => {
    const key = host.toLowerCase();
    if (seen.has(key)) return;
    seen.add(key);
    items.push({ host, type, title: host });
  };
  for (const type of INTEGRATION_TYPES) {
    const entries = integrations[type] as ScmIntegrationHost[] | undefined;
    for (const entry of entries ?? []) add(entry.host, type);
  }
  for (const [host, type] of Object.entries(DEFAULT_HOSTS)) add(host, type);
  return items;
}

/**
 * Atrium: what Backstage's web app reads from the `integrations` config it ships to the
 * browser, for the RepoUrlPicker. Reading it is reading what the scaffolder can do, like the
 * action list.
 */
export function registerIntegrationRoutes(env: PluginEnvironment) {
  const summaries = scmIntegrationSummaries(env.config.integrations);
  env.route({
    method: 'GET',
    url: '/v2/integrations',
    permission: P.actionRead,
    schema: { querystring: strict({}) },
    async handler(): Promise<ScmIntegrationsResponse> {
      return { items: summaries };
    },
  });
}
