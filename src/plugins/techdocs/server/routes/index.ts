import type { PluginEnvironment } from '../../../../core/plugin-api.ts';
import { registerMetadataRoutes } from './metadata-routes.ts';
import type { RouteDeps } from './shared.ts';
import { registerSitesRoutes } from './sites-routes.ts';
import { registerStaticRoutes } from './static-routes.ts';
import { registerSyncRoutes } from './sync-routes.ts';

/** Every route of the techdocs API, under `/api/techdocs`. */
export function registerTechdocsRoutes(env: PluginEnvironment, deps: RouteDeps) {
  registerMetadataRoutes(env, deps);
  registerStaticRoutes(env, deps);
  registerSyncRoutes(env, deps);
  registerSitesRoutes(env, deps);
}
