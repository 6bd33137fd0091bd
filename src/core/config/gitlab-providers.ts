import {
  normalizeProviderSchedule,
  type ProviderScheduleConfig,
  providerScheduleSchema,
} from './provider-schedule.ts';
import type { ConfigProblem } from './errors.ts';
import { formatKeyPath, type KeyPath } from './paths.ts';
import { inSources, type Provenance } from './provenance.ts';
import type { SchemaNode } from './schema.ts';
import {
  normalizeUserTransformer,
  type UserTransformerConfig,
  userTransformerSchema,
} from './user-transformer.ts';

/*
 * `catalog.providers.gitlab`: GitLab project discovery and GitLab organisation data (groups and
 * users), with Backstage's keys. Backstage writes a map of provider ids; one provider object
 * (it has `host`) is accepted too and gets the id `default`.
 */

/** The profile fields of a GitLab user that `userTransformer` templates may use. */
export const GITLAB_USER_FIELDS = [
  'username',
  'name',
  'email',
  'avatar_url',
  'public_email',
  'state',
  'web_url',
  'id',
] as const;

/** GitLab's member relations (Backstage `relations`). */
export const GITLAB_MEMBER_RELATIONS = [
  'DIRECT',
  'INHERITED',
  'DESCENDANTS',
  'SHARED_FROM_GROUPS',
] as const;
export type GitlabMemberRelation = (typeof GITLAB_MEMBER_RELATIONS)[number];

export type GitlabScheduleConfig = ProviderScheduleConfig;

export interface GitlabCatalogProviderConfig {
  /** Provider id: the providers are `gitlab:<id>` and (with `orgEnabled`) `gitlabOrg:<id>`. */
  id: string;
  /** Host name (and port) of the GitLab instance; its `integrations.gitlab` entry gives the token. */
  host: string;
  /** Full path of the group read (subgroups included); `''`: the whole instance. */
  group: string;
  /** Branch whose catalog file is read; absent: each project's default branch. */
  branch?: string;
  /** Branch used when a project has no default branch (empty project). Default `master`. */
  fallbackBranch: string;
  /** Path of the catalog file in each project (Backstage `entityFilename`). Default `catalog-info.yaml`. */
  catalogFile: string;
  /** Regex a project's `path_with_namespace` must match. Default: everything. */
  projectPattern: string;
  skipForkedRepos: boolean;
  includeArchivedRepos: boolean;
  /** `path_with_namespace` of projects left out. */
  excludeRepos: string[];
  /** Only projects with all of these topics. */
  topics: string[];
  /** Only projects the token's user is a member of (GitLab `membership=true`). */
  membership: boolean;
  /** Project discovery (`gitlab:<id>`); Atrium's key, so that an entry may read org data only. */
  discoveryEnabled: boolean;
  /** Groups and users as Group and User entities (`gitlabOrg:<id>`). */
  orgEnabled: boolean;
  /** Regexes a group's full path must match (any of them). Default: everything. */
  groupPattern: string[];
  /** Regex a user's email (else username) must match. Default: everything. */
  userPattern: string;
  /** Member relations read for each group; always includes `DIRECT`. */
  relations: GitlabMemberRelation[];
  /** Users are the members of the group and its subgroups, not every user of the instance. */
  restrictUsersToGroup: boolean;
  schedule: GitlabScheduleConfig;
  userTransformer?: UserTransformerConfig;
}

const SCHEDULE = { frequency: { minutes: 30 }, frequencyText: '30 minutes', run: 'scan' };

const REGEX_VALID = 'a regular expression (JavaScript syntax)';

const PROVIDER: SchemaNode = {
  type: 'object',
  required: ['host'],
  'x-valid':
    'an object {host, group?, branch?, fallbackBranch?, entityFilename?, projectPattern?, …, orgEnabled?, schedule?}',
  properties: {
    host: {
      type: 'string',
      pattern: '^[A-Za-z0-9.-]+(:\\d{1,5})?$',
      'x-valid': 'a host name, optionally with a port (gitlab.example.com, 127.0.0.1:8080)',
      description:
        'The GitLab instance (`gitlab.com` or your own host); the `integrations.gitlab` entry for this host supplies the token and `apiBaseUrl`.',
    },
    group: {
      type: 'string',
      'x-default-text': "'' (the whole instance; required for gitlab.com)",
      description:
        'Full path of the group whose projects (subgroups included) and, with `orgEnabled`, groups and members are read, e.g. `acme/platform`.',
    },
    branch: {
      type: 'string',
      minLength: 1,
      'x-default-text': "each project's default branch",
      description: 'Branch whose catalog file is read in every project.',
    },
    fallbackBranch: {
      type: 'string',
      minLength: 1,
      default: 'master',
      description: 'Branch used for a project that has no default branch (and no `branch` is set).',
    },
    entityFilename: {
      type: 'string',
      minLength: 1,
      'x-default-text': 'catalog-info.yaml',
      description:
        "Path of the catalog file in each project (Backstage's key). Each project with this file on the branch becomes a location `<project URL>/-/blob/<branch>/<file>`.",
    },
    catalogFile: {
      type: 'string',
      minLength: 1,
      'x-default-text': 'catalog-info.yaml',
      description: 'Another name for `entityFilename`.',
    },
    projectPattern: {
      type: 'string',
      'x-valid': REGEX_VALID,
      'x-default-text': 'every project',
      description: "Regular expression a project's `path_with_namespace` must match.",
    },
    skipForkedRepos: {
      type: 'boolean',
      default: false,
      description: 'Leave out forks.',
    },
    includeArchivedRepos: {
      type: 'boolean',
      default: false,
      description:
        'Read archived projects too. When false, archiving a project removes its entities.',
    },
    excludeRepos: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      'x-valid': 'a list of project paths (group/sub/project)',
      'x-default-text': 'none',
      description: 'Projects left out, by `path_with_namespace`.',
    },
    topics: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      'x-valid': 'a list of topics',
      'x-default-text': 'none',
      description: 'Only projects that have all of these topics.',
    },
    membership: {
      type: 'boolean',
      default: false,
      description: "Only projects the token's user is a member of (GitLab `membership=true`).",
    },
    discoveryEnabled: {
      type: 'boolean',
      default: true,
      description:
        'Discover catalog files in projects (`gitlab:<id>`). Atrium installs project discovery and org data together; set false for an entry that only reads groups and users.',
    },
    orgEnabled: {
      type: 'boolean',
      default: false,
      description:
        'Read groups and users as Group and User entities (`gitlabOrg:<id>`): each group of `group` (subgroups included) becomes a Group with its parent and children, each user a User with its groups in `memberOf`.',
    },
    groupPattern: {
      type: ['string', 'array'],
      items: { type: 'string' },
      'x-type': 'string | string[]',
      'x-valid': `${REGEX_VALID}, or a list of them`,
      'x-default-text': 'every group',
      description:
        "Regular expression (or a list: any may match) a group's full path must match to become a Group.",
    },
    userPattern: {
      type: 'string',
      'x-valid': REGEX_VALID,
      'x-default-text': 'every user',
      description: "Regular expression a user's email (or, without one, username) must match.",
    },
    allowInherited: {
      type: 'boolean',
      default: false,
      description:
        'Count members inherited from parent groups as members of a group (the same as `relations: [INHERITED]`).',
    },
    relations: {
      type: 'array',
      items: { type: 'string', enum: [...GITLAB_MEMBER_RELATIONS] },
      'x-valid': `a list of ${GITLAB_MEMBER_RELATIONS.join(', ')}`,
      'x-default-text': '[DIRECT]',
      description:
        'Which members of a group count: `DIRECT` always; `INHERITED` adds members of parent groups (`/members/all`). `DESCENDANTS` and `SHARED_FROM_GROUPS` are accepted: each subgroup is read as a Group of its own.',
    },
    restrictUsersToGroup: {
      type: 'boolean',
      default: false,
      description:
        "Users are the members of `group` and its subgroups. When false, every active user of the instance (`/users`, which needs an administrator's token to show emails); on gitlab.com always the members.",
    },
    includeUsersWithoutSeat: {
      type: 'boolean',
      default: false,
      'x-reserved': true,
      description: 'Backstage key for gitlab.com billing seats; accepted, not used.',
    },
    schedule: providerScheduleSchema(
      'When the projects (and org data) are scanned (Backstage’s task schedule). Webhook events update them in between.',
      SCHEDULE,
    ),
    userTransformer: userTransformerSchema('GitLab', GITLAB_USER_FIELDS),
  },
};

/** `catalog.providers.gitlab`: a map of provider ids (Backstage), or one provider object. */
export const GITLAB_PROVIDERS_SCHEMA: SchemaNode = {
  type: 'object',
  'x-type': 'object',
  'x-valid':
    'a map of provider ids to provider objects {host, group?, …}, or one provider object (it has host)',
  description:
    'GitLab project discovery and organisation data, as Backstage configures them: a map of provider ids (`catalog.providers.gitlab.<id>.host`, …), or one provider object, which gets the id `default`. The keys below are those of one provider. Each provider lists the projects of `group` that have the catalog file and keeps them current (`gitlab:<id>` on the health page); with `orgEnabled`, its groups and users too (`gitlabOrg:<id>`). Requests use the token of the `integrations.gitlab` entry for `host`.',
  if: {
    anyOf: [
      { required: ['host'], properties: { host: { type: 'string' } } },
      { required: ['group'], properties: { group: { type: 'string' } } },
    ],
  },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema if/then/else
  then: PROVIDER,
  else: { additionalProperties: PROVIDER },
};

type Data = Record<string, unknown>;

/** Whether `value` is one provider object rather than a map of them. */
function isSingleProvider(value: Data): boolean {
  return typeof value.host === 'string' || typeof value.group === 'string';
}

export function normalizeGitlabProviders(
  value: unknown,
  ctx: { provenance: Provenance; problems: ConfigProblem[] },
): GitlabCatalogProviderConfig[] {
  if (value === undefined || value === null || typeof value !== 'object') return [];
  const base: KeyPath = ['catalog', 'providers', 'gitlab'];
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
  const regex = (at: KeyPath, source: unknown): string => {
    if (typeof source !== 'string') return '';
    try {
      new RegExp(source);
    } catch (error) {
      problem(at, `is not a valid regular expression: ${(error as Error).message}`);
    }
    return source;
  };
  return entries.map(({ id, data, path }): GitlabCatalogProviderConfig => {
    const entityFilename = data.entityFilename as string | undefined;
    const catalogFileKey = data.catalogFile as string | undefined;
    if (entityFilename && catalogFileKey && entityFilename !== catalogFileKey) {
      problem(
        [...path, 'catalogFile'],
        `'${catalogFileKey}' differs from entityFilename '${entityFilename}'; set one of them`,
      );
    }
    const catalogFile = (entityFilename ?? catalogFileKey ?? 'catalog-info.yaml').replace(
      /^\/+/,
      '',
    );
    const groupPattern = data.groupPattern;
    const patterns = Array.isArray(groupPattern)
      ? (groupPattern as string[]).map((p, i) => regex([...path, 'groupPattern', i], p))
      : typeof groupPattern === 'string'
        ? [regex([...path, 'groupPattern'], groupPattern)]
        : [];
    const relations = new Set<GitlabMemberRelation>([
      'DIRECT',
      ...((data.relations as GitlabMemberRelation[] | undefined) ?? []),
      ...(data.allowInherited === true ? (['INHERITED'] as const) : []),
    ]);
    const userTransformer = normalizeUserTransformer(
      data.userTransformer as Data | undefined,
      [...path, 'userTransformer'],
      GITLAB_USER_FIELDS,
      ctx,
    );
    const group = ((data.group as string | undefined) ?? '').replace(/^\/+|\/+$/g, '');
    const host = data.host as string;
    if (data.orgEnabled === true && !group && host.toLowerCase() === 'gitlab.com') {
      problem(
        [...path, 'group'],
        'is missing; on gitlab.com the org data is read from one group (set group to its full path)',
      );
    }
    return {
      id,
      host,
      group,
      ...(typeof data.branch === 'string' ? { branch: data.branch } : {}),
      fallbackBranch: (data.fallbackBranch as string | undefined) ?? 'master',
      catalogFile,
      projectPattern: regex([...path, 'projectPattern'], data.projectPattern),
      skipForkedRepos: data.skipForkedRepos === true,
      includeArchivedRepos: data.includeArchivedRepos === true,
      excludeRepos: [...new Set((data.excludeRepos as string[] | undefined) ?? [])],
      topics: [...new Set((data.topics as string[] | undefined) ?? [])],
      membership: data.membership === true,
      discoveryEnabled: data.discoveryEnabled !== false,
      orgEnabled: data.orgEnabled === true,
      groupPattern: patterns.filter(Boolean),
      userPattern: regex([...path, 'userPattern'], data.userPattern),
      relations: [...relations],
      restrictUsersToGroup: data.restrictUsersToGroup === true,
      schedule: normalizeProviderSchedule(data.schedule, SCHEDULE),
      ...(userTransformer ? { userTransformer } : {}),
    };
  });
}
