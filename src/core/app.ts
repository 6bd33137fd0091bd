import Fastify, { type FastifyInstance } from 'fastify';
import type { AtriumConfig } from './config/index.ts';
import { type Database, openDatabase } from './database/database.ts';
import { runMigrations } from './database/migrations.ts';
import { NotAllowedError, NotFoundError } from './errors.ts';
import { registerHostCheck } from './http/allowed-hosts.ts';
import { makeErrorHandler } from './http/error-handler.ts';
import { registerJsonBodyParser } from './http/json-body.ts';
import { dataLimits } from './input-limits.ts';
import { serveWebApp } from './http/web-app.ts';
import { createLogger, type Logger } from './logger.ts';
import { GUEST_IDENTITY, allowAll } from './permissions.ts';
import type {
  Authorize,
  ExtensionPoint,
  PluginDefinition,
  PluginEnvironment,
  RouteContext,
  RouteOptions,
  ServiceRef,
} from './plugin-api.ts';

export interface AppOptions {
  config: AtriumConfig;
  /** Folder of the built web app to serve on `/` (absent: API only). */
  webRoot?: string;
  plugins: PluginDefinition[];
  logger?: Logger;
  /** Resolves relative paths in config (database file); defaults to process.cwd(). */
  cwd?: string;
  authorize?: Authorize;
  /**
   * The environment (`NODE_ENV` by default): outside `production`, requests for `localhost`,
   * `127.0.0.1` and `[::1]` are served besides `backend.allowedHosts`.
   */
  environment?: string;
}

export interface App {
  server: FastifyInstance;
  database: Database;
  logger: Logger;
  /** Listens on `backend.listen`, then runs every plugin's start hooks. Returns the base URL. */
  start(): Promise<string>;
  stop(): Promise<void>;
  use<T>(service: ServiceRef<T>): T;
}

/** Checks the plugin set as a whole, so wiring mistakes stop the app before it listens. */
function checkPlugins(plugins: PluginDefinition[]): Map<string, PluginDefinition> {
  const byId = new Map<string, PluginDefinition>();
  const points = new Map<string, string>();
  for (const plugin of plugins) {
    if (byId.has(plugin.id)) throw new Error(`Two plugins have the id '${plugin.id}'`);
    byId.set(plugin.id, plugin);
    for (const point of plugin.extensionPoints ?? []) {
      const owner = points.get(point.id);
      if (owner)
        throw new Error(
          `Extension point '${point.id}' is declared by both '${owner}' and '${plugin.id}'`,
        );
      points.set(point.id, plugin.id);
    }
  }
  for (const plugin of plugins) {
    for (const ext of plugin.extensions ?? []) {
      if (!points.has(ext.point.id)) {
        throw new Error(
          `Plugin '${plugin.id}' extends '${ext.point.id}', which no installed plugin declares`,
        );
      }
    }
    for (const dep of plugin.dependsOn ?? []) {
      if (!byId.has(dep))
        throw new Error(`Plugin '${plugin.id}' needs plugin '${dep}', which is not installed`);
      if (plugins.indexOf(byId.get(dep)!) > plugins.indexOf(plugin)) {
        throw new Error(`Plugin '${plugin.id}' needs '${dep}', which must be listed before it`);
      }
    }
  }
  return byId;
}

export async function createApp(options: AppOptions): Promise<App> {
  const { config } = options;
  const logger = options.logger ?? createLogger();
  const authorize = options.authorize ?? allowAll;
  checkPlugins(options.plugins);

  const database = await openDatabase(config.backend.database, options.cwd);
  const server = Fastify({
    logger: false,
    bodyLimit: 10 * 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
    routerOptions: { maxParamLength: 500 },
  });
  // First of all hooks: a request for another host is answered 421 before anything else runs.
  registerHostCheck(server, {
    allowedHosts: config.backend.allowedHosts,
    environment: options.environment ?? process.env.NODE_ENV,
  });
  registerJsonBodyParser(server, () => dataLimits(config));
  server.setErrorHandler(makeErrorHandler(logger));
  server.setNotFoundHandler((request) => {
    throw new NotFoundError(`Not found: ${request.method} ${request.url}`);
  });

  const starts: Array<() => Promise<void> | void> = [];
  const stops: Array<() => Promise<void> | void> = [];
  const services = new Map<string, unknown>();
  const contributions = new Map<string, unknown[]>();
  for (const plugin of options.plugins) {
    for (const ext of plugin.extensions ?? []) {
      const list = contributions.get(ext.point.id) ?? [];
      list.push(ext.value);
      contributions.set(ext.point.id, list);
    }
  }
  const use = <T>(service: ServiceRef<T>): T => {
    if (!services.has(service.id))
      throw new Error(`Service '${service.id}' is not provided by any plugin`);
    return services.get(service.id) as T;
  };

  try {
    for (const plugin of options.plugins) {
      const pluginLogger = logger.child({ plugin: plugin.id });
      const applied = await runMigrations(database, plugin.id, plugin.migrations ?? []);
      if (applied.length) pluginLogger.info(`Applied migrations: ${applied.join(', ')}`);
      const routes: RouteOptions[] = [];
      const owned = new Set((plugin.extensionPoints ?? []).map((p) => p.id));
      const env: PluginEnvironment = {
        config,
        logger: pluginLogger,
        database,
        authorize,
        baseUrl: `${config.backend.baseUrl.replace(/\/$/, '')}/api/${plugin.id}`,
        extensions<T>(point: ExtensionPoint<T>): T[] {
          if (!owned.has(point.id)) {
            throw new Error(
              `Plugin '${plugin.id}' reads extension point '${point.id}', which it does not declare`,
            );
          }
          return (contributions.get(point.id) ?? []) as T[];
        },
        route(route) {
          if (route.permission === undefined) {
            throw new Error(
              `Route ${route.method} ${route.url} of plugin '${plugin.id}' has no permission decision`,
            );
          }
          routes.push(route);
        },
        onStart: (hook) => starts.push(hook),
        onStop: (hook) => stops.unshift(hook),
        provide(service, value) {
          if (services.has(service.id))
            throw new Error(`Service '${service.id}' is provided twice`);
          services.set(service.id, value);
        },
        use,
      };
      await plugin.setup(env);
      await server.register(
        async (scope) => {
          for (const route of routes) {
            scope.route({
              method: route.method,
              url: route.url,
              schema: route.schema,
              handler: async (request, reply) => {
                // Sign-in does not exist yet: every caller is the guest.
                const identity = GUEST_IDENTITY;
                const ctx: RouteContext = {
                  identity,
                  async require(permission, resourceRef) {
                    const decision = await authorize(identity, permission, resourceRef);
                    if (decision.result !== 'ALLOW') {
                      throw new NotAllowedError(`Not allowed: ${permission.name}`);
                    }
                  },
                };
                if (route.permission) await ctx.require(route.permission);
                return route.handler(request, reply, ctx);
              },
            });
          }
        },
        { prefix: `/api/${plugin.id}` },
      );
    }
  } catch (error) {
    await database.close();
    throw error;
  }

  if (options.webRoot && !(await serveWebApp(server, options.webRoot))) {
    logger.warn(`No web app found in ${options.webRoot}; serving the API only`);
  }

  let stopped = false;
  return {
    server,
    database,
    logger,
    use,
    async start() {
      const address = await server.listen({
        host: config.backend.listen.host,
        port: config.backend.listen.port,
      });
      logger.info(`Atrium listening on ${address}`);
      for (const hook of starts) await hook();
      return address.replace('://127.0.0.1', '://localhost').replace('://[::1]', '://localhost');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const hook of stops) await hook();
      await server.close();
      await database.close();
    },
  };
}
