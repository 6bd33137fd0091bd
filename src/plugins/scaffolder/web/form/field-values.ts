/**
 * The value formats of Backstage's form fields, pure: catalog filters from `ui:options`,
 * entity refs shown to people, `RepoUrlPicker`'s `host?owner=o&repo=r`, and the checks the
 * fields add to JSON Schema validation.
 */
import { DEFAULT_NAMESPACE } from '../../../../model/entity.ts';
import { parseEntityRef } from '../../../../model/ref.ts';
import { isValidEntityName, isValidTag } from '../../../../model/validators.ts';

type FilterValue = string | number | boolean | Array<string | number> | { exists?: boolean };

/**
 * Catalog filter strings for a picker (`kind=Group,spec.type=team`), from
 * `catalogFilter` (an object, or a list of alternatives) and the older `allowedKinds`.
 * A list value means any of its values; `{exists: true}` means the field is present.
 */
export function pickerFilters(
  options: Record<string, unknown>,
  fallbackKinds: string[] = [],
): string[] {
  const raw = options.catalogFilter;
  const list = Array.isArray(raw) ? raw : raw && typeof raw === 'object' ? [raw] : [];
  const allowedKinds = Array.isArray(options.allowedKinds)
    ? options.allowedKinds.filter((k): k is string => typeof k === 'string')
    : [];
  const kinds = allowedKinds.length ? allowedKinds : list.length ? [] : fallbackKinds;
  const kindPart = kinds.map((k) => `kind=${k}`);
  if (list.length === 0) return kindPart.length ? [kindPart.join(',')] : [];
  return list.map((filter) => {
    const parts: string[] = [];
    for (const [key, value] of Object.entries(filter as Record<string, FilterValue>)) {
      if (Array.isArray(value)) for (const v of value) parts.push(`${key}=${v}`);
      else if (value && typeof value === 'object') {
        if (value.exists) parts.push(key);
      } else parts.push(`${key}=${value}`);
    }
    return [...parts, ...kindPart].join(',');
  });
}

/** `group:default/team-a` → `team-a` when `Group` is the default kind. */
export function humanizeRef(ref: string, defaultKind?: string): string {
  try {
    const { kind, namespace, name } = parseEntityRef(ref, { defaultKind: defaultKind ?? 'x' });
    const showKind = !defaultKind || kind.toLowerCase() !== defaultKind.toLowerCase();
    const showNamespace = namespace.toLowerCase() !== DEFAULT_NAMESPACE;
    return `${showKind ? `${kind.toLowerCase()}:` : ''}${showNamespace ? `${namespace}/` : ''}${name}`;
  } catch {
    return ref;
  }
}

export interface RepoUrlParts {
  host: string;
  owner: string;
  repo: string;
  /** Other query parameters (organization, workspace, project) kept as they were. */
  extra: Record<string, string>;
}

export function parseRepoUrl(value: unknown): RepoUrlParts {
  const empty: RepoUrlParts = { host: '', owner: '', repo: '', extra: {} };
  if (typeof value !== 'string' || value === '') return empty;
  const q = value.indexOf('?');
  const host = q === -1 ? value : value.slice(0, q);
  const params = new URLSearchParams(q === -1 ? '' : value.slice(q + 1));
  const extra: Record<string, string> = {};
  for (const [k, v] of params) if (k !== 'owner' && k !== 'repo') extra[k] = v;
  return { host, owner: params.get('owner') ?? '', repo: params.get('repo') ?? '', extra };
}

/** The RepoUrlPicker value; `undefined` when nothing is filled in. */
export function formatRepoUrl(parts: RepoUrlParts): string | undefined {
  const params = new URLSearchParams();
  if (parts.owner) params.set('owner', parts.owner);
  if (parts.repo) params.set('repo', parts.repo);
  for (const [k, v] of Object.entries(parts.extra)) if (v) params.set(k, v);
  const query = params.toString();
  if (!parts.host && !query) return undefined;
  return query ? `${parts.host}?${query}` : parts.host;
}

export const ENTITY_NAME_MESSAGE =
  'must start and end with a letter or digit and contain only letters, digits, "-", "_" and "." (at most 63 characters)';

export const TAG_MESSAGE =
  'must be lowercase letters, digits and ":+#", in words joined by single "-" (at most 63 characters)';

/** Problems a field type adds beyond its JSON Schema, by field name; [] when fine. */
export function fieldProblems(uiField: unknown, value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  switch (uiField) {
    case 'EntityNamePicker':
      return typeof value === 'string' && !isValidEntityName(value) ? [ENTITY_NAME_MESSAGE] : [];
    case 'EntityTagsPicker':
      return Array.isArray(value)
        ? value.filter((t) => !isValidTag(t)).map((t) => `tag "${String(t)}" ${TAG_MESSAGE}`)
        : [];
    case 'RepoUrlPicker': {
      const parts = parseRepoUrl(value);
      const missing = [
        !parts.host && 'host',
        !parts.owner && !Object.keys(parts.extra).length && 'owner',
        !parts.repo && 'repository',
      ].filter(Boolean);
      return missing.length
        ? [`is incomplete: the ${missing.join(' and ')} must be filled in`]
        : [];
    }
    default:
      return [];
  }
}
