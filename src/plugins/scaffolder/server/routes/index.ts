import type { PluginEnvironment } from '../../../../core/plugin-api.ts';
import { registerIntegrationRoutes } from './integration-routes.ts';
import type { RouteDeps } from './shared.ts';
import { registerTaskRoutes } from './task-routes.ts';
import { registerTemplateRoutes } from './template-routes.ts';

/** Every route of the scaffolder's REST API, under `/api/scaffolder`. */
export function registerScaffolderRoutes(env: PluginEnvironment, deps: RouteDeps) {
  registerTaskRoutes(env, deps);
  registerTemplateRoutes(env, deps);
  registerIntegrationRoutes(env);
}
