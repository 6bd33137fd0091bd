import type { AtriumConfig } from '../../../../core/config/index.ts';
import type { Logger } from '../../../../core/plugin-api.ts';
import { githubProvider } from './github.ts';
import { gitlabProvider } from './gitlab.ts';
import { oidcProvider } from './oidc.ts';
import type { SignInProvider } from './types.ts';

export type { FlowSecrets, SignInProvider } from './types.ts';
export { ProviderError } from './types.ts';

export interface ConfiguredProvider {
  provider: SignInProvider;
  /** The callback URL registered with the provider (`callbackUrl`, else Backstage's path). */
  redirectUri: string;
}

/** The OAuth providers of `auth.environment`, by id. */
export function configuredProviders(
  config: AtriumConfig,
  logger: Logger,
): Map<string, ConfiguredProvider> {
  const providers = new Map<string, ConfiguredProvider>();
  const { oidc, github, gitlab } = config.auth.providers;
  const callback = (id: string, configured?: string) =>
    configured ?? `${config.backend.baseUrl}/api/auth/${id}/handler/frame`;
  if (oidc) {
    const redirectUri = callback('oidc', oidc.callbackUrl);
    providers.set('oidc', { provider: oidcProvider(oidc, logger), redirectUri });
  }
  if (github) {
    providers.set('github', {
      provider: githubProvider(github),
      redirectUri: callback('github', github.callbackUrl),
    });
  }
  if (gitlab) {
    providers.set('gitlab', {
      provider: gitlabProvider(gitlab),
      redirectUri: callback('gitlab', gitlab.callbackUrl),
    });
  }
  return providers;
}
