import {
  criteriaToQuery,
  type Permission,
  type ResourceTypeDefinition,
  type RouteContext,
} from '../../../../core/plugin-api.ts';
import type { Entity } from '../../../../model/entity.ts';
import { PREDICATE_COMBINATORS } from '../permissions.ts';
import type { KindRegistry } from '../../../../model/index.ts';
import type { CatalogService } from '../catalog-service.ts';
import type { CatalogHistory } from '../history/catalog-history.ts';
import { generatedLocationRef } from '../ingest/ingest-location.ts';
import type { EntityQuery } from '../query/entity-query.ts';
import { type Predicate, validatePredicate } from '../query/predicate.ts';
import type { EntityRow, EntityStore } from '../store/entity-store.ts';
import { InputError, NotFoundError } from '../../../../core/errors.ts';
import type { LocationRow, LocationStore } from '../store/location-store.ts';

export const P = {
  read: {
    name: 'catalog.entity.read',
    attributes: { action: 'read' },
    resourceType: 'catalog-entity',
  },
  create: { name: 'catalog.entity.create', attributes: { action: 'create' } },
  delete: {
    name: 'catalog.entity.delete',
    attributes: { action: 'delete' },
    resourceType: 'catalog-entity',
  },
  refresh: {
    name: 'catalog.entity.refresh',
    attributes: { action: 'update' },
    resourceType: 'catalog-entity',
  },
  /** Checks text a caller sends, storing and reading nothing else: open like a read. */
  validate: { name: 'catalog.entity.validate', attributes: { action: 'read' } },
  locationRead: { name: 'catalog.location.read', attributes: { action: 'read' } },
  locationCreate: { name: 'catalog.location.create', attributes: { action: 'create' } },
  locationDelete: { name: 'catalog.location.delete', attributes: { action: 'delete' } },
  analyze: { name: 'catalog.location.analyze' },
} satisfies Record<string, Permission>;

export const strings = { type: 'array', items: { type: 'string' } } as const;

/**
 * Largest `limit` or `offset` accepted: beyond it numbers lose integer precision and the
 * databases refuse to bind them (a 20-digit limit answered 500 before).
 */
export const MAX_PAGE_NUMBER = 2_147_483_647;
/**
 * `limit` and `offset` as given, refused when not finite: the schema's coercion turns
 * `1e309` into Infinity, which passes ajv's integer and maximum checks.
 */
export function pageNumbers<T extends { limit?: number; offset?: number }>(page: T): T {
  for (const key of ['limit', 'offset'] as const) {
    const value = page[key];
    if (value !== undefined && !(Number.isSafeInteger(value) && value <= MAX_PAGE_NUMBER))
      throw new InputError(`${key} must be an integer of at most ${MAX_PAGE_NUMBER}`);
  }
  return page;
}

/** A `limit`/`offset` schema from `minimum` up to {@link MAX_PAGE_NUMBER}. */
export const pageNumber = (minimum: number) =>
  ({ type: 'integer', minimum, maximum: MAX_PAGE_NUMBER }) as const;
export const strict = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});

export interface Deps {
  /** The `catalog-entity` resource type, whose rules turn read conditions into filters. */
  entityResource: ResourceTypeDefinition<Entity, Predicate>;
  service: CatalogService;
  store: EntityStore;
  locations: LocationStore;
  query: EntityQuery;
  registry: KindRegistry;
  readonly: boolean;
  /** Entity history: its table and what its streams wait on. */
  history: CatalogHistory;
}

/** Serialises pages of entities as one JSON array, a page at a time. */
export async function* jsonArray(pages: AsyncIterable<unknown[]>): AsyncGenerator<string> {
  let first = true;
  yield '[';
  for await (const page of pages) {
    for (const item of page) {
      yield `${first ? '' : ','}${JSON.stringify(item)}`;
      first = false;
    }
  }
  yield ']';
}

export function locationJson(row: LocationRow) {
  return {
    id: row.id,
    type: row.type,
    target: row.target,
    entityRef: generatedLocationRef(row.type, row.target),
  };
}

export function entityRefOf(params: { kind: string; namespace: string; name: string }) {
  return `${params.kind}:${params.namespace}/${params.name}`.toLowerCase();
}

export function toPredicateBody(value: unknown, path: string): Predicate | undefined {
  return value === undefined ? undefined : validatePredicate(value, path);
}

export function and(a: Predicate | undefined, b: Predicate | undefined): Predicate | undefined {
  if (a && b) return { $all: [a, b] };
  return a ?? b;
}

export function parseBool(value: string | undefined): boolean {
  return value !== undefined && /^(true|yes|y|1)$/i.test(value.trim());
}

export const nameParams = strict(
  { kind: { type: 'string' }, namespace: { type: 'string' }, name: { type: 'string' } },
  ['kind', 'namespace', 'name'],
);

export type NameParams = { kind: string; namespace: string; name: string };

/** Backstage's 404 for an entity addressed by kind, namespace and name. */
export function entityNotFound(p: NameParams): NotFoundError {
  return new NotFoundError(
    `No entity named '${p.name}' found, with kind '${p.kind}' in namespace '${p.namespace}'`,
  );
}

/** The stored row of the entity that the route's path names, or Backstage's 404. */
export async function rowByNameOr404(store: EntityStore, p: NameParams): Promise<EntityRow> {
  const row = await store.rowByRef(entityRefOf(p));
  if (!row) throw entityNotFound(p);
  return row;
}

/** Matches no entity: what a caller who may read nothing gets from a list. */
const NOTHING: Predicate = { $any: [] };

/**
 * The caller's read permission as a filter for the catalog's queries: none when every entity
 * may be read, the policy's conditions otherwise. Lists AND it with the caller's own filter,
 * so pages stay full and counts, facets and cursors count only what the caller may read.
 */
export async function readFilter(ctx: RouteContext, deps: Pick<Deps, 'entityResource'>) {
  const decision = await ctx.decide(P.read);
  if (decision.result === 'ALLOW') return undefined;
  if (decision.result === 'DENY') return NOTHING;
  return criteriaToQuery(decision.conditions, deps.entityResource, PREDICATE_COMBINATORS);
}

/**
 * Whether the caller may read this entity. A single entity the caller may not read answers
 * 404 like a missing one, so its existence does not leak.
 */
export async function mayRead(ctx: RouteContext, entity: Entity, ref: string): Promise<boolean> {
  return (await ctx.decide(P.read, { ref, resource: entity })).result === 'ALLOW';
}
