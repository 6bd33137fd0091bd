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
 * Plugins installed from packages (`plugins:` in app-config.yaml) see the subset that
 * `src/plugins/public-api.ts` re-exports, as `@atrium/plugin-api`.
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
export { criteriaToQuery } from './permissions/evaluator.ts';
export { escapeLike } from './database/like.ts';
export * from './actions.ts';

/** How a caller proved who it is. */
export type Credential =
  /** No credential: the guest provider is on (development) and answers for anonymous callers. */
  | 'guest'
  /** The web app's session cookie. */
  | 'session'
  /** A personal access token a user created in Settings. */
  | 'personal-token'
  /** `backend.auth.externalAccess`: a static token or a JWT checked against a JWKS. */
  | 'external'
  /** Atrium itself (ingestion, scheduled jobs): never an HTTP caller. */
  | 'service'
  /** Not signed in: only routes marked `public` see this caller. */
  | 'none';

/** Limits of an external-access token (`accessRestrictions`, as Backstage names them). */
export interface AccessRestriction {
  plugin: string;
  permission?: string[];
  permissionAttribute?: { action?: string[] };
}

/** Who is calling. */
export interface Identity {
  /** `user:default/guest` for the guest; `service:<subject>` for external-access tokens. */
  userEntityRef: string;
  /**
   * Refs of the user and of every group it belongs to, parent groups included (Backstage stops
   * at direct membership). Used for ownership checks and role membership.
   */
  ownershipEntityRefs: string[];
  isGuest: boolean;
  credential: Credential;
  /** Personal tokens: `read` limits the token to permissions whose action is `read`. */
  scope?: 'read' | 'full';
  /** External access: what the token may be used for; absent means no restriction. */
  accessRestrictions?: AccessRestriction[];
  /** Id of the personal token or subject of the external token, for the audit log. */
  credentialId?: string;
}

/** A permission, named as Backstage names them (`catalog.entity.read`, ...). */
export interface Permission {
  name: string;
  attributes?: { action?: 'create' | 'read' | 'update' | 'delete' };
  /** Set for permissions that apply to one resource, e.g. `catalog-entity`. */
  resourceType?: string;
}

/**
 * One condition on a resource, named as Backstage's permission rules are
 * (`IS_ENTITY_OWNER`, `HAS_ANNOTATION`, ...), with its parameters. `$currentUser` and
 * `$ownerRefs` in parameters are replaced by the caller's refs before evaluation.
 */
export interface PermissionCondition {
  rule: string;
  resourceType: string;
  params: Record<string, unknown>;
}

export type PermissionCriteria =
  | { allOf: PermissionCriteria[] }
  | { anyOf: PermissionCriteria[] }
  | { not: PermissionCriteria }
  | PermissionCondition;

/** Why a decision was taken, in words a user can act on. */
export interface DecisionReason {
  /** One sentence, e.g. "the rule 'x' did not match because you do not own this entity". */
  message: string;
  /** Name of the deciding rule, absent when no rule matched. */
  rule?: string;
  /** Where that rule is declared: a file with its line, or `database`. */
  source?: string;
}

export type Decision =
  | { result: 'ALLOW'; reason?: DecisionReason }
  | { result: 'DENY'; reason: DecisionReason }
  /**
   * Allowed on the resources that meet `conditions`. Returned when no resource was named:
   * lists apply the conditions as a filter inside their query.
   */
  | {
      result: 'CONDITIONAL';
      resourceType: string;
      conditions: PermissionCriteria;
      reason: DecisionReason;
    };

/** A resource to decide on: its ref, and the resource itself when the caller has it loaded. */
export interface ResourceTarget {
  ref: string;
  resource?: unknown;
}

/**
 * The one access-control decision point. Every route handler asks it before acting;
 * policies plug in behind it without touching routes. Given a resource, a conditional policy
 * is evaluated on it (loaded through its resource type when not passed) and the answer is
 * ALLOW or DENY; without one, the answer may be CONDITIONAL.
 */
export type Authorize = (
  identity: Identity,
  permission: Permission,
  resource?: string | ResourceTarget,
) => Promise<Decision>;

/**
 * A condition a policy may put on a resource type, with both of its meanings: on one loaded
 * resource (`apply`) and as a filter for the owning plugin's queries (`toQuery`).
 */
export interface PermissionRule<TResource = unknown, TQuery = unknown> {
  name: string;
  description: string;
  /** Parameter names, for validating policies (a missing one is an error with its line). */
  params: string[];
  apply(resource: TResource, params: Record<string, unknown>): boolean;
  toQuery(params: Record<string, unknown>): TQuery;
  /** Why `apply` was false, in the second person: "you do not own this entity". */
  explainFailure(params: Record<string, unknown>): string;
}

/** A kind of resource that permissions may name, declared by the plugin that owns it. */
export interface ResourceTypeDefinition<TResource = unknown, TQuery = unknown> {
  /** e.g. `catalog-entity`. */
  type: string;
  rules: PermissionRule<TResource, TQuery>[];
  /** Loads resources by ref (undefined where none exists), for decisions on one resource. */
  load(refs: string[]): Promise<(TResource | undefined)[]>;
}

/** One entry of the audit log; the host fills in time, actor, request id and client address. */
export interface AuditEvent {
  /** e.g. `catalog.entity.delete`, `auth.signin`, `permission.denied`. */
  action: string;
  /** The ref or id of what the action was about. */
  resourceRef?: string;
  outcome: 'success' | 'failure' | 'denied';
  /** For entity changes, what changed; never secrets. */
  details?: Record<string, unknown>;
}

/** Writes the audit log. Recording never throws into the caller; failures are logged. */
export interface AuditRecorder {
  record(event: AuditEvent, context?: { identity?: Identity; request?: FastifyRequest }): void;
}

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
  /**
   * Asks {@link Authorize} for this caller; throws `NotAllowedError` (403) on DENY, with the
   * permission and the reason in the error body. Without a resource, CONDITIONAL passes:
   * the handler then filters with {@link RouteContext.decide}.
   */
  require(permission: Permission, resource?: string | ResourceTarget): Promise<void>;
  /** The decision itself, for handlers that filter lists or answer 404 instead of 403. */
  decide(permission: Permission, resource?: string | ResourceTarget): Promise<Decision>;
  /** Records an audit event as this caller, with this request's id and client address. */
  audit(event: AuditEvent): void;
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
  /**
   * Answers callers who are not signed in (sign-in itself, the list of providers). Every other
   * route answers 401 to them when guest access is off.
   */
  public?: boolean;
  /**
   * A POST that changes nothing (a dry run, a validation, a batch of questions): the host
   * audits every other non-GET request whose permission is not a read.
   */
  changesNothing?: boolean;
  /**
   * The handler gets the body as a Buffer, unparsed, whatever its content type: for webhooks,
   * whose signature covers the exact bytes. The server's body size limit still applies.
   */
  rawBody?: boolean;
  handler(request: FastifyRequest, reply: FastifyReply, ctx: RouteContext): Promise<unknown>;
}

export interface PluginEnvironment {
  config: AtriumConfig;
  /**
   * An external plugin's own settings: the `config` of its `plugins:` entry, validated against
   * the JSON Schema its package declares (`atrium.configSchema`), with that schema's defaults
   * filled in. `undefined` for built-in plugins and for packages that declare no schema.
   */
  pluginConfig?: unknown;
  logger: Logger;
  database: Database;
  authorize: Authorize;
  /** The audit log, for changes made outside a request (ingestion, scheduled jobs). */
  audit: AuditRecorder;
  /**
   * Declares a resource type this plugin owns, with the rules policies may put on it.
   * Two plugins declaring one type stop the app at start.
   */
  resourceType<R, Q>(definition: ResourceTypeDefinition<R, Q>): void;
  /**
   * Declares permissions this plugin checks with `ctx.require` or `authorize` only (those on
   * routes are known already), so policies naming them validate.
   */
  permissions(list: Permission[]): void;
  /** Base URL of this plugin's API, e.g. `http://localhost:7007/api/catalog`. */
  baseUrl: string;
  /** Contributions other plugins made to one of this plugin's extension points. */
  extensions<T>(point: ExtensionPoint<T>): T[];
  route(options: RouteOptions): void;
  /**
   * Runs after every plugin is set up, before the server listens: for what every request
   * depends on (the access policy), so no request is answered before it is ready.
   */
  onReady(hook: () => Promise<void> | void): void;
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
