import type { Entity } from '../../../model/entity.ts';
import { stringifyEntityRef } from '../../../model/ref.ts';
import { catalogServiceRef } from '../../catalog/server/plugin.ts';
import { SEARCH_TYPES } from '../common/types.ts';
import type { Collator, IndexableDocument } from './api.ts';

/** Entity fields a document is made of; relations are not needed. */
export const ENTITY_FIELDS = ['kind', 'metadata', 'spec'];

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length ? value : undefined;

/**
 * The `software-catalog` document of an entity, with Backstage's fields (COMPAT.md §8) plus
 * Atrium's `name`, `tags`, `entityRef` and `entityTitle`.
 */
export function entityToDocument(entity: Entity): IndexableDocument {
  const { kind, metadata } = entity;
  const spec = (entity.spec ?? {}) as Record<string, unknown>;
  const namespace = metadata.namespace ?? 'default';
  const profile = (spec.profile ?? {}) as Record<string, unknown>;
  const parts = [str(metadata.description)];
  const lowerKind = kind.toLowerCase();
  if (lowerKind === 'user' || lowerKind === 'group') parts.push(str(profile.displayName));
  if (lowerKind === 'user') parts.push(str(profile.email));
  const type = str(spec.type) ?? 'other';
  const title = str(metadata.title) ?? metadata.name;
  return {
    title,
    text: parts.filter((p): p is string => p !== undefined).join(' : '),
    location:
      `/catalog/${encodeURIComponent(namespace)}/${encodeURIComponent(kind)}/${encodeURIComponent(metadata.name)}`.toLowerCase(),
    componentType: type,
    type,
    namespace,
    kind,
    lifecycle: typeof spec.lifecycle === 'string' ? spec.lifecycle : '',
    owner: typeof spec.owner === 'string' ? spec.owner : '',
    name: metadata.name,
    tags: Array.isArray(metadata.tags) ? metadata.tags.filter((t) => typeof t === 'string') : [],
    entityRef: stringifyEntityRef({ kind, namespace, name: metadata.name }).toLowerCase(),
    entityTitle: title,
  };
}

/** Every entity of the catalog, for a full reindex. */
export const catalogCollator: Collator = {
  type: SEARCH_TYPES.catalog,
  async *collect({ use }) {
    const { query } = use(catalogServiceRef);
    for await (const page of query.listAll({ fields: ENTITY_FIELDS })) {
      for (const entity of page) yield entityToDocument(entity as Entity);
    }
  },
};
