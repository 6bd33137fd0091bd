import {
  normalizeProviderSchedule,
  type ProviderScheduleConfig,
  providerScheduleSchema,
} from './provider-schedule.ts';
import type { ConfigProblem } from './errors.ts';
import { formatKeyPath, type KeyPath } from './paths.ts';
import { inSources, type Provenance } from './provenance.ts';
import type { SchemaNode } from './schema.ts';

/*
 * `catalog.providers.github`: GitHub repository discovery with Backstage's keys. Backstage
 * writes a map of provider ids, or one provider object (it has `organization` or `app`) that
 * gets the id `default`.
 */

export const GITHUB_VISIBILITIES = ['public', 'private', 'internal'] as const;
export type GithubVisibility = (typeof GITHUB_VISIBILITIES)[number];

export type GithubScheduleConfig = ProviderScheduleConfig;

export interface GithubDiscoveryProviderConfig {
  /** Provider id: the provider is `github:<id>`. */
  id: string;
  /**
   * Organisation login whose repositories are listed; absent (with `app`): the repositories of
   * every installation of that GitHub App.
   */
  organization?: string;
  /** A GitHub App id (Backstage `app`): that app of `integrations.github[].apps` authenticates. */
  app?: number;
  /** Host of the GitHub instance (its `integrations.github` entry gives token and apiBaseUrl). */
  host: string;
  /** Path of the catalog file in each repository, without a leading slash; may hold globs. */
  catalogPath: string;
  filters: {
    /** Full-name regex (anchored as Backstage anchors it) on the repository name. */
    repository?: string;
    /** Branch read instead of each repository's default branch. */
    branch?: string;
    topic: { include?: string[]; exclude?: string[] };
    /** Empty: every visibility. */
    visibility: GithubVisibility[];
    allowForks: boolean;
    allowArchived: boolean;
  };
  validateLocationsExist: boolean;
  schedule: GithubScheduleConfig;
}

const SCHEDULE = { frequency: { minutes: 30 }, frequencyText: '30 minutes', run: 'scan' };

const topicList = (description: string): SchemaNode => ({
  type: 'array',
  items: { type: 'string', minLength: 1 },
  'x-valid': 'a list of topic names',
  description,
});

const PROVIDER: SchemaNode = {
  type: 'object',
  'x-valid':
    'an object {organization, app?, host?, catalogPath?, filters?, validateLocationsExist?, schedule?}',
  properties: {
    organization: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9-]*$',
      'x-valid': 'a GitHub organisation login',
      description: 'The organisation whose repositories are discovered.',
    },
    app: {
      type: ['integer', 'string'],
      'x-type': 'number',
      'x-valid': 'a GitHub App id',
      description:
        'The GitHub App (its id, configured under `integrations.github[].apps` of `host`) whose installation tokens this provider uses, when the host has several apps or no app should be picked by owner. Without `organization`, the repositories of every installation of the app are discovered (those `allowedInstallationOwners` lets through).',
    },
    host: {
      type: 'string',
      pattern: '^[A-Za-z0-9.-]+(:\\d{1,5})?$',
      default: 'github.com',
      'x-valid': 'a host name, optionally with a port (github.com, ghe.example.com)',
      description:
        'The GitHub instance; the `integrations.github` entry for this host supplies the token and `apiBaseUrl` (its GraphQL endpoint is `apiBaseUrl` with `/v3` replaced by `/graphql`).',
    },
    catalogPath: {
      type: 'string',
      minLength: 1,
      default: '/catalog-info.yaml',
      'x-valid':
        'a path in the repository, globs allowed (/catalog-info.yaml, **/catalog-info.yaml)',
      description:
        'The catalog file of each repository. Without a glob its text comes with the repository list (one GraphQL query per 100 repositories); with a glob (`*`, `**`, `?`, `{a,b}`) each repository’s tree is read once (conditionally: an unchanged tree costs nothing) and every matching file becomes a location.',
    },
    filters: {
      type: 'object',
      description: 'Which repositories are read (Backstage’s filters).',
      properties: {
        repository: {
          type: 'string',
          'x-valid': 'a regular expression (JavaScript syntax)',
          description:
            'Regular expression the repository name must match as a whole (`^` and `$` are added as in Backstage).',
        },
        branch: {
          type: 'string',
          minLength: 1,
          'x-default-text': 'each repository’s default branch',
          description: 'The branch whose catalog file is read.',
        },
        topic: {
          type: 'object',
          description:
            'Topic filters: with `include`, a repository needs one of those topics; with `exclude`, a repository with one of those topics is left out (exclude wins).',
          properties: {
            include: topicList('Topics of which a repository must have at least one.'),
            exclude: topicList('Topics that leave a repository out.'),
          },
        },
        visibility: {
          type: 'array',
          items: { type: 'string', enum: [...GITHUB_VISIBILITIES] },
          'x-valid': 'a list of public, private, internal',
          'x-default-text': 'every visibility',
          description: 'Visibilities of the repositories read.',
        },
        allowForks: {
          type: 'boolean',
          default: true,
          description: 'Whether forks are read.',
        },
        allowArchived: {
          type: 'boolean',
          default: false,
          description:
            'Whether archived repositories are read; an archived repository’s entities are removed otherwise.',
        },
      },
    },
    validateLocationsExist: {
      type: 'boolean',
      default: false,
      description:
        'Backstage’s key: emit only repositories whose catalog file exists. Atrium always knows (the file comes with the listing, or from the tree), so it never creates a location for a missing file; as in Backstage, `true` together with a glob in `catalogPath` is a config error.',
    },
    schedule: providerScheduleSchema(
      'When the organisation is scanned (Backstage’s task schedule). Webhook events (`push`, `repository`) update it in between.',
      SCHEDULE,
    ),
  },
};

/** `catalog.providers.github`: a map of provider ids (Backstage), or one provider object. */
export const GITHUB_PROVIDERS_SCHEMA: SchemaNode = {
  type: 'object',
  'x-type': 'object',
  'x-valid':
    'a map of provider ids to provider objects {organization, …}, or one provider object (it has organization)',
  description:
    'GitHub repository discovery, as Backstage configures it: a map of provider ids (`catalog.providers.github.<id>.organization`, …), or one provider object, which gets the id `default`. The keys below are those of one provider. Each provider lists the repositories of `organization` that pass its filters and have the catalog file, and keeps them current (`github:<id>` on the health page). Requests use the credentials of the `integrations.github` entry for `host`: its `token`, or an installation token of one of its `apps`.',
  if: {
    anyOf: [
      { required: ['organization'], properties: { organization: { type: 'string' } } },
      { required: ['app'], properties: { app: { type: ['integer', 'string'] } } },
    ],
  },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema if/then/else
  then: PROVIDER,
  else: { additionalProperties: PROVIDER },
};

type Data = Record<string, unknown>;

function isSingleProvider(value: Data): boolean {
  return typeof value.organization === 'string' || value.app !== undefined;
}

/** Whether a catalog path holds a glob (Backstage checks `*` only; `?`, `[` and `{` count too). */
export function hasGlob(path: string): boolean {
  return /[*?[{]/.test(path);
}

export function normalizeGithubProviders(
  value: unknown,
  ctx: { provenance: Provenance; problems: ConfigProblem[] },
): GithubDiscoveryProviderConfig[] {
  if (value === undefined || value === null || typeof value !== 'object') return [];
  const base: KeyPath = ['catalog', 'providers', 'github'];
  const written = value as Data;
  const entries: { id: string; data: Data; path: KeyPath }[] = isSingleProvider(written)
    ? [{ id: 'default', data: written, path: base }]
    : Object.entries(written).map(([id, data]) => ({
        id,
        data: (data ?? {}) as Data,
        path: [...base, id],
      }));
  const problem = (at: KeyPath, message: string) => {
    const sources = ctx.provenance.sourcesOf(at);
    ctx.problems.push({
      key: formatKeyPath(at),
      message: `${formatKeyPath(at)} ${message}${inSources(sources)}`,
      sources,
    });
  };
  return entries.map(({ id, data, path }): GithubDiscoveryProviderConfig => {
    const filters = (data.filters ?? {}) as Data;
    const topic = (filters.topic ?? {}) as Data;
    const organization = typeof data.organization === 'string' ? data.organization : undefined;
    if (!organization && data.app === undefined) {
      problem(
        [...path, 'organization'],
        'is missing; it must be a GitHub organisation login (or set app to discover the repositories of every installation of that GitHub App)',
      );
    }
    const catalogPath = String(data.catalogPath ?? '/catalog-info.yaml');
    const validateLocationsExist = data.validateLocationsExist === true;
    if (validateLocationsExist && hasGlob(catalogPath)) {
      problem(
        [...path, 'validateLocationsExist'],
        `cannot be true while catalogPath ${catalogPath} contains a wildcard (as in Backstage); set it to false`,
      );
    }
    let repository: string | undefined;
    if (typeof filters.repository === 'string' && filters.repository !== '') {
      repository = filters.repository;
      try {
        new RegExp(repository);
      } catch (error) {
        problem(
          [...path, 'filters', 'repository'],
          `is not a valid regular expression: ${(error as Error).message}`,
        );
      }
    }
    const app = data.app === undefined ? undefined : Number(data.app);
    return {
      id,
      ...(organization ? { organization } : {}),
      ...(app !== undefined && Number.isFinite(app) ? { app } : {}),
      host: typeof data.host === 'string' && data.host ? data.host : 'github.com',
      catalogPath: catalogPath.replace(/^\/+/, ''),
      filters: {
        ...(repository ? { repository } : {}),
        ...(typeof filters.branch === 'string' && filters.branch ? { branch: filters.branch } : {}),
        topic: {
          ...(Array.isArray(topic.include) ? { include: topic.include as string[] } : {}),
          ...(Array.isArray(topic.exclude) ? { exclude: topic.exclude as string[] } : {}),
        },
        visibility: [...new Set((filters.visibility as GithubVisibility[] | undefined) ?? [])],
        allowForks: filters.allowForks !== false,
        allowArchived: filters.allowArchived === true,
      },
      validateLocationsExist,
      schedule: normalizeProviderSchedule(data.schedule, SCHEDULE),
    };
  });
}
