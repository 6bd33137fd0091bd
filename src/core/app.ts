import { randomBytes, randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { actionsRegistryExtensionPoint } from './actions.ts';
import type { AtriumConfig } from './config/index.ts';
import { type Database, openDatabase } from './database/database.ts';
import { runMigrations } from './database/migrations.ts';
import { AuthenticationError, NotFoundError, permissionDenied } from './errors.ts';
import {
  auditRecorderRef,
  type HostRegistry,
  hostRegistryRef,
  type IdentityResolver,
  identityResolverRef,
  type PortalRequester,
  portalRequesterRef,
  type PolicyProvider,
  policyProviderRef,
  type RouteInfo,
} from './host-services.ts';
import { registerHostCheck } from './http/allowed-hosts.ts';
import { makeErrorHandler } from './http/error-handler.ts';
import { lazyRouteValidators } from './http/lazy-validators.ts';
import { registerHealthRoutes } from './http/health.ts';
import { registerJsonBodyParser } from './http/json-body.ts';
import { dataLimits } from './input-limits.ts';
import { scrubSecrets } from './secret-scrub.ts';
import { serveWebApp } from './http/web-app.ts';
import { createLogger, type Logger } from './logger.ts';
import { PermissionEvaluator } from './permissions/evaluator.ts';
import { ANONYMOUS_IDENTITY, GUEST_IDENTITY } from './permissions/guest.ts';
import { EMPTY_POLICY } from './permissions/policy-model.ts';
import type {
  AuditEvent,
  AuditRecorder,
  Authorize,
  Decision,
  ExtensionPoint,
  Identity,
  Permission,
  PluginDefinition,
  PluginEnvironment,
  RouteContext,
  RouteOptions,
  ResourceTypeDefinition,
  ServiceRef,
} from './plugin-api.ts';

/** Carries the nonce of an in-process request made by the portal requester. */
const INTERNAL_IDENTITY_HEADER = 'x-atrium-internal-identity';

export interface AppOptions {
  config: AtriumConfig;
  /** Folder of the built web app to serve on `/` (absent: API only). */
  webRoot?: string;
  plugins: PluginDefinition[];
  logger?: Logger;
  /** Resolves relative paths in config (database file); defaults to process.cwd(). */
  cwd?: string;
  /** Replaces the policy evaluator (tests of the plugin API). */
  authorize?: Authorize;
  /**
   * The environment (`NODE_ENV` by default): outside `production`, requests for `localhost`,
   * `127.0.0.1` and `[::1]` are served besides `backend.allowedHosts`.
   */
  environment?: string;
  /** Each external plugin's own settings by plugin id, handed over as `env.pluginConfig`. */
  pluginConfig?: ReadonlyMap<string, unknown>;
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

/**
 * Extension points of the plugin API itself: any plugin may contribute to them and read them,
 * so a plugin's contributions never depend on which other plugins an app installs.
 */
const HOST_POINTS = [actionsRegistryExtensionPoint.id];

/** Checks the plugin set as a whole, so wiring mistakes stop the app before it listens. */
function checkPlugins(plugins: PluginDefinition[]): Map<string, PluginDefinition> {
  const byId = new Map<string, PluginDefinition>();
  const points = new Map<string, string>(HOST_POINTS.map((id) => [id, 'the host']));
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

/** Whether a route may change something (and so is audited): not a read, not a dry run. */
function changes(route: RouteOptions): boolean {
  return (
    route.method !== 'GET' &&
    route.permission?.attributes?.action !== 'read' &&
    route.changesNothing !== true
  );
}

/** The resource a change was about, as far as the URL tells: a ref, uid, id or name. */
function resourceOf(request: FastifyRequest): string | undefined {
  const params = (request.params ?? {}) as Record<string, string>;
  if (params.kind && params.name)
    return `${params.kind}:${params.namespace ?? 'default'}/${params.name}`.toLowerCase();
  const id = params.uid ?? params.id ?? params.taskId ?? params.name;
  return typeof id === 'string' ? id : undefined;
}

/**
 * Ends what plugins set up, after a failed start: every stop hook runs (one that throws is
 * logged, not left to keep the others from running), then the server and the database close.
 */
async function release(
  stops: Array<() => Promise<void> | void>,
  server: FastifyInstance,
  database: Database,
  logger: Logger,
): Promise<void> {
  for (const hook of stops) {
    try {
      await hook();
    } catch (error) {
      logger.error('A stop hook failed while releasing a failed start', { error: String(error) });
    }
  }
  await server.close().catch(() => {});
  await database.close();
}

export async function createApp(options: AppOptions): Promise<App> {
  const { config } = options;
  const logger = options.logger ?? createLogger();
  checkPlugins(options.plugins);
  const services = new Map<string, unknown>();
  const service = <T>(ref: ServiceRef<T>): T | undefined => services.get(ref.id) as T | undefined;
  const resourceTypes = new Map<string, ResourceTypeDefinition>();
  const resourceTypeOwners = new Map<string, string>();
  const permissions = new Map<string, Permission>();
  const routeInfos: RouteInfo[] = [];
  const evaluator = new PermissionEvaluator({
    enabled: () => config.permission.enabled,
    policy: () => service<PolicyProvider>(policyProviderRef)?.current() ?? EMPTY_POLICY,
    resourceTypes,
  });
  const authorize: Authorize =
    options.authorize ??
    ((identity, permission, resource) => evaluator.authorize(identity, permission, resource));
  // Until the audit plugin provides a recorder (or in apps assembled without it), events go
  // to the server log so nothing is lost silently.
  const fallbackAudit: AuditRecorder = {
    record: (event, context) =>
      logger.info('audit', scrubSecrets({ ...event, actor: context?.identity?.userEntityRef })),
  };
  const audit: AuditRecorder = {
    record(event, context) {
      try {
        (service<AuditRecorder>(auditRecorderRef) ?? fallbackAudit).record(event, context);
      } catch (error) {
        logger.error('Audit event not recorded', { action: event.action, error: String(error) });
      }
    },
  };
  const registry: HostRegistry = {
    permissions: () => [...permissions.values()],
    resourceTypes: () => resourceTypes,
    routes: () => routeInfos,
  };
  services.set(hostRegistryRef.id, registry);
  // Identities of in-process requests, by a random one-time nonce in a header: a caller from
  // outside cannot guess one, and a nonce is forgotten once its request is identified.
  const internalIdentities = new Map<string, Identity>();
  const portalRequester: PortalRequester = {
    async request(identity, portalRequest) {
      const nonce = randomBytes(32).toString('base64url');
      internalIdentities.set(nonce, identity);
      try {
        const response = await server.inject({
          method: portalRequest.method as 'GET',
          url: portalRequest.url,
          headers: {
            ...portalRequest.headers,
            host: new URL(config.backend.baseUrl).host,
            [INTERNAL_IDENTITY_HEADER]: nonce,
          },
          ...(portalRequest.body === undefined ? {} : { payload: portalRequest.body }),
        });
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined)
            headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
        }
        return { status: response.statusCode, headers, body: response.body };
      } finally {
        internalIdentities.delete(nonce);
      }
    },
  };
  services.set(portalRequesterRef.id, portalRequester);
  const knowPermission = (plugin: string, permission: Permission) => {
    const known = permissions.get(permission.name);
    if (known && known.resourceType !== permission.resourceType) {
      throw new Error(
        `Plugin '${plugin}' declares permission '${permission.name}' with resource type '${permission.resourceType}', but it is known with '${known.resourceType}'`,
      );
    }
    if (!known) permissions.set(permission.name, permission);
  };

  const database = await openDatabase(config.backend.database, options.cwd);
  const server = Fastify({
    logger: false,
    // Unique across restarts and replicas, so an audit event's request id names one request.
    genReqId: () => randomUUID(),
    bodyLimit: 10 * 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
    // Route schemas compile at their first request, not before the server can answer.
    schemaController: lazyRouteValidators(),
    routerOptions: { maxParamLength: 500 },
  });
  // First of all hooks: a request for another host is answered 421 before anything else runs.
  registerHostCheck(server, {
    allowedHosts: config.backend.allowedHosts,
    environment: options.environment ?? process.env.NODE_ENV,
  });
  registerJsonBodyParser(server, () => dataLimits(config));
  // /healthcheck and /.backstage/health/v1/*: public, no identity, listed with the routes.
  const health = registerHealthRoutes(server, database, routeInfos);
  // Every API route must come through `env.route`, which demands a permission decision; one
  // registered on fastify directly would bypass sign-in and policy, so it stops the start.
  const fastifyApiRoutes: string[] = [];
  server.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/') && route.method !== 'HEAD') {
      for (const method of [route.method].flat()) fastifyApiRoutes.push(`${method} ${route.url}`);
    }
  });
  server.setErrorHandler(makeErrorHandler(logger));
  server.setNotFoundHandler((request) => {
    throw new NotFoundError(`Not found: ${request.method} ${request.url}`);
  });

  const readies: Array<() => Promise<void> | void> = [];
  const starts: Array<() => Promise<void> | void> = [];
  const stops: Array<() => Promise<void> | void> = [];
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

  const identify = async (
    request: FastifyRequest,
    reply: FastifyReply,
    isPublic: boolean,
  ): Promise<Identity> => {
    const internal = request.headers[INTERNAL_IDENTITY_HEADER];
    if (typeof internal === 'string') {
      const given = internalIdentities.get(internal);
      // One use each: the nonce lives only for the in-process request that carries it.
      if (given) {
        internalIdentities.delete(internal);
        return given;
      }
    }
    const resolver = service<IdentityResolver>(identityResolverRef);
    if (!resolver) return GUEST_IDENTITY;
    let identity: Identity | null;
    try {
      identity = await resolver.resolve(request, reply);
    } catch (error) {
      // A bad credential on a public route (the sign-in page's session probe) is no credential.
      if (isPublic && error instanceof AuthenticationError) return ANONYMOUS_IDENTITY;
      if (error instanceof AuthenticationError) {
        // Expired, revoked and forged credentials leave a trace; the message names no secret.
        audit.record(
          {
            action: 'auth.rejected',
            outcome: 'failure',
            details: {
              method: request.method,
              url: request.url.split('?')[0],
              reason: error.message,
            },
          },
          { identity: ANONYMOUS_IDENTITY, request },
        );
      }
      throw error;
    }
    if (identity) return identity;
    if (isPublic) return ANONYMOUS_IDENTITY;
    throw new AuthenticationError(
      'Sign in to use this API: the request has no session cookie or bearer token, and guest access is off',
    );
  };
  const contexts = new WeakMap<FastifyRequest, RouteContext>();
  const handlerAudited = new WeakSet<FastifyRequest>();
  /** How often each permission was asked during one request (see the check after handlers). */
  const askCounts = new WeakMap<FastifyRequest, Map<string, number>>();
  const routeContext = (identity: Identity, request: FastifyRequest): RouteContext => {
    const asks = new Map<string, number>();
    askCounts.set(request, asks);
    // The route's own check and the handler's filter ask the same question: ask once.
    const asked = new Map<string, Promise<Decision>>();
    const decide: RouteContext['decide'] = (permission, resource) => {
      asks.set(permission.name, (asks.get(permission.name) ?? 0) + 1);
      if (resource !== undefined) return authorize(identity, permission, resource);
      let decision = asked.get(permission.name);
      if (!decision) {
        decision = authorize(identity, permission);
        asked.set(permission.name, decision);
      }
      return decision;
    };
    return {
      identity,
      decide,
      async require(permission, resource) {
        const decision = await decide(permission, resource);
        if (decision.result === 'DENY') {
          const resourceRef = typeof resource === 'string' ? resource : resource?.ref;
          audit.record(
            {
              action: 'permission.denied',
              resourceRef,
              outcome: 'denied',
              details: { permission: permission.name, reason: decision.reason },
            },
            { identity, request },
          );
          throw permissionDenied(permission.name, decision.reason);
        }
      },
      audit: (event: AuditEvent) => {
        // The handler's own, more precise event replaces the host's generic one.
        handlerAudited.add(request);
        audit.record(event, { identity, request });
      },
    };
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
        pluginConfig: options.pluginConfig?.get(plugin.id),
        logger: pluginLogger,
        database,
        authorize,
        audit,
        resourceType(definition) {
          const owner = resourceTypeOwners.get(definition.type);
          if (owner) {
            throw new Error(
              `Resource type '${definition.type}' is declared by both '${owner}' and '${plugin.id}'`,
            );
          }
          resourceTypeOwners.set(definition.type, plugin.id);
          resourceTypes.set(definition.type, definition as ResourceTypeDefinition);
        },
        permissions(list) {
          for (const permission of list) knowPermission(plugin.id, permission);
        },
        baseUrl: `${config.backend.baseUrl.replace(/\/$/, '')}/api/${plugin.id}`,
        extensions<T>(point: ExtensionPoint<T>): T[] {
          if (!owned.has(point.id) && !HOST_POINTS.includes(point.id)) {
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
          if (route.permission) knowPermission(plugin.id, route.permission);
          routeInfos.push({
            plugin: plugin.id,
            method: route.method,
            url: `/api/${plugin.id}${route.url === '/' ? '' : route.url}`,
            permission: route.permission,
            public: route.public === true,
            changes: changes(route),
          });
          routes.push(route);
        },
        onReady: (hook) => readies.push(hook),
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
          // Routes that take their body raw (webhooks) get a child scope whose one parser hands
          // any body over unparsed; every other route keeps the JSON parser.
          let rawScope: FastifyInstance = scope;
          if (routes.some((route) => route.rawBody)) {
            await scope.register(async (child) => {
              child.removeAllContentTypeParsers();
              child.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) =>
                done(null, body),
              );
              rawScope = child;
            });
          }
          for (const route of routes) {
            (route.rawBody ? rawScope : scope).route({
              method: route.method,
              url: route.url,
              schema: route.schema,
              // Who is calling and whether they may, before the body is parsed or validated:
              // a caller without the right learns nothing from validation errors.
              onRequest: async (request, reply) => {
                const identity = await identify(request, reply, route.public === true);
                const ctx = routeContext(identity, request);
                contexts.set(request, ctx);
                // As Backstage does: a restricted external token reaches only the plugins its
                // restrictions name, whatever the route checks itself.
                const restrictions = identity.accessRestrictions;
                if (restrictions?.length && !restrictions.some((r) => r.plugin === plugin.id)) {
                  throw permissionDenied(route.permission?.name ?? `${plugin.id} API`, {
                    message: `this token's access restrictions do not include the ${plugin.id} plugin`,
                  });
                }
                if (route.permission) await ctx.require(route.permission);
              },
              handler: async (request, reply) => {
                const ctx = contexts.get(request)!;
                const identity = ctx.identity;
                const mutating = changes(route);
                const action =
                  route.permission?.name ?? `${plugin.id}.${route.method} ${route.url}`;
                try {
                  const result = await route.handler(request, reply, ctx);
                  const permission = route.permission;
                  if (
                    route.method === 'GET' &&
                    permission?.resourceType &&
                    askCounts.get(request)?.get(permission.name) === 1 &&
                    (await ctx.decide(permission)).result === 'CONDITIONAL'
                  ) {
                    // The route let a conditional decision through and its handler never applied
                    // the conditions: a plugin bug that would serve what the policy hides.
                    // (Changes check their one resource with ctx.require; the route-coverage
                    // test holds them to it.)
                    throw new Error(
                      `Route ${route.method} ${route.url} of plugin '${plugin.id}' ignored the conditions of ${permission.name}: its handler must filter with ctx.decide`,
                    );
                  }
                  if (mutating && !route.public && !handlerAudited.has(request)) {
                    audit.record(
                      {
                        action,
                        resourceRef: resourceOf(request),
                        outcome: reply.statusCode < 400 ? 'success' : 'failure',
                      },
                      { identity, request },
                    );
                  }
                  return result;
                } catch (error) {
                  // Denials are recorded where they are decided; other failures of changes here.
                  const status = (error as { statusCode?: number }).statusCode ?? 500;
                  if (mutating && !route.public && status !== 403) {
                    audit.record(
                      {
                        action,
                        resourceRef: resourceOf(request),
                        outcome: 'failure',
                        details: { status },
                      },
                      { identity, request },
                    );
                  }
                  throw error;
                }
              },
            });
          }
        },
        { prefix: `/api/${plugin.id}` },
      );
    }
  } catch (error) {
    // Never a half-built app: plugins set up before the failing one may hold workers, timers
    // or watchers, which their stop hooks end; then the server and the database close.
    await release(stops, server, database, logger);
    throw error;
  }

  if (options.webRoot && !(await serveWebApp(server, options.webRoot))) {
    logger.warn(`No web app found in ${options.webRoot}; serving the API only`);
  }

  const listenAndStart = async (): Promise<string> => {
    for (const hook of readies) await hook();
    // After the ready hooks and once fastify has loaded every registered plugin: a route added
    // by either would otherwise be served unchecked.
    await server.ready();
    const declared = new Set(routeInfos.map((r) => `${r.method} ${r.url}`));
    const undeclared = fastifyApiRoutes.filter((r) => !declared.has(r));
    if (undeclared.length) {
      throw new Error(
        `API routes registered without env.route (no permission decision): ${undeclared.join(', ')}`,
      );
    }
    const address = await server.listen({
      host: config.backend.listen.host,
      port: config.backend.listen.port,
    });
    logger.info(`Atrium listening on ${address}`);
    for (const hook of starts) await hook();
    health.started();
    return address.replace('://127.0.0.1', '://localhost').replace('://[::1]', '://localhost');
  };

  let stopped = false;
  return {
    server,
    database,
    logger,
    use,
    async start() {
      try {
        return await listenAndStart();
      } catch (error) {
        // A ready or start hook that throws (or a port in use) leaves nothing running.
        stopped = true;
        await release(stops, server, database, logger);
        throw error;
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      health.stopping();
      for (const hook of stops) await hook();
      await server.close();
      await database.close();
    },
  };
}
