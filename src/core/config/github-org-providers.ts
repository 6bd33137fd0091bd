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
  TEMPLATE_PATTERN,
  templateFields,
  type UserTransformerConfig,
  userTransformerSchema,
} from './user-transformer.ts';

/*
 * `catalog.providers.githubOrg`: GitHub teams and members as Group and User entities, in
 * Backstage's shape (one provider object, or a list of them, each `{id, githubUrl, orgs,
 * schedule}`) plus Atrium's declared transformers.
 */

/** The profile fields of a GitHub organisation member that transformer templates may use. */
export const GITHUB_USER_FIELDS = [
  'login',
  'name',
  'email',
  'avatarUrl',
  'bio',
  'company',
  'location',
] as const;

/** The fields of a GitHub team that `teamTransformer` templates may use. */
export const GITHUB_TEAM_FIELDS = ['slug', 'name', 'org', 'combinedSlug', 'description'] as const;

export type GithubOrgScheduleConfig = ProviderScheduleConfig;

export interface GithubTeamTransformerConfig {
  /** Template of the Group's `metadata.name` over the team's fields. Default `{slug}`. */
  name?: string;
  /** Template of `spec.profile.displayName`. Default `{name}`. */
  displayName?: string;
}

export interface GithubOrgProviderConfig {
  /** Provider id: the provider is `githubOrg:<id>`. */
  id: string;
  /** `https://github.com` or a GitHub Enterprise origin, without a trailing slash. */
  githubUrl: string;
  /** Organisations read; empty: every organisation the token's user belongs to. */
  orgs: string[];
  schedule: GithubOrgScheduleConfig;
  userTransformer?: UserTransformerConfig;
  teamTransformer?: GithubTeamTransformerConfig;
  /**
   * Groups go to the `default` namespace (Backstage: exactly one provider reading one org);
   * otherwise each org's groups go to the namespace named after the org, lower-cased.
   */
  groupsInDefaultNamespace: boolean;
}

const SCHEDULE = { frequency: { minutes: 60 }, frequencyText: '1 hour', run: 'read' };

const PROVIDER: SchemaNode = {
  type: 'object',
  required: ['id', 'githubUrl'],
  'x-valid': 'an object {id, githubUrl, orgs?, schedule?, userTransformer?, teamTransformer?}',
  properties: {
    id: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
      'x-valid': 'a non-empty id of letters, digits, `_`, `.` and `-`',
      description: 'Identifies the provider: it appears as `githubOrg:<id>` on the health page.',
    },
    githubUrl: {
      type: 'string',
      'x-url': true,
      description:
        'The GitHub instance, `https://github.com` or a GitHub Enterprise address; an `integrations.github` entry for its host supplies the token (and `apiBaseUrl`).',
    },
    orgs: {
      type: 'array',
      items: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9-]*$' },
      'x-valid': 'a list of organisation logins',
      'x-default-text': 'every organisation the token can see',
      description:
        'Organisations whose teams and members are read. When left out: with GitHub Apps (`integrations.github[].apps`), every organisation they are installed on (as Backstage’s multi-org provider; `allowedInstallationOwners` applies), else every organisation the token’s user belongs to.',
    },
    schedule: providerScheduleSchema(
      'When the organisation data is read (Backstage’s task schedule). Webhook events (`membership`, `team`, `organization`) update it in between.',
      SCHEDULE,
    ),
    userTransformer: userTransformerSchema('GitHub', GITHUB_USER_FIELDS),
    teamTransformer: {
      type: 'object',
      'x-valid': 'an object {name?, displayName?}',
      description: `How teams become Group entities: templates over the team fields ${GITHUB_TEAM_FIELDS.map((f) => `\`${f}\``).join(', ')} with the same filters as \`userTransformer\`. Default: name \`{slug}\`, displayName \`{name}\`.`,
      properties: {
        name: {
          type: 'string',
          pattern: TEMPLATE_PATTERN,
          'x-valid': 'a template such as {slug} or {org}-{slug}',
          description: 'Template of the Group’s `metadata.name`.',
        },
        displayName: {
          type: 'string',
          pattern: TEMPLATE_PATTERN,
          'x-valid': 'a template such as {name}',
          description: 'Template of `spec.profile.displayName`.',
        },
      },
    },
  },
};

/** `catalog.providers.githubOrg`, as Backstage writes it: one provider object or a list. */
export const GITHUB_ORG_PROVIDERS_SCHEMA: SchemaNode = {
  ...PROVIDER,
  type: ['object', 'array'],
  'x-type': 'object | object[]',
  'x-valid': 'a provider object {id, githubUrl, orgs?, schedule?} or a list of them',
  description:
    'GitHub organisation data: teams become Group entities (with parent, children and members) and members become User entities, read through the GraphQL API with the token of the matching `integrations.github` entry. One provider object or a list of them (Backstage `catalog.providers.githubOrg`).',
  items: PROVIDER,
};

type Data = Record<string, unknown>;

export function normalizeGithubOrgProviders(
  value: unknown,
  ctx: { provenance: Provenance; problems: ConfigProblem[] },
): GithubOrgProviderConfig[] {
  if (value === undefined || value === null) return [];
  const base: KeyPath = ['catalog', 'providers', 'githubOrg'];
  const entries: { data: Data; path: KeyPath }[] = Array.isArray(value)
    ? (value as Data[]).map((data, i) => ({ data, path: [...base, i] }))
    : [{ data: value as Data, path: base }];
  const problem = (at: KeyPath, message: string) => {
    const sources = ctx.provenance.sourcesOf(at);
    ctx.problems.push({
      key: formatKeyPath(at),
      message: `${formatKeyPath(at)} ${message}${inSources(sources)}`,
      sources,
    });
  };
  const seen = new Map<string, string>();
  const out = entries.map(({ data, path }): GithubOrgProviderConfig => {
    const id = data.id as string;
    const first = seen.get(id);
    if (first) problem([...path, 'id'], `'${id}' is already the id of ${first}; ids must differ`);
    else seen.set(id, formatKeyPath(path));
    const team = data.teamTransformer as Data | undefined;
    if (team) {
      for (const key of ['name', 'displayName'] as const) {
        if (typeof team[key] !== 'string') continue;
        for (const { field } of templateFields(team[key] as string)) {
          if (!(GITHUB_TEAM_FIELDS as readonly string[]).includes(field))
            problem(
              [...path, 'teamTransformer', key],
              `uses {${field}}, which is not a team field; there are ${GITHUB_TEAM_FIELDS.join(', ')}`,
            );
        }
      }
    }
    const userTransformer = normalizeUserTransformer(
      data.userTransformer as Data | undefined,
      [...path, 'userTransformer'],
      GITHUB_USER_FIELDS,
      ctx,
    );
    return {
      id,
      githubUrl: new URL(data.githubUrl as string).origin,
      orgs: [...new Set((data.orgs as string[] | undefined) ?? [])],
      schedule: normalizeProviderSchedule(data.schedule, SCHEDULE),
      ...(userTransformer ? { userTransformer } : {}),
      ...(team
        ? {
            teamTransformer: {
              ...(typeof team.name === 'string' ? { name: team.name } : {}),
              ...(typeof team.displayName === 'string' ? { displayName: team.displayName } : {}),
            },
          }
        : {}),
      groupsInDefaultNamespace: false,
    };
  });
  // Backstage's rule: one provider reading one organisation keeps its groups in `default`.
  if (out.length === 1 && out[0]!.orgs.length === 1) out[0]!.groupsInDefaultNamespace = true;
  return out;
}
