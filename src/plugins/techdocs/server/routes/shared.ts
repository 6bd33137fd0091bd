import { NotFoundError } from '../../../../core/errors.ts';
import type { Permission, RouteContext } from '../../../../core/plugin-api.ts';
import type { Entity } from '../../../../model/entity.ts';
import type { CatalogApi } from '../../../catalog/server/plugin.ts';
import type { DocsTriplet } from '../../common/index.ts';
import type { DocsStorage } from '../storage/index.ts';
import type { BuildRecords } from '../sync/build-records.ts';
import type { DocsSync } from '../sync/docs-sync.ts';
import type { DocsSource } from '../source/docs-ref.ts';

export const P = {
  /** Reading docs is reading the entity, as in Backstage. */
  read: {
    name: 'catalog.entity.read',
    attributes: { action: 'read' },
    resourceType: 'catalog-entity',
  },
  /** Forcing a rebuild (POST /build); an ordinary sync only needs read. */
  rebuild: {
    name: 'techdocs.site.rebuild',
    attributes: { action: 'update' },
    resourceType: 'catalog-entity',
  },
} satisfies Record<string, Permission>;

export interface RouteDeps {
  catalog: () => CatalogApi;
  storage: DocsStorage;
  records: BuildRecords;
  sync: DocsSync;
  builder: 'local' | 'external';
  /** Where the docs of an entity come from (techdocs-ref resolved). */
  resolveSource(entity: Entity): DocsSource;
}

const segment = { type: 'string', minLength: 1, maxLength: 253, pattern: '^[^/\\\\]+$' };

export const tripletParams = {
  type: 'object',
  properties: { namespace: segment, kind: segment, name: segment },
  required: ['namespace', 'kind', 'name'],
  additionalProperties: false,
} as const;

export const noQuery = { type: 'object', properties: {}, additionalProperties: false } as const;

export type TripletParams = { namespace: string; kind: string; name: string };

/** The storage triplet (lowercased) and the lowercased entity ref of route params. */
export function addressOf(p: TripletParams): { triplet: DocsTriplet; entityRef: string } {
  const triplet = {
    namespace: p.namespace.toLowerCase(),
    kind: p.kind.toLowerCase(),
    name: p.name.toLowerCase(),
  };
  return { triplet, entityRef: `${triplet.kind}:${triplet.namespace}/${triplet.name}` };
}

/**
 * The catalog entity the route names (case-insensitively), with relations, or a 404: also when
 * the caller may not read it, so that its docs do not tell that it exists.
 */
export async function entityOr404(
  deps: RouteDeps,
  ctx: RouteContext,
  p: TripletParams,
  message?: (ref: string) => string,
): Promise<{ entity: Entity; triplet: DocsTriplet; entityRef: string }> {
  const { triplet, entityRef } = addressOf(p);
  const notFound = () =>
    new NotFoundError(
      message?.(entityRef) ??
        `No entity named '${p.name}' found, with kind '${p.kind}' in namespace '${p.namespace}'`,
    );
  const { store } = deps.catalog();
  const row = await store.rowByRef(entityRef);
  if (!row) throw notFound();
  const [entity] = await store.assemble([row]);
  if (!entity) throw notFound();
  const decision = await ctx.decide(P.read, { ref: entityRef, resource: entity });
  if (decision.result !== 'ALLOW') throw notFound();
  return { entity, triplet, entityRef };
}
