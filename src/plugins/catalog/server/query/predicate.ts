import { InputError } from '../../../../core/errors.ts';

type Primitive = string | number | boolean;

/**
 * Backstage's filter predicate (COMPAT.md §5.3): the POST form, and what GET `filter=`
 * strings are turned into, so one compiler serves both.
 */
export type Predicate =
  | { $all: Predicate[] }
  | { $any: Predicate[] }
  | { $not: Predicate }
  | { [key: string]: FieldCondition };

export type FieldCondition =
  | Primitive
  | { $exists: boolean }
  | { $in: Primitive[] }
  | { $hasPrefix: string }
  | { $contains: Primitive | { type: string; targetRef: string } };

/** Parses repeated GET `filter` values: commas AND, repeated parameters OR, repeated keys any-of. */
export function parseFilterParams(filters: string[] | undefined): Predicate | undefined {
  if (!filters?.length) return undefined;
  const alternatives = filters.map((filter): Predicate => {
    const byKey = new Map<string, { values: string[]; exists: boolean }>();
    for (const part of filter.split(',')) {
      // Backstage drops empty statements (a trailing comma); only an empty key is an error.
      if (part.trim() === '') continue;
      const eq = part.indexOf('=');
      const key = (eq === -1 ? part : part.slice(0, eq)).trim();
      if (!key) throw new InputError(`Invalid filter '${filter}': a condition has an empty key`);
      const entry = byKey.get(key) ?? { values: [], exists: false };
      if (eq === -1) entry.exists = true;
      else entry.values.push(part.slice(eq + 1).trim());
      byKey.set(key, entry);
    }
    const conditions: Predicate[] = [];
    for (const [key, { values, exists }] of byKey) {
      if (values.length === 0 && exists) conditions.push({ [key]: { $exists: true } });
      else if (values.length === 1) conditions.push({ [key]: values[0]! });
      else if (values.length > 1) conditions.push({ [key]: { $in: values } });
    }
    return conditions.length === 1 ? conditions[0]! : { $all: conditions };
  });
  // A filter made only of empty statements matches everything.
  if (alternatives.some((a) => '$all' in a && (a.$all as Predicate[]).length === 0))
    return undefined;
  return alternatives.length === 1 ? alternatives[0] : { $any: alternatives };
}

function isPrimitive(v: unknown): v is Primitive {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** Checks an untrusted predicate (POST bodies, cursors) and names what is wrong. */
export function validatePredicate(value: unknown, path = 'query'): Predicate {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError(`Invalid ${path}: expected an object predicate`);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const first = entries[0];
  if (entries.length === 1 && first && (first[0] === '$all' || first[0] === '$any')) {
    if (!Array.isArray(first[1]))
      throw new InputError(`Invalid ${path}.${first[0]}: expected an array`);
    for (const [i, p] of first[1].entries()) validatePredicate(p, `${path}.${first[0]}[${i}]`);
    return value as Predicate;
  }
  if (entries.length === 1 && first && first[0] === '$not') {
    validatePredicate(first[1], `${path}.$not`);
    return value as Predicate;
  }
  for (const [key, cond] of entries) {
    if (key.startsWith('$')) throw new InputError(`Invalid ${path}: unknown operator ${key}`);
    if (!key) throw new InputError(`Invalid ${path}: empty key`);
    if (isPrimitive(cond)) continue;
    if (cond === null || typeof cond !== 'object' || Array.isArray(cond)) {
      throw new InputError(
        `Invalid ${path}.${key}: expected a string, number, boolean or operator object`,
      );
    }
    const ops = Object.entries(cond as Record<string, unknown>);
    const op = ops[0];
    if (ops.length !== 1 || !op)
      throw new InputError(`Invalid ${path}.${key}: expected exactly one operator`);
    const [name, arg] = op;
    const ok =
      (name === '$exists' && typeof arg === 'boolean') ||
      (name === '$in' && Array.isArray(arg) && arg.every(isPrimitive)) ||
      (name === '$hasPrefix' && typeof arg === 'string') ||
      (name === '$contains' &&
        (isPrimitive(arg) ||
          (typeof arg === 'object' &&
            arg !== null &&
            typeof (arg as { type?: unknown }).type === 'string' &&
            typeof (arg as { targetRef?: unknown }).targetRef === 'string')));
    if (!ok) throw new InputError(`Invalid ${path}.${key}: bad operator ${name} or argument`);
  }
  return value as Predicate;
}
