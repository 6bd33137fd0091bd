import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type FakeScm,
  type RecordedRequest,
  type RouteResult,
  startFakeScm,
} from '../../src/plugins/scaffolder/server/actions/publish/fake-scm.testkit.ts';
import { commitFiles, initBare, readBlob, resolveRef, snapshot } from './git-objects.ts';
import { createStandinApps, type StandinAppSpec, type StandinApps } from './github-standin-apps.ts';

/*
 * A local stand-in for GitHub's REST (`/api/v3`) and GraphQL (`/api/graphql`) APIs over an
 * organisation of REAL bare git repositories on disk (served for git itself by
 * `git http-backend` under `/git/<org>/<repo>.git`). It enforces what a discovery client must
 * cope with: a primary rate limit per resource (core, graphql) with GitHub's headers on every
 * answer and 403 + `x-ratelimit-remaining: 0` when spent, a secondary limit (429 + Retry-After)
 * a test can trigger, ETags with free 304s, GraphQL cost in points. Every API request is
 * recorded. Tests change the world with addRepo/commit/archive/rename/delete and get the
 * matching webhook payloads from `events`.
 */

export type Visibility = 'public' | 'private' | 'internal';

export interface StandinRepo {
  id: number;
  name: string;
  defaultBranch: string;
  visibility: Visibility;
  archived: boolean;
  fork: boolean;
  topics: string[];
  description: string | null;
  createdAt: string;
  pushedAt: string;
  /** The bare repository on disk. */
  gitDir: string;
}

export interface RepoSpec {
  name: string;
  /** Files of the first commit on the default branch; none: an empty repository. */
  files?: Record<string, string>;
  defaultBranch?: string;
  visibility?: Visibility;
  archived?: boolean;
  fork?: boolean;
  topics?: string[];
  description?: string;
}

/** One API request as the stand-in answered it. */
export interface StandinRequest {
  method: string;
  /** Path with query string. */
  path: string;
  status: number;
  resource: 'core' | 'graphql' | 'none';
  /** Points charged (REST: 1, GraphQL: the query's cost, 304: 0). */
  cost: number;
  ifNoneMatch?: string;
  authorization?: string;
  /** The GraphQL query and variables, for POST /api/graphql. */
  graphql?: { query: string; variables: Record<string, unknown> };
}

export interface RateBucket {
  limit: number;
  used: number;
  /** Epoch seconds. */
  reset: number;
  windowMs: number;
}

export interface GraphqlContext {
  standin: GithubStandin;
  query: string;
  variables: Record<string, unknown>;
}

/** A GraphQL resolver another helper adds: answers queries `matches` accepts. */
export interface GraphqlResolver {
  matches(query: string): boolean;
  resolve(ctx: GraphqlContext): { data?: unknown; errors?: unknown[]; cost?: number };
}

export type StandinRouteHandler = (
  match: RegExpMatchArray,
  request: RecordedRequest & { query: URLSearchParams },
  standin: GithubStandin,
) => RouteResult | Promise<RouteResult>;

export interface GithubStandinOptions {
  org?: string;
  /** Token the API requires (`Authorization: Bearer|token <token>`); none: any or no token. */
  token?: string;
  /** Primary limits: default 5,000 per hour for core, 5,000 points per hour for GraphQL. */
  coreLimit?: number;
  graphqlLimit?: number;
  windowMs?: number;
  /**
   * GitHub Apps (github-standin-apps.ts): their installation tokens are accepted besides `token`,
   * and with apps a request needs one of the two.
   */
  apps?: StandinAppSpec[];
}

export interface GithubStandin {
  base: string;
  /** `127.0.0.1:<port>`: the `host` of its `integrations.github` entry. */
  host: string;
  /** `<base>/api/v3`: its `apiBaseUrl`. */
  apiBaseUrl: string;
  graphqlUrl: string;
  org: string;
  root: string;
  repos: Map<string, StandinRepo>;
  requests: StandinRequest[];
  rate: { core: RateBucket; graphql: RateBucket };
  /** Sets a resource's limit, what is left, and when it resets. */
  setRateLimit(
    resource: 'core' | 'graphql',
    options: { limit?: number; remaining?: number; resetInMs?: number; windowMs?: number },
  ): void;
  /** The next `times` API requests get 429 with `Retry-After: retryAfterSeconds`. */
  secondaryLimit(times: number, retryAfterSeconds: number): void;
  addRepo(spec: RepoSpec): StandinRepo;
  deleteRepo(name: string): StandinRepo;
  archiveRepo(name: string, archived?: boolean): StandinRepo;
  renameRepo(from: string, to: string): StandinRepo;
  /** Topics, visibility, fork, description, default branch. */
  updateRepo(name: string, changes: Partial<Omit<RepoSpec, 'name' | 'files'>>): StandinRepo;
  /** Commits files (null deletes) on `branch` (default: the default branch). */
  commit(
    name: string,
    files: Record<string, string | null>,
    options?: { branch?: string; message?: string },
  ): CommitResult;
  /** Webhook payloads (what GitHub would send) for the changes above. */
  events: {
    push(name: string, commit: CommitResult): Record<string, unknown>;
    repository(
      action: string,
      name: string,
      extra?: Record<string, unknown>,
    ): Record<string, unknown>;
  };
  /** Adds a REST route, answered under the same rate limit and ETag rules. */
  addRoute(method: string, pattern: RegExp, handler: StandinRouteHandler): void;
  /** Adds a GraphQL resolver, tried before the built-in repository queries. */
  addGraphql(resolver: GraphqlResolver): void;
  /** The repository's JSON as the REST API returns it. */
  repoJson(repo: StandinRepo): Record<string, unknown>;
  /** Resets the request log and both rate limit windows. */
  resetCounters(): void;
  /** The underlying fake host (git requests, raw request log). */
  scm: FakeScm;
  /** GitHub Apps: installations, tokens issued, expiry (add more with `apps.add`). */
  apps: StandinApps;
  close(): Promise<void>;
}

export interface CommitResult {
  repo: string;
  branch: string;
  sha: string;
  before?: string;
  added: string[];
  modified: string[];
  removed: string[];
  message: string;
}

const API = '/api/v3';

function etagOf(text: string): string {
  return `"${createHash('sha1').update(text).digest('hex')}"`;
}

function encodeCursor(index: number): string {
  return Buffer.from(`cursor:${index}`).toString('base64');
}

function decodeCursor(cursor: unknown): number {
  if (typeof cursor !== 'string' || !cursor) return 0;
  const match = /^cursor:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  if (!match) throw new Error(`Argument 'after' has an invalid cursor: ${cursor}`);
  return Number(match[1]);
}

/** Whether the query selects `field` (a word followed by a space, brace, paren or newline). */
function selects(query: string, field: string): boolean {
  return new RegExp(`(^|[\\s{])${field}(?=[\\s{(}]|$)`).test(query);
}

/** A literal or `$variable` argument of the query text. */
function argument(
  text: string,
  name: string,
  variables: Record<string, unknown>,
): unknown | undefined {
  const match = new RegExp(
    `\\b${name}\\s*:\\s*(\\$\\w+|"(?:[^"\\\\]|\\\\.)*"|\\d+|true|false|null)`,
  ).exec(text);
  if (!match) return undefined;
  const raw = match[1]!;
  if (raw.startsWith('$')) return variables[raw.slice(1)];
  if (raw.startsWith('"')) return JSON.parse(raw);
  if (raw === 'null') return null;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  return Number(raw);
}

/** The text from the first `{` after `from` to its matching `}`. */
function block(text: string, from: number): string {
  const open = text.indexOf('{', from);
  if (open < 0) return '';
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(open, i + 1);
  }
  return text.slice(open);
}

export async function startGithubStandin(
  options: GithubStandinOptions = {},
): Promise<GithubStandin> {
  const org = options.org ?? 'acme';
  const root = mkdtempSync(join(tmpdir(), 'atrium-github-standin-'));
  const scm = await startFakeScm({ gitRoot: root });
  const host = new URL(scm.base).host;
  const repos = new Map<string, StandinRepo>();
  const requests: StandinRequest[] = [];
  const windowMs = options.windowMs ?? 3_600_000;
  const bucket = (limit: number): RateBucket => ({
    limit,
    used: 0,
    reset: Math.ceil((Date.now() + windowMs) / 1000),
    windowMs,
  });
  const rate = {
    core: bucket(options.coreLimit ?? 5000),
    graphql: bucket(options.graphqlLimit ?? 5000),
  };
  let secondary = { times: 0, retryAfter: 60 };
  const routes: Array<{ method: string; pattern: RegExp; handler: StandinRouteHandler }> = [];
  const resolvers: GraphqlResolver[] = [];
  let nextId = 1000;
  const apps = createStandinApps(scm.base);
  for (const app of options.apps ?? []) apps.state.add(app);

  const gitDirOf = (name: string) => join(root, org, `${name}.git`);
  const repoOf = (name: string): StandinRepo => {
    const repo = repos.get(name.toLowerCase());
    if (!repo) throw new Error(`The stand-in has no repository ${org}/${name}`);
    return repo;
  };
  const htmlUrl = (repo: StandinRepo) => `${scm.base}/${org}/${repo.name}`;

  const repoJson = (repo: StandinRepo): Record<string, unknown> => ({
    id: repo.id,
    node_id: Buffer.from(`010:Repository${repo.id}`).toString('base64'),
    name: repo.name,
    full_name: `${org}/${repo.name}`,
    private: repo.visibility !== 'public',
    visibility: repo.visibility,
    owner: { login: org, type: 'Organization' },
    html_url: htmlUrl(repo),
    url: `${scm.base}${API}/repos/${org}/${repo.name}`,
    clone_url: `${scm.base}/git/${org}/${repo.name}.git`,
    description: repo.description,
    fork: repo.fork,
    archived: repo.archived,
    topics: repo.topics,
    default_branch: repo.defaultBranch,
    created_at: repo.createdAt,
    pushed_at: repo.pushedAt,
  });

  // ---- REST routes ------------------------------------------------------------------------

  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
    status,
    body,
    headers,
  });
  const notFound = () =>
    json(404, {
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest',
    });

  const builtins: Array<{ method: string; pattern: RegExp; handler: StandinRouteHandler }> = [
    {
      method: 'GET',
      pattern: /^\/api\/v3\/orgs\/([^/]+)\/repos$/,
      handler: (match, request) => {
        if (match[1]!.toLowerCase() !== org.toLowerCase()) return notFound();
        const perPage = Math.min(Math.max(Number(request.query.get('per_page') ?? 30), 1), 100);
        const page = Math.max(Number(request.query.get('page') ?? 1), 1);
        const all = [...repos.values()].sort((a, b) => a.id - b.id);
        const last = Math.max(Math.ceil(all.length / perPage), 1);
        const links: string[] = [];
        const link = (p: number, rel: string) =>
          `<${scm.base}${API}/orgs/${org}/repos?per_page=${perPage}&page=${p}>; rel="${rel}"`;
        if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
        if (page > 1) links.push(link(1, 'first'), link(page - 1, 'prev'));
        return json(
          200,
          all.slice((page - 1) * perPage, page * perPage).map(repoJson),
          links.length ? { link: links.join(', ') } : {},
        );
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/v3\/repos\/([^/]+)\/([^/]+)$/,
      handler: (match) => {
        const repo =
          match[1]!.toLowerCase() === org.toLowerCase() && repos.get(match[2]!.toLowerCase());
        return repo ? json(200, repoJson(repo)) : notFound();
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/v3\/repos\/([^/]+)\/([^/]+)\/contents\/(.+)$/,
      handler: (match, request) => {
        const repo =
          match[1]!.toLowerCase() === org.toLowerCase() && repos.get(match[2]!.toLowerCase());
        if (!repo) return notFound();
        const path = decodeURIComponent(match[3]!).replace(/^\/+|\/+$/g, '');
        const commit = resolveRef(repo.gitDir, request.query.get('ref') || repo.defaultBranch);
        if (!commit)
          return json(404, { message: `No commit found for the ref ${request.query.get('ref')}` });
        const entry = snapshot(repo.gitDir, commit).entries.find((e) => e.path === path);
        if (!entry) return notFound();
        if (entry.type === 'tree') {
          const children = snapshot(repo.gitDir, commit).entries.filter(
            (e) => e.path.startsWith(`${path}/`) && !e.path.slice(path.length + 1).includes('/'),
          );
          return json(
            200,
            children.map((e) => ({
              name: e.path.split('/').at(-1),
              path: e.path,
              sha: e.sha,
              size: e.size ?? 0,
              type: e.type === 'tree' ? 'dir' : 'file',
            })),
          );
        }
        const content = readBlob(repo.gitDir, entry.sha);
        const accept = request.headers?.accept ?? '';
        if (/application\/vnd\.github(\.v3)?\.raw/.test(accept)) {
          return {
            status: 200,
            raw: content.toString('utf8'),
            headers: {
              'content-type': 'application/vnd.github.raw; charset=utf-8',
              etag: `"${entry.sha}"`,
            },
          };
        }
        return json(200, {
          type: 'file',
          encoding: 'base64',
          size: content.length,
          name: path.split('/').at(-1),
          path,
          sha: entry.sha,
          content: content.toString('base64'),
          html_url: `${htmlUrl(repo)}/blob/${request.query.get('ref') || repo.defaultBranch}/${path}`,
        });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/v3\/repos\/([^/]+)\/([^/]+)\/git\/trees\/(.+)$/,
      handler: (match, request) => {
        const repo =
          match[1]!.toLowerCase() === org.toLowerCase() && repos.get(match[2]!.toLowerCase());
        if (!repo) return notFound();
        const ref = decodeURIComponent(match[3]!);
        if (!resolveRef(repo.gitDir, 'HEAD'))
          return json(409, { message: 'Git Repository is empty.' });
        const commit = resolveRef(repo.gitDir, ref);
        if (!commit) return notFound();
        const snap = snapshot(repo.gitDir, commit);
        const recursive = ['1', 'true'].includes(request.query.get('recursive') ?? '');
        const entries = recursive
          ? snap.entries
          : snap.entries.filter((e) => !e.path.includes('/'));
        return json(200, {
          sha: snap.treeSha,
          url: `${scm.base}${API}/repos/${org}/${repo.name}/git/trees/${snap.treeSha}`,
          tree: entries.map((e) => ({
            path: e.path,
            mode: e.mode,
            type: e.type,
            sha: e.sha,
            ...(e.type === 'blob' ? { size: e.size } : {}),
          })),
          truncated: false,
        });
      },
    },
  ];

  // ---- GraphQL -----------------------------------------------------------------------------

  const repoNode = (repo: StandinRepo, nodeQuery: string, variables: Record<string, unknown>) => {
    const node: Record<string, unknown> = {};
    if (selects(nodeQuery, 'id'))
      node.id = Buffer.from(`010:Repository${repo.id}`).toString('base64');
    if (selects(nodeQuery, 'name')) node.name = repo.name;
    if (selects(nodeQuery, 'nameWithOwner')) node.nameWithOwner = `${org}/${repo.name}`;
    if (selects(nodeQuery, 'url')) node.url = htmlUrl(repo);
    if (selects(nodeQuery, 'isArchived')) node.isArchived = repo.archived;
    if (selects(nodeQuery, 'isFork')) node.isFork = repo.fork;
    if (selects(nodeQuery, 'isPrivate')) node.isPrivate = repo.visibility !== 'public';
    if (selects(nodeQuery, 'visibility')) node.visibility = repo.visibility.toUpperCase();
    if (selects(nodeQuery, 'pushedAt')) node.pushedAt = repo.pushedAt;
    const head = resolveRef(repo.gitDir, repo.defaultBranch);
    if (selects(nodeQuery, 'defaultBranchRef')) {
      const ref = block(nodeQuery, nodeQuery.search(/\bdefaultBranchRef\b/));
      node.defaultBranchRef = head
        ? { name: repo.defaultBranch, ...(selects(ref, 'target') ? { target: { oid: head } } : {}) }
        : null;
    }
    if (selects(nodeQuery, 'repositoryTopics')) {
      node.repositoryTopics = { nodes: repo.topics.map((name) => ({ topic: { name } })) };
    }
    // `alias: object(expression: "<ref>:<path>")` or `alias: object(oid: "<sha>")`, as often as asked.
    const objectFields = nodeQuery.matchAll(
      /(?:(\w+)\s*:\s*)?object\s*\(\s*(expression|oid)\s*:\s*(\$\w+|"(?:[^"\\]|\\.)*")\s*\)/g,
    );
    for (const field of objectFields) {
      const key = field[1] ?? 'object';
      const raw = field[3]!;
      const value = String(raw.startsWith('$') ? (variables[raw.slice(1)] ?? '') : JSON.parse(raw));
      let entry: { type: 'blob' | 'tree'; sha: string } | undefined;
      if (field[2] === 'oid') {
        try {
          readBlob(repo.gitDir, value);
          entry = { type: 'blob', sha: value };
        } catch {
          entry = undefined;
        }
      } else {
        const colon = value.indexOf(':');
        const ref = colon < 0 ? value : value.slice(0, colon);
        const path = colon < 0 ? '' : value.slice(colon + 1).replace(/^\/+/, '');
        const commit = resolveRef(repo.gitDir, ref || 'HEAD');
        entry = commit
          ? snapshot(repo.gitDir, commit).entries.find((e) => e.path === path)
          : undefined;
      }
      if (!entry) {
        node[key] = null;
      } else if (entry.type === 'tree') {
        node[key] = { __typename: 'Tree', id: entry.sha, oid: entry.sha };
      } else {
        const content = readBlob(repo.gitDir, entry.sha);
        node[key] = {
          __typename: 'Blob',
          id: Buffer.from(`05:Blob${entry.sha}`).toString('base64'),
          oid: entry.sha,
          text: content.toString('utf8'),
          byteSize: content.length,
          isTruncated: false,
        };
      }
    }
    return node;
  };

  /** GitHub's cost: requests the connections need, per 100, at least 1. */
  const queryCost = (query: string, outerFirst: number): number => {
    const nested = Math.max((query.match(/\bfirst\s*:/g) ?? []).length - 1, 0);
    return Math.max(1, Math.round((1 + outerFirst * nested) / 100));
  };

  const graphql = (query: string, variables: Record<string, unknown>) => {
    for (const resolver of resolvers) {
      if (resolver.matches(query)) return resolver.resolve({ standin, query, variables });
    }
    // Fields start after the operation's header (`query repository($org: String!) {`).
    const header = query.indexOf('{');
    query = `${' '.repeat(Math.max(header, 0))}${query.slice(Math.max(header, 0))}`;
    const connection = /repositories\s*\(/.exec(query);
    const owner = /\b(organization|repositoryOwner)\s*\(/.exec(query);
    if (connection && owner) {
      const login = String(argument(query.slice(owner.index), 'login', variables) ?? '');
      const args = query.slice(connection.index, query.indexOf(')', connection.index) + 1);
      const first = Number(argument(args, 'first', variables) ?? NaN);
      if (!Number.isInteger(first) || first < 1 || first > 100) {
        return {
          errors: [
            {
              type: 'EXCESSIVE_PAGINATION',
              message:
                'Requesting between 1 and 100 records on the `repositories` connection is required.',
            },
          ],
          cost: 1,
        };
      }
      const cost = queryCost(query, first);
      if (login.toLowerCase() !== org.toLowerCase()) {
        return {
          data: { [owner[1]!]: null },
          errors: [
            {
              type: 'NOT_FOUND',
              path: [owner[1]],
              message: `Could not resolve to an Organization with the login of '${login}'.`,
            },
          ],
          cost,
        };
      }
      const start = decodeCursor(argument(args, 'after', variables));
      const all = [...repos.values()].sort((a, b) => a.id - b.id);
      const page = all.slice(start, start + first);
      const connectionQuery = block(query, connection.index);
      const nodes = block(connectionQuery, connectionQuery.indexOf('nodes'));
      const end = start + page.length;
      return {
        data: {
          [owner[1]!]: {
            login: org,
            repositories: {
              totalCount: all.length,
              pageInfo: {
                hasNextPage: end < all.length,
                endCursor: page.length ? encodeCursor(end) : null,
              },
              nodes: page.map((repo) => repoNode(repo, nodes, variables)),
            },
          },
        },
        cost,
      };
    }
    // `repository(owner:, name:)` fields, aliased (`r0: repository(…)`) as often as asked.
    const fields = [...query.matchAll(/(?:(\w+)\s*:\s*)?\brepository\s*\(/g)];
    if (fields.length) {
      const data: Record<string, unknown> = {};
      const errors: unknown[] = [];
      for (const field of fields) {
        const key = field[1] ?? 'repository';
        const at = field.index + field[0].length - 1;
        const args = query.slice(at, query.indexOf(')', at) + 1);
        const ownerLogin = String(argument(args, 'owner', variables) ?? '');
        const name = String(argument(args, 'name', variables) ?? '');
        const repo =
          ownerLogin.toLowerCase() === org.toLowerCase()
            ? repos.get(name.toLowerCase())
            : undefined;
        if (repo) {
          data[key] = repoNode(repo, block(query, at), variables);
        } else {
          data[key] = null;
          errors.push({
            type: 'NOT_FOUND',
            path: [key],
            message: `Could not resolve to a Repository with the name '${ownerLogin}/${name}'.`,
          });
        }
      }
      return { data, ...(errors.length ? { errors } : {}), cost: 1 };
    }
    return {
      errors: [{ message: 'The stand-in does not know this query', query }],
      cost: 1,
    };
  };

  // ---- the request pipeline: limits, routes, ETags ----------------------------------------

  const rateHeaders = (resource: 'core' | 'graphql'): Record<string, string> => {
    const b = rate[resource];
    return {
      'x-ratelimit-limit': String(b.limit),
      'x-ratelimit-remaining': String(Math.max(b.limit - b.used, 0)),
      'x-ratelimit-reset': String(b.reset),
      'x-ratelimit-used': String(b.used),
      'x-ratelimit-resource': resource,
    };
  };
  const roll = (b: RateBucket) => {
    if (Date.now() >= b.reset * 1000) {
      b.used = 0;
      b.reset = Math.ceil((Date.now() + b.windowMs) / 1000);
    }
  };

  const dispatch = async (request: RecordedRequest): Promise<RouteResult> => {
    const url = new URL(request.path, scm.base);
    const isGraphql = request.method === 'POST' && url.pathname === '/api/graphql';
    const resource: 'core' | 'graphql' = isGraphql ? 'graphql' : 'core';
    const record: StandinRequest = {
      method: request.method,
      path: request.path,
      status: 0,
      resource,
      cost: 0,
      ifNoneMatch: request.headers?.['if-none-match'],
      authorization: request.authorization,
    };
    requests.push(record);
    const answer = (result: RouteResult, counted: boolean): RouteResult => {
      record.status = result.status;
      if (!counted) record.resource = 'none';
      return result;
    };
    const appAnswer = await apps.route(request, url);
    if (appAnswer) return answer(appAnswer, false);
    if (options.token || apps.hasApps()) {
      const auth = request.authorization ?? '';
      const installation = apps.token(auth);
      const isStatic =
        !!options.token &&
        (auth === `Bearer ${options.token}` || auth === `token ${options.token}`);
      if (!isStatic && installation.state !== 'valid') {
        return answer(json(401, { message: 'Bad credentials' }), false);
      }
      // An installation token reads its own account only.
      const owner =
        installation.state === 'valid'
          ? apps.ownerOf(url, isGraphql ? (request.body as never) : undefined)
          : undefined;
      if (
        installation.state === 'valid' &&
        owner &&
        owner.toLowerCase() !== installation.account.toLowerCase()
      ) {
        return answer(
          isGraphql
            ? json(200, {
                errors: [
                  {
                    type: 'FORBIDDEN',
                    message: `Resource not accessible by integration (installation of ${installation.account}, asked for ${owner})`,
                  },
                ],
              })
            : json(404, { message: 'Not Found' }),
          false,
        );
      }
    }
    if (request.method === 'GET' && url.pathname === `${API}/rate_limit`) {
      roll(rate.core);
      roll(rate.graphql);
      const view = (b: RateBucket) => ({
        limit: b.limit,
        used: b.used,
        remaining: Math.max(b.limit - b.used, 0),
        reset: b.reset,
      });
      const resources = { core: view(rate.core), graphql: view(rate.graphql) };
      return answer(json(200, { resources, rate: resources.core }, rateHeaders('core')), false);
    }
    if (secondary.times > 0) {
      secondary.times--;
      return answer(
        json(
          429,
          {
            message:
              'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
          },
          { ...rateHeaders(resource), 'retry-after': String(secondary.retryAfter) },
        ),
        false,
      );
    }
    const b = rate[resource];
    roll(b);
    if (b.used >= b.limit) {
      return answer(
        json(
          403,
          {
            message: `API rate limit exceeded for installation. (But here's the good news: this is a stand-in.)`,
          },
          rateHeaders(resource),
        ),
        false,
      );
    }
    let result: RouteResult;
    let cost = 1;
    if (isGraphql) {
      const body = (request.body ?? {}) as { query?: string; variables?: Record<string, unknown> };
      const query = String(body.query ?? '');
      const variables = body.variables ?? {};
      record.graphql = { query, variables };
      let out: { data?: unknown; errors?: unknown[]; cost?: number };
      try {
        out = graphql(query, variables);
      } catch (error) {
        out = { errors: [{ message: (error as Error).message }], cost: 1 };
      }
      cost = out.cost ?? 1;
      const remaining = Math.max(b.limit - b.used - cost, 0);
      let data = out.data;
      if (data && typeof data === 'object' && /\brateLimit\s*\{/.test(query)) {
        data = {
          ...data,
          rateLimit: {
            cost,
            limit: b.limit,
            remaining,
            used: b.used + cost,
            resetAt: new Date(b.reset * 1000).toISOString(),
          },
        };
      }
      result = json(200, {
        ...(data !== undefined ? { data } : {}),
        ...(out.errors ? { errors: out.errors } : {}),
      });
    } else {
      const withQuery = { ...request, query: url.searchParams };
      const route = [...routes, ...builtins].find(
        (r) => r.method === request.method && url.pathname.match(r.pattern),
      );
      result = route
        ? await route.handler(url.pathname.match(route.pattern)!, withQuery, standin)
        : notFound();
      if (request.method === 'GET' && result.status === 200) {
        const text = result.raw ?? JSON.stringify(result.body);
        const etag = result.headers?.etag ?? etagOf(text);
        result = { ...result, headers: { ...result.headers, etag } };
        if (record.ifNoneMatch && record.ifNoneMatch === etag) {
          // GitHub does not count a conditional request answered 304 against the limit.
          record.status = 304;
          return { status: 304, raw: '', headers: { etag, ...rateHeaders(resource) } };
        }
      }
    }
    b.used += cost;
    record.cost = cost;
    return answer({ ...result, headers: { ...result.headers, ...rateHeaders(resource) } }, true);
  };

  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
    scm.route(method, /^\/(?!git\/).*/, (_match, request) => dispatch(request));
  }

  // ---- changing the world -----------------------------------------------------------------

  const now = () => new Date().toISOString();
  const standin: GithubStandin = {
    base: scm.base,
    host,
    apiBaseUrl: `${scm.base}${API}`,
    graphqlUrl: `${scm.base}/api/graphql`,
    org,
    root,
    repos,
    requests,
    rate,
    scm,
    apps: apps.state,
    repoJson,
    setRateLimit(resource, change) {
      const b = rate[resource];
      if (change.windowMs !== undefined) b.windowMs = change.windowMs;
      if (change.limit !== undefined) b.limit = change.limit;
      if (change.remaining !== undefined) b.used = Math.max(b.limit - change.remaining, 0);
      if (change.resetInMs !== undefined)
        b.reset = Math.ceil((Date.now() + change.resetInMs) / 1000);
    },
    secondaryLimit(times, retryAfterSeconds) {
      secondary = { times, retryAfter: retryAfterSeconds };
    },
    addRepo(spec) {
      if (repos.has(spec.name.toLowerCase())) {
        throw new Error(`The stand-in already has ${org}/${spec.name}`);
      }
      const defaultBranch = spec.defaultBranch ?? 'main';
      const gitDir = gitDirOf(spec.name);
      initBare(gitDir, defaultBranch);
      if (spec.files) commitFiles(gitDir, defaultBranch, spec.files, { message: 'Initial commit' });
      const repo: StandinRepo = {
        id: nextId++,
        name: spec.name,
        defaultBranch,
        visibility: spec.visibility ?? 'public',
        archived: spec.archived ?? false,
        fork: spec.fork ?? false,
        topics: spec.topics ?? [],
        description: spec.description ?? null,
        createdAt: now(),
        pushedAt: now(),
        gitDir,
      };
      repos.set(spec.name.toLowerCase(), repo);
      return repo;
    },
    deleteRepo(name) {
      const repo = repoOf(name);
      repos.delete(name.toLowerCase());
      rmSync(repo.gitDir, { recursive: true, force: true });
      return repo;
    },
    archiveRepo(name, archived = true) {
      const repo = repoOf(name);
      repo.archived = archived;
      return repo;
    },
    renameRepo(from, to) {
      const repo = repoOf(from);
      if (repos.has(to.toLowerCase())) throw new Error(`The stand-in already has ${org}/${to}`);
      const gitDir = gitDirOf(to);
      mkdirSync(dirname(gitDir), { recursive: true });
      renameSync(repo.gitDir, gitDir);
      repos.delete(from.toLowerCase());
      repo.name = to;
      repo.gitDir = gitDir;
      repos.set(to.toLowerCase(), repo);
      return repo;
    },
    updateRepo(name, changes) {
      const repo = repoOf(name);
      if (changes.topics) repo.topics = changes.topics;
      if (changes.visibility) repo.visibility = changes.visibility;
      if (changes.fork !== undefined) repo.fork = changes.fork;
      if (changes.archived !== undefined) repo.archived = changes.archived;
      if (changes.description !== undefined) repo.description = changes.description;
      if (changes.defaultBranch) {
        repo.defaultBranch = changes.defaultBranch;
        initBare(repo.gitDir, changes.defaultBranch);
      }
      return repo;
    },
    commit(name, files, commitOptions = {}) {
      const repo = repoOf(name);
      const branch = commitOptions.branch ?? repo.defaultBranch;
      const message = commitOptions.message ?? 'Update files';
      const result = commitFiles(repo.gitDir, branch, files, {
        message,
        from: resolveRef(repo.gitDir, repo.defaultBranch),
      });
      repo.pushedAt = now();
      return { repo: repo.name, branch, message, ...result };
    },
    events: {
      push(name, commit) {
        const repo = repoOf(name);
        const head = {
          id: commit.sha,
          message: commit.message,
          timestamp: now(),
          url: `${htmlUrl(repo)}/commit/${commit.sha}`,
          added: commit.added,
          modified: commit.modified,
          removed: commit.removed,
        };
        return {
          ref: `refs/heads/${commit.branch}`,
          before: commit.before ?? '0'.repeat(40),
          after: commit.sha,
          created: !commit.before,
          deleted: false,
          commits: [head],
          head_commit: head,
          repository: repoJson(repo),
          organization: { login: org },
          sender: { login: 'standin-user' },
        };
      },
      repository(action, name, extra = {}) {
        const repo = repos.get(name.toLowerCase());
        const repository = repo
          ? repoJson(repo)
          : { name, full_name: `${org}/${name}`, html_url: `${scm.base}/${org}/${name}` };
        return {
          action,
          repository,
          organization: { login: org },
          sender: { login: 'standin-user' },
          ...extra,
        };
      },
    },
    addRoute(method, pattern, handler) {
      routes.push({ method: method.toUpperCase(), pattern, handler });
    },
    addGraphql(resolver) {
      resolvers.push(resolver);
    },
    resetCounters() {
      requests.length = 0;
      scm.requests.length = 0;
      for (const b of [rate.core, rate.graphql]) {
        b.used = 0;
        b.reset = Math.ceil((Date.now() + b.windowMs) / 1000);
      }
    },
    async close() {
      await scm.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
  return standin;
}

/** A catalog file for a generated repository: one Component. */
export function componentYaml(name: string, extra: { owner?: string; description?: string } = {}) {
  return [
    'apiVersion: backstage.io/v1alpha1',
    'kind: Component',
    'metadata:',
    `  name: ${name}`,
    `  description: ${extra.description ?? `Generated service ${name}`}`,
    'spec:',
    '  type: service',
    '  lifecycle: production',
    `  owner: ${extra.owner ?? 'team-a'}`,
    '',
  ].join('\n');
}

/**
 * Adds `count` repositories `<prefix><n>` (n from 1, zero-padded), each with one catalog file
 * at `path` (default `catalog-info.yaml`) describing Component `<prefix><n>`. Written without
 * spawning git (see git-objects.ts): 5,000 repositories take seconds. Returns the time taken.
 */
export function generateRepos(
  standin: GithubStandin,
  options: {
    count: number;
    prefix?: string;
    path?: string;
    content?: (name: string, index: number) => string;
    spec?: (name: string, index: number) => Partial<RepoSpec>;
  },
): { ms: number; names: string[] } {
  const started = performance.now();
  const prefix = options.prefix ?? 'service-';
  const path = (options.path ?? 'catalog-info.yaml').replace(/^\/+/, '');
  const width = String(options.count).length;
  const names: string[] = [];
  for (let i = 1; i <= options.count; i++) {
    const name = `${prefix}${String(i).padStart(width, '0')}`;
    standin.addRepo({
      name,
      files: { [path]: options.content?.(name, i) ?? componentYaml(name) },
      ...options.spec?.(name, i),
    });
    names.push(name);
  }
  return { ms: performance.now() - started, names };
}
