/**
 * Turns an organisation's members and teams into User and Group entities as Backstage's GitHub
 * org provider does: groups of `spec.type: team` named by slug with `github.com/team-slug`,
 * their parent, children and immediate members; users named by login with
 * `github.com/user-login` and `spec.memberOf` — each mapping adjustable by the transformers
 * declared in config. The result is one multi-document catalog file, read by the ordinary
 * ingestion (validation, relations, one transaction).
 */
import { createHash } from 'node:crypto';
import type { GithubTeamTransformerConfig } from '../../../../../core/config/github-org-providers.ts';
import type { UserTransformerConfig } from '../../../../../core/config/user-transformer.ts';
import type { Entity, Problem } from '../../../../../model/entity.ts';
import { isValidEntityName } from '../../../../../model/validators.ts';
import { renderTemplate, renderUserEntity } from '../user-transformer.ts';
import type { GithubMember, GithubOrgData, GithubTeam } from './graphql.ts';

export const ANNOTATION_GITHUB_USER_LOGIN = 'github.com/user-login';
export const ANNOTATION_GITHUB_TEAM_SLUG = 'github.com/team-slug';

/** Backstage's default user transformer, as templates. */
export const GITHUB_USER_DEFAULTS: UserTransformerConfig = {
  name: '{login}',
  displayName: '{name}',
  email: '{email}',
  picture: '{avatarUrl}',
  description: '{bio}',
  annotations: { [ANNOTATION_GITHUB_USER_LOGIN]: '{login}' },
};

const TEAM_DEFAULTS: Required<GithubTeamTransformerConfig> = {
  name: '{slug}',
  displayName: '{name}',
};

export interface OrgEntitySettings {
  /** The location's target, `<githubUrl>/<org>`: named by the problems. */
  target: string;
  /** Namespace of the groups: `default`, or the org's login lower-cased. */
  groupNamespace: string;
  userTransformer?: UserTransformerConfig;
  teamTransformer?: GithubTeamTransformerConfig;
  /**
   * When a provider reads several organisations, a member of more than one is emitted by the
   * first of them (in this order) only; the others still list them in their groups.
   */
  providerOrgs?: string[];
}

export interface OrgCatalogFile {
  content: string;
  /** sha256 of `content`: the location's version. */
  version: string;
  problems: Problem[];
  users: number;
  groups: number;
}

/** The org of `providerOrgs` that emits `member`, lower-cased; undefined when none of them lists them. */
function homeOrg(member: GithubMember, providerOrgs: string[]): string | undefined {
  const theirs = new Set((member.organizations ?? []).map((o) => o.toLowerCase()));
  return providerOrgs.map((o) => o.toLowerCase()).find((o) => theirs.has(o));
}

export function buildOrgCatalogFile(
  data: GithubOrgData,
  settings: OrgEntitySettings,
): OrgCatalogFile {
  const problems: Problem[] = [];
  const problem = (message: string, level: 'error' | 'warning' = 'error') =>
    problems.push({ level, name: 'InputError', message, file: settings.target });
  const org = data.org;

  // Users: every member is rendered (their name is what groups refer to); a member whose
  // home is another of the provider's orgs is left to that org's location.
  const userRefByLogin = new Map<string, string>();
  const loginByName = new Map<string, string>();
  const users: { login: string; entity: Entity }[] = [];
  const members = [...data.members].sort((a, b) => a.login.localeCompare(b.login));
  for (const member of members) {
    const { entity, error } = renderUserEntity(
      member as unknown as Record<string, unknown>,
      settings.userTransformer,
      GITHUB_USER_DEFAULTS,
    );
    if (!entity) {
      problem(`GitHub organisation ${org}: ${error}`);
      continue;
    }
    const name = entity.metadata.name;
    const taken = loginByName.get(name.toLowerCase());
    if (taken) {
      problem(
        `GitHub organisation ${org}: User ${member.login}: the name '${name}' is already that of user ${taken}; the user is skipped`,
      );
      continue;
    }
    loginByName.set(name.toLowerCase(), member.login);
    userRefByLogin.set(member.login.toLowerCase(), `default/${name}`);
    const home = settings.providerOrgs ? homeOrg(member, settings.providerOrgs) : undefined;
    if (home === undefined || home === org.toLowerCase())
      users.push({ login: member.login.toLowerCase(), entity });
  }

  // Groups, named by the team transformer.
  const teamTemplates = { ...TEAM_DEFAULTS, ...settings.teamTransformer };
  const groupBySlug = new Map<string, { team: GithubTeam; entity: Entity; ref: string }>();
  const takenGroup = new Map<string, string>();
  const teams = [...data.teams].sort((a, b) => a.slug.localeCompare(b.slug));
  for (const team of teams) {
    const fields = {
      slug: team.slug,
      name: team.name,
      org,
      combinedSlug: team.combinedSlug,
      description: team.description,
    };
    let name: string;
    let displayName: string;
    try {
      name = renderTemplate(teamTemplates.name, fields).trim();
      displayName = renderTemplate(teamTemplates.displayName, fields).trim();
    } catch (error) {
      problem(
        `GitHub organisation ${org}: Team ${team.slug}: teamTransformer: ${(error as Error).message}`,
      );
      continue;
    }
    if (!isValidEntityName(name)) {
      problem(
        `GitHub organisation ${org}: Team ${team.slug}: teamTransformer.name '${teamTemplates.name}' renders '${name}', which is not a valid entity name; the team is skipped`,
      );
      continue;
    }
    const taken = takenGroup.get(name.toLowerCase());
    if (taken) {
      problem(
        `GitHub organisation ${org}: Team ${team.slug}: the name '${name}' is already that of team ${taken}; the team is skipped`,
      );
      continue;
    }
    takenGroup.set(name.toLowerCase(), team.slug);
    const annotations: Record<string, string> = {
      [ANNOTATION_GITHUB_TEAM_SLUG]: team.combinedSlug,
    };
    if (team.editTeamUrl) annotations['backstage.io/edit-url'] = team.editTeamUrl;
    const profile: Record<string, string> = {};
    if (displayName) profile.displayName = displayName;
    if (team.avatarUrl) profile.picture = team.avatarUrl;
    const entity: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: {
        name,
        ...(settings.groupNamespace !== 'default' ? { namespace: settings.groupNamespace } : {}),
        ...(team.description ? { description: team.description } : {}),
        annotations,
      },
      spec: { type: 'team', profile, children: [] as string[] },
    };
    groupBySlug.set(team.slug.toLowerCase(), {
      team,
      entity,
      ref: `${settings.groupNamespace}/${name}`,
    });
  }

  // Hierarchy and membership, between the entities that exist.
  const memberOf = new Map<string, string[]>();
  for (const { team, entity } of groupBySlug.values()) {
    const spec = entity.spec as { parent?: string; children: string[]; members?: string[] };
    if (team.parentSlug) {
      const parent = groupBySlug.get(team.parentSlug.toLowerCase());
      if (parent) {
        spec.parent = parent.ref;
        (parent.entity.spec as { children: string[] }).children.push(
          `${settings.groupNamespace}/${entity.metadata.name}`,
        );
      } else {
        problem(
          `GitHub organisation ${org}: Team ${team.slug}: its parent team ${team.parentSlug} was not read; the group has no parent`,
          'warning',
        );
      }
    }
    const refs: string[] = [];
    for (const login of new Set(team.members.map((l) => l.toLowerCase()))) {
      const ref = userRefByLogin.get(login);
      if (!ref) continue; // skipped above, or left the organisation while it was read
      refs.push(ref);
      const list = memberOf.get(login) ?? [];
      list.push(`${settings.groupNamespace}/${entity.metadata.name}`);
      memberOf.set(login, list);
    }
    spec.members = refs.sort();
    spec.children.sort();
  }
  for (const { login, entity } of users) {
    (entity.spec as { memberOf: string[] }).memberOf = (memberOf.get(login) ?? []).sort();
  }

  const entities = [
    ...[...groupBySlug.values()].map((g) => g.entity),
    ...users.map((u) => u.entity),
  ];
  // JSON is YAML: no quoting rules to get wrong for names like `yes` or `null`.
  const content = entities.map((e) => `---\n${JSON.stringify(e, null, 2)}\n`).join('');
  return {
    content,
    version: createHash('sha256').update(content).digest('hex'),
    problems,
    users: users.length,
    groups: groupBySlug.size,
  };
}
