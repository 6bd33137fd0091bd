import { identityResolverRef } from '../../../core/host-services.ts';
import { createServiceRef, definePlugin, type PluginDefinition } from '../../../core/plugin-api.ts';
import { type CatalogApi, catalogServiceRef } from '../../catalog/server/plugin.ts';
import { authActions } from './actions.ts';
import { portalOrigins } from './csrf.ts';
import { FLOW_LIFETIME_MS } from './flow.ts';
import { createIdentityResolver } from './identity.ts';
import { SigningKeys } from './keys.ts';
import { authMigrations } from './migrations.ts';
import { type ConfiguredProvider, configuredProviders } from './providers/index.ts';
import { registerAuthRoutes } from './routes.ts';
import { SessionService } from './sessions.ts';
import { createTokenAuthenticator, registerTokenRoutes, tokenMigrations } from './tokens/index.ts';
import { UserCache } from './user-cache.ts';

/** Expired sessions and retired keys are deleted this often. */
const PRUNE_EVERY_MS = 60 * 60_000;

/** The auth plugin's parts, for tests and for other built-in plugins. */
export interface AuthApi {
  keys: SigningKeys;
  sessions: SessionService;
  providers: ReadonlyMap<string, ConfiguredProvider>;
}
export const authServiceRef = createServiceRef<AuthApi>('auth');

/**
 * Sign-in and sessions (this folder) and bearer tokens (./tokens): the identity of every
 * request. Routes under /api/auth.
 */
export function authPlugin(): PluginDefinition {
  let catalog: CatalogApi | undefined;
  return definePlugin({
    id: 'auth',
    dependsOn: ['catalog'],
    migrations: [...authMigrations, ...tokenMigrations],
    extensions: authActions(() => catalog),
    async setup(env) {
      const { config, database, logger } = env;
      catalog = env.use(catalogServiceRef);
      const directory = env.use(catalogServiceRef).users;
      const users = new UserCache(directory);
      const providers = configuredProviders(config, logger);
      const sessionMs = (provider: string) =>
        providers.get(provider)?.provider.config.sessionDurationMs ??
        config.auth.session.durationMs;
      const longestSession = () =>
        Math.max(
          config.auth.session.durationMs,
          ...[...providers.values()].map((p) => p.provider.config.sessionDurationMs ?? 0),
        );
      const keys = new SigningKeys({
        database,
        logger,
        rotationMs: config.auth.session.keyRotationMs,
        maxTokenLifetimeMs: () => Math.max(longestSession(), FLOW_LIFETIME_MS),
      });
      const sessions = new SessionService({
        database,
        keys,
        durationMs: sessionMs,
        maxDurationMs: config.auth.session.maxDurationMs,
      });

      const tokenDeps = { config, database, users: directory, logger };
      env.provide(
        identityResolverRef,
        createIdentityResolver({
          sessions,
          users,
          guest: config.auth.providers.guest,
          tokens: createTokenAuthenticator(tokenDeps),
          origins: portalOrigins(config.app.baseUrl, config.backend.baseUrl),
          secure: config.app.baseUrl.startsWith('https:'),
        }),
      );
      env.provide(authServiceRef, { keys, sessions, providers });
      registerAuthRoutes(env, { keys, sessions, users, directory, providers });
      registerTokenRoutes(env, tokenDeps);

      if (!providers.size && !config.auth.providers.guest) {
        logger.warn(
          `No sign-in provider is configured for auth.environment '${config.auth.environment}' and guest access is off: nobody can sign in. Configure auth.providers (oidc, github, gitlab or guest).`,
        );
      }

      let timer: NodeJS.Timeout | undefined;
      const prune = async () => {
        try {
          const [gone, retired] = [await sessions.prune(), await keys.prune()];
          if (gone || retired)
            logger.info('Deleted expired sessions and retired keys', {
              sessions: gone,
              keys: retired,
            });
        } catch (error) {
          logger.warn('Could not delete expired sessions', { error: (error as Error).message });
        }
      };
      env.onStart(() => {
        void prune();
        timer = setInterval(prune, PRUNE_EVERY_MS);
        timer.unref();
      });
      env.onStop(() => clearInterval(timer));
    },
  });
}
