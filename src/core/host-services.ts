import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Policy } from './permissions/policy-model.ts';
import {
  type AuditRecorder,
  createServiceRef,
  type Identity,
  type Permission,
  type ResourceTypeDefinition,
} from './plugin-api.ts';

/**
 * Services the host asks of built-in plugins: who a request comes from (the auth plugin) and
 * where audit events go (the audit plugin). Absent, every caller is the guest and audit events
 * go to the server log only, which is what an app assembled for a plugin's own test wants.
 */
export interface IdentityResolver {
  /**
   * The caller of a request: from its session cookie, its bearer token, or the guest when
   * guest access is on. `null` when it carries no credential and guest access is off.
   * Throws `AuthenticationError` for a credential that is expired, revoked or forged.
   */
  resolve(request: FastifyRequest, reply?: FastifyReply): Promise<Identity | null>;
}

export const identityResolverRef = createServiceRef<IdentityResolver>('core.identity');
export const auditRecorderRef = createServiceRef<AuditRecorder>('core.audit');

/** The current access-control policy, kept by the permission plugin (files and database). */
export interface PolicyProvider {
  current(): Policy;
}
export const policyProviderRef = createServiceRef<PolicyProvider>('core.policy');

/** A registered API route, as the host saw it at start. */
export interface RouteInfo {
  plugin: string;
  method: string;
  /** Full path, e.g. `/api/catalog/entities/by-uid/:uid`. */
  url: string;
  permission: Permission | null;
  public: boolean;
  /** Whether a call may change something: what the host audits and the coverage test holds to 403. */
  changes: boolean;
}

/**
 * What the host knows once every plugin is set up: permissions (from routes and
 * `env.permissions`), resource types and routes. Policies are validated against it; the
 * route-coverage test walks it.
 */
export interface HostRegistry {
  permissions(): Permission[];
  resourceTypes(): ReadonlyMap<string, ResourceTypeDefinition>;
  routes(): RouteInfo[];
}
export const hostRegistryRef = createServiceRef<HostRegistry>('core.registry');

/** A request to this portal's own API, made in process (no socket, no token). */
export interface PortalRequest {
  method: string;
  /** Absolute path with query string: `/api/catalog/entities?filter=kind=component`. */
  url: string;
  headers?: Record<string, string>;
  /** Sent as it is; set `content-type` in `headers`. */
  body?: string;
}

export interface PortalResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends requests to the portal's own API as a given identity, through the same routes,
 * permission checks and audit as any other caller: what a template step that calls the
 * API (`http:backstage:request`) runs with, without minting a credential that could leak.
 */
export interface PortalRequester {
  request(identity: Identity, request: PortalRequest): Promise<PortalResponse>;
}
export const portalRequesterRef = createServiceRef<PortalRequester>('core.portal-request');
