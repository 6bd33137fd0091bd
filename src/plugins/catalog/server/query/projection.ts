import { InputError } from '../../../../core/errors.ts';

/** Parses `fields=a,b` (repeatable) into a list; `[` is refused as Backstage does. */
export function parseFields(values: string[] | undefined): string[] | undefined {
  if (!values?.length) return undefined;
  const fields = values
    .flatMap((v) => v.split(','))
    .map((f) => f.trim())
    .filter(Boolean);
  for (const f of fields)
    if (f.includes('['))
      throw new InputError(`Invalid field '${f}': array indexing is not supported`);
  return fields.length ? fields : undefined;
}

/**
 * Keeps only the named subtrees. Dotted paths are matched greedily against real keys, so
 * `metadata.annotations.backstage.io/techdocs-ref` finds the annotation with dots in its key.
 */
export function project<T extends object>(entity: T, fields: string[] | undefined): Partial<T> {
  if (!fields) return entity;
  const out: Record<string, unknown> = {};
  for (const field of fields) copyPath(entity as Record<string, unknown>, out, field.split('.'));
  return out as Partial<T>;
}

function copyPath(from: Record<string, unknown>, to: Record<string, unknown>, parts: string[]) {
  for (let take = parts.length; take >= 1; take--) {
    const key = parts.slice(0, take).join('.');
    if (!(key in from)) continue;
    const value = from[key];
    if (take === parts.length) {
      to[key] = value;
      return;
    }
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      to[key] ??= {};
      const child = to[key] as Record<string, unknown>;
      copyPath(value as Record<string, unknown>, child, parts.slice(take));
    }
    return;
  }
}

/** Whether the projection needs the relations, which cost a second query. */
export function needsRelations(fields: string[] | undefined): boolean {
  return !fields || fields.some((f) => f === 'relations' || f.startsWith('relations.'));
}
