/**
 * The stable server API for external plugins: everything a plugin package may use at run time,
 * and nothing else (the idea of VS Code's one `vscode` module).
 *
 * A plugin imports it as `@atrium/plugin-api`. That name never resolves through node_modules:
 * `atrium plugin build` turns the import into a read of `globalThis[Symbol.for('atrium.plugin-api')]`,
 * which the host sets to this module before it imports any plugin's backend bundle. So a plugin
 * shares the host's one copy of these values (`instanceof NotFoundError` holds), under `dist/`,
 * tsx and vitest alike, and needs no `npm install` once installed.
 *
 * ```ts
 * import { definePlugin, NotFoundError } from '@atrium/plugin-api';
 * export default definePlugin({
 *   id: 'links-oncall',
 *   setup(env) {
 *     env.route({ method: 'GET', url: '/hello', permission: null, async handler(_req, _rep, ctx) {
 *       await ctx.require({ name: 'links-oncall.hello.read', attributes: { action: 'read' } });
 *       return { hello: ctx.identity.userEntityRef, config: env.pluginConfig };
 *     } });
 *   },
 * });
 * ```
 *
 * Versioning: {@link PLUGIN_API_VERSION} follows semver. A plugin records the version it was
 * built against (`atrium.apiVersion` in its package.json); the host loads it when the majors
 * are equal and the plugin's version is not newer than the host's. Adding an export is a minor
 * version; changing or removing one is a major version.
 */
import type { Permission } from '../core/plugin-api.ts';
import { P as catalogPermissions } from './catalog/server/routes/shared.ts';

/**
 * The version of this API (semver), `1.1.0` (1.1 added the catalog's discovery providers). Plugins built against another major, or a newer
 * version of this major, are refused at start.
 */
export { PLUGIN_API_VERSION } from './plugin-manager/common/index.ts';

// ---------------------------------------------------------------------------------------------
// Declaring a plugin

export {
  /** Declares a plugin: its id, migrations, extension points, extensions and `setup`. */
  definePlugin,
  /** A typed handle on an extension point a plugin owns (others fill it with `extend`). */
  createExtensionPoint,
  /** A contribution to another plugin's extension point, typed by the point. */
  extend,
  /** A typed name for a service a plugin publishes with `env.provide` and others `env.use`. */
  createServiceRef,
  /** A Server-Sent Events stream on a route's reply (live logs, progress). */
  openEventStream,
} from '../core/plugin-api.ts';

export type {
  /** What `definePlugin` takes: `id`, `migrations`, `extensionPoints`, `extensions`, `dependsOn`, `setup`. */
  PluginDefinition,
  /** What `setup` receives: config, `pluginConfig`, logger, database, `route`, hooks, services. */
  PluginEnvironment,
  /** One HTTP route under `/api/<plugin id>`, with its schema and its permission. */
  RouteOptions,
  /** The caller of a route: identity, `require`, `decide`, `audit`. */
  RouteContext,
  /** Who is calling. */
  Identity,
  /** How the caller proved who it is. */
  Credential,
  /** A permission (`<plugin>.<thing>.<action>`), checked on routes and with `ctx.require`. */
  Permission,
  /** ALLOW, DENY or CONDITIONAL, with the reason. */
  Decision,
  DecisionReason,
  PermissionCriteria,
  PermissionCondition,
  /** A resource type a plugin owns, with the rules policies may put on it. */
  ResourceTypeDefinition,
  PermissionRule,
  ResourceTarget,
  /** The one access-control decision point (`env.authorize`). */
  Authorize,
  /** One audit log entry (`ctx.audit`, `env.audit.record`). */
  AuditEvent,
  AuditRecorder,
  ExtensionPoint,
  Extension,
  ServiceRef,
  /** Kysely over SQLite or PostgreSQL; a plugin's tables come from its `migrations`. */
  Database,
  Migration,
  Logger,
  EventStream,
} from '../core/plugin-api.ts';

/** Atrium's whole configuration, as `env.config` holds it (read-only for plugins). */
export type { AtriumConfig } from '../core/config/index.ts';

// ---------------------------------------------------------------------------------------------
// Errors: thrown from a handler, each answers with its status code and a Backstage error body.

export {
  /** Base class: 500. */
  AtriumError,
  /** 400: the request is wrong; say which field and why. */
  InputError,
  /** 401: no valid credential. */
  AuthenticationError,
  /** 403: not allowed (prefer `ctx.require`, which says which permission and why). */
  NotAllowedError,
  /** 404. */
  NotFoundError,
  /** 409. */
  ConflictError,
  /** 501. */
  NotImplementedError,
  /** 503: try again later. */
  ServiceUnavailableError,
} from '../core/errors.ts';

// ---------------------------------------------------------------------------------------------
// The built-in plugins' extension points

export {
  /** `catalog.location-readers`: read a new location type (`type` names it). */
  locationReadersExtensionPoint,
  /** `catalog.entity-processors`: look at (and add to) each valid entity before it is stored. */
  entityProcessorsExtensionPoint,
  /** `catalog.kinds`: accept a new entity kind, with its JSON Schema. */
  kindsExtensionPoint,
  /** `catalog.query-fields`: answer catalog filters under a key prefix from your own tables. */
  queryFieldsExtensionPoint,
  /**
   * `catalog.providers`: a discovery provider factory (`name`, `create(ctx)`), whose providers
   * list the locations that should exist (`scan`) and map webhook events to effects (`onEvent`).
   * The catalog schedules scans (one replica at a time), owns and reads the listed locations,
   * removes those no longer listed behind the mass-removal guard, and shows each provider's
   * status on the health page.
   */
  catalogProvidersExtensionPoint,
  /** The catalog: entities (`query.byRefs`, `readFilter(ctx)` for what the caller may read). */
  catalogServiceRef,
} from './catalog/server/plugin.ts';
export type { CatalogApi } from './catalog/server/plugin.ts';
export type { LocationReader } from './catalog/server/ingest/readers.ts';
export type { EntityProcessor } from './catalog/server/ingest/ingest-location.ts';
export type {
  CatalogProvider,
  CatalogProviderFactory,
  DiscoveredLocation,
  ProviderContext,
  ProviderEffect,
  ProviderError,
  ScanCost,
  ScanResult,
  WebhookEvent,
} from './catalog/server/providers/types.ts';
export type { QueryField } from './catalog/server/query/query-fields.ts';
export type { KindDefinition } from '../model/kind-definition.ts';
export type { Entity, JsonObject, JsonValue } from '../model/entity.ts';

/**
 * `catalog.entity.read`, the permission to read an entity: check it with
 * `ctx.decide(catalogEntityReadPermission, { ref, resource: entity })` before showing one.
 */
export const catalogEntityReadPermission: Permission = catalogPermissions.read;

/** `scaffolder.actions`: a template action (`id`, `schema`, `handler`), or a factory of one. */
export { scaffolderActionsExtensionPoint } from './scaffolder/server/plugin.ts';
export type {
  ActionContribution,
  ActionContext as TemplateActionContext,
  TemplateAction,
} from './scaffolder/server/actions/types.ts';

/** `search.collators`: every document of one search type, for a full reindex. */
export { searchCollatorsExtensionPoint, searchIndexServiceRef } from './search/server/api.ts';
export type { Collator, IndexableDocument, SearchIndex } from './search/server/api.ts';

/** `scorecards.fact-providers`: facts about entities that scorecard checks read. */
export { factProvidersExtensionPoint } from './scorecards/server/facts/provider.ts';
export type { CollectedFacts, FactProvider } from './scorecards/server/facts/provider.ts';

// ---------------------------------------------------------------------------------------------
// The actions registry (declared by the host): operations offered to AI assistants through the
// MCP server, each with JSON Schemas, a permission and hints.

export {
  /** `actions.registry`: contribute an action with `extend(actionsRegistryExtensionPoint, …)`. */
  actionsRegistryExtensionPoint,
  /** Declares an action, keeping its input and output types in step with its schemas. */
  defineAction,
} from '../core/plugin-api.ts';
export type {
  ActionContext,
  ActionDefinition,
  ActionHints,
  ActionObjectSchema,
} from '../core/plugin-api.ts';
