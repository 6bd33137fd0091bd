/**
 * GitHub discovery (`catalog.providers.github`, Backstage's keys): lists an organisation's
 * repositories (or, with a GitHub App and no organisation, those of every installation of the
 * app) with GraphQL, 100 per query, and keeps those that pass the filters and have the
 * catalog file. Without a glob in `catalogPath` the query also returns the file's text and blob
 * id, so a scan of 5,000 repositories costs 50 queries and reads no file (the catalog skips a
 * location whose blob id did not change). With a glob, each kept repository's tree is read once
 * per scan, conditionally: an unchanged tree answers 304, which costs no rate limit.
 */
import type { GithubDiscoveryProviderConfig } from '../../../../../core/config/github-providers.ts';
import type { Logger } from '../../../../../core/logger.ts';
import {
  type GithubCredentials,
  githubCredentials,
} from '../../../../../core/reading/github-credentials.ts';
import {
  BudgetExceededError,
  RateLimitError,
  ScmHttpClient,
  type ScmRequestInit,
  type ScmResponse,
} from '../../../../../core/reading/scm-http.ts';
import type {
  CatalogProvider,
  CatalogProviderFactory,
  DiscoveredLocation,
  ProviderContext,
  ProviderEffect,
  ProviderError,
  ScanCost,
  ScanResult,
  WebhookEvent,
} from '../types.ts';
import {
  blobUrl,
  branchOf,
  filterReason,
  type GithubProviderSettings,
  isCatalogFile,
  type RepositoryFacts,
  resolveSettings,
} from './config.ts';
import { githubEventEffect } from './events.ts';

export { githubFileRequest } from './file-url.ts';

/** Repositories per GraphQL query: GitHub's maximum. */
const PAGE_SIZE = 100;
/** Tree requests in flight at once (GitHub asks integrators to avoid many concurrent requests). */
const TREE_CONCURRENCY = 4;
/**
 * Requests one scan may spend (304s are free): 80% of GitHub's 5,000 an hour for a token, so
 * webhooks and reads keep some. With a GitHub App, per installation: each has its own limit.
 */
export const DEFAULT_SCAN_BUDGET = 4000;

/** Blobs fetched per GraphQL query when a glob path's files are prefetched (1 point each). */
const BLOBS_PER_QUERY = 50;
/** Memory for file texts kept by blob id between scans (content-addressed: never stale). */
const BLOB_CACHE_BYTES = 32 * 1024 * 1024;
/** Repositories whose matching files are remembered by head commit between scans. */
const TREE_MEMO_ENTRIES = 50_000;

const NODE_FIELDS = `name url isArchived isFork visibility
        defaultBranchRef { name target { oid } }
        repositoryTopics(first: 100) { nodes { topic { name } } }`;
const FILE_FIELD = `catalogFile: object(expression: $expression) { __typename ... on Blob { oid text isTruncated } }`;

/** The organisation's repositories, a page at a time, with the catalog file when `withFile`. */
function repositoriesQuery(withFile: boolean): string {
  return `query discovery($org: String!, $cursor: String, $pageSize: Int!${withFile ? ', $expression: String!' : ''}) {
  rateLimit { cost remaining resetAt }
  repositoryOwner(login: $org) {
    repositories(first: $pageSize, after: $cursor) {
      pageInfo { hasNextPage endCursor }
      nodes {
        ${NODE_FIELDS}
        ${withFile ? FILE_FIELD : ''}
      }
    }
  }
}`;
}

/** One repository, with the catalog file when `withFile` (webhook events). */
function repositoryQuery(withFile: boolean): string {
  return `query repository($org: String!, $name: String!${withFile ? ', $expression: String!' : ''}) {
  rateLimit { cost remaining resetAt }
  repository(owner: $org, name: $name) {
    ${NODE_FIELDS}
    ${withFile ? FILE_FIELD : ''}
  }
}`;
}

interface RepositoryNode {
  name: string;
  url: string;
  isArchived: boolean;
  isFork: boolean;
  visibility: string;
  defaultBranchRef: { name: string; target?: { oid: string } | null } | null;
  repositoryTopics?: { nodes: Array<{ topic: { name: string } }> };
  catalogFile?: {
    __typename: string;
    oid?: string;
    text?: string | null;
    isTruncated?: boolean;
  } | null;
}

interface GraphqlAnswer<T> {
  data?: T;
  errors?: Array<{ type?: string; message: string; path?: unknown[] }>;
}

/** A listed repository, with the commit its default branch points to. */
interface ListedRepository extends RepositoryFacts {
  headCommit?: string;
}

/** A catalog file found in a tree: where, and its blob id. */
interface TreeFile {
  path: string;
  sha: string;
}

function factsOf(node: RepositoryNode): ListedRepository {
  return {
    ...(node.defaultBranchRef?.target?.oid ? { headCommit: node.defaultBranchRef.target.oid } : {}),
    name: node.name,
    url: node.url,
    isArchived: node.isArchived,
    isFork: node.isFork,
    visibility: String(node.visibility ?? '').toLowerCase(),
    topics: node.repositoryTopics?.nodes.map((n) => n.topic.name) ?? [],
    ...(node.defaultBranchRef ? { defaultBranch: node.defaultBranchRef.name } : {}),
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The owner login of a repository from its web URL (`https://host/<owner>/<name>`). */
function ownerOfUrl(url: string): string {
  const parts = new URL(url).pathname.split('/').filter(Boolean);
  return decodeURIComponent(parts.at(-2) ?? '');
}

/** The REST and GraphQL clients of one rate limit (a token, or one app installation). */
interface ClientPair {
  rest: ScmHttpClient;
  graphql: ScmHttpClient;
}

export class GithubDiscoveryProvider implements CatalogProvider {
  readonly id: string;
  readonly title: string;
  readonly frequencyMs: number | null;
  readonly timeoutMs: number;
  readonly initialDelayMs: number;
  /** REST (trees); kept between scans: its ETag cache is what makes an unchanged tree free. */
  readonly client: ScmHttpClient;
  /** GraphQL, with its own budget: GitHub limits REST requests and GraphQL points apart. */
  readonly graphqlClient: ScmHttpClient;
  private readonly settings: GithubProviderSettings;
  private readonly logger: Logger;
  private readonly credentials: GithubCredentials;
  /**
   * With a GitHub App each installation has its own rate limit (and its own ETags): one pair of
   * clients, one budget, per owner. Without, `client` and `graphqlClient` serve every request.
   */
  private readonly ownerClients = new Map<string, ClientPair>();
  private readonly newClient: (budget: number) => ScmHttpClient;
  private readonly budgets: { rest: number; graphql: number };
  /** The owners read: the configured organisation, or the app's installations at the last scan. */
  private owners: string[];
  /** Glob paths: the catalog files of a repository's branch at a commit (repo url + branch → …). */
  private readonly treeMemo = new Map<string, { commit: string; files: TreeFile[] }>();
  /** Glob paths: file texts by blob id, so an unchanged file is not fetched again. */
  private readonly blobTexts = new Map<string, string>();
  private blobBytes = 0;

  constructor(
    config: GithubDiscoveryProviderConfig,
    ctx: ProviderContext,
    options: { budget?: number; graphqlBudget?: number } = {},
  ) {
    this.settings = resolveSettings(config, ctx.config.integrations);
    this.id = `github:${config.id}`;
    this.title = config.organization
      ? `GitHub discovery ${config.organization}`
      : `GitHub discovery (installations of GitHub App ${config.app})`;
    this.frequencyMs = config.schedule.frequencyMs;
    this.timeoutMs = config.schedule.timeoutMs;
    this.initialDelayMs = config.schedule.initialDelayMs;
    this.logger = ctx.logger.child({ provider: this.id });
    this.credentials = githubCredentials(ctx.policy, ctx.logger);
    this.owners = config.organization ? [config.organization] : [];
    this.newClient = (budget: number) =>
      new ScmHttpClient({
        policy: ctx.policy,
        budget,
        maxWaitMs: config.schedule.timeoutMs,
        logger: this.logger,
      });
    this.budgets = {
      rest: options.budget ?? DEFAULT_SCAN_BUDGET,
      graphql: options.graphqlBudget ?? DEFAULT_SCAN_BUDGET,
    };
    this.client = this.newClient(this.budgets.rest);
    this.graphqlClient = this.newClient(this.budgets.graphql);
  }

  /** Every client pair requests went through. */
  private pairs(): ClientPair[] {
    return [{ rest: this.client, graphql: this.graphqlClient }, ...this.ownerClients.values()];
  }

  /** The clients whose rate limit requests for `owner` spend. */
  private clientsOf(owner: string): ClientPair {
    if (!this.settings.viaApp) return { rest: this.client, graphql: this.graphqlClient };
    const key = owner.toLowerCase();
    let pair = this.ownerClients.get(key);
    if (!pair) {
      pair = {
        rest: this.newClient(this.budgets.rest),
        graphql: this.newClient(this.budgets.graphql),
      };
      this.ownerClients.set(key, pair);
    }
    return pair;
  }

  /** What the requests since the scan started cost, REST and GraphQL together. */
  cost(): ScanCost {
    const costs = this.pairs().flatMap((p) => [p.rest.cost(), p.graphql.cost()]);
    const lows = costs.map((c) => c.rateLimitRemaining).filter((n): n is number => n !== undefined);
    const graphqlCosts = costs
      .map((c) => c.graphqlCost)
      .filter((n): n is number => n !== undefined);
    return {
      requests: costs.reduce((sum, c) => sum + c.requests, 0),
      notModified: costs.reduce((sum, c) => sum + c.notModified, 0),
      ...(lows.length ? { rateLimitRemaining: Math.min(...lows) } : {}),
      ...(graphqlCosts.length ? { graphqlCost: graphqlCosts.reduce((a, b) => a + b, 0) } : {}),
    };
  }

  private resetCost(): void {
    for (const pair of this.pairs()) {
      pair.rest.resetCost();
      pair.graphql.resetCost();
    }
  }

  /** Whether this provider reads `owner`'s repositories. */
  owns(owner: string): boolean {
    const wanted = owner.toLowerCase();
    return this.owners.some((o) => o.toLowerCase() === wanted);
  }

  /** The owner as configured (or as the installation spells it), else as the URL has it. */
  private ownerOf(repo: RepositoryFacts): string {
    const fromUrl = ownerOfUrl(repo.url);
    return this.owners.find((o) => o.toLowerCase() === fromUrl.toLowerCase()) ?? fromUrl;
  }

  private sourceOf(repo: RepositoryFacts): string {
    return `${this.ownerOf(repo)}/${repo.name}`;
  }

  /** An API request for `owner`, with its credentials (a token, or its installation's). */
  private send(
    kind: 'rest' | 'graphql',
    owner: string,
    url: string,
    init: ScmRequestInit,
  ): Promise<ScmResponse> {
    return this.credentials.request(this.clientsOf(owner)[kind], url, init, {
      host: this.settings.config.host,
      owner,
      ...(this.settings.appId !== undefined ? { appId: this.settings.appId } : {}),
    });
  }

  private expression(): string {
    return `${this.settings.config.filters.branch ?? 'HEAD'}:${this.settings.catalogPath}`;
  }

  private async graphql<T>(
    owner: string,
    query: string,
    variables: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<GraphqlAnswer<T>> {
    for (let attempt = 0; ; attempt++) {
      const response = await this.send('graphql', owner, this.settings.graphqlUrl, {
        method: 'POST',
        headers: { ...this.settings.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
        signal,
        cache: false,
      });
      if (response.status !== 200) {
        let message = response.text.slice(0, 200);
        try {
          message = response.json<{ message?: string }>().message ?? message;
        } catch {
          // Not JSON: the start of the text says enough.
        }
        throw new Error(
          `GitHub GraphQL at ${this.settings.graphqlUrl} answered ${response.status}: ${message}`,
        );
      }
      const answer = response.json<GraphqlAnswer<T>>();
      // GraphQL may say RATE_LIMITED in a 200: the client saw remaining 0 and waits for the reset.
      if (answer.errors?.some((e) => e.type === 'RATE_LIMITED') && attempt < 2) continue;
      return answer;
    }
  }

  /** The location of a repository's catalog file from a node fetched with the file. */
  private fileLocation(
    repo: RepositoryFacts,
    node: RepositoryNode,
  ): DiscoveredLocation | undefined {
    const file = node.catalogFile;
    if (file?.__typename !== 'Blob') return undefined;
    const target = blobUrl(repo.url, branchOf(this.settings, repo), this.settings.catalogPath);
    const text = typeof file.text === 'string' && !file.isTruncated ? file.text : undefined;
    return {
      type: 'url',
      target,
      source: this.sourceOf(repo),
      ...(text !== undefined && file.oid
        ? { prefetched: { content: text, version: file.oid } }
        : {}),
    };
  }

  /**
   * Catalog files of a repository (glob paths) from its tree; [] when the branch is missing. No
   * request when the listing says the default branch still points at the commit last read; a
   * conditional one (304, free) otherwise.
   */
  private async treeFiles(repo: ListedRepository, signal: AbortSignal): Promise<TreeFile[]> {
    const branch = branchOf(this.settings, repo);
    const key = `${repo.url}\n${branch}`;
    // The listing gives the default branch's commit only; filters.branch always asks.
    const commit = this.settings.config.filters.branch ? undefined : repo.headCommit;
    const memo = this.treeMemo.get(key);
    if (commit && memo?.commit === commit) return memo.files;
    const owner = this.ownerOf(repo);
    const url = `${this.settings.apiBaseUrl}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo.name)}/git/trees/${encodeURIComponent(branch)}?recursive=1`;
    const response = await this.send('rest', owner, url, {
      headers: this.settings.headers,
      signal,
    });
    // 404: no such branch; 409: an empty repository.
    if (response.status === 404 || response.status === 409) return [];
    if (response.status !== 200) {
      throw new Error(`The tree of ${this.sourceOf(repo)} (${branch}) answered ${response.status}`);
    }
    const tree = response.json<{
      tree: Array<{ path: string; type: string; sha: string }>;
      truncated?: boolean;
    }>();
    if (tree.truncated) {
      throw new Error(
        `The tree of ${this.sourceOf(repo)} (${branch}) is too large for one request; catalog files in it may be missing`,
      );
    }
    const files = tree.tree
      .filter((entry) => entry.type === 'blob' && isCatalogFile(this.settings, entry.path))
      .map((entry) => ({ path: entry.path, sha: entry.sha }));
    if (commit) {
      this.treeMemo.delete(key);
      this.treeMemo.set(key, { commit, files });
      if (this.treeMemo.size > TREE_MEMO_ENTRIES) {
        this.treeMemo.delete(this.treeMemo.keys().next().value as string);
      }
    }
    return files;
  }

  /**
   * Fetches the texts of blobs not held yet, 50 per GraphQL query (1 point each): a glob scan
   * then hands every file's text to the catalog as a non-glob scan does. A failure leaves the
   * rest without text (the catalog reads those through the contents API).
   */
  private async fetchBlobTexts(
    wanted: Array<{ repo: RepositoryFacts; sha: string }>,
    signal: AbortSignal,
  ): Promise<void> {
    // By owner: an installation token reads its own account only.
    const missing = new Map<string, Map<string, RepositoryFacts>>();
    for (const { repo, sha } of wanted) {
      if (this.blobTexts.has(sha)) continue;
      const owner = this.ownerOf(repo);
      if (!missing.has(owner)) missing.set(owner, new Map());
      missing.get(owner)!.set(sha, repo);
    }
    for (const [owner, blobs] of missing) {
      if (!(await this.fetchOwnerBlobs(owner, [...blobs], signal))) return;
    }
  }

  /** One owner's blobs, 50 per query; false when a query failed (the rest is left unread). */
  private async fetchOwnerBlobs(
    owner: string,
    list: Array<[string, RepositoryFacts]>,
    signal: AbortSignal,
  ): Promise<boolean> {
    for (let i = 0; i < list.length; i += BLOBS_PER_QUERY) {
      const batch = list.slice(i, i + BLOBS_PER_QUERY);
      const fields = batch.map(
        ([sha, repo], n) =>
          `r${n}: repository(owner: ${JSON.stringify(owner)}, name: ${JSON.stringify(repo.name)}) { f: object(oid: ${JSON.stringify(sha)}) { ... on Blob { oid text isTruncated } } }`,
      );
      let answer: GraphqlAnswer<Record<string, { f?: RepositoryNode['catalogFile'] } | null>>;
      try {
        answer = await this.graphql(
          owner,
          `query blobs {\n  rateLimit { cost remaining resetAt }\n  ${fields.join('\n  ')}\n}`,
          {},
          signal,
        );
      } catch (error) {
        if (signal.aborted) throw signal.reason ?? error;
        this.logger.warn('Could not fetch catalog file texts; the catalog reads them instead', {
          error: messageOf(error),
        });
        return false;
      }
      for (const [n, [sha]] of batch.entries()) {
        const file = answer.data?.[`r${n}`]?.f;
        if (typeof file?.text === 'string' && !file.isTruncated) this.keepBlob(sha, file.text);
      }
    }
    return true;
  }

  private keepBlob(sha: string, text: string): void {
    if (this.blobTexts.has(sha) || text.length > BLOB_CACHE_BYTES) return;
    this.blobTexts.set(sha, text);
    this.blobBytes += text.length;
    while (this.blobBytes > BLOB_CACHE_BYTES) {
      const [oldest, old] = this.blobTexts.entries().next().value as [string, string];
      this.blobTexts.delete(oldest);
      this.blobBytes -= old.length;
    }
  }

  /** Locations of tree files, with the texts held (fetching those not held yet). */
  private async treeLocations(
    found: Array<{ repo: RepositoryFacts; files: TreeFile[] }>,
    signal: AbortSignal,
  ): Promise<DiscoveredLocation[]> {
    await this.fetchBlobTexts(
      found.flatMap(({ repo, files }) => files.map((f) => ({ repo, sha: f.sha }))),
      signal,
    );
    return found.flatMap(({ repo, files }) =>
      files.map((file): DiscoveredLocation => {
        const content = this.blobTexts.get(file.sha);
        return {
          type: 'url',
          target: blobUrl(repo.url, branchOf(this.settings, repo), file.path),
          source: this.sourceOf(repo),
          ...(content !== undefined ? { prefetched: { content, version: file.sha } } : {}),
        };
      }),
    );
  }

  async scan(signal: AbortSignal): Promise<ScanResult> {
    this.resetCost();
    const locations: DiscoveredLocation[] = [];
    const errors: ProviderError[] = [];
    const globbed: ListedRepository[] = [];
    const found: Array<{ repo: RepositoryFacts; files: TreeFile[] }> = [];
    let seen = 0;
    let complete = true;
    const withFile = !this.settings.glob;
    const query = repositoriesQuery(withFile);
    const fail = (source: string, error: unknown) => {
      if (signal.aborted) throw signal.reason ?? error;
      complete = false;
      errors.push({ source, message: messageOf(error) });
    };

    const { config } = this.settings;
    if (!config.organization) {
      // Backstage without an organisation: the repositories of every installation of the app.
      try {
        const installations = await this.credentials.installations(config.host, {
          ...(this.settings.appId !== undefined ? { appId: this.settings.appId } : {}),
          signal,
        });
        this.owners = [
          ...new Map(installations.map((i) => [i.account.toLowerCase(), i.account])).values(),
        ];
      } catch (error) {
        fail(`GitHub App ${config.app}`, error);
        return { locations, repositoriesSeen: 0, cost: this.cost(), errors, complete };
      }
    }

    for (const owner of this.owners) {
      try {
        let cursor: string | null = null;
        do {
          const answer: GraphqlAnswer<{
            repositoryOwner: {
              repositories: {
                pageInfo: { hasNextPage: boolean; endCursor: string | null };
                nodes: RepositoryNode[];
              };
            } | null;
          }> = await this.graphql(
            owner,
            query,
            {
              org: owner,
              cursor,
              pageSize: PAGE_SIZE,
              ...(withFile ? { expression: this.expression() } : {}),
            },
            signal,
          );
          const connection = answer.data?.repositoryOwner?.repositories;
          if (!connection) {
            const why =
              answer.errors?.map((e) => e.message).join('; ') || 'no repositories in the answer';
            throw new Error(`Listing the repositories of ${owner} failed: ${why}`);
          }
          for (const error of answer.errors ?? []) {
            errors.push({ source: owner, message: `GraphQL: ${error.message}` });
            complete = false;
          }
          for (const node of connection.nodes) {
            if (!node) continue;
            seen++;
            const repo = factsOf(node);
            if (filterReason(repo, config.filters)) continue;
            if (withFile) {
              const location = this.fileLocation(repo, node);
              if (location) locations.push(location);
            } else {
              globbed.push(repo);
            }
          }
          cursor = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
        } while (cursor);
      } catch (error) {
        fail(owner, error);
      }
    }

    // Glob paths: one conditional tree request per repository, a few at a time.
    // A rate limit that cannot be waited out, or the budget, stops the rest at once.
    let stop: unknown;
    let next = 0;
    let unread = 0;
    const worker = async () => {
      while (next < globbed.length && !stop) {
        const repo = globbed[next++]!;
        try {
          const files = await this.treeFiles(repo, signal);
          if (files.length) found.push({ repo, files });
        } catch (error) {
          if (error instanceof RateLimitError || error instanceof BudgetExceededError) {
            stop ??= error;
            unread++;
            complete = false;
          } else {
            fail(this.sourceOf(repo), error);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: TREE_CONCURRENCY }, worker));
    if (stop) {
      if (signal.aborted) throw signal.reason ?? stop;
      errors.push({
        source: config.organization ?? `GitHub App ${config.app}`,
        message: `${unread + globbed.length - next} repositories were not read: ${messageOf(stop)}`,
      });
    }

    if (found.length) locations.push(...(await this.treeLocations(found, signal)));

    // The same world gives the same list, in the same order, whatever the paging did.
    locations.sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
    const cost = this.cost();
    this.logger.info('GitHub discovery scan finished', {
      repositories: seen,
      locations: locations.length,
      complete,
      requests: cost.requests,
      graphqlCost: cost.graphqlCost,
    });
    return { locations, repositoriesSeen: seen, cost, errors, complete };
  }

  /** A repository's locations now: its catalog file from GraphQL, or from its tree with a glob. */
  async locationsOf(repo: RepositoryFacts, signal: AbortSignal): Promise<DiscoveredLocation[]> {
    if (this.settings.glob) {
      const files = await this.treeFiles(repo, signal);
      return files.length ? this.treeLocations([{ repo, files }], signal) : [];
    }
    const owner = this.ownerOf(repo);
    const answer = await this.graphql<{ repository: RepositoryNode | null }>(
      owner,
      repositoryQuery(true),
      { org: owner, name: repo.name, expression: this.expression() },
      signal,
    );
    const node = answer.data?.repository;
    if (!node) return [];
    const now = factsOf(node);
    if (filterReason(now, this.settings.config.filters)) return [];
    const location = this.fileLocation(now, node);
    return location ? [location] : [];
  }

  async onEvent(event: WebhookEvent, signal: AbortSignal): Promise<ProviderEffect | undefined> {
    // An app installed somewhere new (or repositories added to an installation): scan again.
    if (
      event.source === 'github' &&
      !this.settings.config.organization &&
      (event.type === 'installation' || event.type === 'installation_repositories')
    ) {
      return { rescan: true };
    }
    return githubEventEffect(
      event,
      this.settings,
      {
        locations: (repo, s) => this.locationsOf(repo, s),
        owns: (owner) => this.owns(owner),
      },
      signal,
    );
  }
}

/** Contributed to the catalog's providers extension point: one provider per configured id. */
export const githubDiscoveryFactory: CatalogProviderFactory = {
  name: 'github',
  create(ctx) {
    return {
      providers: ctx.config.catalog.providers.github.map(
        (config) => new GithubDiscoveryProvider(config, ctx),
      ),
    };
  },
};
