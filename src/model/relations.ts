/**
 * Relations derived from an entity's ref fields (COMPAT.md §3.2): each ref yields the
 * forward relation on the holder and the reverse one on the target.
 */
import type { Entity, EntityRelation } from './entity.ts';
import { DEFAULT_NAMESPACE } from './entity.ts';
import type { KindRegistry } from './kind-registry.ts';
import { parseEntityRef, stringifyEntityRef } from './ref.ts';

/** One directed relation between two entities, both as lowercase refs. */
export interface DerivedRelation {
  source: string;
  type: string;
  target: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Every relation that `entity`'s ref fields produce, both directions, de-duplicated, in
 * field order. Refs without a namespace resolve to the entity's own namespace. Returns `[]`
 * for a kind/apiVersion the registry does not know. Expects a validated entity: a ref
 * that does not parse throws (validateEntity reports those as problems).
 */
export function deriveRelations(entity: Entity, registry: KindRegistry): DerivedRelation[] {
  const compiled = registry.getCompiled(entity.kind, entity.apiVersion);
  if (!compiled || !isRecord(entity.spec)) return [];
  const self = stringifyEntityRef(entity);
  const namespace = entity.metadata.namespace || DEFAULT_NAMESPACE;
  const seen = new Set<string>();
  const out: DerivedRelation[] = [];
  const push = (source: string, type: string, target: string) => {
    const key = `${source}\u0000${type}\u0000${target}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ source, type, target });
  };
  for (const field of compiled.refFields) {
    let value: unknown = entity.spec;
    for (const key of field.keys) value = isRecord(value) ? value[key] : undefined;
    if (value === undefined || value === null || value === '') continue;
    const refs = Array.isArray(value) ? value : [value];
    for (const ref of refs) {
      const target = stringifyEntityRef(
        parseEntityRef(ref as string, {
          defaultKind: field.defaultKind,
          defaultNamespace: namespace,
        }),
      );
      push(self, field.relation, target);
      push(target, field.reverse, self);
    }
  }
  return out;
}

/** Relations sorted by type, then targetRef (code-unit order), with duplicates removed. */
export function sortRelations(relations: readonly EntityRelation[]): EntityRelation[] {
  const sorted = [...relations].sort((a, b) =>
    a.type < b.type
      ? -1
      : a.type > b.type
        ? 1
        : a.targetRef < b.targetRef
          ? -1
          : a.targetRef > b.targetRef
            ? 1
            : 0,
  );
  const out: EntityRelation[] = [];
  for (const relation of sorted) {
    const last = out[out.length - 1];
    if (last && last.type === relation.type && last.targetRef === relation.targetRef) continue;
    out.push({ type: relation.type, targetRef: relation.targetRef });
  }
  return out;
}
