import type { Entity, Problem } from '../../../model/entity.ts';
import { fetchJson, queryString } from '../../../web/plugin-api.ts';
import type { ProvidersResponse } from '../common/providers.ts';

const BASE = '/api/catalog';

export interface QueryResult {
  items: Entity[];
  totalItems: number;
  pageInfo: { nextCursor?: string; prevCursor?: string };
}

export interface QueryParams {
  filter?: string;
  orderField?: string;
  fullTextFilterTerm?: string;
  cursor?: string;
  limit: number;
  fields?: string[];
  /** Only the caller's starred entities (Atrium's `starred=true`, sent with cursors too). */
  starred?: boolean;
}

export function queryEntities(p: QueryParams, signal?: AbortSignal): Promise<QueryResult> {
  const fields = p.fields?.join(',');
  const starred = p.starred ? 'true' : undefined;
  if (p.cursor) {
    return fetchJson(
      `${BASE}/entities/by-query${queryString({ cursor: p.cursor, limit: p.limit, fields, starred })}`,
      { signal },
    );
  }
  const term = p.fullTextFilterTerm?.trim();
  return fetchJson(
    `${BASE}/entities/by-query${queryString({
      filter: p.filter || undefined,
      orderField: p.orderField,
      fullTextFilterTerm: term || undefined,
      fullTextFilterFields: term ? 'metadata.name,metadata.title' : undefined,
      limit: p.limit,
      fields,
      starred,
    })}`,
    { signal },
  );
}

export type FacetCounts = Array<{ value: string; count: number }>;

export async function entityFacets(
  facet: string,
  filter: string | undefined,
  signal?: AbortSignal,
  starred?: boolean,
): Promise<FacetCounts> {
  const res = await fetchJson<{ facets: Record<string, FacetCounts> }>(
    `${BASE}/entity-facets${queryString({ facet, filter: filter || undefined, starred: starred ? 'true' : undefined })}`,
    { signal },
  );
  return res.facets[facet] ?? [];
}

export interface EntityName {
  kind: string;
  namespace: string;
  name: string;
}

const namePath = (n: EntityName) =>
  `${encodeURIComponent(n.kind)}/${encodeURIComponent(n.namespace)}/${encodeURIComponent(n.name)}`;

export function getEntity(n: EntityName, signal?: AbortSignal): Promise<Entity> {
  return fetchJson(`${BASE}/entities/by-name/${namePath(n)}`, { signal });
}

export interface LocationJson {
  id: string;
  type: string;
  target: string;
  entityRef?: string;
}

export interface EntityStatus {
  entityRef: string;
  location: LocationJson | null;
  lastReadAt: string | null;
  updatedAt: string | null;
  orphan: boolean;
  items: Problem[];
}

export function getEntityStatus(n: EntityName, signal?: AbortSignal): Promise<EntityStatus> {
  return fetchJson(`${BASE}/entities/by-name/${namePath(n)}/status`, { signal });
}

export interface LocationStatus {
  id: string;
  type: string;
  target: string;
  origin: string;
  /** For `origin: provider`: the discovery provider that owns it. */
  providerId?: string;
  lastReadAt: string | null;
  readMs: number | null;
  entityCount: number;
  problems: Problem[];
}

export function getLocationsStatus(signal?: AbortSignal): Promise<{ items: LocationStatus[] }> {
  return fetchJson(`${BASE}/locations/status`, { signal });
}

export interface ValidateFileResult {
  valid: boolean;
  /** Refs (`kind:namespace/name`) of the documents that would be ingested. */
  entities: string[];
  problems: Problem[];
}

/** Checks pasted catalog YAML on the server as ingestion would; stores nothing. */
export function validateFile(content: string, name?: string): Promise<ValidateFileResult> {
  return fetchJson(`${BASE}/validate-file`, { method: 'POST', body: { content, name } });
}

export interface DryRunResult {
  exists: boolean;
  location: LocationJson;
  entities: Entity[];
}

/** What registering a location would import, without registering it (errors are a 400). */
export function dryRunLocation(location: { type: string; target: string }): Promise<DryRunResult> {
  return fetchJson(`${BASE}/locations?dryRun=true`, { method: 'POST', body: location });
}

export interface AnalyzeResult {
  existingEntityFiles: Array<{
    entity: Entity;
    isRegistered: boolean;
    location: { type: string; target: string };
  }>;
  generateEntities: Array<{ entity: Partial<Entity> }>;
}

export function analyzeLocation(location: {
  type: string;
  target: string;
}): Promise<AnalyzeResult> {
  return fetchJson(`${BASE}/analyze-location`, { method: 'POST', body: { location } });
}

export function addLocation(location: {
  type: string;
  target: string;
}): Promise<{ location: LocationJson }> {
  return fetchJson(`${BASE}/locations`, { method: 'POST', body: location });
}

/** Removes an entity from the catalog (its location may emit it again on the next refresh). */
export function unregisterEntity(uid: string): Promise<void> {
  return fetchJson(`${BASE}/entities/by-uid/${encodeURIComponent(uid)}`, { method: 'DELETE' });
}

export type {
  PendingRemoval,
  ProviderProblem,
  ProviderScanSummary,
  ProviderStatus,
  ProvidersResponse,
} from '../common/providers.ts';

/** Every discovery provider's status (`catalog.location.read`). */
export function getProviders(signal?: AbortSignal): Promise<ProvidersResponse> {
  return fetchJson(`${BASE}/providers`, { signal });
}

/** Starts a scan now; answers at once (409 when one is running on any replica). */
export function scanProvider(id: string): Promise<{ started: boolean }> {
  return fetchJson(`${BASE}/providers/${encodeURIComponent(id)}/refresh`, { method: 'POST' });
}

/** Removes what the removal guard held (re-checked by the server against the current state). */
export function confirmProviderRemoval(
  id: string,
): Promise<{ removed: number; entitiesRemoved: number; kept: number }> {
  return fetchJson(`${BASE}/providers/${encodeURIComponent(id)}/removals/confirm`, {
    method: 'POST',
  });
}

export function dismissProviderRemoval(id: string): Promise<void> {
  return fetchJson(`${BASE}/providers/${encodeURIComponent(id)}/removals/dismiss`, {
    method: 'POST',
  });
}

/** Deliveries of one webhook source, as the events plugin counts them (`GET /api/events/status`). */
export interface WebhookSourceCounters {
  source: string;
  configured?: boolean;
  accepted: number;
  rejected: number;
  lastAcceptedAt: string | null;
  lastRejectedAt: string | null;
  lastRejectReason: string | null;
}

export function getWebhookCounters(
  signal?: AbortSignal,
): Promise<{ sources: WebhookSourceCounters[] }> {
  return fetchJson('/api/events/status', { signal });
}
