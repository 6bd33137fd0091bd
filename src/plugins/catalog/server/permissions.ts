import type { PermissionRule, ResourceTypeDefinition } from '../../../core/plugin-api.ts';
import { valueAtDottedPath } from '../../../model/path.ts';
import type { Entity } from '../../../model/entity.ts';
import type { EntityQuery } from './query/entity-query.ts';
import type { FieldCondition, Predicate } from './query/predicate.ts';

/**
 * The catalog's resource type for access control, `catalog-entity`, with Backstage's
 * permission rules: each holds on one loaded entity and compiles to a filter predicate, so an
 * owner-only read policy filters inside the list, count, facet and cursor queries.
 */
type Rule = PermissionRule<Entity, Predicate>;

const strings = (value: unknown): string[] =>
  (Array.isArray(value) ? value : value === undefined ? [] : [value]).map((v) =>
    String(v).toLowerCase(),
  );

function matches(actual: unknown, expected: unknown): boolean {
  if (actual === undefined || actual === null) return false;
  if (expected === undefined) return true;
  const want = String(expected).toLowerCase();
  if (Array.isArray(actual)) return actual.some((v) => String(v).toLowerCase() === want);
  return String(actual).toLowerCase() === want;
}

const valueCondition = (value: unknown): FieldCondition =>
  value === undefined ? { $exists: true } : String(value);

const isEntityOwner: Rule = {
  name: 'IS_ENTITY_OWNER',
  description: 'Owned by one of the given users or groups',
  params: ['claims'],
  apply(entity, params) {
    const claims = new Set(strings(params.claims));
    return (entity.relations ?? []).some(
      (r) => r.type === 'ownedBy' && claims.has(r.targetRef.toLowerCase()),
    );
  },
  toQuery: (params) => ({ 'relations.ownedBy': { $in: strings(params.claims) } }),
  explainFailure: () => 'you do not own this entity (neither you nor one of your groups)',
};

const isEntityKind: Rule = {
  name: 'IS_ENTITY_KIND',
  description: 'Of one of the given kinds',
  params: ['kinds'],
  apply: (entity, params) => strings(params.kinds).includes(entity.kind.toLowerCase()),
  toQuery: (params) => ({ kind: { $in: strings(params.kinds) } }),
  explainFailure: (params) =>
    `this entity's kind is not one of ${strings(params.kinds).join(', ')}`,
};

const hasAnnotation: Rule = {
  name: 'HAS_ANNOTATION',
  description: 'Has the annotation (with the value, when one is given)',
  params: ['annotation'],
  apply: (entity, params) =>
    matches(entity.metadata.annotations?.[String(params.annotation)], params.value),
  toQuery: (params) => ({
    [`metadata.annotations.${params.annotation}`]: valueCondition(params.value),
  }),
  explainFailure: (params) =>
    `this entity has no annotation ${params.annotation}${params.value === undefined ? '' : ` = ${params.value}`}`,
};

const hasLabel: Rule = {
  name: 'HAS_LABEL',
  description: 'Has the label',
  params: ['label'],
  apply: (entity, params) => matches(entity.metadata.labels?.[String(params.label)], undefined),
  toQuery: (params) => ({ [`metadata.labels.${params.label}`]: { $exists: true } }),
  explainFailure: (params) => `this entity has no label ${params.label}`,
};

const hasMetadata: Rule = {
  name: 'HAS_METADATA',
  description: 'Has the metadata field (with the value, when one is given)',
  params: ['key'],
  apply: (entity, params) =>
    matches(valueAtDottedPath(entity.metadata, String(params.key)), params.value),
  toQuery: (params) => ({ [`metadata.${params.key}`]: valueCondition(params.value) }),
  explainFailure: (params) =>
    `this entity's metadata.${params.key} is ${params.value === undefined ? 'not set' : `not ${params.value}`}`,
};

const hasSpec: Rule = {
  name: 'HAS_SPEC',
  description: 'Has the spec field (with the value, when one is given)',
  params: ['key'],
  apply: (entity, params) =>
    matches(valueAtDottedPath(entity.spec, String(params.key)), params.value),
  toQuery: (params) => ({ [`spec.${params.key}`]: valueCondition(params.value) }),
  explainFailure: (params) =>
    `this entity's spec.${params.key} is ${params.value === undefined ? 'not set' : `not ${params.value}`}`,
};

export const CATALOG_ENTITY_RULES: Rule[] = [
  isEntityOwner,
  isEntityKind,
  hasAnnotation,
  hasLabel,
  hasMetadata,
  hasSpec,
];

export const PREDICATE_COMBINATORS = {
  allOf: (parts: Predicate[]): Predicate => ({ $all: parts }),
  anyOf: (parts: Predicate[]): Predicate => ({ $any: parts }),
  not: (part: Predicate): Predicate => ({ $not: part }),
};

export function catalogEntityResourceType(
  query: () => EntityQuery,
): ResourceTypeDefinition<Entity, Predicate> {
  return {
    type: 'catalog-entity',
    rules: CATALOG_ENTITY_RULES,
    async load(refs) {
      const found = await query().byRefs(
        refs.map((r) => r.toLowerCase()),
        undefined,
        undefined,
      );
      return found.map((e) => (e ? (e as Entity) : undefined));
    },
  };
}
