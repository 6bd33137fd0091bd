/**
 * GitLab organisation data (`orgEnabled: true` on a `catalog.providers.gitlab` entry, as in
 * Backstage): the group and its subgroups become Group entities (`spec.type: team`, parent and
 * children from the group paths), users become User entities with `memberOf`, through the
 * declared `userTransformer`. The provider `gitlabOrg:<id>` owns one location of type
 * `gitlab-org` whose reader produces those entities; a scan reads the organisation and hands
 * the result over as `prefetched` (its version a hash, so an unchanged organisation is not
 * ingested again; a changed one is read from that text, without asking GitLab twice). Group,
 * user and membership events refresh the location.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { GITLAB_USER_FIELDS } from '../../../../../core/config/gitlab-providers.ts';
import { ScmHttpClient } from '../../../../../core/reading/scm-http.ts';
import type { Entity, Problem } from '../../../../../model/entity.ts';
import {
  hashText,
  type LocationReader,
  type PrefetchedFiles,
  type ReadResult,
} from '../../ingest/readers.ts';
import type {
  CatalogProvider,
  CatalogProviderFactory,
  ProviderContext,
  ProviderEffect,
  ProviderError,
  ScanResult,
  WebhookEvent,
} from '../types.ts';
import { renderUserEntity, type UserTransformerConfig } from '../user-transformer.ts';
import { GitlabApi } from './api.ts';
import { annotationHost, type GitlabCatalogProviderConfig, gitlabTarget } from './config.ts';
import { eventGroupPaths, gitlabEventName, ORG_EVENTS } from './events.ts';

export const GITLAB_ORG_LOCATION_TYPE = 'gitlab-org';

/** A group as `/groups/:id` and `/descendant_groups` describe it. */
export interface GitlabGroup {
  id: number;
  name: string;
  path: string;
  full_path: string;
  parent_id: number | null;
  description?: string | null;
}

/** A user as `/users` or a member list (`/groups/:id/members`) describes it. */
export interface GitlabUser {
  id: number;
  username: string;
  name?: string;
  state?: string;
  email?: string | null;
  public_email?: string | null;
  avatar_url?: string | null;
  web_url?: string;
  bot?: boolean;
}

export interface GitlabOrgSnapshot {
  /** The entities as YAML documents, in a stable order. */
  content: string;
  /** Hash of `content`. */
  version: string;
  errors: ProviderError[];
  groupsSeen: number;
  groupIds: Set<number>;
  userIds: Set<number>;
}

/** Backstage's default group name: the path below the configured group, `/` turned into `-`. */
export function gitlabGroupName(fullPath: string, rootGroup: string): string {
  if (rootGroup && fullPath.startsWith(`${rootGroup}/`)) {
    return fullPath.slice(rootGroup.length + 1).replaceAll('/', '-');
  }
  return fullPath.replaceAll('/', '-');
}

/** The transformer used for keys the config leaves out: Backstage's default user transformer. */
function defaultTransformer(host: string): UserTransformerConfig {
  return {
    name: '{username}',
    displayName: '{name}',
    email: '{email}',
    picture: '{avatar_url}',
    annotations: { [`${annotationHost(host)}/user-login`]: '{web_url}' },
  };
}

/** The profile fields templates see (GITLAB_USER_FIELDS); `email` falls back to `public_email`. */
function profileOf(user: GitlabUser): Record<string, unknown> {
  const profile: Record<string, unknown> = {
    id: user.id,
    username: user.username,
    name: user.name ?? '',
    email: user.email || user.public_email || '',
    public_email: user.public_email ?? '',
    avatar_url: user.avatar_url ?? '',
    state: user.state ?? '',
    web_url: user.web_url ?? '',
  };
  for (const key of Object.keys(profile)) {
    if (!(GITLAB_USER_FIELDS as readonly string[]).includes(key)) delete profile[key];
  }
  return profile;
}

/**
 * Reads the organisation: groups (the configured group and its descendants, or every group of
 * the instance), the members of each, and the users (members of the groups, or every active
 * user of a self-managed instance), and renders the entities.
 */
export async function readGitlabOrg(
  config: GitlabCatalogProviderConfig,
  api: GitlabApi,
  signal?: AbortSignal,
): Promise<GitlabOrgSnapshot> {
  const source = config.group || config.host;
  let groups: GitlabGroup[];
  if (config.group) {
    const root = await api.get<GitlabGroup>(
      `/groups/${encodeURIComponent(config.group)}`,
      {},
      signal,
    );
    if (!root) throw new Error(`GitLab group ${config.group} does not exist on ${config.host}`);
    const descendants = await api.all<GitlabGroup>(
      `/groups/${root.id}/descendant_groups`,
      { all_available: true },
      signal,
    );
    groups = [root, ...descendants];
  } else {
    groups = await api.all<GitlabGroup>('/groups', { all_available: true }, signal);
  }
  groups.sort((a, b) => a.full_path.localeCompare(b.full_path));
  const patterns = config.groupPattern.map((p) => new RegExp(p));
  const wanted = groups.filter(
    (g) => patterns.length === 0 || patterns.some((p) => p.test(g.full_path)),
  );
  // Users from member lists when restricted, and on gitlab.com (whose /users is everyone);
  // then every group's members count, also of groups groupPattern leaves out.
  const fromMembers = config.restrictUsersToGroup || config.host.toLowerCase() === 'gitlab.com';
  const inherited = config.relations.includes('INHERITED');
  const membersOf = new Map<number, GitlabUser[]>();
  for (const group of fromMembers ? groups : wanted) {
    membersOf.set(
      group.id,
      await api.all<GitlabUser>(
        `/groups/${group.id}/members${inherited ? '/all' : ''}`,
        {},
        signal,
      ),
    );
  }
  const users = new Map<number, GitlabUser>();
  if (fromMembers) {
    for (const members of membersOf.values()) {
      for (const member of members) if (!users.has(member.id)) users.set(member.id, member);
    }
  } else {
    for (const user of await api.all<GitlabUser>(
      '/users',
      { active: true, exclude_internal: true, pagination: 'keyset', order_by: 'id', sort: 'asc' },
      signal,
    )) {
      users.set(user.id, user);
    }
  }

  const names = new Map(wanted.map((g) => [g.id, gitlabGroupName(g.full_path, config.group)]));
  const memberOf = new Map<number, string[]>();
  for (const group of wanted) {
    for (const member of membersOf.get(group.id) ?? []) {
      const list = memberOf.get(member.id) ?? [];
      list.push(names.get(group.id)!);
      memberOf.set(member.id, list);
    }
  }

  const host = annotationHost(config.host);
  const entities: Entity[] = [];
  for (const group of wanted) {
    const parent = group.parent_id !== null ? names.get(group.parent_id) : undefined;
    const children = wanted.filter((g) => g.parent_id === group.id).map((g) => names.get(g.id)!);
    entities.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: {
        name: names.get(group.id)!,
        ...(group.description ? { description: group.description } : {}),
        annotations: { [`${host}/team-path`]: group.full_path },
      },
      spec: {
        type: 'team',
        profile: { displayName: group.name },
        ...(parent ? { parent } : {}),
        children,
      },
    });
  }

  const errors: ProviderError[] = [];
  const userPattern = new RegExp(config.userPattern);
  const userIds = new Set<number>();
  const defaults = defaultTransformer(config.host);
  const rendered: Entity[] = [];
  for (const user of [...users.values()].sort((a, b) => a.username.localeCompare(b.username))) {
    if (user.state && user.state !== 'active') continue;
    if (user.bot) continue;
    if (!userPattern.test(user.email || user.public_email || user.username)) continue;
    const { entity, error } = renderUserEntity(profileOf(user), config.userTransformer, defaults);
    if (error || !entity) {
      errors.push({ source, message: error ?? `User ${user.username} could not be rendered` });
      continue;
    }
    userIds.add(user.id);
    const groupsOfUser = [...new Set(memberOf.get(user.id) ?? [])].sort();
    entity.spec = { ...entity.spec, memberOf: groupsOfUser };
    rendered.push(entity);
  }
  entities.push(...rendered);

  const content = entities.map((entity) => stringify(entity)).join('---\n');
  return {
    content,
    version: createHash('sha256').update(content).digest('hex'),
    errors,
    groupsSeen: groups.length,
    groupIds: new Set([...groups.map((g) => g.id)]),
    userIds,
  };
}

export class GitlabOrgProvider implements CatalogProvider {
  readonly id: string;
  readonly title: string;
  readonly frequencyMs: number | null;
  readonly initialDelayMs: number;
  readonly timeoutMs: number;
  readonly api: GitlabApi;
  /** The location this provider owns: the group's web address (the instance's for no group). */
  readonly target: string;
  private groupIds = new Set<number>();
  private userIds = new Set<number>();
  /** The last snapshot read: the problems of a prefetched read are those of its content. */
  private last?: GitlabOrgSnapshot;

  constructor(
    readonly config: GitlabCatalogProviderConfig,
    ctx: ProviderContext,
    options: { maxWaitMs?: number; backoffMs?: number } = {},
  ) {
    this.id = `gitlabOrg:${config.id}`;
    this.title = `GitLab org data ${config.group ? `${config.host}/${config.group}` : config.host}`;
    this.frequencyMs = config.schedule.frequencyMs;
    this.initialDelayMs = config.schedule.initialDelayMs;
    this.timeoutMs = config.schedule.timeoutMs;
    const key =
      config.id === 'default'
        ? 'catalog.providers.gitlab'
        : `catalog.providers.gitlab.${config.id}`;
    const target = gitlabTarget(config, ctx.config, key);
    this.api = new GitlabApi(
      target,
      new ScmHttpClient({
        policy: ctx.policy,
        logger: ctx.logger,
        ...(options.maxWaitMs !== undefined ? { maxWaitMs: options.maxWaitMs } : {}),
        ...(options.backoffMs !== undefined ? { backoffMs: options.backoffMs } : {}),
      }),
    );
    this.target = config.group ? `${target.webBaseUrl}/${config.group}` : target.webBaseUrl;
  }

  async scan(signal: AbortSignal): Promise<ScanResult> {
    this.api.client.resetCost();
    const source = this.config.group || this.config.host;
    try {
      const data = await this.read(signal);
      return {
        locations: [
          {
            type: GITLAB_ORG_LOCATION_TYPE,
            target: this.target,
            source,
            prefetched: { content: data.content, version: data.version },
          },
        ],
        repositoriesSeen: data.groupsSeen,
        cost: this.api.client.cost(),
        errors: data.errors,
        complete: true,
      };
    } catch (error) {
      if (signal.aborted) throw error;
      return {
        locations: [],
        repositoriesSeen: 0,
        cost: this.api.client.cost(),
        errors: [{ source, message: (error as Error).message }],
        complete: false,
      };
    }
  }

  /** Reads the organisation now (for a scan, or for the location's reader). */
  async read(signal?: AbortSignal): Promise<GitlabOrgSnapshot> {
    const data = await readGitlabOrg(this.config, this.api, signal);
    this.groupIds = data.groupIds;
    this.userIds = data.userIds;
    this.last = data;
    return data;
  }

  /** The problems found when `content` was built, if this provider built it. */
  errorsOf(content: string): ProviderError[] | undefined {
    return this.last?.content === content ? this.last.errors : undefined;
  }

  async onEvent(event: WebhookEvent, signal?: AbortSignal): Promise<ProviderEffect | undefined> {
    const name = gitlabEventName(event);
    if (!name || !ORG_EVENTS.has(name)) return undefined;
    const payload = event.payload;
    const group = this.config.group;
    const inScope = (path: string) => !group || path === group || path.startsWith(`${group}/`);
    const groupId = Number(payload.group_id);
    const userId = Number(payload.user_id);
    let relevant =
      this.groupIds.has(groupId) ||
      eventGroupPaths(payload).some(inScope) ||
      (name.startsWith('user_') &&
        !name.includes('group') &&
        (this.userIds.has(userId) || !this.config.restrictUsersToGroup));
    if (!relevant && Number.isInteger(groupId) && name.includes('group')) {
      // Member events name the group by its own path only; a replica that has not scanned yet
      // does not know its id: GitLab tells where the group is.
      const found = await this.api.get<GitlabGroup>(`/groups/${groupId}`, {}, signal);
      relevant = found !== undefined && inScope(found.full_path);
    }
    if (!relevant) return undefined;
    return { refresh: [{ type: GITLAB_ORG_LOCATION_TYPE, target: this.target }] };
  }
}

/** Reads `gitlab-org` locations: the organisation of the provider whose target it is. */
export class GitlabOrgReader implements LocationReader {
  readonly type = GITLAB_ORG_LOCATION_TYPE;

  constructor(
    private readonly providers: GitlabOrgProvider[],
    /** The text of the scan that lists the location, during the read that follows it. */
    private readonly prefetched?: PrefetchedFiles,
  ) {}

  async read(target: string): Promise<ReadResult> {
    const provider = this.providers.find((p) => p.target === target);
    const problem = (message: string): ReadResult => ({
      files: [],
      problems: [{ level: 'error', name: 'NotFoundError', message, file: target }],
    });
    if (!provider) {
      return problem(
        `No GitLab org provider reads ${target}; it belongs to a catalog.providers.gitlab entry with orgEnabled: true that is no longer configured`,
      );
    }
    let data: { content: string; errors: ProviderError[] };
    const prefetched = this.prefetched?.get(target);
    try {
      data =
        prefetched !== undefined
          ? { content: prefetched, errors: provider.errorsOf(prefetched) ?? [] }
          : await provider.read();
    } catch (error) {
      return problem(`Reading the GitLab organisation ${target}: ${(error as Error).message}`);
    }
    const problems: Problem[] = data.errors.map((e) => ({
      level: 'error',
      message: e.message,
      file: target,
    }));
    return {
      files: [
        {
          type: GITLAB_ORG_LOCATION_TYPE,
          target,
          // As Backstage's org providers write `managed-by-location`: the URL it came from.
          locationRef: `url:${target}`,
          content: data.content,
          hash: hashText(data.content),
        },
      ],
      problems,
    };
  }

  resolve(_base: string, target: string): string {
    return target;
  }

  async readReferenced(): Promise<{ target: string; content: string }> {
    throw new Error('GitLab org data has no files to reference with $text, $json or $yaml');
  }
}

/**
 * `gitlabOrg:<id>` for each `catalog.providers.gitlab` entry with `orgEnabled: true`, and the
 * reader of their `gitlab-org` locations.
 */
export const gitlabOrgFactory: CatalogProviderFactory = {
  name: 'gitlabOrg',
  create(ctx) {
    const providers = ctx.config.catalog.providers.gitlab
      .filter((config) => config.orgEnabled)
      .map((config) => new GitlabOrgProvider(config, ctx));
    const byTarget = new Map<string, string>();
    for (const provider of providers) {
      const other = byTarget.get(provider.target);
      if (other) {
        throw new Error(
          `catalog.providers.gitlab.${other} and catalog.providers.gitlab.${provider.config.id} both read the organisation ${provider.target}; keep orgEnabled on one of them`,
        );
      }
      byTarget.set(provider.target, provider.config.id);
    }
    return { providers, readers: [new GitlabOrgReader(providers, ctx.prefetched)] };
  },
};
