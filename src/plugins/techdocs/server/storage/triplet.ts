import type { DocsTriplet } from '../../common/index.ts';

/** One path segment of a triplet: anything that cannot climb or split a path. */
function checkSegment(field: keyof DocsTriplet, value: string): string {
  if (
    typeof value !== 'string' ||
    value === '' ||
    value === '.' ||
    value === '..' ||
    /[/\\\0]/.test(value) ||
    value.length > 253
  ) {
    throw new Error(`Invalid docs entity ${field} '${String(value)}'`);
  }
  return value;
}

/** The storage form of a triplet: validated and lowercased (Backstage's default layout). */
export function normaliseTriplet(triplet: DocsTriplet): DocsTriplet {
  return {
    namespace: checkSegment('namespace', triplet.namespace).toLowerCase(),
    kind: checkSegment('kind', triplet.kind).toLowerCase(),
    name: checkSegment('name', triplet.name).toLowerCase(),
  };
}

/** Parses `namespace/kind/name` (the techdocs-cli `--entity` format). */
export function parseTriplet(text: string): DocsTriplet {
  const parts = text.split('/');
  if (parts.length !== 3 || parts.some((part) => part === '')) {
    throw new Error(`Invalid entity '${text}': expected <namespace>/<kind>/<name>`);
  }
  const [namespace, kind, name] = parts as [string, string, string];
  return normaliseTriplet({ namespace, kind, name });
}

export function tripletString(triplet: DocsTriplet): string {
  return `${triplet.namespace}/${triplet.kind}/${triplet.name}`;
}
