/**
 * Reads a GitHub organisation's members and teams through the GraphQL API, page by page: the
 * first request asks for the first page of both, later ones only for what still has pages, so
 * an organisation of up to 100 members and 50 teams costs one request. Team members come by
 * login only (`membership: IMMEDIATE`, so nested teams do not repeat their children's members);
 * profiles come from the organisation's member list.
 */
import type {
  GithubAuthTarget,
  GithubCredentials,
} from '../../../../../core/reading/github-credentials.ts';
import type { ScmHttpClient } from '../../../../../core/reading/scm-http.ts';

/** One organisation member, with the profile fields transformer templates may use. */
export interface GithubMember {
  login: string;
  name: string | null;
  email: string | null;
  avatarUrl: string | null;
  bio: string | null;
  company: string | null;
  location: string | null;
  /** Logins of the member's organisations; only asked for when a provider reads several. */
  organizations?: string[];
}

export interface GithubTeam {
  slug: string;
  combinedSlug: string;
  name: string;
  description: string | null;
  avatarUrl: string | null;
  editTeamUrl: string | null;
  parentSlug: string | null;
  /** Logins of the immediate members. */
  members: string[];
}

export interface GithubOrgData {
  org: string;
  members: GithubMember[];
  teams: GithubTeam[];
}

/** Where queries go, and whose credentials they carry (the org's installation, or the token). */
export interface GraphqlEndpoint {
  url: string;
  credentials: GithubCredentials;
  target: GithubAuthTarget;
}

export const MEMBERS_PAGE = 100;
export const TEAMS_PAGE = 50;
export const TEAM_MEMBERS_PAGE = 100;

const MEMBER_FIELDS = 'login name email avatarUrl bio company location';

const ORG_QUERY = (withOrganizations: boolean) => `
query orgData($org: String!, $withMembers: Boolean!, $membersFirst: Int!, $membersAfter: String, $withTeams: Boolean!, $teamsFirst: Int!, $teamsAfter: String, $teamMembersFirst: Int!) {
  rateLimit { cost remaining resetAt }
  organization(login: $org) {
    login
    membersWithRole(first: $membersFirst, after: $membersAfter) @include(if: $withMembers) {
      pageInfo { hasNextPage endCursor }
      nodes { ${MEMBER_FIELDS}${withOrganizations ? ' organizations(first: 100) { nodes { login } }' : ''} }
    }
    teams(first: $teamsFirst, after: $teamsAfter) @include(if: $withTeams) {
      pageInfo { hasNextPage endCursor }
      nodes {
        slug combinedSlug name description avatarUrl editTeamUrl
        parentTeam { slug }
        members(first: $teamMembersFirst, membership: IMMEDIATE) {
          pageInfo { hasNextPage endCursor }
          nodes { login }
        }
      }
    }
  }
}`;

const TEAM_MEMBERS_QUERY = `
query teamMembers($org: String!, $slug: String!, $first: Int!, $after: String) {
  rateLimit { cost remaining resetAt }
  organization(login: $org) {
    team(slug: $slug) {
      members(first: $first, after: $after, membership: IMMEDIATE) {
        pageInfo { hasNextPage endCursor }
        nodes { login }
      }
    }
  }
}`;

const VIEWER_ORGS_QUERY = `
query viewerOrgs($first: Int!, $after: String) {
  rateLimit { cost remaining resetAt }
  viewer {
    organizations(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { login }
    }
  }
}`;

interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}
interface Connection<T> {
  pageInfo: PageInfo;
  nodes: T[];
}
interface RawMember extends Omit<GithubMember, 'organizations'> {
  organizations?: { nodes: { login: string }[] };
}
interface RawTeam {
  slug: string;
  combinedSlug: string;
  name: string;
  description: string | null;
  avatarUrl: string | null;
  editTeamUrl: string | null;
  parentTeam: { slug: string } | null;
  members: Connection<{ login: string }>;
}

/** GitHub's GraphQL endpoint for a REST `apiBaseUrl`: `…/api/v3` → `…/api/graphql`. */
export function graphqlUrlOf(apiBaseUrl: string): string {
  const base = apiBaseUrl.replace(/\/+$/, '');
  return /\/v3$/.test(base) ? base.replace(/\/v3$/, '/graphql') : `${base}/graphql`;
}

/** Sends one query; a GraphQL error or a non-200 answer is an Error saying what GitHub said. */
export async function graphqlQuery<T>(
  client: ScmHttpClient,
  endpoint: GraphqlEndpoint,
  query: string,
  variables: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<T> {
  const response = await endpoint.credentials.request(
    client,
    endpoint.url,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query, variables }),
      signal,
      cache: false,
    },
    endpoint.target,
  );
  const host = new URL(endpoint.url).host;
  if (response.status === 401)
    throw new Error(
      `${host} refused the credentials (HTTP 401): check integrations.github's token or apps`,
    );
  if (response.status !== 200) {
    throw new Error(
      `${host} answered HTTP ${response.status} to a GraphQL query: ${response.text.slice(0, 200)}`,
    );
  }
  let body: { data?: T; errors?: { message?: string; type?: string }[] };
  try {
    body = response.json();
  } catch {
    throw new Error(`${host} answered a GraphQL query with something that is not JSON`);
  }
  if (body.errors?.length) {
    throw new Error(
      `GitHub GraphQL: ${body.errors.map((e) => `${e.type ? `${e.type}: ` : ''}${e.message ?? 'error'}`).join('; ')}`,
    );
  }
  if (!body.data) throw new Error(`${host} answered a GraphQL query without data`);
  return body.data;
}

/** Every member and team of `org` (team members paged beyond the first page one team at a time). */
export async function fetchOrgData(
  client: ScmHttpClient,
  endpoint: GraphqlEndpoint,
  org: string,
  options: { withOrganizations?: boolean; signal?: AbortSignal } = {},
): Promise<GithubOrgData> {
  const members: GithubMember[] = [];
  const teams: GithubTeam[] = [];
  const unfinished: { team: GithubTeam; after: string | null }[] = [];
  let membersAfter: string | null = null;
  let teamsAfter: string | null = null;
  let withMembers = true;
  let withTeams = true;
  let login = org;
  const query = ORG_QUERY(options.withOrganizations ?? false);
  while (withMembers || withTeams) {
    const data: {
      organization: {
        login: string;
        membersWithRole?: Connection<RawMember>;
        teams?: Connection<RawTeam>;
      } | null;
    } = await graphqlQuery(
      client,
      endpoint,
      query,
      {
        org,
        withMembers,
        membersFirst: MEMBERS_PAGE,
        membersAfter,
        withTeams,
        teamsFirst: TEAMS_PAGE,
        teamsAfter,
        teamMembersFirst: TEAM_MEMBERS_PAGE,
      },
      options.signal,
    );
    const organization = data.organization;
    if (!organization)
      throw new Error(`GitHub has no organisation ${org} (or the token cannot see it)`);
    login = organization.login ?? org;
    if (withMembers) {
      const page = organization.membersWithRole;
      if (!page) throw new Error(`GitHub answered without the members of ${org}`);
      for (const raw of page.nodes) {
        const { organizations, ...profile } = raw;
        members.push({
          ...profile,
          ...(organizations ? { organizations: organizations.nodes.map((o) => o.login) } : {}),
        });
      }
      withMembers = nextPage(page.pageInfo, membersAfter, `the members of ${org}`);
      membersAfter = page.pageInfo.endCursor;
    }
    if (withTeams) {
      const page = organization.teams;
      if (!page) throw new Error(`GitHub answered without the teams of ${org}`);
      for (const raw of page.nodes) {
        const team: GithubTeam = {
          slug: raw.slug,
          combinedSlug: raw.combinedSlug ?? `${login}/${raw.slug}`,
          name: raw.name,
          description: raw.description,
          avatarUrl: raw.avatarUrl,
          editTeamUrl: raw.editTeamUrl,
          parentSlug: raw.parentTeam?.slug ?? null,
          members: raw.members.nodes.map((m) => m.login),
        };
        teams.push(team);
        if (raw.members.pageInfo.hasNextPage)
          unfinished.push({ team, after: raw.members.pageInfo.endCursor });
      }
      withTeams = nextPage(page.pageInfo, teamsAfter, `the teams of ${org}`);
      teamsAfter = page.pageInfo.endCursor;
    }
  }
  for (const { team, after: first } of unfinished) {
    let after = first;
    for (;;) {
      const data: {
        organization: { team: { members: Connection<{ login: string }> } | null } | null;
      } = await graphqlQuery(
        client,
        endpoint,
        TEAM_MEMBERS_QUERY,
        { org, slug: team.slug, first: TEAM_MEMBERS_PAGE, after },
        options.signal,
      );
      const page = data.organization?.team?.members;
      if (!page) throw new Error(`GitHub has no team ${org}/${team.slug} any more`);
      team.members.push(...page.nodes.map((m) => m.login));
      if (!nextPage(page.pageInfo, after, `the members of team ${org}/${team.slug}`)) break;
      after = page.pageInfo.endCursor;
    }
  }
  return { org: login, members, teams };
}

/** The logins of every organisation the token's user belongs to. */
export async function fetchViewerOrgs(
  client: ScmHttpClient,
  endpoint: GraphqlEndpoint,
  signal?: AbortSignal,
): Promise<string[]> {
  const orgs: string[] = [];
  let after: string | null = null;
  for (;;) {
    const data: { viewer: { organizations: Connection<{ login: string }> } } = await graphqlQuery(
      client,
      endpoint,
      VIEWER_ORGS_QUERY,
      { first: 100, after },
      signal,
    );
    const page = data.viewer.organizations;
    orgs.push(...page.nodes.map((o) => o.login));
    if (!nextPage(page.pageInfo, after, 'your organisations')) break;
    after = page.pageInfo.endCursor;
  }
  return orgs;
}

/** Whether to ask for another page; a server that repeats a cursor would otherwise loop forever. */
function nextPage(info: PageInfo, previous: string | null, what: string): boolean {
  if (!info.hasNextPage) return false;
  if (!info.endCursor || info.endCursor === previous)
    throw new Error(`GitHub paged ${what} without a new cursor`);
  return true;
}
