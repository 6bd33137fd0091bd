/**
 * The value formats of Backstage's form fields, pure: catalog filters from `ui:options`,
 * entity refs shown to people and completed from what they typed, `RepoUrlPicker`'s
 * `host?owner=o&repo=r` with the parts each kind of host asks for, and the checks the fields
 * add to JSON Schema validation.
 */
import { DEFAULT_NAMESPACE } from '../../../../model/entity.ts';
import { parseEntityRef, stringifyEntityRef } from '../../../../model/ref.ts';
import { isValidEntityName, isValidTag } from '../../../../model/validators.ts';
import type { ScmHostType } from '../../common/scm-integrations.ts';

type FilterValue = string | number | boolean | Array<string | number> | { exists?: boolean };

/**
 * Catalog filter strings for a picker (`kind=Group,spec.type=team`), from
 * `catalogFilter` (an object, or a list of alternatives) and the older `allowedKinds`.
 * A list value means any of its values; `{exists: true}` means the field is present.
 * `required` conditions (the caller's ownership) are added to every alternative.
 */
export function pickerFilters(
  options: Record<string, unknown>,
  fallbackKinds: string[] = [],
  required: Record<string, string[]> = {},
): string[] {
  const raw = options.catalogFilter;
  const list = Array.isArray(raw) ? raw : raw && typeof raw === 'object' ? [raw] : [];
  const allowedKinds = Array.isArray(options.allowedKinds)
    ? options.allowedKinds.filter((k): k is string => typeof k === 'string')
    : [];
  const kinds = allowedKinds.length ? allowedKinds : list.length ? [] : fallbackKinds;
  const extra = [
    ...kinds.map((k) => `kind=${k}`),
    ...Object.entries(required).flatMap(([key, values]) => values.map((v) => `${key}=${v}`)),
  ];
  if (list.length === 0) return extra.length ? [extra.join(',')] : [];
  return list.map((filter) => {
    const parts: string[] = [];
    for (const [key, value] of Object.entries(filter as Record<string, FilterValue>)) {
      if (Array.isArray(value)) for (const v of value) parts.push(`${key}=${v}`);
      else if (value && typeof value === 'object') {
        if (value.exists) parts.push(key);
      } else if (value !== null && value !== undefined) parts.push(`${key}=${value}`);
    }
    return [...parts, ...extra].join(',');
  });
}

/**
 * `group:default/team-a` → `team-a` when `Group` is the default kind, as Backstage's
 * `humanizeEntityRef`: the namespace is left out when it is `defaultNamespace` (or `default`
 * when none is given), never when `defaultNamespace` is `false`.
 */
export function humanizeRef(
  ref: string,
  defaultKind?: string,
  defaultNamespace?: string | false,
): string {
  try {
    const { kind, namespace, name } = parseEntityRef(ref, { defaultKind: defaultKind ?? 'x' });
    const showKind = !defaultKind || kind.toLowerCase() !== defaultKind.toLowerCase();
    const hidden = defaultNamespace === undefined ? DEFAULT_NAMESPACE : defaultNamespace;
    const showNamespace = hidden === false || namespace.toLowerCase() !== hidden.toLowerCase();
    return `${showKind ? `${kind.toLowerCase()}:` : ''}${showNamespace ? `${namespace}/` : ''}${name}`;
  } catch {
    return ref;
  }
}

/**
 * What a picker stores for text typed instead of chosen (`allowArbitraryValues`): the full
 * ref with the default kind and namespace filled in, as Backstage's EntityPicker does; text
 * that is no ref (no kind and no default kind) stays as typed.
 */
export function completeEntityRef(
  text: string,
  defaultKind?: string,
  defaultNamespace?: string | false,
): string {
  const value = text.trim();
  try {
    return stringifyEntityRef(
      parseEntityRef(value, { defaultKind, defaultNamespace: defaultNamespace || undefined }),
    );
  } catch {
    return value;
  }
}

/** A tag as EntityTagsPicker adds it: trimmed and lower case, like Backstage's. */
export function normalizeTag(text: string): string {
  return text.trim().replace(/,$/, '').trim().toLocaleLowerCase('en-US');
}

// ---------------------------------------------------------------------------------------
// RepoUrlPicker

/** The query parameters of a RepoUrlPicker value, in the order Backstage writes them. */
export const REPO_URL_PARAMS = ['owner', 'repo', 'organization', 'workspace', 'project'] as const;
export type RepoUrlParam = (typeof REPO_URL_PARAMS)[number];

export interface RepoUrlState {
  host: string;
  owner: string;
  repo: string;
  organization: string;
  workspace: string;
  project: string;
  /** Other query parameters of a value given to the field, kept as they were. */
  extra: Record<string, string>;
}

/** One input of the picker after the host. */
export interface RepoUrlPartSpec {
  param: RepoUrlParam;
  label: string;
  /** Backstage's helper text for the part. */
  help: string;
  required: boolean;
  /** The `ui:options` list that turns the input into a select. */
  allowedOption: 'allowedOwners' | 'allowedOrganizations' | 'allowedProjects' | 'allowedRepos';
}

const REPO: RepoUrlPartSpec = {
  param: 'repo',
  label: 'Repository',
  help: 'The name of the repository',
  required: true,
  allowedOption: 'allowedRepos',
};

const owner = (help: string, required = true): RepoUrlPartSpec => ({
  param: 'owner',
  label: 'Owner',
  help,
  required,
  allowedOption: 'allowedOwners',
});

const project = (allowedOption: RepoUrlPartSpec['allowedOption']): RepoUrlPartSpec => ({
  param: 'project',
  label: 'Project',
  help: 'The Project that this repo will belong to',
  required: true,
  allowedOption,
});

const NAMESPACE_HELP =
  'namespace where this repository will belong to. It can be the name of organization, group, subgroup, user, or the project.';

/**
 * The parts Backstage's RepoUrlPicker shows for a kind of host (its GitHub, GitLab, Gitea,
 * Bitbucket, Azure and Gerrit pickers). A host without a known kind gets owner and repository,
 * what Backstage's `parseRepoUrl` asks of any other host.
 */
export function repoUrlPartsFor(type: ScmHostType | undefined): RepoUrlPartSpec[] {
  switch (type) {
    case 'gitlab':
      return [owner(`GitLab ${NAMESPACE_HELP}`), REPO];
    case 'gitea':
      return [owner(`Gitea ${NAMESPACE_HELP}`), REPO];
    case 'bitbucketCloud':
      return [
        {
          param: 'workspace',
          label: 'Workspace',
          help: 'The Workspace that this repo will belong to',
          required: true,
          // Backstage offers `allowedOwners` as the Bitbucket Cloud workspaces.
          allowedOption: 'allowedOwners',
        },
        project('allowedProjects'),
        REPO,
      ];
    case 'bitbucketServer':
      return [project('allowedProjects'), REPO];
    case 'azure':
      return [
        {
          param: 'organization',
          label: 'Organization',
          help: 'The Organization that this repo will belong to',
          required: true,
          allowedOption: 'allowedOrganizations',
        },
        project('allowedProjects'),
        REPO,
      ];
    case 'gerrit':
      return [
        owner('The owner of the project (optional)', false),
        {
          param: 'workspace',
          label: 'Parent',
          help: 'The project parent that the repo will belong to',
          required: true,
          allowedOption: 'allowedOwners',
        },
        REPO,
      ];
    default:
      return [owner('The organization, user or project that this repo will belong to'), REPO];
  }
}

const EMPTY_STATE: RepoUrlState = {
  host: '',
  owner: '',
  repo: '',
  organization: '',
  workspace: '',
  project: '',
  extra: {},
};

/** Splits a RepoUrlPicker value (`host?owner=o&repo=r&…`) into its parts. */
export function parseRepoUrl(value: unknown): RepoUrlState {
  if (typeof value !== 'string' || value === '') return { ...EMPTY_STATE, extra: {} };
  const q = value.indexOf('?');
  const state: RepoUrlState = {
    ...EMPTY_STATE,
    host: q === -1 ? value : value.slice(0, q),
    extra: {},
  };
  for (const [k, v] of new URLSearchParams(q === -1 ? '' : value.slice(q + 1))) {
    if ((REPO_URL_PARAMS as readonly string[]).includes(k)) state[k as RepoUrlParam] = v;
    else state.extra[k] = v;
  }
  return state;
}

/**
 * The RepoUrlPicker value as Backstage writes it: `host?` and the filled-in parts in its
 * order; `undefined` without a host. Only the parts the host's kind asks for are written
 * (`params`), so an owner typed for GitHub does not follow a switch to Bitbucket.
 */
export function formatRepoUrl(
  state: RepoUrlState,
  params: readonly RepoUrlParam[] = REPO_URL_PARAMS,
): string | undefined {
  if (!state.host) return undefined;
  const query = new URLSearchParams();
  for (const param of REPO_URL_PARAMS) {
    if (params.includes(param) && state[param]) query.set(param, state[param]);
  }
  for (const [k, v] of Object.entries(state.extra)) if (v) query.set(k, v);
  return `${state.host}?${query.toString()}`;
}

/**
 * Backstage's preselection: with no host yet, the first allowed host (else the first known
 * one); each empty part with an allowed list, that list's first entry.
 */
export function withRepoUrlDefaults(
  state: RepoUrlState,
  hosts: string[],
  parts: RepoUrlPartSpec[],
  allowed: Partial<Record<RepoUrlPartSpec['allowedOption'], string[]>>,
): RepoUrlState {
  const next = { ...state, host: state.host || hosts[0] || '' };
  for (const part of parts) {
    const first = allowed[part.allowedOption]?.[0];
    if (!next[part.param] && first) next[part.param] = first;
  }
  return next;
}

/** The host of a RepoUrlPicker value is a host name (with a port at most), nothing else. */
function isHostName(host: string): boolean {
  try {
    return new URL(`https://${host}`).host === host.toLowerCase();
  } catch {
    return false;
  }
}

const joinNames = (names: string[]) =>
  names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;

/** What is wrong with a RepoUrlPicker value for a host of the given kind; [] when fine. */
export function repoUrlProblems(value: string, type: ScmHostType | undefined): string[] {
  const state = parseRepoUrl(value);
  if (!state.host) return ['is incomplete: the host must be filled in'];
  if (!isHostName(state.host)) {
    return [`has an invalid host "${state.host}": give a host name such as github.com`];
  }
  let missing: string[];
  if (type === undefined) {
    // An unknown host: Backstage's own check, a repository and somewhere to put it.
    const where = REPO_URL_PARAMS.some((p) => p !== 'repo' && state[p]);
    missing = [...(where ? [] : ['owner']), ...(state.repo ? [] : ['repository'])];
  } else {
    missing = repoUrlPartsFor(type)
      // GitLab takes a project id instead of owner and repository.
      .filter((p) => p.required && !state[p.param] && !(type === 'gitlab' && state.project))
      .map((p) => (p.param === 'repo' ? 'repository' : p.label.toLowerCase()));
  }
  return missing.length ? [`is incomplete: the ${joinNames(missing)} must be filled in`] : [];
}

// ---------------------------------------------------------------------------------------
// Checks the fields add

export const ENTITY_NAME_MESSAGE =
  'must start and end with a letter or digit and contain only letters, digits, "-", "_" and "." (at most 63 characters)';

export const TAG_MESSAGE =
  'must be lowercase letters, digits and ":+#", in words joined by single "-" (at most 63 characters)';

/** What the checks need to know beyond the value. */
export interface FieldCheckContext {
  /** The kind of a RepoUrlPicker host; `undefined` when it is not known. */
  hostType?(host: string): ScmHostType | undefined;
}

/** Problems a field type adds beyond its JSON Schema, by field name; [] when fine. */
export function fieldProblems(
  uiField: unknown,
  value: unknown,
  context: FieldCheckContext = {},
): string[] {
  if (value === undefined || value === null || value === '') return [];
  switch (uiField) {
    case 'EntityNamePicker':
      return typeof value === 'string' && !isValidEntityName(value) ? [ENTITY_NAME_MESSAGE] : [];
    case 'EntityTagsPicker':
      return Array.isArray(value)
        ? value.filter((t) => !isValidTag(t)).map((t) => `tag "${String(t)}" ${TAG_MESSAGE}`)
        : [];
    case 'RepoUrlPicker': {
      if (typeof value !== 'string') return [];
      const host = parseRepoUrl(value).host;
      return repoUrlProblems(value, host ? context.hostType?.(host) : undefined);
    }
    default:
      return [];
  }
}
