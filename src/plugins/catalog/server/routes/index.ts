import type { PluginEnvironment } from '../../../../core/plugin-api.ts';
import { registerEntityRoutes } from './entity-routes.ts';
import { registerGraphRoutes } from './graph-routes.ts';
import { registerHistoryRoutes } from './history-routes.ts';
import { registerLocationRoutes } from './location-routes.ts';
import type { Deps } from './shared.ts';
import { registerStarredRoutes } from './starred-routes.ts';
import { registerValidationRoutes } from './validation-routes.ts';

/** Every route of the catalog's REST API, under `/api/catalog`. */
export function registerCatalogRoutes(env: PluginEnvironment, deps: Deps) {
  registerEntityRoutes(env, deps);
  registerLocationRoutes(env, deps);
  registerValidationRoutes(env, deps);
  registerGraphRoutes(env, deps);
  registerHistoryRoutes(env, deps);
  registerStarredRoutes(env, deps);
}
