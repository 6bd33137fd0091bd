import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import {
  type FakeScm,
  type RecordedRequest,
  type RouteResult,
  startFakeScm,
} from '../../src/plugins/scaffolder/server/actions/publish/fake-scm.testkit.ts';

/**
 * A local stand-in for GitLab's REST API v4, for the catalog's GitLab discovery and org
 * providers: a group hierarchy, projects that are real bare git repositories on disk (file
 * contents and trees come from git; smart HTTP under `/git/<path>.git` through the FakeScm it
 * runs on), users and memberships. It paginates like GitLab (offset with `x-next-page` and a
 * `Link` header; keyset on `/projects` and `/users`), answers `If-None-Match` with 304, enforces
 * a rate limit (`RateLimit-*` headers; 429 with `Retry-After` when exhausted; GitLab counts
 * 304s too) and records every API request. Methods change its state the way GitLab's UI would
 * and return the webhook payloads GitLab would send. (Tests and benchmarks only.)
 */

const run = promisify(execFile);

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Stand-in',
  GIT_AUTHOR_EMAIL: 'standin@example.com',
  GIT_COMMITTER_NAME: 'Stand-in',
  GIT_COMMITTER_EMAIL: 'standin@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

async function git(
  bare: string,
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<string> {
  if (options.input === undefined) {
    const { stdout } = await run('git', ['--git-dir', bare, ...args], {
      env: { ...GIT_ENV, ...options.env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  }
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      ['--git-dir', bare, ...args],
      { env: { ...GIT_ENV, ...options.env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
    child.stdin?.end(options.input);
  });
}

async function gitOrUndefined(bare: string, args: string[]): Promise<string | undefined> {
  try {
    return (await git(bare, args)).trim();
  } catch {
    return undefined;
  }
}

export interface StandinGroup {
  id: number;
  name: string;
  path: string;
  full_path: string;
  parent_id: number | null;
  description: string;
  visibility: 'public' | 'internal' | 'private';
}

export interface StandinProject {
  id: number;
  name: string;
  /** `group/sub/name`: also the bare repository's place under the git root. */
  pathWithNamespace: string;
  /** Null while the repository has no commit, as GitLab answers for an empty project. */
  defaultBranch: string | null;
  archived: boolean;
  topics: string[];
  visibility: 'public' | 'internal' | 'private';
  forkedFrom?: number;
  lastActivityAt: string;
}

export interface StandinUser {
  id: number;
  username: string;
  name: string;
  /** Seen by administrators only (`/users`), as on GitLab. */
  email?: string;
  public_email?: string;
  avatar_url?: string;
  state: 'active' | 'blocked' | 'deactivated';
  bot?: boolean;
}

/** One API request as the stand-in answered it. */
export interface StandinRequest {
  method: string;
  /** Path and query, e.g. `/api/v4/groups/acme/projects?page=2`. */
  path: string;
  status: number;
  token?: string;
  ifNoneMatch?: string;
}

export interface StandinRateLimit {
  /** Requests per window. */
  limit: number;
  windowMs: number;
  /** GitLab counts conditional requests answered 304 like any other. Default true. */
  countNotModified?: boolean;
}

/** Files to commit: text, or null to delete the file. */
export type FileChanges = Record<string, string | null>;

/** The body of a GitLab `push` webhook (Push Hook), as GitLab sends it. */
export type PushPayload = Record<string, unknown> & {
  object_kind: 'push';
  project_id: number;
  ref: string;
};

/** A route's view of its request: the path match, the query, and the path (for `Link`). */
interface Call {
  match: RegExpMatchArray;
  q: URLSearchParams;
  path: string;
}

type Handler = (call: Call) => Promise<RouteResult> | RouteResult;

const ACCESS_DEVELOPER = 30;

function encodeEtag(body: string): string {
  return `W/"${createHash('sha1').update(body).digest('hex')}"`;
}

function now(): string {
  return new Date().toISOString();
}

export class GitlabStandin {
  readonly base: string;
  readonly api: string;
  /** `127.0.0.1:<port>`: the `host` to configure under `integrations.gitlab`. */
  readonly host: string;
  readonly requests: StandinRequest[] = [];
  readonly groups = new Map<number, StandinGroup>();
  readonly projects = new Map<number, StandinProject>();
  readonly users = new Map<number, StandinUser>();
  /** group id → user id → access level. */
  readonly members = new Map<number, Map<number, number>>();
  rateLimit?: StandinRateLimit;
  private used = 0;
  private windowStart = 0;
  private nextId = 1;
  private readonly routes: Array<{ method: string; pattern: RegExp; handler: Handler }> = [];
  private readonly failures: Array<{
    method: string;
    pattern: RegExp;
    result: RouteResult;
    left: number;
  }> = [];

  private constructor(
    readonly scm: FakeScm,
    readonly gitRoot: string,
    readonly tokens: string[],
    rateLimit: StandinRateLimit | undefined,
  ) {
    this.base = scm.base;
    this.api = `${scm.base}/api/v4`;
    this.host = new URL(scm.base).host;
    this.rateLimit = rateLimit;
    this.install();
  }

  static async start(
    options: {
      /** PRIVATE-TOKEN (or OAuth bearer) values accepted. Default `['glpat-standin']`. */
      tokens?: string[];
      rateLimit?: StandinRateLimit;
    } = {},
  ): Promise<GitlabStandin> {
    const gitRoot = mkdtempSync(join(tmpdir(), 'atrium-gitlab-standin-'));
    const scm = await startFakeScm({ gitRoot });
    return new GitlabStandin(scm, gitRoot, options.tokens ?? ['glpat-standin'], options.rateLimit);
  }

  async close(): Promise<void> {
    await this.scm.close();
    rmSync(this.gitRoot, { recursive: true, force: true });
  }

  // -------------------------------------------------------------------------------------------
  // state

  bare(pathWithNamespace: string): string {
    return join(this.gitRoot, `${pathWithNamespace}.git`);
  }

  webUrl(path: string): string {
    return `${this.base}/${path}`;
  }

  group(pathOrId: string | number): StandinGroup | undefined {
    const key = String(pathOrId);
    return [...this.groups.values()].find((g) => String(g.id) === key || g.full_path === key);
  }

  project(pathOrId: string | number): StandinProject | undefined {
    const key = String(pathOrId);
    return [...this.projects.values()].find(
      (p) => String(p.id) === key || p.pathWithNamespace === key,
    );
  }

  user(usernameOrId: string | number): StandinUser | undefined {
    const key = String(usernameOrId);
    return [...this.users.values()].find((u) => String(u.id) === key || u.username === key);
  }

  /** Creates the group `fullPath` and any missing parent groups. */
  addGroup(
    fullPath: string,
    options: { name?: string; description?: string; visibility?: StandinGroup['visibility'] } = {},
  ): StandinGroup {
    const existing = this.group(fullPath);
    if (existing) return existing;
    const parts = fullPath.split('/');
    const parent = parts.length > 1 ? this.addGroup(parts.slice(0, -1).join('/')) : undefined;
    const path = parts.at(-1)!;
    const group: StandinGroup = {
      id: this.nextId++,
      name: options.name ?? path,
      path,
      full_path: fullPath,
      parent_id: parent?.id ?? null,
      description: options.description ?? '',
      visibility: options.visibility ?? 'private',
    };
    this.groups.set(group.id, group);
    return group;
  }

  /** Renames the group's path (and its descendants' and projects' paths with it). */
  renameGroup(fullPath: string, newPath: string): Record<string, unknown> {
    const group = this.group(fullPath);
    if (!group) throw new Error(`No group ${fullPath}`);
    const oldFull = group.full_path;
    const newFull = [...oldFull.split('/').slice(0, -1), newPath].join('/');
    for (const g of this.groups.values()) {
      if (g.full_path === oldFull || g.full_path.startsWith(`${oldFull}/`)) {
        g.full_path = newFull + g.full_path.slice(oldFull.length);
      }
    }
    group.path = newPath;
    for (const p of this.projects.values()) {
      if (p.pathWithNamespace.startsWith(`${oldFull}/`)) {
        const moved = newFull + p.pathWithNamespace.slice(oldFull.length);
        this.moveBare(p.pathWithNamespace, moved);
        p.pathWithNamespace = moved;
      }
    }
    return {
      event_name: 'group_rename',
      created_at: now(),
      updated_at: now(),
      name: group.name,
      path: newPath,
      full_path: newFull,
      group_id: group.id,
      old_path: oldFull.split('/').at(-1),
      old_full_path: oldFull,
    };
  }

  /**
   * Creates a project in the group of its path (created as needed) backed by a new bare
   * repository; with `files`, one commit of them on `defaultBranch` (default `main`).
   */
  async addProject(
    pathWithNamespace: string,
    options: {
      files?: Record<string, string>;
      defaultBranch?: string;
      archived?: boolean;
      topics?: string[];
      visibility?: StandinProject['visibility'];
      forkedFrom?: string;
    } = {},
  ): Promise<StandinProject> {
    if (this.project(pathWithNamespace)) throw new Error(`Project ${pathWithNamespace} exists`);
    const namespace = pathWithNamespace.split('/').slice(0, -1).join('/');
    if (!namespace) throw new Error(`${pathWithNamespace}: a project lives in a group`);
    this.addGroup(namespace);
    const branch = options.defaultBranch ?? 'main';
    const bare = this.bare(pathWithNamespace);
    mkdirSync(dirname(bare), { recursive: true });
    await run('git', ['init', '--quiet', '--bare', `--initial-branch=${branch}`, bare], {
      env: GIT_ENV,
    });
    const forkOf = options.forkedFrom ? this.project(options.forkedFrom) : undefined;
    if (options.forkedFrom && !forkOf) throw new Error(`No project ${options.forkedFrom}`);
    const project: StandinProject = {
      id: this.nextId++,
      name: pathWithNamespace.split('/').at(-1)!,
      pathWithNamespace,
      defaultBranch: null,
      archived: options.archived ?? false,
      topics: options.topics ?? [],
      visibility: options.visibility ?? 'private',
      forkedFrom: forkOf?.id,
      lastActivityAt: now(),
    };
    this.projects.set(project.id, project);
    if (options.files && Object.keys(options.files).length > 0) {
      await this.commit(pathWithNamespace, options.files, { branch });
    }
    return project;
  }

  /**
   * Commits `changes` (null deletes a file) on `branch` (default: the project's default branch,
   * or `main` for an empty project) and returns the push webhook GitLab would send.
   */
  async commit(
    pathWithNamespace: string,
    changes: FileChanges,
    options: { branch?: string; message?: string } = {},
  ): Promise<PushPayload> {
    const project = this.project(pathWithNamespace);
    if (!project) throw new Error(`No project ${pathWithNamespace}`);
    const bare = this.bare(project.pathWithNamespace);
    const branch = options.branch ?? project.defaultBranch ?? 'main';
    const parent = await gitOrUndefined(bare, ['rev-parse', '--verify', '--quiet', branch]);
    const scratch = mkdtempSync(join(tmpdir(), 'atrium-gitlab-index-'));
    const env = { GIT_INDEX_FILE: join(scratch, 'index') };
    const added: string[] = [];
    const modified: string[] = [];
    const removed: string[] = [];
    try {
      if (parent) await git(bare, ['read-tree', parent], { env });
      for (const [path, content] of Object.entries(changes)) {
        const existed =
          parent !== undefined &&
          (await gitOrUndefined(bare, [
            'rev-parse',
            '--verify',
            '--quiet',
            `${parent}:${path}`,
          ])) !== undefined;
        if (content === null) {
          if (!existed) continue;
          // Mode 0 removes the path from the index (no work tree needed, unlike --force-remove).
          await git(bare, ['update-index', '--index-info'], {
            env,
            input: `0 ${'0'.repeat(40)}\t${path}\n`,
          });
          removed.push(path);
          continue;
        }
        const blob = (await git(bare, ['hash-object', '-w', '--stdin'], { input: content })).trim();
        await git(bare, ['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], {
          env,
        });
        (existed ? modified : added).push(path);
      }
      const tree = (await git(bare, ['write-tree'], { env })).trim();
      const message = options.message ?? 'Change files';
      const commit = (
        await git(bare, ['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', message])
      ).trim();
      await git(bare, ['update-ref', `refs/heads/${branch}`, commit]);
      project.defaultBranch ??= branch;
      project.lastActivityAt = now();
      const web = this.webUrl(project.pathWithNamespace);
      return {
        object_kind: 'push',
        event_name: 'push',
        before: parent ?? '0000000000000000000000000000000000000000',
        after: commit,
        ref: `refs/heads/${branch}`,
        ref_protected: branch === project.defaultBranch,
        checkout_sha: commit,
        user_id: 1,
        user_name: 'Stand-in',
        user_username: 'standin',
        user_email: 'standin@example.com',
        project_id: project.id,
        project: this.hookProject(project),
        repository: {
          name: project.name,
          url: `${this.base}/git/${project.pathWithNamespace}.git`,
          homepage: web,
          git_http_url: `${this.base}/git/${project.pathWithNamespace}.git`,
          visibility_level: 0,
        },
        commits: [
          {
            id: commit,
            message,
            title: message,
            timestamp: now(),
            url: `${web}/-/commit/${commit}`,
            author: { name: 'Stand-in', email: 'standin@example.com' },
            added,
            modified,
            removed,
          },
        ],
        total_commits_count: 1,
      };
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  /** Points the default branch elsewhere (the branch must exist or be created by a commit). */
  setDefaultBranch(pathWithNamespace: string, branch: string): void {
    const project = this.project(pathWithNamespace);
    if (!project) throw new Error(`No project ${pathWithNamespace}`);
    project.defaultBranch = branch;
  }

  setArchived(pathWithNamespace: string, archived = true): Record<string, unknown> {
    const project = this.project(pathWithNamespace);
    if (!project) throw new Error(`No project ${pathWithNamespace}`);
    project.archived = archived;
    return this.systemHook('project_update', project);
  }

  setTopics(pathWithNamespace: string, topics: string[]): void {
    const project = this.project(pathWithNamespace);
    if (!project) throw new Error(`No project ${pathWithNamespace}`);
    project.topics = topics;
  }

  /** Deletes the project and its repository; returns the `project_destroy` system hook. */
  deleteProject(pathWithNamespace: string): Record<string, unknown> {
    const project = this.project(pathWithNamespace);
    if (!project) throw new Error(`No project ${pathWithNamespace}`);
    this.projects.delete(project.id);
    rmSync(this.bare(project.pathWithNamespace), { recursive: true, force: true });
    return this.systemHook('project_destroy', project);
  }

  /**
   * Renames the project (same namespace) or transfers it (another namespace, created as needed);
   * returns the `project_rename` / `project_transfer` system hook.
   */
  moveProject(pathWithNamespace: string, newPathWithNamespace: string): Record<string, unknown> {
    const project = this.project(pathWithNamespace);
    if (!project) throw new Error(`No project ${pathWithNamespace}`);
    const oldNamespace = pathWithNamespace.split('/').slice(0, -1).join('/');
    const newNamespace = newPathWithNamespace.split('/').slice(0, -1).join('/');
    this.addGroup(newNamespace);
    this.moveBare(project.pathWithNamespace, newPathWithNamespace);
    project.pathWithNamespace = newPathWithNamespace;
    project.name = newPathWithNamespace.split('/').at(-1)!;
    return {
      ...this.systemHook(
        oldNamespace === newNamespace ? 'project_rename' : 'project_transfer',
        project,
      ),
      old_path_with_namespace: pathWithNamespace,
    };
  }

  /** The `project_create`/`project_destroy`/… system hook body for `project`. */
  systemHook(eventName: string, project: StandinProject): Record<string, unknown> {
    return {
      event_name: eventName,
      created_at: now(),
      updated_at: now(),
      name: project.name,
      path: project.pathWithNamespace.split('/').at(-1),
      path_with_namespace: project.pathWithNamespace,
      project_id: project.id,
      project_visibility: project.visibility,
      owner_name: 'Stand-in',
      owner_email: 'standin@example.com',
      owners: [{ name: 'Stand-in', email: 'standin@example.com' }],
    };
  }

  addUser(user: Omit<StandinUser, 'id' | 'state'> & { state?: StandinUser['state'] }): StandinUser {
    const created: StandinUser = { state: 'active', ...user, id: this.nextId++ };
    this.users.set(created.id, created);
    return created;
  }

  /** Adds (or changes) a membership; returns the `user_add_to_group` hook. */
  addMember(
    groupPath: string,
    username: string,
    accessLevel = ACCESS_DEVELOPER,
  ): Record<string, unknown> {
    const group = this.group(groupPath);
    const user = this.user(username);
    if (!group || !user) throw new Error(`No group ${groupPath} or user ${username}`);
    let members = this.members.get(group.id);
    if (!members) {
      members = new Map();
      this.members.set(group.id, members);
    }
    members.set(user.id, accessLevel);
    return this.memberHook('user_add_to_group', group, user, accessLevel);
  }

  /** Removes a membership; returns the `user_remove_from_group` hook. */
  removeMember(groupPath: string, username: string): Record<string, unknown> {
    const group = this.group(groupPath);
    const user = this.user(username);
    if (!group || !user) throw new Error(`No group ${groupPath} or user ${username}`);
    const level = this.members.get(group.id)?.get(user.id) ?? ACCESS_DEVELOPER;
    this.members.get(group.id)?.delete(user.id);
    return this.memberHook('user_remove_from_group', group, user, level);
  }

  private memberHook(
    eventName: string,
    group: StandinGroup,
    user: StandinUser,
    accessLevel: number,
  ): Record<string, unknown> {
    const levels: Record<number, string> = {
      10: 'Guest',
      20: 'Reporter',
      30: 'Developer',
      40: 'Maintainer',
      50: 'Owner',
    };
    return {
      event_name: eventName,
      created_at: now(),
      updated_at: now(),
      group_access: levels[accessLevel] ?? 'Developer',
      group_id: group.id,
      group_name: group.name,
      // GitLab sends the group's own path here, not its full path.
      group_path: group.path,
      user_email: user.email ?? '',
      user_name: user.name,
      user_username: user.username,
      user_id: user.id,
    };
  }

  /** Spends what is left of the rate limit now (the next request gets a 429). */
  exhaustRateLimit(): void {
    if (!this.rateLimit) throw new Error('The stand-in was started without a rate limit');
    this.window();
    this.used = this.rateLimit.limit;
  }

  /** Forgets the requests recorded so far. */
  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Requests whose path (without the API prefix) matches `pattern`. */
  requestsTo(pattern: RegExp, method = 'GET'): StandinRequest[] {
    return this.requests.filter(
      (r) => r.method === method && pattern.test(r.path.replace(/^\/api\/v4/, '')),
    );
  }

  /** Answers the next `times` requests matching `method pattern` (path after `/api/v4`) with `result`. */
  failNext(method: string, pattern: RegExp, result: RouteResult, times = 1): void {
    this.failures.push({ method, pattern, result, left: times });
  }

  private moveBare(from: string, to: string): void {
    mkdirSync(dirname(this.bare(to)), { recursive: true });
    renameSync(this.bare(from), this.bare(to));
  }

  // -------------------------------------------------------------------------------------------
  // JSON shapes

  private groupJson(g: StandinGroup): Record<string, unknown> {
    return {
      id: g.id,
      name: g.name,
      path: g.path,
      full_path: g.full_path,
      full_name: g.full_path
        .split('/')
        .map((_, i, parts) => this.group(parts.slice(0, i + 1).join('/'))?.name ?? parts[i])
        .join(' / '),
      parent_id: g.parent_id,
      description: g.description,
      visibility: g.visibility,
      web_url: this.webUrl(`groups/${g.full_path}`),
      avatar_url: null,
    };
  }

  private projectJson(p: StandinProject): Record<string, unknown> {
    const namespacePath = p.pathWithNamespace.split('/').slice(0, -1).join('/');
    const namespace = this.group(namespacePath);
    const fork = p.forkedFrom !== undefined ? this.projects.get(p.forkedFrom) : undefined;
    return {
      id: p.id,
      name: p.name,
      path: p.pathWithNamespace.split('/').at(-1),
      path_with_namespace: p.pathWithNamespace,
      name_with_namespace: p.pathWithNamespace.split('/').join(' / '),
      description: null,
      default_branch: p.defaultBranch,
      visibility: p.visibility,
      archived: p.archived,
      topics: p.topics,
      tag_list: p.topics,
      empty_repo: p.defaultBranch === null,
      web_url: this.webUrl(p.pathWithNamespace),
      http_url_to_repo: `${this.base}/git/${p.pathWithNamespace}.git`,
      last_activity_at: p.lastActivityAt,
      namespace: namespace
        ? {
            id: namespace.id,
            name: namespace.name,
            path: namespace.path,
            kind: 'group',
            full_path: namespace.full_path,
            parent_id: namespace.parent_id,
          }
        : undefined,
      // GitLab sends the key only for forks, so its presence is what marks one.
      ...(p.forkedFrom !== undefined
        ? {
            forked_from_project: fork
              ? { id: fork.id, path_with_namespace: fork.pathWithNamespace }
              : { id: p.forkedFrom },
          }
        : {}),
    };
  }

  private hookProject(p: StandinProject): Record<string, unknown> {
    const web = this.webUrl(p.pathWithNamespace);
    return {
      id: p.id,
      name: p.name,
      description: null,
      web_url: web,
      avatar_url: null,
      git_http_url: `${this.base}/git/${p.pathWithNamespace}.git`,
      namespace: p.pathWithNamespace.split('/').slice(0, -1).join('/'),
      visibility_level: 0,
      path_with_namespace: p.pathWithNamespace,
      default_branch: p.defaultBranch,
      homepage: web,
      url: `${this.base}/git/${p.pathWithNamespace}.git`,
      http_url: `${this.base}/git/${p.pathWithNamespace}.git`,
    };
  }

  private userJson(u: StandinUser, admin: boolean): Record<string, unknown> {
    return {
      id: u.id,
      username: u.username,
      name: u.name,
      state: u.state,
      avatar_url: u.avatar_url ?? null,
      web_url: this.webUrl(u.username),
      public_email: u.public_email ?? null,
      bot: u.bot ?? false,
      ...(admin && u.email ? { email: u.email } : {}),
    };
  }

  private memberJson(u: StandinUser, level: number): Record<string, unknown> {
    return { ...this.userJson(u, false), access_level: level };
  }

  private descendants(group: StandinGroup): StandinGroup[] {
    return [...this.groups.values()]
      .filter((g) => g.full_path.startsWith(`${group.full_path}/`))
      .sort((a, b) => a.id - b.id);
  }

  private ancestors(group: StandinGroup): StandinGroup[] {
    const out: StandinGroup[] = [];
    let parent = group.parent_id !== null ? this.groups.get(group.parent_id) : undefined;
    while (parent) {
      out.push(parent);
      parent = parent.parent_id !== null ? this.groups.get(parent.parent_id) : undefined;
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // HTTP

  private install(): void {
    for (const method of ['GET', 'HEAD']) {
      this.scm.route(method, /^\/api\/v4\/.*$/, (_m, request) => this.dispatch(request));
    }
    const P = '/projects/([^/]+)';
    const G = '/groups/([^/]+)';
    this.get('/version', () => ({ status: 200, body: { version: '17.0.0-standin' } }));
    this.get('/groups', (c) =>
      this.page(
        [...this.groups.values()]
          .filter((g) => !c.q.get('search') || g.full_path.includes(c.q.get('search')!))
          .sort((a, b) => a.id - b.id)
          .map((g) => this.groupJson(g)),
        c,
      ),
    );
    this.get(G, ({ match: [, id] }) => {
      const group = this.group(decodeURIComponent(id!));
      return group ? { status: 200, body: this.groupJson(group) } : notFound('Group');
    });
    this.get(`${G}/descendant_groups`, (c) => {
      const [, id] = c.match;
      const group = this.group(decodeURIComponent(id!));
      if (!group) return notFound('Group');
      return this.page(
        this.descendants(group).map((g) => this.groupJson(g)),
        c,
      );
    });
    this.get(`${G}/subgroups`, (c) => {
      const [, id] = c.match;
      const group = this.group(decodeURIComponent(id!));
      if (!group) return notFound('Group');
      return this.page(
        [...this.groups.values()]
          .filter((g) => g.parent_id === group.id)
          .sort((a, b) => a.id - b.id)
          .map((g) => this.groupJson(g)),
        c,
      );
    });
    this.get(`${G}/members(/all)?`, (c) => {
      const [, id, all] = c.match;
      const group = this.group(decodeURIComponent(id!));
      if (!group) return notFound('Group');
      const levels = new Map(this.members.get(group.id) ?? []);
      if (all) {
        // Inherited: memberships of ancestor groups, the highest level winning.
        for (const ancestor of this.ancestors(group)) {
          for (const [userId, level] of this.members.get(ancestor.id) ?? []) {
            levels.set(userId, Math.max(level, levels.get(userId) ?? 0));
          }
        }
      }
      const rows = [...levels]
        .sort(([a], [b]) => a - b)
        .flatMap(([userId, level]) => {
          const user = this.users.get(userId);
          return user ? [this.memberJson(user, level)] : [];
        });
      return this.page(rows, c);
    });
    this.get(`${G}/projects`, (c) => {
      const [, id] = c.match;
      const group = this.group(decodeURIComponent(id!));
      if (!group) return notFound('Group');
      const subgroups = c.q.get('include_subgroups') === 'true';
      const list = [...this.projects.values()].filter((p) => {
        const ns = p.pathWithNamespace.split('/').slice(0, -1).join('/');
        return ns === group.full_path || (subgroups && ns.startsWith(`${group.full_path}/`));
      });
      return this.page(this.filterProjects(list, c.q), c);
    });
    this.get('/projects', (c) =>
      this.page(this.filterProjects([...this.projects.values()], c.q), c),
    );
    this.get(P, ({ match: [, id] }) => {
      const project = this.project(decodeURIComponent(id!));
      return project ? { status: 200, body: this.projectJson(project) } : notFound('Project');
    });
    const file = async (id: string, path: string, q: URLSearchParams, raw: boolean) => {
      const project = this.project(decodeURIComponent(id));
      if (!project) return notFound('Project');
      const ref = q.get('ref') ?? project.defaultBranch;
      const filePath = decodeURIComponent(path);
      const bare = this.bare(project.pathWithNamespace);
      const blob = ref
        ? await gitOrUndefined(bare, ['rev-parse', '--verify', '--quiet', `${ref}:${filePath}`])
        : undefined;
      const commit = ref
        ? await gitOrUndefined(bare, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])
        : undefined;
      if (!blob || !commit) return notFound('File');
      const type = (await git(bare, ['cat-file', '-t', blob])).trim();
      if (type !== 'blob') return notFound('File');
      const content = await git(bare, ['cat-file', 'blob', blob]);
      const headers = {
        'x-gitlab-blob-id': blob,
        'x-gitlab-commit-id': commit,
        'x-gitlab-file-path': filePath,
        'x-gitlab-ref': ref!,
        'x-gitlab-size': String(Buffer.byteLength(content)),
        etag: `"${blob}"`,
      };
      if (raw) {
        return {
          status: 200,
          raw: content,
          headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' },
        };
      }
      return {
        status: 200,
        headers,
        body: {
          file_name: filePath.split('/').at(-1),
          file_path: filePath,
          size: Buffer.byteLength(content),
          encoding: 'base64',
          content: Buffer.from(content).toString('base64'),
          ref,
          blob_id: blob,
          commit_id: commit,
          last_commit_id: commit,
        },
      };
    };
    this.get(`${P}/repository/files/([^/]+)/raw`, ({ match: [, id, path], q }) =>
      file(id!, path!, q, true),
    );
    this.get(`${P}/repository/files/([^/]+)`, ({ match: [, id, path], q }) =>
      file(id!, path!, q, false),
    );
    this.get(`${P}/repository/tree`, async (c) => {
      const [, id] = c.match;
      const q = c.q;
      const project = this.project(decodeURIComponent(id!));
      if (!project) return notFound('Project');
      const ref = q.get('ref') ?? project.defaultBranch;
      if (!ref) return notFound('Tree');
      const bare = this.bare(project.pathWithNamespace);
      const path = q.get('path');
      const listing = await gitOrUndefined(bare, [
        'ls-tree',
        ...(q.get('recursive') === 'true' ? ['-r', '-t'] : []),
        ref,
        ...(path ? [`${path.replace(/\/$/, '')}/`] : []),
      ]);
      if (listing === undefined) return notFound('Tree');
      const rows = listing
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [meta, entryPath] = line.split('\t') as [string, string];
          const [mode, type, sha] = meta.split(' ');
          return { id: sha, name: entryPath.split('/').at(-1), type, path: entryPath, mode };
        });
      return this.page(rows, c);
    });
    this.get('/users', (c) => {
      const q = c.q;
      // The stand-in's token is an administrator's: `/users` shows emails.
      const admin = true;
      let list = [...this.users.values()].sort((a, b) => a.id - b.id);
      if (q.get('active') === 'true') list = list.filter((u) => u.state === 'active');
      if (q.get('username')) list = list.filter((u) => u.username === q.get('username'));
      if (q.get('exclude_internal') === 'true') list = list.filter((u) => !u.bot);
      return this.page(
        list.map((u) => this.userJson(u, admin)),
        c,
      );
    });
    this.get('/users/([^/]+)', ({ match: [, id] }) => {
      const user = this.user(decodeURIComponent(id!));
      return user ? { status: 200, body: this.userJson(user, true) } : notFound('User');
    });
  }

  private get(path: string, handler: Handler): void {
    this.routes.push({ method: 'GET', pattern: new RegExp(`^${path}$`), handler });
  }

  private filterProjects(list: StandinProject[], q: URLSearchParams): Record<string, unknown>[] {
    let out = list.sort((a, b) => a.id - b.id);
    if (q.get('archived') === 'false') out = out.filter((p) => !p.archived);
    if (q.get('archived') === 'true') out = out.filter((p) => p.archived);
    const topics = (q.get('topic') ?? '').split(',').filter(Boolean);
    if (topics.length) out = out.filter((p) => topics.every((t) => p.topics.includes(t)));
    return out.map((p) => this.projectJson(p));
  }

  /**
   * GitLab's pagination: keyset (`pagination=keyset`, by id, `Link` rel=next only) or offset
   * (`page`, `per_page` up to 100, `x-next-page` and friends, `Link`).
   */
  private page(rows: Record<string, unknown>[], { q, path }: Call): RouteResult {
    const perPage = Math.min(Math.max(Number(q.get('per_page') ?? 20) || 20, 1), 100);
    const link = (params: Record<string, string>) => {
      const next = new URLSearchParams(q);
      for (const [k, v] of Object.entries(params)) next.set(k, v);
      return `${path}?${next}`;
    };
    if (q.get('pagination') === 'keyset') {
      const after = Number(q.get('id_after') ?? 0);
      const rest = rows.filter((r) => Number(r.id) > after);
      const slice = rest.slice(0, perPage);
      const headers: Record<string, string> = { 'x-per-page': String(perPage) };
      if (rest.length > perPage) {
        headers.link = `<${this.base}${link({ id_after: String(slice.at(-1)!.id) })}>; rel="next"`;
      }
      return { status: 200, body: slice, headers };
    }
    const page = Math.max(Number(q.get('page') ?? 1) || 1, 1);
    const totalPages = Math.max(Math.ceil(rows.length / perPage), 1);
    const slice = rows.slice((page - 1) * perPage, page * perPage);
    const links = [
      ...(page < totalPages
        ? [`<${this.base}${link({ page: String(page + 1) })}>; rel="next"`]
        : []),
      ...(page > 1 ? [`<${this.base}${link({ page: String(page - 1) })}>; rel="prev"`] : []),
      `<${this.base}${link({ page: '1' })}>; rel="first"`,
      `<${this.base}${link({ page: String(totalPages) })}>; rel="last"`,
    ];
    return {
      status: 200,
      body: slice,
      headers: {
        'x-page': String(page),
        'x-per-page': String(perPage),
        'x-next-page': page < totalPages ? String(page + 1) : '',
        'x-prev-page': page > 1 ? String(page - 1) : '',
        'x-total': String(rows.length),
        'x-total-pages': String(totalPages),
        link: links.join(', '),
      },
    };
  }

  private window(): void {
    const limit = this.rateLimit!;
    if (Date.now() - this.windowStart >= limit.windowMs) {
      this.windowStart = Date.now();
      this.used = 0;
    }
  }

  private limitHeaders(): Record<string, string> {
    const limit = this.rateLimit;
    if (!limit) return {};
    const reset = this.windowStart + limit.windowMs;
    return {
      'ratelimit-limit': String(limit.limit),
      'ratelimit-observed': String(this.used),
      'ratelimit-remaining': String(Math.max(limit.limit - this.used, 0)),
      'ratelimit-reset': String(Math.ceil(reset / 1000)),
      'ratelimit-resettime': new Date(reset).toUTCString(),
    };
  }

  private async dispatch(request: RecordedRequest): Promise<RouteResult> {
    const url = new URL(request.path, 'http://standin');
    const path = url.pathname.slice('/api/v4'.length);
    const headers = request.headers ?? {};
    const token = headers['private-token'] ?? headers.authorization?.replace(/^Bearer /i, '');
    const ifNoneMatch = headers['if-none-match'];
    const record: StandinRequest = { method: request.method, path: request.path, status: 0 };
    if (token) record.token = token;
    if (ifNoneMatch) record.ifNoneMatch = ifNoneMatch;
    this.requests.push(record);
    const answer = (result: RouteResult): RouteResult => {
      record.status = result.status;
      return result;
    };

    if (!token || !this.tokens.includes(token)) {
      return answer({ status: 401, body: { message: '401 Unauthorized' } });
    }
    if (this.rateLimit) {
      this.window();
      if (this.used >= this.rateLimit.limit) {
        const retry = Math.max(
          Math.ceil((this.windowStart + this.rateLimit.windowMs - Date.now()) / 1000),
          1,
        );
        return answer({
          status: 429,
          raw: 'Retry later\n',
          headers: {
            ...this.limitHeaders(),
            'retry-after': String(retry),
            'content-type': 'text/plain',
          },
        });
      }
      this.used++;
    }
    const failure = this.failures.find((f) => f.method === request.method && f.pattern.test(path));
    if (failure) {
      failure.left--;
      if (failure.left <= 0) this.failures.splice(this.failures.indexOf(failure), 1);
      return answer({
        ...failure.result,
        headers: { ...this.limitHeaders(), ...failure.result.headers },
      });
    }
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const match = path.match(route.pattern);
      if (!match) continue;
      const result = await route.handler({ match, q: url.searchParams, path: url.pathname });
      const text = result.raw ?? (result.body === undefined ? '' : JSON.stringify(result.body));
      const etag = result.headers?.etag ?? (result.status === 200 ? encodeEtag(text) : undefined);
      const out: RouteResult = {
        ...result,
        headers: { ...result.headers, ...(etag ? { etag } : {}), ...this.limitHeaders() },
      };
      if (result.status === 200 && etag && ifNoneMatch === etag) {
        if (this.rateLimit && this.rateLimit.countNotModified === false) this.used--;
        return answer({ status: 304, raw: '', headers: out.headers });
      }
      return answer(out);
    }
    return answer(notFound('Route'));
  }
}

function notFound(what: string): RouteResult {
  return { status: 404, body: { message: `404 ${what} Not Found` } };
}
