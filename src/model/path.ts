/**
 * Field paths used in {@link Problem.path}: `spec.owner`, `metadata.tags[1]`,
 * `metadata.annotations["backstage.io/view-url"]`. Keys that are not plain identifiers are
 * written as JSON strings in brackets, so a path always converts back to its keys.
 */

export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Appends one key or array index to a path. */
export function appendPath(path: string, segment: PathSegment): string {
  if (typeof segment === 'number') return `${path}[${segment}]`;
  if (PLAIN_KEY.test(segment)) return path ? `${path}.${segment}` : segment;
  return `${path}[${JSON.stringify(segment)}]`;
}

/** Builds a path from keys and array indexes, e.g. `['spec', 'dependsOn', 0]` → `spec.dependsOn[0]`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let path = '';
  for (const segment of segments) path = appendPath(path, segment);
  return path;
}

/** Splits a path made by {@link formatPath} back into keys and array indexes. */
export function parsePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let i = 0;
  while (i < path.length) {
    const c = path[i];
    if (c === '.') {
      i++;
    } else if (c === '[') {
      if (path[i + 1] === '"') {
        // A JSON string: find its closing quote, skipping escaped characters.
        let j = i + 2;
        while (j < path.length && path[j] !== '"') j += path[j] === '\\' ? 2 : 1;
        segments.push(JSON.parse(path.slice(i + 1, j + 1)) as string);
        i = j + 2;
      } else {
        const end = path.indexOf(']', i);
        const stop = end === -1 ? path.length : end;
        segments.push(Number(path.slice(i + 1, stop)));
        i = stop + 1;
      }
    } else {
      let j = i;
      while (j < path.length && path[j] !== '.' && path[j] !== '[') j++;
      segments.push(path.slice(i, j));
      i = j;
    }
  }
  return segments;
}

/**
 * The value at a dotted path (`profile.email`) below `root`, reading own properties only, so
 * `constructor` or `__proto__` in a path find nothing rather than an object's prototype.
 * Undefined where any step is missing or not an object.
 */
export function valueAtDottedPath(root: unknown, path: string): unknown {
  let value = root;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part))
      return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
