import type { GithubStandin, GraphqlContext, StandinRequest } from './github-standin.ts';

/*
 * Organisation data for the GitHub stand-in (test/helpers/github-standin.ts): organisations with
 * members and (nested) teams, answered through the stand-in's GraphQL hook, so the stand-in's
 * rate limits (points per query, 403 when spent, Retry-After) apply to these queries too. It
 * answers what GitHub's schema answers for the fields a client selects: `membersWithRole`,
 * `teams` (with `parentTeam` and `members(membership: IMMEDIATE | ALL)`), `team(slug:)`,
 * `viewer.organizations` and `user.organizations`, with cursor paging that refuses more than 100
 * records per page (EXCESSIVE_PAGINATION) as GitHub does, `@include`/`@skip` directives, and
 * GitHub's cost in points. Tests change the organisation and get the webhook payloads GitHub
 * would send.
 */

export interface OrgMemberSpec {
  login: string;
  name?: string | null;
  email?: string | null;
  avatarUrl?: string | null;
  bio?: string | null;
  company?: string | null;
  location?: string | null;
}

export interface OrgTeamSpec {
  slug: string;
  name?: string;
  description?: string | null;
  /** Slug of the parent team. */
  parent?: string | null;
  /** Logins of the immediate members. */
  members?: string[];
}

interface StandinTeam {
  slug: string;
  name: string;
  description: string | null;
  parent: string | null;
  members: string[];
}

export interface StandinOrg {
  login: string;
  /** By lower-cased login, in the order added. */
  members: Map<string, Required<OrgMemberSpec>>;
  /** By lower-cased slug, in the order added. */
  teams: Map<string, StandinTeam>;
}

export interface GithubOrgStandin {
  orgs: Map<string, StandinOrg>;
  addOrg(login: string): StandinOrg;
  addMember(org: string, spec: OrgMemberSpec): void;
  /** Removes the member from the organisation and all its teams. */
  removeMember(org: string, login: string): void;
  addTeam(org: string, spec: OrgTeamSpec): void;
  removeTeam(org: string, slug: string): void;
  addToTeam(org: string, slug: string, login: string): void;
  removeFromTeam(org: string, slug: string, login: string): void;
  /** The GraphQL requests for organisation data the stand-in answered. */
  orgQueries(): StandinRequest[];
  /** Webhook payloads as GitHub sends them for these changes. */
  events: {
    membership(
      org: string,
      action: 'added' | 'removed',
      slug: string,
      login: string,
    ): Record<string, unknown>;
    team(org: string, action: string, slug: string): Record<string, unknown>;
    organization(
      org: string,
      action: 'member_added' | 'member_removed',
      login: string,
    ): Record<string, unknown>;
  };
}

type Variables = Record<string, unknown>;
type Answer = { data?: unknown; errors?: unknown[]; cost?: number };

class QueryError extends Error {
  constructor(
    message: string,
    readonly type?: string,
  ) {
    super(message);
  }
}

const encodeCursor = (index: number) => Buffer.from(`org-cursor:${index}`).toString('base64');

function decodeCursor(cursor: unknown): number {
  if (cursor === undefined || cursor === null || cursor === '') return 0;
  const match = /^org-cursor:(\d+)$/.exec(Buffer.from(String(cursor), 'base64').toString('utf8'));
  if (!match) throw new QueryError(`Argument 'after' has an invalid cursor: ${cursor}`);
  return Number(match[1]);
}

/** The index of the bracket closing the one at `open`. */
function closing(text: string, open: number): number {
  const pair = text[open] === '(' ? ['(', ')'] : ['{', '}'];
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === pair[0]) depth++;
    else if (text[i] === pair[1] && --depth === 0) return i;
  }
  throw new QueryError(`Syntax error: unbalanced '${pair[0]}'`);
}

/** One selected field in a selection set: its arguments, directives and sub-selection. */
interface Field {
  name: string;
  args: string;
  directives: string;
  selection: string;
}

/**
 * The fields directly selected by the selection set `{ ... }` (aliases not supported: the client
 * under test uses none for org data).
 */
function fieldsOf(selection: string): Map<string, Field> {
  const out = new Map<string, Field>();
  const body = selection.trim().replace(/^\{/, '').replace(/\}$/, '');
  let i = 0;
  while (i < body.length) {
    const name = /^[\s,]*([A-Za-z_]\w*)/.exec(body.slice(i));
    if (!name) break;
    i += name[0].length;
    const field: Field = { name: name[1]!, args: '', directives: '', selection: '' };
    const rest = () => body.slice(i);
    let ws = /^\s*/.exec(rest())![0].length;
    if (body[i + ws] === '(') {
      const end = closing(body, i + ws);
      field.args = body.slice(i + ws + 1, end);
      i = end + 1;
    }
    for (;;) {
      ws = /^\s*/.exec(rest())![0].length;
      const directive = /^@\w+\s*\(/.exec(body.slice(i + ws));
      if (!directive) break;
      const open = i + ws + directive[0].length - 1;
      const end = closing(body, open);
      field.directives += body.slice(i + ws, end + 1);
      i = end + 1;
    }
    ws = /^\s*/.exec(rest())![0].length;
    if (body[i + ws] === '{') {
      const end = closing(body, i + ws);
      field.selection = body.slice(i + ws, end + 1);
      i = end + 1;
    }
    out.set(field.name, field);
  }
  return out;
}

/** A literal, enum or `$variable` argument. */
function argument(args: string, name: string, variables: Variables): unknown {
  const match = new RegExp(
    `\\b${name}\\s*:\\s*(\\$\\w+|"(?:[^"\\\\]|\\\\.)*"|-?\\d+|true|false|null|[A-Z_]+)`,
  ).exec(args);
  if (!match) return undefined;
  const raw = match[1]!;
  if (raw.startsWith('$')) return variables[raw.slice(1)];
  if (raw.startsWith('"')) return JSON.parse(raw);
  if (raw === 'null') return null;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (/^-?\d+$/.test(raw)) return Number(raw);
  return raw;
}

/** Whether `@include(if:)` / `@skip(if:)` keep the field. */
function included(field: Field, variables: Variables): boolean {
  const include = /@include\s*\(\s*if\s*:\s*([^)]*)\)/.exec(field.directives);
  if (include && argument(`if: ${include[1]}`, 'if', variables) !== true) return false;
  const skip = /@skip\s*\(\s*if\s*:\s*([^)]*)\)/.exec(field.directives);
  if (skip && argument(`if: ${skip[1]}`, 'if', variables) === true) return false;
  return true;
}

/** `first` as GitHub checks it: required, 1 to 100. */
function pageSize(field: Field, variables: Variables): number {
  const first = argument(field.args, 'first', variables);
  if (typeof first !== 'number' || !Number.isInteger(first) || first < 1 || first > 100)
    throw new QueryError(
      `Requesting between 1 and 100 records on the \`${field.name}\` connection is required (got first: ${JSON.stringify(first)}).`,
      'EXCESSIVE_PAGINATION',
    );
  return first;
}

export function addGithubOrgData(standin: GithubStandin): GithubOrgStandin {
  const orgs = new Map<string, StandinOrg>();
  const orgOf = (login: string): StandinOrg => {
    const org = orgs.get(login.toLowerCase());
    if (!org) throw new Error(`The stand-in has no organisation ${login}`);
    return org;
  };
  const teamOf = (org: StandinOrg, slug: string): StandinTeam => {
    const team = org.teams.get(slug.toLowerCase());
    if (!team) throw new Error(`The stand-in has no team ${org.login}/${slug}`);
    return team;
  };
  const avatar = (login: string) => `${standin.base}/avatars/${login}`;
  const orgApiUrl = (org: StandinOrg) => `${standin.apiBaseUrl}/orgs/${org.login}`;
  const orgsOfMember = (login: string) =>
    [...orgs.values()].filter((o) => o.members.has(login.toLowerCase())).map((o) => o.login);

  /** Members of `team` (and, for ALL, of every team below it), immediate ones first. */
  const teamMembers = (org: StandinOrg, team: StandinTeam, all: boolean): string[] => {
    const out = new Set(team.members);
    if (all) {
      for (const child of org.teams.values())
        if (child.parent?.toLowerCase() === team.slug.toLowerCase())
          for (const login of teamMembers(org, child, true)) out.add(login);
    }
    return [...out];
  };

  /** `{ pageInfo nodes }` of `items` for a connection field. */
  const page = <T>(
    field: Field,
    variables: Variables,
    items: T[],
    node: (item: T, nodeFields: Map<string, Field>) => Record<string, unknown>,
  ) => {
    const first = pageSize(field, variables);
    const start = decodeCursor(argument(field.args, 'after', variables));
    const slice = items.slice(start, start + first);
    const end = start + slice.length;
    const selected = fieldsOf(field.selection);
    const out: Record<string, unknown> = {};
    if (selected.has('pageInfo'))
      out.pageInfo = {
        hasNextPage: end < items.length,
        endCursor: slice.length ? encodeCursor(end) : null,
      };
    if (selected.has('totalCount')) out.totalCount = items.length;
    const nodes = selected.get('nodes');
    if (nodes) {
      const nodeFields = fieldsOf(nodes.selection);
      out.nodes = slice.map((item) => node(item, nodeFields));
    }
    return out;
  };

  const userNode = (
    member: Required<OrgMemberSpec>,
    fields: Map<string, Field>,
    variables: Variables,
  ) => {
    const out: Record<string, unknown> = {};
    for (const [name, field] of fields) {
      if (name === 'organizations') {
        const logins = orgsOfMember(member.login);
        out.organizations = page(field, variables, logins, (login, f) =>
          f.has('login') ? { login } : {},
        );
      } else if (name === '__typename') {
        out.__typename = 'User';
      } else if (name in member) {
        out[name] = member[name as keyof OrgMemberSpec];
      } else {
        throw new QueryError(`Field '${name}' doesn't exist on type 'User'`, 'undefinedField');
      }
    }
    return out;
  };

  const teamNode = (
    org: StandinOrg,
    team: StandinTeam,
    fields: Map<string, Field>,
    variables: Variables,
  ) => {
    const out: Record<string, unknown> = {};
    for (const [name, field] of fields) {
      switch (name) {
        case 'slug':
        case 'name':
        case 'description':
          out[name] = team[name];
          break;
        case 'combinedSlug':
          out.combinedSlug = `${org.login}/${team.slug}`;
          break;
        case 'avatarUrl':
          out.avatarUrl = `${standin.base}/team-avatars/${team.slug}`;
          break;
        case 'editTeamUrl':
          out.editTeamUrl = `${standin.base}/orgs/${org.login}/teams/${team.slug}/edit`;
          break;
        case 'parentTeam': {
          const parent = team.parent ? org.teams.get(team.parent.toLowerCase()) : undefined;
          out.parentTeam = parent
            ? teamNode(org, parent, fieldsOf(field.selection), variables)
            : null;
          break;
        }
        case 'members': {
          const membership = argument(field.args, 'membership', variables) ?? 'ALL';
          if (membership !== 'ALL' && membership !== 'IMMEDIATE' && membership !== 'CHILD_TEAM')
            throw new QueryError(`Argument 'membership' has an invalid value ${membership}`);
          const logins =
            membership === 'IMMEDIATE'
              ? team.members
              : membership === 'ALL'
                ? teamMembers(org, team, true)
                : teamMembers(org, team, true).filter((l) => !team.members.includes(l));
          out.members = page(field, variables, logins, (login, f) =>
            userNode(org.members.get(login.toLowerCase())!, f, variables),
          );
          break;
        }
        default:
          throw new QueryError(`Field '${name}' doesn't exist on type 'Team'`, 'undefinedField');
      }
    }
    return out;
  };

  /** GitHub's cost: the requests each connection needs (times its parents' `first`), /100, ≥ 1. */
  const costOf = (selection: string, variables: Variables, multiplier = 1): number => {
    let sum = 0;
    for (const field of fieldsOf(selection).values()) {
      if (!included(field, variables)) continue;
      const first = argument(field.args, 'first', variables);
      if (typeof first === 'number') {
        sum += multiplier;
        sum += costOf(field.selection, variables, multiplier * first);
      } else if (field.selection) {
        sum += costOf(field.selection, variables, multiplier);
      }
    }
    return sum;
  };

  const resolve = ({ query, variables }: GraphqlContext): Answer => {
    const start = query.indexOf('{');
    if (start < 0) return { errors: [{ message: 'Syntax error: no selection set' }], cost: 1 };
    const root = query.slice(start, closing(query, start) + 1);
    const cost = Math.max(1, Math.round(costOf(root, variables) / 100));
    const data: Record<string, unknown> = {};
    const errors: unknown[] = [];
    try {
      for (const [name, field] of fieldsOf(root)) {
        if (name === 'rateLimit') continue; // the stand-in fills it in
        if (name === 'viewer') {
          const viewer: Record<string, unknown> = {};
          for (const [sub, subField] of fieldsOf(field.selection)) {
            if (sub === 'login') viewer.login = 'standin-user';
            else if (sub === 'organizations')
              viewer.organizations = page(
                subField,
                variables,
                [...orgs.values()].map((o) => o.login),
                (login, f) => (f.has('login') ? { login } : {}),
              );
            else throw new QueryError(`Field '${sub}' doesn't exist on type 'User'`);
          }
          data.viewer = viewer;
          continue;
        }
        if (name !== 'organization')
          throw new QueryError(`The stand-in's org data has no root field '${name}'`);
        const login = String(argument(field.args, 'login', variables) ?? '');
        const org = orgs.get(login.toLowerCase());
        if (!org) {
          data.organization = null;
          errors.push({
            type: 'NOT_FOUND',
            path: ['organization'],
            message: `Could not resolve to an Organization with the login of '${login}'.`,
          });
          continue;
        }
        const out: Record<string, unknown> = {};
        for (const [sub, subField] of fieldsOf(field.selection)) {
          if (!included(subField, variables)) continue;
          if (sub === 'login') out.login = org.login;
          else if (sub === 'membersWithRole')
            out.membersWithRole = page(subField, variables, [...org.members.values()], (m, f) =>
              userNode(m, f, variables),
            );
          else if (sub === 'teams')
            out.teams = page(subField, variables, [...org.teams.values()], (t, f) =>
              teamNode(org, t, f, variables),
            );
          else if (sub === 'team') {
            const slug = String(argument(subField.args, 'slug', variables) ?? '');
            const team = org.teams.get(slug.toLowerCase());
            out.team = team ? teamNode(org, team, fieldsOf(subField.selection), variables) : null;
          } else throw new QueryError(`Field '${sub}' doesn't exist on type 'Organization'`);
        }
        data.organization = out;
      }
    } catch (error) {
      const e = error as QueryError;
      return { errors: [{ message: e.message, ...(e.type ? { type: e.type } : {}) }], cost };
    }
    return { data, ...(errors.length ? { errors } : {}), cost };
  };

  standin.addGraphql({
    matches: (query) => /\b(membersWithRole|teams?\s*\(|viewer\s*\{)/.test(query),
    resolve,
  });

  const memberJson = (org: StandinOrg, login: string) => {
    const member = org.members.get(login.toLowerCase());
    return {
      login: member?.login ?? login,
      type: 'User',
      avatar_url: member?.avatarUrl ?? avatar(login),
      html_url: `${standin.base}/${login}`,
      ...(member?.name ? { name: member.name } : {}),
      ...(member?.email ? { email: member.email } : {}),
    };
  };
  const teamJson = (org: StandinOrg, slug: string) => {
    const team = org.teams.get(slug.toLowerCase());
    const parent = team?.parent ? org.teams.get(team.parent.toLowerCase()) : undefined;
    return {
      slug: team?.slug ?? slug,
      name: team?.name ?? slug,
      description: team?.description ?? null,
      html_url: `${standin.base}/orgs/${org.login}/teams/${slug}`,
      parent: parent ? { slug: parent.slug, name: parent.name } : null,
    };
  };
  const orgJson = (org: StandinOrg) => ({ login: org.login, url: orgApiUrl(org) });

  return {
    orgs,
    addOrg(login) {
      if (orgs.has(login.toLowerCase())) throw new Error(`The stand-in already has ${login}`);
      const org: StandinOrg = { login, members: new Map(), teams: new Map() };
      orgs.set(login.toLowerCase(), org);
      return org;
    },
    addMember(orgLogin, spec) {
      const org = orgOf(orgLogin);
      org.members.set(spec.login.toLowerCase(), {
        login: spec.login,
        name: spec.name ?? null,
        email: spec.email ?? null,
        avatarUrl: spec.avatarUrl === undefined ? avatar(spec.login) : spec.avatarUrl,
        bio: spec.bio ?? null,
        company: spec.company ?? null,
        location: spec.location ?? null,
      });
    },
    removeMember(orgLogin, login) {
      const org = orgOf(orgLogin);
      org.members.delete(login.toLowerCase());
      for (const team of org.teams.values())
        team.members = team.members.filter((l) => l.toLowerCase() !== login.toLowerCase());
    },
    addTeam(orgLogin, spec) {
      const org = orgOf(orgLogin);
      for (const login of spec.members ?? [])
        if (!org.members.has(login.toLowerCase()))
          throw new Error(`${login} is not a member of ${org.login}: add the member first`);
      org.teams.set(spec.slug.toLowerCase(), {
        slug: spec.slug,
        name: spec.name ?? spec.slug,
        description: spec.description ?? null,
        parent: spec.parent ?? null,
        members: [...(spec.members ?? [])],
      });
    },
    removeTeam(orgLogin, slug) {
      const org = orgOf(orgLogin);
      teamOf(org, slug);
      org.teams.delete(slug.toLowerCase());
      // GitHub deletes the child teams with their parent.
      for (const team of [...org.teams.values()])
        if (team.parent?.toLowerCase() === slug.toLowerCase()) this.removeTeam(orgLogin, team.slug);
    },
    addToTeam(orgLogin, slug, login) {
      const org = orgOf(orgLogin);
      if (!org.members.has(login.toLowerCase()))
        throw new Error(`${login} is not a member of ${org.login}`);
      const team = teamOf(org, slug);
      if (!team.members.some((l) => l.toLowerCase() === login.toLowerCase()))
        team.members.push(login);
    },
    removeFromTeam(orgLogin, slug, login) {
      const team = teamOf(orgOf(orgLogin), slug);
      team.members = team.members.filter((l) => l.toLowerCase() !== login.toLowerCase());
    },
    orgQueries() {
      return standin.requests.filter(
        (r) => r.graphql && /\b(membersWithRole|teams?\s*\(|viewer\s*\{)/.test(r.graphql.query),
      );
    },
    events: {
      membership(orgLogin, action, slug, login) {
        const org = orgOf(orgLogin);
        return {
          action,
          scope: 'team',
          member: memberJson(org, login),
          team: teamJson(org, slug),
          organization: orgJson(org),
          sender: { login: 'standin-admin' },
        };
      },
      team(orgLogin, action, slug) {
        const org = orgOf(orgLogin);
        return {
          action,
          team: teamJson(org, slug),
          organization: orgJson(org),
          sender: { login: 'standin-admin' },
        };
      },
      organization(orgLogin, action, login) {
        const org = orgOf(orgLogin);
        return {
          action,
          membership: { user: memberJson(org, login), role: 'member', state: 'active' },
          organization: orgJson(org),
          sender: { login: 'standin-admin' },
        };
      },
    },
  };
}
