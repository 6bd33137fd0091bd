import type { KindDefinition } from '../../model/kind-definition.ts';
import type { CustomKindConfig } from './types.ts';

/**
 * Turns `catalog.kinds` config into model kind definitions. A kind with a `schema` requires a
 * `spec` matching it; a kind without one accepts any `spec` object, or none.
 */
export function toKindDefinitions(kinds: readonly CustomKindConfig[]): KindDefinition[] {
  return kinds.map((k) => ({
    kind: k.kind,
    apiVersions: [...k.apiVersions],
    specSchema: k.schema !== undefined ? structuredClone(k.schema) : { type: 'object' },
    specRequired: k.schema !== undefined,
    refFields: k.relations.map((r) => ({
      path: r.field,
      ...(r.defaultKind !== undefined ? { defaultKind: r.defaultKind } : {}),
      relation: r.relation,
      reverse: r.reverse,
    })),
  }));
}
