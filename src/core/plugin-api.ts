/**
 * Atrium's public plugin API: the one file a plugin author needs to read.
 *
 * Every feature of Atrium — the catalog included — is a plugin written against this file,
 * exactly as a third party would write one. A plugin declares:
 *
 * - an `id` (its HTTP routes live under `/api/<id>`, its tables are its own),
 * - its database `migrations` (run in order at start, each exactly once),
 * - the `extensionPoints` it owns, which other plugins may fill (the catalog owns
 *   location providers and entity processors),
 * - `extensions`: values it contributes to other plugins' extension points,
 * - `setup`, where it registers routes and start/stop hooks.
 *
 * Mistakes are reported when the app is assembled, before anything listens: two plugins with
 * one id, an extension for a point nobody declares, a route without a permission decision.
 *
 * Stability: everything exported here is stable API; other files under src/core are not.
 */
import type { FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { AtriumConfig } from './config/index.ts';
import type { Database } from './database/database.ts';
import type { Migration } from './database/migrations.ts';
import type { Logger } from './logger.ts';

export type { Database } from './database/database.ts';
export type { Migration } from './database/migrations.ts';
export type { Logger } from './logger.ts';
export * from './errors.ts';
export { type EventStream, openEventStream } from './http/event-stream.ts';

/** Who is calling. Until sign-in exists every caller is the guest user. */
export interface Identity {
  /** `user:default/guest` for anonymous callers. */
  userEntityRef: string;
  /** Refs of the user and its groups, used for ownership checks. */
  ownershipEntityRefs: string[];
  isGuest: boolean;
}

/** A permission, named as Backstage names them (`catalog.entity.read`, ...). */
export interface Permission {
  name: string;
  attributes?: { action?: 'create' | 'read' | 'update' | 'delete' };
  /** Set for permissions that apply to one resource, e.g. `catalog-entity`. */
  resourceType?: string;
}

export type Decision = { result: 'ALLOW' } | { result: 'DENY' };

/**
 * The one access-control decision point. Every route handler asks it before acting;
 * policies plug in behind it without touching routes.
 */
export type Authorize = (
  identity: Identity,
  permission: Permission,
  resourceRef?: string,
) => Promise<Decision>;

/** A typed handle on an extension point; create with {@link createExtensionPoint}. */
export interface ExtensionPoint<T> {
  readonly id: string;
  /** Phantom field that carries the type of the contributions. */
  readonly __type?: T;
}

export function createExtensionPoint<T>(id: string): ExtensionPoint<T> {
  return { id };
}

export interface Extension<T = unknown> {
  point: ExtensionPoint<T>;
  value: T;
}

/** Pairs a contribution with its point, keeping the two types in step. */
export function extend<T>(point: ExtensionPoint<T>, value: T): Extension<T> {
  return { point, value } as Extension<T>;
}

export interface RouteContext {
  identity: Identity;
  /** Asks {@link Authorize} for this caller; throws `NotAllowedError` on DENY. */
  require(permission: Permission, resourceRef?: string): Promise<void>;
}

export interface RouteOptions {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  /** Relative to the plugin base, e.g. `/entities/by-uid/:uid`. */
  url: string;
  /** JSON Schemas for `querystring`, `params`, `body`; unknown query keys are rejected. */
  schema?: FastifySchema;
  /**
   * The permission checked before the handler runs, or `null` for a route whose handler
   * checks per resource itself (it must call `ctx.require`). Required so no route forgets.
   */
  permission: Permission | null;
  handler(request: FastifyRequest, reply: FastifyReply, ctx: RouteContext): Promise<unknown>;
}

export interface PluginEnvironment {
  config: AtriumConfig;
  logger: Logger;
  database: Database;
  authorize: Authorize;
  /** Base URL of this plugin's API, e.g. `http://localhost:7007/api/catalog`. */
  baseUrl: string;
  /** Contributions other plugins made to one of this plugin's extension points. */
  extensions<T>(point: ExtensionPoint<T>): T[];
  route(options: RouteOptions): void;
  /** Runs after every plugin is set up and the server listens. */
  onStart(hook: () => Promise<void> | void): void;
  /** Runs on shutdown, in reverse order of plugins. */
  onStop(hook: () => Promise<void> | void): void;
  /** Services that one plugin publishes for others (looked up by the id of their plugin). */
  provide<T>(service: ServiceRef<T>, value: T): void;
  use<T>(service: ServiceRef<T>): T;
}

/** A typed name for a service one plugin offers another, e.g. the catalog's reader. */
export interface ServiceRef<T> {
  readonly id: string;
  readonly __type?: T;
}

export function createServiceRef<T>(id: string): ServiceRef<T> {
  return { id };
}

export interface PluginDefinition {
  id: string;
  migrations?: Migration[];
  extensionPoints?: ExtensionPoint<unknown>[];
  extensions?: Extension[];
  /** Services this plugin needs from plugins set up before it. */
  dependsOn?: string[];
  setup(env: PluginEnvironment): Promise<void> | void;
}

const PLUGIN_ID = /^[a-z][a-z0-9-]{0,62}$/;

/** Declares a plugin. Checks its shape at once so a mistake names the plugin. */
export function definePlugin(definition: PluginDefinition): PluginDefinition {
  if (!PLUGIN_ID.test(definition.id)) {
    throw new Error(
      `Plugin id '${definition.id}' is invalid: use lowercase letters, digits and '-'`,
    );
  }
  const points = new Set<string>();
  for (const point of definition.extensionPoints ?? []) {
    if (points.has(point.id)) {
      throw new Error(`Plugin '${definition.id}' declares extension point '${point.id}' twice`);
    }
    points.add(point.id);
  }
  return definition;
}
