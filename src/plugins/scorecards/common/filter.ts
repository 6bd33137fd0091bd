/**
 * Backstage's EntityFilter over one entity in memory: an object whose keys are dotted paths
 * and whose values are a string or a list of strings (any of), compared case-insensitively;
 * a list of such objects matches when any does. An array field matches when any item does,
 * and arrays of objects are searched through (`metadata.links.url`), as Backstage's search
 * table flattens them. `relations.<type>` matches the targets of that relation type.
 */
import type { Entity } from '../../../model/entity.ts';
import { parseFieldPath } from './field-path.ts';
import type { EntityFilter, RelationLike, ScorecardError } from './types.ts';

/** Kinds a scorecard without a filter leaves out: they describe the portal, not software. */
export const UNFILTERED_EXCLUDED_KINDS: readonly string[] = ['scorecard', 'location', 'template'];

interface Clause {
  /** Lowercased relation type for `relations.<type>` keys. */
  relation?: string;
  /** Path keys; a miss may be retried with the following keys joined by dots. */
  keys: (string | number)[];
  /** Lowercased values, any of which matches. */
  values: string[];
}

export interface CompiledFilter {
  /** Any of these; each matches when all its clauses do. */
  anyOf: Clause[][];
  /** A short phrase for reasons: "a Group", "a Component or API", "matching the filter". */
  description: string;
}

const compiledCache = new WeakMap<object, CompiledFilter>();

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`;
}

function describe(anyOf: Clause[][], raw: unknown): string {
  if (anyOf.length === 1 && anyOf[0]?.length === 1) {
    const clause = anyOf[0][0] as Clause;
    if (clause.keys.length === 1 && clause.keys[0] === 'kind' && isRecord(raw)) {
      const written = Object.values(raw)[0];
      const kinds = (Array.isArray(written) ? written : [written]).map(String);
      return kinds.map(article).join(' or ');
    }
  }
  return 'matching the filter';
}

/**
 * Checks and prepares a filter written at `path` (e.g. `spec.filter`), adding problems to
 * `errors`; returns undefined when it is invalid.
 */
export function compileFilter(
  raw: unknown,
  path: string,
  errors: ScorecardError[],
): CompiledFilter | undefined {
  const before = errors.length;
  const objects: [unknown, string][] = Array.isArray(raw)
    ? raw.map((item, i) => [item, `${path}[${i}]`])
    : [[raw, path]];
  if (Array.isArray(raw) && raw.length === 0) {
    errors.push({
      path,
      message: `"${path}" is an empty list, which matches nothing; give at least one filter object like { kind: Component }`,
    });
  }
  const anyOf: Clause[][] = [];
  for (const [object, at] of objects) {
    if (!isRecord(object)) {
      errors.push({
        path: at,
        message: `"${at}" must be an object like { kind: Component, spec.type: service } (or a list of such objects)`,
      });
      continue;
    }
    const clauses: Clause[] = [];
    for (const [key, value] of Object.entries(object)) {
      const keyAt = /^[A-Za-z0-9_$-]+$/.test(key)
        ? `${at}.${key}`
        : `${at}[${JSON.stringify(key)}]`;
      const keys = parseFilterKey(key);
      if (typeof keys === 'string') {
        errors.push({ path: keyAt, message: `The filter key ${JSON.stringify(key)} ${keys}` });
        continue;
      }
      const list = Array.isArray(value) ? value : [value];
      if (list.length === 0 || !list.every(isScalar)) {
        errors.push({
          path: keyAt,
          message: `"${keyAt}" must be a string or a non-empty list of strings (any of which matches)`,
        });
        continue;
      }
      const values = list.map((v) => String(v).toLowerCase());
      const relation =
        keys.length === 2 && String(keys[0]).toLowerCase() === 'relations'
          ? String(keys[1]).toLowerCase()
          : undefined;
      clauses.push(relation ? { relation, keys, values } : { keys, values });
    }
    anyOf.push(clauses);
  }
  if (errors.length > before) return undefined;
  return { anyOf, description: describe(anyOf, raw) };
}

function parseFilterKey(key: string): (string | number)[] | string {
  if (key.trim() === '') return 'is empty; expected a path like spec.type';
  if (key.includes('[')) {
    const parsed = parseFieldPath(key);
    return parsed.error === undefined ? parsed.segments : parsed.error;
  }
  const keys = key.split('.');
  if (keys.some((k) => k === '')) return 'has an empty part; expected a path like spec.type';
  return keys;
}

function childOf(node: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(node, key)) return node[key];
  // Backstage compares filter keys case-insensitively.
  const lower = key.toLowerCase();
  for (const k in node) {
    if (Object.hasOwn(node, k) && k.toLowerCase() === lower) return node[k];
  }
  return undefined;
}

function leafMatches(value: unknown, values: string[]): boolean {
  if (isScalar(value)) return values.includes(String(value).toLowerCase());
  if (Array.isArray(value)) {
    for (const item of value)
      if (isScalar(item) && values.includes(String(item).toLowerCase())) return true;
  }
  return false;
}

function anyValueMatches(
  node: unknown,
  keys: (string | number)[],
  i: number,
  values: string[],
  depth: number,
): boolean {
  if (i === keys.length) return leafMatches(node, values);
  if (node === null || typeof node !== 'object' || depth > 64) return false;
  const key = keys[i] as string | number;
  if (Array.isArray(node)) {
    if (typeof key === 'number') return anyValueMatches(node[key], keys, i + 1, values, depth + 1);
    for (const item of node) if (anyValueMatches(item, keys, i, values, depth + 1)) return true;
    return false;
  }
  const record = node as Record<string, unknown>;
  let joined = String(key);
  for (let j = i; j < keys.length; j++) {
    if (j > i) {
      if (typeof keys[j] === 'number') break;
      joined = `${joined}.${keys[j]}`;
    }
    const child = childOf(record, joined);
    if (child !== undefined && anyValueMatches(child, keys, j + 1, values, depth + 1)) return true;
  }
  return false;
}

function clauseMatches(
  clause: Clause,
  entity: Entity,
  relations: readonly RelationLike[] | undefined,
): boolean {
  if (clause.relation !== undefined) {
    if (!Array.isArray(relations)) return false;
    for (const relation of relations) {
      if (
        relation &&
        typeof relation.type === 'string' &&
        typeof relation.targetRef === 'string' &&
        relation.type.toLowerCase() === clause.relation &&
        clause.values.includes(relation.targetRef.toLowerCase())
      ) {
        return true;
      }
    }
    return false;
  }
  if (anyValueMatches(entity, clause.keys, 0, clause.values, 0)) return true;
  // Stored entities always have a namespace; documents read from files may leave it out.
  if (
    clause.keys.length === 2 &&
    String(clause.keys[0]).toLowerCase() === 'metadata' &&
    String(clause.keys[1]).toLowerCase() === 'namespace'
  ) {
    const namespace = (entity?.metadata as Record<string, unknown> | undefined)?.namespace;
    return (namespace === undefined || namespace === null) && clause.values.includes('default');
  }
  return false;
}

/** Whether a prepared filter matches; an absent filter matches all but the excluded kinds. */
export function matchesCompiledFilter(
  filter: CompiledFilter | undefined,
  entity: Entity,
  relations: readonly RelationLike[] | undefined = entity?.relations,
): boolean {
  if (!filter) {
    const kind = entity?.kind;
    return typeof kind !== 'string' || !UNFILTERED_EXCLUDED_KINDS.includes(kind.toLowerCase());
  }
  for (const clauses of filter.anyOf) {
    let all = true;
    for (const clause of clauses) {
      if (!clauseMatches(clause, entity, relations)) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

/** Prepares a filter once per filter object; throws an Error naming the problems if invalid. */
export function compiledFilterOf(filter: EntityFilter): CompiledFilter {
  const cached = compiledCache.get(filter);
  if (cached) return cached;
  const errors: ScorecardError[] = [];
  const compiled = compileFilter(filter, 'filter', errors);
  if (!compiled) throw new Error(`Invalid filter: ${errors.map((e) => e.message).join('; ')}`);
  compiledCache.set(filter, compiled);
  return compiled;
}

/**
 * Whether `entity` matches `filter` (Backstage's EntityFilter). Without a filter, every entity
 * but Scorecards, Locations and Templates matches. `relations` defaults to the entity's own.
 */
export function matchesFilter(
  filter: EntityFilter | undefined,
  entity: Entity,
  relations?: readonly RelationLike[],
): boolean {
  return matchesCompiledFilter(
    filter === undefined ? undefined : compiledFilterOf(filter),
    entity,
    relations ?? entity?.relations,
  );
}
