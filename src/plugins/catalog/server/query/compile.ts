import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { FieldCondition, Predicate } from './predicate.ts';
import { escapeLike } from '../../../../core/plugin-api.ts';
import { type QueryField, queryFieldFor } from './query-fields.ts';

// biome-ignore lint/suspicious/noExplicitAny: catalog tables are untyped in Kysely
type EB = ExpressionBuilder<any, any>;

/** Relation types are stored as written (`ownedBy`); filters name them in lowercase. */
export type RelationTypeLookup = (lowercase: string) => string | undefined;

function likePrefix(value: string): string {
  return `${escapeLike(value)}%`;
}

/**
 * Compiles a predicate to a condition on `catalog_entities as e`. Field conditions look
 * rows up in `catalog_search`; `relations.<type>` conditions look in `catalog_relations`.
 */
export function compilePredicate(
  predicate: Predicate,
  relationType: RelationTypeLookup,
  queryFields: readonly QueryField[] = [],
  options: CompileOptions = {},
): (eb: EB) => Expression<SqlBool> {
  return (eb) => build(eb, predicate, relationType, queryFields, options);
}

export interface CompileOptions {
  /**
   * Write `kind` conditions so that no index serves them (SQLite): a page in entity id order
   * of a kind with many entities then walks the id index and stops after one page, where
   * SQLite would read every entity of the kind through the kind index and sort them all.
   */
  unindexedKind?: boolean;
}

function build(
  eb: EB,
  predicate: Predicate,
  rt: RelationTypeLookup,
  qf: readonly QueryField[],
  o: CompileOptions,
): Expression<SqlBool> {
  if ('$all' in predicate && Array.isArray(predicate.$all)) {
    const parts = (predicate.$all as Predicate[]).map((p) => build(eb, p, rt, qf, o));
    return parts.length ? eb.and(parts) : sql<SqlBool>`1=1`;
  }
  if ('$any' in predicate && Array.isArray(predicate.$any)) {
    const parts = (predicate.$any as Predicate[]).map((p) => build(eb, p, rt, qf, o));
    return parts.length ? eb.or(parts) : sql<SqlBool>`1=0`;
  }
  if ('$not' in predicate && typeof predicate.$not === 'object') {
    return eb.not(build(eb, predicate.$not as Predicate, rt, qf, o));
  }
  const parts = Object.entries(predicate as Record<string, FieldCondition>).map(([key, cond]) => {
    const lower = key.toLowerCase();
    const contributed = queryFieldFor(qf, lower);
    return contributed
      ? contributedField(eb, contributed, lower, cond)
      : field(eb, lower, cond, rt, o);
  });
  return parts.length === 1 ? parts[0]! : eb.and(parts);
}

function field(
  eb: EB,
  key: string,
  cond: FieldCondition,
  rt: RelationTypeLookup,
  o: CompileOptions,
): Expression<SqlBool> {
  if (key === 'relations' || key.startsWith('relations.')) return relation(eb, key, cond, rt);
  if (key === ENTITY_REF_KEY) return entityRef(eb, cond);
  // Kind is on the entity row itself (lowercase, indexed): the most common filter skips the
  // key/value table.
  const kind = o.unindexedKind ? sql<string>`${sql.ref('e.kind')} || ''` : 'e.kind';
  if (key === 'kind' && typeof cond !== 'object') return eb(kind, '=', String(cond).toLowerCase());
  if (key === 'kind' && typeof cond === 'object' && '$in' in cond) {
    return cond.$in.length
      ? eb(
          kind,
          'in',
          cond.$in.map((v) => String(v).toLowerCase()),
        )
      : sql<SqlBool>`1=0`;
  }
  const rows = () => eb.selectFrom('catalog_search').select('entity_id').where('key', '=', key);
  if (typeof cond !== 'object') {
    return eb('e.id', 'in', rows().where('value', '=', String(cond).toLowerCase()));
  }
  if ('$exists' in cond) {
    const exists = eb('e.id', 'in', rows());
    return cond.$exists ? exists : eb.not(exists);
  }
  if ('$in' in cond) {
    if (!cond.$in.length) return sql<SqlBool>`1=0`;
    return eb(
      'e.id',
      'in',
      rows().where(
        'value',
        'in',
        cond.$in.map((v) => String(v).toLowerCase()),
      ),
    );
  }
  if ('$hasPrefix' in cond) {
    return eb(
      'e.id',
      'in',
      rows().where(
        sql<SqlBool>`value like ${likePrefix(cond.$hasPrefix.toLowerCase())} escape '\\'`,
      ),
    );
  }
  const item = cond.$contains;
  if (typeof item === 'object') return sql<SqlBool>`1=0`;
  return eb('e.id', 'in', rows().where('value', '=', String(item).toLowerCase()));
}

/**
 * Atrium's filter key for the entity's own ref (`entityRef=component:default/orders`, repeated
 * for any of several): Backstage's keys cannot name a set of entities, and the explorer's
 * Starred view is one. The ref is on the entity row, so no key/value rows are looked up.
 */
export const ENTITY_REF_KEY = 'entityref';

function entityRef(eb: EB, cond: FieldCondition): Expression<SqlBool> {
  if (typeof cond !== 'object') return eb('e.entity_ref', '=', String(cond).toLowerCase());
  if ('$exists' in cond) return cond.$exists ? sql<SqlBool>`1=1` : sql<SqlBool>`1=0`;
  if ('$in' in cond) {
    if (!cond.$in.length) return sql<SqlBool>`1=0`;
    return eb(
      'e.entity_ref',
      'in',
      cond.$in.map((v) => String(v).toLowerCase()),
    );
  }
  if ('$hasPrefix' in cond) {
    return sql<SqlBool>`e.entity_ref like ${likePrefix(cond.$hasPrefix.toLowerCase())} escape '\\'`;
  }
  const item = cond.$contains;
  if (typeof item === 'object') return sql<SqlBool>`1=0`;
  return eb('e.entity_ref', '=', String(item).toLowerCase());
}

/** A key another plugin answers (`catalog.query-fields`), e.g. `scorecard.<name>.level`. */
function contributedField(
  eb: EB,
  contributed: QueryField,
  key: string,
  cond: FieldCondition,
): Expression<SqlBool> {
  if (typeof cond === 'object' && '$exists' in cond) {
    const exists = eb('e.entity_ref', 'in', contributed.refs(eb, key, { $exists: true }));
    return cond.$exists ? exists : eb.not(exists);
  }
  return eb('e.entity_ref', 'in', contributed.refs(eb, key, cond));
}

function relation(
  eb: EB,
  key: string,
  cond: FieldCondition,
  rt: RelationTypeLookup,
): Expression<SqlBool> {
  const rows = () => eb.selectFrom('catalog_relations').select('source_ref');
  const typed = (type: string) => {
    const actual = rt(type);
    return actual
      ? rows().where('type', '=', actual)
      : rows().where(sql<SqlBool>`lower(type) = ${type}`);
  };
  if (key === 'relations') {
    if (typeof cond === 'object' && '$contains' in cond && typeof cond.$contains === 'object') {
      const { type, targetRef } = cond.$contains;
      return eb(
        'e.entity_ref',
        'in',
        typed(type.toLowerCase()).where('target_ref', '=', targetRef.toLowerCase()),
      );
    }
    if (typeof cond === 'object' && '$exists' in cond) {
      const exists = eb('e.entity_ref', 'in', rows());
      return cond.$exists ? exists : eb.not(exists);
    }
    return sql<SqlBool>`1=0`;
  }
  const type = key.slice('relations.'.length);
  if (typeof cond !== 'object')
    return eb(
      'e.entity_ref',
      'in',
      typed(type).where('target_ref', '=', String(cond).toLowerCase()),
    );
  if ('$exists' in cond) {
    const exists = eb('e.entity_ref', 'in', typed(type));
    return cond.$exists ? exists : eb.not(exists);
  }
  if ('$in' in cond) {
    if (!cond.$in.length) return sql<SqlBool>`1=0`;
    return eb(
      'e.entity_ref',
      'in',
      typed(type).where(
        'target_ref',
        'in',
        cond.$in.map((v) => String(v).toLowerCase()),
      ),
    );
  }
  if ('$hasPrefix' in cond) {
    return eb(
      'e.entity_ref',
      'in',
      typed(type).where(
        sql<SqlBool>`target_ref like ${likePrefix(cond.$hasPrefix.toLowerCase())} escape '\\'`,
      ),
    );
  }
  const item = cond.$contains;
  if (typeof item === 'object') return sql<SqlBool>`1=0`;
  return eb('e.entity_ref', 'in', typed(type).where('target_ref', '=', String(item).toLowerCase()));
}

export { likePrefix };
