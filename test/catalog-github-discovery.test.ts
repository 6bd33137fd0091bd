/**
 * GitHub discovery (`catalog.providers.github`) against the local GitHub stand-in
 * (test/helpers/github-standin.ts: REST + GraphQL over real bare git repositories, with rate
 * limits and ETags): each filter, glob catalog paths, rate limits, the request budget, ETags
 * on a re-scan, webhook events; then end to end through a real server on both engines.
 */
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../src/core/config/index.ts';
import { createLogger } from '../src/core/logger.ts';
import { readingPolicy } from '../src/core/reading/allow-list.ts';
import type { ProviderStatus } from '../src/plugins/catalog/common/providers.ts';
import {
  GithubDiscoveryProvider,
  githubDiscoveryFactory,
} from '../src/plugins/catalog/server/providers/github/discovery.ts';
import {
  githubFileRequest,
  githubGraphqlUrl,
} from '../src/plugins/catalog/server/providers/github/file-url.ts';
import type {
  ProviderContext,
  ScanResult,
  WebhookEvent,
} from '../src/plugins/catalog/server/providers/types.ts';
import {
  componentYaml,
  type GithubStandin,
  generateRepos,
  startGithubStandin,
} from './helpers/github-standin.ts';
import { type Engine, ENGINES, startTestServer, type TestServer } from './helpers/server.ts';

const TOKEN = 'ghp_standin_token';

async function loadTestConfig(standin: GithubStandin, github: unknown) {
  const dir = mkdtempSync(join(tmpdir(), 'atrium-github-config-'));
  try {
    const file = join(dir, 'app-config.yaml');
    writeFileSync(
      file,
      stringify({
        integrations: {
          github: [{ host: standin.host, apiBaseUrl: standin.apiBaseUrl, token: TOKEN }],
        },
        catalog: { providers: { github } },
      }),
    );
    return (await loadConfig({ configPaths: [file], cwd: dir, env: {} })).config;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function context(standin: GithubStandin, github: unknown): Promise<ProviderContext> {
  const config = await loadTestConfig(standin, github);
  return { config, logger: createLogger({ level: 'error' }), policy: () => readingPolicy(config) };
}

async function provider(
  standin: GithubStandin,
  settings: Record<string, unknown> = {},
  options: ConstructorParameters<typeof GithubDiscoveryProvider>[2] = {},
): Promise<GithubDiscoveryProvider> {
  const ctx = await context(standin, {
    acme: { organization: standin.org, host: standin.host, ...settings },
  });
  return new GithubDiscoveryProvider(ctx.config.catalog.providers.github[0]!, ctx, options);
}

const scan = (p: GithubDiscoveryProvider): Promise<ScanResult> =>
  p.scan(AbortSignal.timeout(60_000));
const sources = (result: ScanResult) => [...new Set(result.locations.map((l) => l.source))].sort();
const blob = (standin: GithubStandin, repo: string, path = 'catalog-info.yaml', branch = 'main') =>
  `${standin.base}/${standin.org}/${repo}/blob/${branch}/${path}`;

/** The organisation whose repositories exercise every filter. */
function seed(gh: GithubStandin): void {
  gh.addRepo({
    name: 'api',
    files: { 'catalog-info.yaml': componentYaml('api'), 'README.md': '# api' },
    topics: ['backstage', 'go'],
  });
  gh.addRepo({
    name: 'web',
    files: { 'catalog-info.yaml': componentYaml('web') },
    topics: ['backstage', 'frontend'],
    visibility: 'private',
  });
  gh.addRepo({
    name: 'internal-tool',
    files: { 'catalog-info.yaml': componentYaml('internal-tool') },
    visibility: 'internal',
  });
  gh.addRepo({ name: 'old', files: { 'catalog-info.yaml': componentYaml('old') }, archived: true });
  gh.addRepo({
    name: 'api-fork',
    files: { 'catalog-info.yaml': componentYaml('api-fork') },
    fork: true,
  });
  gh.addRepo({ name: 'no-catalog', files: { 'README.md': '# nothing' } });
  gh.addRepo({ name: 'empty' });
  gh.addRepo({
    name: 'develop-only',
    files: { 'catalog-info.yaml': componentYaml('develop-only') },
    defaultBranch: 'develop',
  });
  gh.addRepo({
    name: 'mono',
    files: {
      'catalog-info.yaml': componentYaml('mono'),
      'services/a/catalog-info.yaml': componentYaml('mono-a'),
      'services/b/catalog-info.yaml': componentYaml('mono-b'),
      'services/b/other.yaml': 'not: a catalog file\n',
    },
  });
  gh.addRepo({
    name: 'experiment',
    files: { 'catalog-info.yaml': componentYaml('experiment') },
    topics: ['backstage', 'experimental'],
  });
}

describe('GitHub discovery against the stand-in', () => {
  let gh: GithubStandin;

  beforeAll(async () => {
    gh = await startGithubStandin({ org: 'acme', token: TOKEN });
    seed(gh);
  });
  afterAll(() => gh?.close());
  beforeEach(() => gh.resetCounters());

  it('serves real git repositories: git reads what the API answers', async () => {
    const repo = gh.repos.get('mono')!;
    execFileSync('git', ['--git-dir', repo.gitDir, 'fsck', '--strict'], { stdio: 'pipe' });
    const text = execFileSync(
      'git',
      ['--git-dir', repo.gitDir, 'show', 'main:services/a/catalog-info.yaml'],
      { encoding: 'utf8' },
    );
    expect(text).toBe(componentYaml('mono-a'));
    const response = await fetch(
      `${gh.apiBaseUrl}/repos/acme/mono/contents/services/a/catalog-info.yaml?ref=main`,
      {
        headers: { authorization: `Bearer ${TOKEN}`, accept: 'application/vnd.github.raw' },
      },
    );
    expect(await response.text()).toBe(text);
    expect(response.headers.get('x-ratelimit-remaining')).toBe('4999');
  });

  it('lists the repositories with the catalog file in one GraphQL query, file text included', async () => {
    const p = await provider(gh);
    const result = await scan(p);
    expect(result.errors).toEqual([]);
    expect(result.complete).toBe(true);
    expect(result.repositoriesSeen).toBe(10);
    // Not: old (archived), no-catalog (no file), empty (no branch).
    expect(sources(result)).toEqual([
      'acme/api',
      'acme/api-fork',
      'acme/develop-only',
      'acme/experiment',
      'acme/internal-tool',
      'acme/mono',
      'acme/web',
    ]);
    const api = result.locations.find((l) => l.source === 'acme/api')!;
    expect(api.type).toBe('url');
    expect(api.target).toBe(blob(gh, 'api'));
    expect(api.prefetched?.content).toBe(componentYaml('api'));
    const oid = execFileSync(
      'git',
      ['--git-dir', gh.repos.get('api')!.gitDir, 'rev-parse', 'main:catalog-info.yaml'],
      { encoding: 'utf8' },
    ).trim();
    expect(api.prefetched?.version).toBe(oid);
    expect(result.locations.find((l) => l.source === 'acme/develop-only')!.target).toBe(
      blob(gh, 'develop-only', 'catalog-info.yaml', 'develop'),
    );
    // One query, no file reads: the text came with it.
    expect(gh.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/graphql']);
    expect(gh.requests[0]!.authorization).toBe(`Bearer ${TOKEN}`);
    expect(gh.requests[0]!.graphql?.variables).toMatchObject({
      org: 'acme',
      pageSize: 100,
      expression: 'HEAD:catalog-info.yaml',
    });
    expect(result.cost).toEqual({
      requests: 1,
      notModified: 0,
      graphqlCost: 1,
      rateLimitRemaining: 4999,
    });
    // The same world gives the same list, in the same order.
    expect((await scan(p)).locations).toEqual(result.locations);
  });

  it('applies filters.repository as a whole-name regular expression', async () => {
    expect(sources(await scan(await provider(gh, { filters: { repository: 'api.*' } })))).toEqual([
      'acme/api',
      'acme/api-fork',
    ]);
    // Anchored as in Backstage: `pi` alone matches no whole name.
    expect(sources(await scan(await provider(gh, { filters: { repository: 'pi' } })))).toEqual([]);
  });

  it('applies topic include and exclude (exclude wins)', async () => {
    const include = await scan(
      await provider(gh, { filters: { topic: { include: ['backstage'] } } }),
    );
    expect(sources(include)).toEqual(['acme/api', 'acme/experiment', 'acme/web']);
    const both = await scan(
      await provider(gh, {
        filters: { topic: { include: ['backstage'], exclude: ['experimental'] } },
      }),
    );
    expect(sources(both)).toEqual(['acme/api', 'acme/web']);
    const exclude = await scan(
      await provider(gh, { filters: { topic: { exclude: ['experimental', 'go'] } } }),
    );
    expect(sources(exclude)).toEqual([
      'acme/api-fork',
      'acme/develop-only',
      'acme/internal-tool',
      'acme/mono',
      'acme/web',
    ]);
  });

  it('applies filters.visibility, allowForks and allowArchived', async () => {
    const visibility = await scan(
      await provider(gh, { filters: { visibility: ['private', 'internal'] } }),
    );
    expect(sources(visibility)).toEqual(['acme/internal-tool', 'acme/web']);
    const noForks = await scan(await provider(gh, { filters: { allowForks: false } }));
    expect(sources(noForks)).not.toContain('acme/api-fork');
    expect(sources(noForks)).toHaveLength(6);
    const archived = await scan(await provider(gh, { filters: { allowArchived: true } }));
    expect(sources(archived)).toContain('acme/old');
    expect(sources(archived)).toHaveLength(8);
  });

  it('reads filters.branch instead of the default branch', async () => {
    const result = await scan(await provider(gh, { filters: { branch: 'develop' } }));
    expect(result.locations.map((l) => l.target)).toEqual([
      blob(gh, 'develop-only', 'catalog-info.yaml', 'develop'),
    ]);
    expect(gh.requests[0]!.graphql?.variables.expression).toBe('develop:catalog-info.yaml');
  });

  it('reads a catalogPath in a folder', async () => {
    const result = await scan(await provider(gh, { catalogPath: '/services/a/catalog-info.yaml' }));
    expect(result.locations).toHaveLength(1);
    expect(result.locations[0]).toMatchObject({
      target: blob(gh, 'mono', 'services/a/catalog-info.yaml'),
      prefetched: { content: componentYaml('mono-a') },
    });
  });

  it('reads a glob catalogPath from each tree, texts in one GraphQL query; an unchanged re-scan is one query', async () => {
    const p = await provider(gh, { catalogPath: '**/catalog-info.yaml' });
    const first = await scan(p);
    expect(first.complete).toBe(true);
    expect(first.locations.filter((l) => l.source === 'acme/mono').map((l) => l.target)).toEqual([
      blob(gh, 'mono', 'catalog-info.yaml'),
      blob(gh, 'mono', 'services/a/catalog-info.yaml'),
      blob(gh, 'mono', 'services/b/catalog-info.yaml'),
    ]);
    expect(first.locations).toHaveLength(9);
    const monoB = first.locations.find((l) => l.target.endsWith('services/b/catalog-info.yaml'));
    expect(monoB?.prefetched?.content).toBe(componentYaml('mono-b'));
    expect(first.locations.every((l) => l.prefetched?.version.match(/^[0-9a-f]{40}$/))).toBe(true);
    // The listing without file text, one tree per repository kept (8 with a branch), then the
    // nine texts in one query.
    const graphql = gh.requests.filter((r) => r.resource === 'graphql');
    expect(graphql).toHaveLength(2);
    expect(graphql[0]!.graphql?.query).not.toContain('object(expression');
    expect(graphql[1]!.graphql?.query.match(/object\(oid:/g)).toHaveLength(9);
    const trees = gh.requests.filter((r) => r.path.includes('/git/trees/'));
    expect(trees.map((r) => r.path).sort()).toContain(
      '/api/v3/repos/acme/develop-only/git/trees/develop?recursive=1',
    );
    expect(trees).toHaveLength(8);
    expect(first.cost).toMatchObject({ requests: 10, notModified: 0, graphqlCost: 2 });

    // Unchanged: every default branch still points at the commit read, the texts are held.
    gh.resetCounters();
    const second = await scan(p);
    expect(second.locations).toEqual(first.locations);
    expect(second.cost).toMatchObject({ requests: 1, graphqlCost: 1 });
    expect(gh.rate.core.used).toBe(0);

    // A changed repository's tree is read again (and only that one), and only the new text.
    gh.commit('api', { 'docs/catalog-info.yaml': componentYaml('api-docs') });
    gh.resetCounters();
    const third = await scan(p);
    expect(
      third.locations.find((l) => l.target === blob(gh, 'api', 'docs/catalog-info.yaml')),
    ).toMatchObject({ prefetched: { content: componentYaml('api-docs') } });
    expect(gh.requests.map((r) => r.path)).toEqual([
      '/api/graphql',
      '/api/v3/repos/acme/api/git/trees/main?recursive=1',
      '/api/graphql',
    ]);
    expect(gh.requests[2]!.graphql?.query.match(/object\(oid:/g)).toHaveLength(1);
    gh.commit('api', { 'docs/catalog-info.yaml': null });
  });

  it('with a glob and filters.branch, asks for each tree conditionally: unchanged trees answer 304 (free)', async () => {
    const p = await provider(gh, {
      catalogPath: '**/catalog-info.yaml',
      filters: { branch: 'main' },
    });
    const first = await scan(p);
    expect(first.locations).toHaveLength(8);
    gh.resetCounters();
    const second = await scan(p);
    expect(second.locations).toEqual(first.locations);
    // 8 trees (develop-only has no main: 404), 7 of them 304; no text fetched again.
    expect(second.cost).toMatchObject({ requests: 9, notModified: 7, graphqlCost: 1 });
    expect(gh.requests.filter((r) => r.status === 304)).toHaveLength(7);
    // GitHub does not count a 304: only the 404 was charged.
    expect(gh.rate.core.used).toBe(1);
  });

  it('refuses validateLocationsExist with a glob catalogPath, as Backstage does', async () => {
    const error = await loadTestConfig(gh, {
      organization: 'acme',
      host: gh.host,
      catalogPath: '**/catalog-info.yaml',
      validateLocationsExist: true,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error.message)).toMatch(
      /catalog\.providers\.github\.validateLocationsExist cannot be true while catalogPath \*\*\/catalog-info\.yaml contains a wildcard/,
    );
  });

  it('names the missing token when the host has no integration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atrium-github-config-'));
    try {
      const file = join(dir, 'app-config.yaml');
      writeFileSync(
        file,
        stringify({ catalog: { providers: { github: { organization: 'acme' } } } }),
      );
      const { config } = await loadConfig({ configPaths: [file], cwd: dir, env: {} });
      expect(config.catalog.providers.github[0]).toMatchObject({
        id: 'default',
        host: 'github.com',
        catalogPath: 'catalog-info.yaml',
      });
      expect(() =>
        githubDiscoveryFactory.create({
          config,
          logger: createLogger({ level: 'error' }),
          policy: () => readingPolicy(config),
        }),
      ).toThrow(
        /catalog\.providers\.github: GitHub discovery of github\.com needs a token: add an integrations\.github entry/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports an unknown organisation as an incomplete scan', async () => {
    const ctx = await context(gh, { organization: 'nobody', host: gh.host });
    const p = new GithubDiscoveryProvider(ctx.config.catalog.providers.github[0]!, ctx);
    expect(p.id).toBe('github:default');
    const result = await scan(p);
    expect(result.complete).toBe(false);
    expect(result.errors[0]!.message).toMatch(
      /Could not resolve to an Organization with the login of 'nobody'/,
    );
  });
});

describe('GitHub discovery: paging, rate limits and budget', () => {
  let gh: GithubStandin;

  beforeAll(async () => {
    gh = await startGithubStandin({ org: 'big', token: TOKEN });
    generateRepos(gh, { count: 250 });
  });
  afterAll(() => gh?.close());
  beforeEach(() => gh.resetCounters());

  it('pages through 250 repositories in 3 queries of 100', async () => {
    const result = await scan(await provider(gh));
    expect(result.complete).toBe(true);
    expect(result.locations).toHaveLength(250);
    expect(result.cost).toMatchObject({ requests: 3, graphqlCost: 3 });
    expect(gh.requests.map((r) => r.graphql?.variables.cursor ?? null)).toEqual([
      null,
      expect.any(String),
      expect.any(String),
    ]);
  });

  it('waits for the reset when the GraphQL limit is spent, then completes', async () => {
    gh.setRateLimit('graphql', { remaining: 0, resetInMs: 1500 });
    const started = Date.now();
    const result = await scan(await provider(gh));
    expect(result.complete).toBe(true);
    expect(result.locations).toHaveLength(250);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(gh.requests.map((r) => r.status)).toEqual([403, 200, 200, 200]);
  });

  it('reports an incomplete scan when the reset is further away than the scan may wait', async () => {
    gh.setRateLimit('graphql', { remaining: 0, resetInMs: 3_600_000 });
    const result = await scan(await provider(gh, { schedule: { timeout: { seconds: 5 } } }));
    expect(result.complete).toBe(false);
    expect(result.locations).toEqual([]);
    expect(result.errors[0]!.message).toMatch(
      /Rate limited \(HTTP 403\).*would exceed the 5 s allowed/,
    );
    expect(result.cost.rateLimitRemaining).toBe(0);
    // One refused request, and no more.
    expect(gh.requests).toHaveLength(1);
    gh.resetCounters();
  });

  it('keeps what it saw when the limit runs out mid-scan, without removing anything', async () => {
    gh.setRateLimit('graphql', { remaining: 2, resetInMs: 3_600_000 });
    const result = await scan(await provider(gh, { schedule: { timeout: { seconds: 5 } } }));
    expect(result.complete).toBe(false);
    expect(result.locations).toHaveLength(200);
    gh.resetCounters();
  });

  it('waits out a secondary limit (429 with Retry-After)', async () => {
    gh.secondaryLimit(1, 1);
    const started = Date.now();
    const result = await scan(await provider(gh));
    expect(result.complete).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(gh.requests.map((r) => r.status)).toEqual([429, 200, 200, 200]);
  });

  it('stops at the request budget and reports the scan incomplete', async () => {
    const result = await scan(
      await provider(gh, { catalogPath: '**/catalog-info.yaml' }, { budget: 50 }),
    );
    expect(result.complete).toBe(false);
    expect(result.locations).toHaveLength(50);
    expect(result.errors.at(-1)!.message).toMatch(
      /200 repositories were not read: The budget of 50 requests/,
    );
    // 50 trees; GraphQL has its own budget: the listing (3 pages) and the 50 texts (1 query).
    expect(gh.requests.filter((r) => r.resource === 'core')).toHaveLength(50);
    expect(result.cost).toMatchObject({ requests: 54, graphqlCost: 4 });
  });
});

describe('GitHub discovery: what a scan costs', () => {
  // The figures the issue asks for (requests and GraphQL points per scan), asserted exactly.
  it.each([
    [100, 1],
    [5000, 50],
  ])(
    '%i repositories: %i GraphQL queries of 1 point, no REST request, nothing read',
    async (count, queries) => {
      const gh = await startGithubStandin({ org: 'cost', token: TOKEN });
      try {
        generateRepos(gh, { count });
        const p = await provider(gh);
        const first = await scan(p);
        expect(first.locations).toHaveLength(count);
        expect(first.locations.every((l) => l.prefetched)).toBe(true);
        expect(first.cost).toMatchObject({
          requests: queries,
          graphqlCost: queries,
          notModified: 0,
        });
        expect(gh.rate).toMatchObject({ core: { used: 0 }, graphql: { used: queries } });
        // GraphQL has no ETags: an unchanged re-scan costs the same; the catalog then skips
        // every location by its blob id, so no file is read either time.
        const second = await scan(p);
        expect(second.cost).toMatchObject({ requests: queries, graphqlCost: queries });
        expect(gh.requests.filter((r) => r.resource === 'core')).toHaveLength(0);
      } finally {
        await gh.close();
      }
    },
    120_000,
  );

  it('a glob path costs one tree per repository and a query per 50 texts on the first scan, one query after', async () => {
    const gh = await startGithubStandin({ org: 'cost', token: TOKEN });
    try {
      generateRepos(gh, { count: 100 });
      const p = await provider(gh, { catalogPath: '**/catalog-info.yaml' });
      const first = await scan(p);
      expect(first.locations.every((l) => l.prefetched)).toBe(true);
      expect(first.cost).toMatchObject({ requests: 103, graphqlCost: 3, notModified: 0 });
      expect(gh.rate.core.used).toBe(100);
      expect((await scan(p)).cost).toMatchObject({ requests: 1, graphqlCost: 1 });
      expect(gh.rate.core.used).toBe(100);
    } finally {
      await gh.close();
    }
  });
});

describe('GitHub discovery: webhook events', () => {
  let gh: GithubStandin;
  let p: GithubDiscoveryProvider;
  const signal = () => AbortSignal.timeout(10_000);
  const event = (type: string, payload: Record<string, unknown>): WebhookEvent => ({
    source: 'github',
    type,
    payload,
  });

  beforeAll(async () => {
    gh = await startGithubStandin({ org: 'acme', token: TOKEN });
    seed(gh);
    p = await provider(gh, { filters: { allowForks: false, visibility: ['public', 'internal'] } });
  });
  afterAll(() => gh?.close());
  beforeEach(() => gh.resetCounters());

  it('a push changing the catalog file upserts it with the new text (one GraphQL query)', async () => {
    const commit = gh.commit('api', {
      'catalog-info.yaml': componentYaml('api', { owner: 'team-b' }),
    });
    const effect = await p.onEvent(event('push', gh.events.push('api', commit)), signal());
    expect(effect).toEqual({
      upsert: [
        {
          type: 'url',
          target: blob(gh, 'api'),
          source: 'acme/api',
          prefetched: {
            content: componentYaml('api', { owner: 'team-b' }),
            version: expect.any(String),
          },
        },
      ],
    });
    expect(gh.requests).toHaveLength(1);
  });

  it('a push removing the catalog file removes its location', async () => {
    const commit = gh.commit('internal-tool', { 'catalog-info.yaml': null });
    const effect = await p.onEvent(
      event('push', gh.events.push('internal-tool', commit)),
      signal(),
    );
    expect(effect).toEqual({ remove: [{ type: 'url', target: blob(gh, 'internal-tool') }] });
  });

  it('ignores a push to another branch; a push of other files refreshes those files only', async () => {
    const other = gh.commit(
      'api',
      { 'catalog-info.yaml': componentYaml('api', { owner: 'x' }) },
      { branch: 'feature' },
    );
    expect(await p.onEvent(event('push', gh.events.push('api', other)), signal())).toBeUndefined();
    const readme = gh.commit('api', { 'README.md': '# api, changed' });
    expect(await p.onEvent(event('push', gh.events.push('api', readme)), signal())).toEqual({
      refresh: [{ type: 'url', target: blob(gh, 'api', 'README.md') }],
    });
    expect(gh.requests).toHaveLength(0);
  });

  it('a created repository is upserted when it passes the filters; a fork is not', async () => {
    gh.addRepo({ name: 'fresh', files: { 'catalog-info.yaml': componentYaml('fresh') } });
    const effect = await p.onEvent(
      event('repository', gh.events.repository('created', 'fresh')),
      signal(),
    );
    expect(effect?.upsert?.map((l) => l.target)).toEqual([blob(gh, 'fresh')]);
    gh.addRepo({
      name: 'fresh-fork',
      files: { 'catalog-info.yaml': componentYaml('fresh-fork') },
      fork: true,
    });
    expect(
      await p.onEvent(event('repository', gh.events.repository('created', 'fresh-fork')), signal()),
    ).toBeUndefined();
  });

  it('deleted and archived remove; unarchived brings back', async () => {
    const deleted = gh.events.repository('deleted', 'fresh');
    gh.deleteRepo('fresh');
    expect(await p.onEvent(event('repository', deleted), signal())).toEqual({
      remove: [{ type: 'url', target: blob(gh, 'fresh') }],
    });
    gh.archiveRepo('experiment');
    expect(
      await p.onEvent(
        event('repository', gh.events.repository('archived', 'experiment')),
        signal(),
      ),
    ).toEqual({ remove: [{ type: 'url', target: blob(gh, 'experiment') }] });
    gh.archiveRepo('experiment', false);
    const back = await p.onEvent(
      event('repository', gh.events.repository('unarchived', 'experiment')),
      signal(),
    );
    expect(back?.upsert?.map((l) => l.target)).toEqual([blob(gh, 'experiment')]);
  });

  it('renamed removes the old location and upserts the new one', async () => {
    gh.renameRepo('mono', 'monorepo');
    const effect = await p.onEvent(
      event(
        'repository',
        gh.events.repository('renamed', 'monorepo', {
          changes: { repository: { name: { from: 'mono' } } },
        }),
      ),
      signal(),
    );
    expect(effect?.remove).toEqual([{ type: 'url', target: blob(gh, 'mono') }]);
    expect(effect?.upsert?.map((l) => l.target)).toEqual([blob(gh, 'monorepo')]);
  });

  it('transferred in upserts; transferred out removes the old location', async () => {
    const payload = gh.events.repository('transferred', 'monorepo', {
      changes: { owner: { from: { user: { login: 'someone' } } } },
    });
    expect((await p.onEvent(event('repository', payload), signal()))?.upsert).toHaveLength(1);
    const away = gh.events.repository('transferred', 'monorepo', {
      changes: { owner: { from: { organization: { login: 'acme' } } } },
    });
    (away.repository as Record<string, unknown>).owner = { login: 'elsewhere' };
    (away.repository as Record<string, unknown>).html_url = `${gh.base}/elsewhere/monorepo`;
    expect(await p.onEvent(event('repository', away), signal())).toEqual({
      remove: [{ type: 'url', target: blob(gh, 'monorepo') }],
    });
  });

  it('privatized and publicized re-evaluate the visibility filter', async () => {
    gh.updateRepo('api', { visibility: 'private' });
    expect(
      await p.onEvent(event('repository', gh.events.repository('privatized', 'api')), signal()),
    ).toEqual({ remove: [{ type: 'url', target: blob(gh, 'api') }] });
    gh.updateRepo('api', { visibility: 'public' });
    const back = await p.onEvent(
      event('repository', gh.events.repository('publicized', 'api')),
      signal(),
    );
    expect(back?.upsert?.map((l) => l.target)).toEqual([blob(gh, 'api')]);
  });

  it('ignores events of other organisations, hosts and sources', async () => {
    const commit = gh.commit('api', { 'catalog-info.yaml': componentYaml('api', { owner: 'y' }) });
    const payload = gh.events.push('api', commit);
    const otherOrg = {
      ...payload,
      repository: { ...(payload.repository as object), owner: { login: 'other' } },
    };
    expect(await p.onEvent(event('push', otherOrg), signal())).toBeUndefined();
    const otherHost = {
      ...payload,
      repository: { ...(payload.repository as object), html_url: 'https://github.com/acme/api' },
    };
    expect(await p.onEvent(event('push', otherHost), signal())).toBeUndefined();
    expect(await p.onEvent({ source: 'gitlab', type: 'push', payload }, signal())).toBeUndefined();
    expect(gh.requests).toHaveLength(0);
  });

  it('with a glob: a push adding a file upserts it, a deleted repository asks for a scan', async () => {
    const globbed = await provider(gh, { catalogPath: '**/catalog-info.yaml' });
    const commit = gh.commit('monorepo', {
      'services/c/catalog-info.yaml': componentYaml('mono-c'),
      'services/a/catalog-info.yaml': null,
    });
    expect(
      await globbed.onEvent(event('push', gh.events.push('monorepo', commit)), signal()),
    ).toEqual({
      upsert: [
        {
          type: 'url',
          target: blob(gh, 'monorepo', 'services/c/catalog-info.yaml'),
          source: 'acme/monorepo',
        },
      ],
      remove: [{ type: 'url', target: blob(gh, 'monorepo', 'services/a/catalog-info.yaml') }],
    });
    expect(
      await globbed.onEvent(
        event('repository', gh.events.repository('deleted', 'monorepo')),
        signal(),
      ),
    ).toEqual({ rescan: true });
  });
});

describe('githubFileRequest', () => {
  const integrations = {
    github: [
      { host: 'github.com', apiBaseUrl: 'https://api.github.com', token: 'ghp_x' },
      { host: 'ghe.example.com', apiBaseUrl: 'https://ghe.example.com/api/v3' },
      { host: '127.0.0.1:4000', apiBaseUrl: 'http://127.0.0.1:4000/api/v3', token: 't' },
    ],
  };

  it('maps a blob URL to the contents API with the raw media type and the token', () => {
    expect(
      githubFileRequest('https://github.com/acme/api/blob/main/catalog-info.yaml', integrations),
    ).toEqual({
      url: 'https://api.github.com/repos/acme/api/contents/catalog-info.yaml?ref=main',
      headers: { accept: 'application/vnd.github.raw', authorization: 'Bearer ghp_x' },
    });
    expect(
      githubFileRequest('https://ghe.example.com/acme/api/blob/dev/a%20b/c.yaml', integrations),
    ).toEqual({
      url: 'https://ghe.example.com/api/v3/repos/acme/api/contents/a%20b/c.yaml?ref=dev',
      headers: { accept: 'application/vnd.github.raw' },
    });
    expect(
      githubFileRequest(
        'http://127.0.0.1:4000/acme/api/blob/main/x/catalog-info.yaml',
        integrations,
      )?.url,
    ).toBe('http://127.0.0.1:4000/api/v3/repos/acme/api/contents/x/catalog-info.yaml?ref=main');
    // github.com is known without configuration, as in Backstage.
    expect(githubFileRequest('https://github.com/a/b/blob/main/c.yaml', {})?.url).toBe(
      'https://api.github.com/repos/a/b/contents/c.yaml?ref=main',
    );
  });

  it('leaves anything else to the plain fetch', () => {
    expect(githubFileRequest('https://github.com/acme/api', integrations)).toBeUndefined();
    expect(
      githubFileRequest('https://github.com/acme/api/tree/main/docs', integrations),
    ).toBeUndefined();
    expect(
      githubFileRequest('https://gitlab.com/acme/api/blob/main/c.yaml', integrations),
    ).toBeUndefined();
    expect(
      githubFileRequest('http://127.0.0.1:4001/acme/api/blob/main/c.yaml', integrations),
    ).toBeUndefined();
    expect(githubFileRequest('not a url', integrations)).toBeUndefined();
  });

  it('puts GraphQL beside the REST base', () => {
    expect(githubGraphqlUrl('https://api.github.com')).toBe('https://api.github.com/graphql');
    expect(githubGraphqlUrl('https://ghe.example.com/api/v3/')).toBe(
      'https://ghe.example.com/api/graphql',
    );
  });
});

describe.each(ENGINES)('GitHub discovery through the server (%s)', (engine: Engine) => {
  const SECRET = 'github-webhook-secret';
  const PROVIDER = 'github:acme';
  let gh: GithubStandin;
  let server: TestServer;
  const api = (path: string, init?: RequestInit) => fetch(`${server.url}/api/catalog${path}`, init);

  async function status(): Promise<ProviderStatus> {
    const { items } = (await (await api('/providers')).json()) as { items: ProviderStatus[] };
    return items.find((p) => p.id === PROVIDER)!;
  }
  async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000) {
    const until = Date.now() + ms;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  async function ownerOf(name: string): Promise<string | undefined> {
    const response = await api(`/entities/by-name/component/default/${name}`);
    if (response.status !== 200) return undefined;
    return ((await response.json()) as { spec: { owner: string } }).spec.owner;
  }
  async function webhook(type: string, payload: Record<string, unknown>) {
    const body = JSON.stringify(payload);
    const response = await fetch(`${server.url}/api/events/http/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': type,
        'x-github-delivery': `delivery-${Math.random()}`,
        'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
      },
      body,
    });
    expect(response.status).toBe(202);
  }

  beforeAll(async () => {
    gh = await startGithubStandin({ org: 'acme', token: TOKEN });
    generateRepos(gh, { count: 12, prefix: 'svc-' });
    gh.addRepo({ name: 'no-catalog', files: { 'README.md': '#' } });
    server = await startTestServer({
      engine,
      catalog: {
        providers: {
          github: {
            acme: { organization: 'acme', host: gh.host, schedule: { frequency: false } },
          },
        },
      },
      extraConfig: {
        integrations: {
          github: [{ host: gh.host, apiBaseUrl: gh.apiBaseUrl, token: TOKEN }],
        },
        events: { modules: { github: { webhookSecret: SECRET } } },
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await gh?.close();
  });

  it('discovers the repositories: their entities appear, read from the scan’s text', async () => {
    const scanned = await waitFor(
      'the first scan',
      async () => (await status()).lastScan ?? undefined,
    );
    expect(scanned).toMatchObject({
      complete: true,
      repositoriesSeen: 13,
      locations: 12,
      locationsCreated: 12,
      requests: 1,
      graphqlCost: 1,
    });
    expect(await ownerOf('svc-07')).toBe('team-a');
    const entity = (await (await api('/entities/by-name/component/default/svc-07')).json()) as {
      metadata: { annotations: Record<string, string> };
    };
    expect(entity.metadata.annotations['backstage.io/managed-by-location']).toBe(
      `url:${blob(gh, 'svc-07')}`,
    );
    // No file was requested: GraphQL brought every text.
    expect(gh.requests.filter((r) => r.path.includes('/contents/'))).toHaveLength(0);

    // An unchanged re-scan: one query, nothing read again.
    gh.resetCounters();
    const again = await api(`/providers/${encodeURIComponent(PROVIDER)}/refresh?wait=true`, {
      method: 'POST',
    });
    expect(again.status).toBe(200);
    expect((await status()).lastScan).toMatchObject({
      locationsUnchanged: 12,
      locationsRead: 0,
      requests: 1,
    });
    expect(gh.requests).toHaveLength(1);
  });

  it('a push webhook updates the entity within 5 seconds', async () => {
    const commit = gh.commit('svc-03', {
      'catalog-info.yaml': componentYaml('svc-03', { owner: 'team-pushed' }),
    });
    const started = Date.now();
    await webhook('push', gh.events.push('svc-03', commit));
    await waitFor('the pushed owner', async () =>
      (await ownerOf('svc-03')) === 'team-pushed' ? true : undefined,
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a deleted repository’s entities disappear', async () => {
    const payload = gh.events.repository('deleted', 'svc-05');
    gh.deleteRepo('svc-05');
    expect(await ownerOf('svc-05')).toBe('team-a');
    await webhook('repository', payload);
    await waitFor('svc-05 to go', async () =>
      (await ownerOf('svc-05')) === undefined ? true : undefined,
    );
    expect((await status()).locations).toBe(11);
  });

  it('a repository deleted between scans is removed by the next scan', async () => {
    gh.deleteRepo('svc-06');
    const response = await api(`/providers/${encodeURIComponent(PROVIDER)}/refresh?wait=true`, {
      method: 'POST',
    });
    expect(response.status).toBe(200);
    expect((await status()).lastScan).toMatchObject({ complete: true, locationsRemoved: 1 });
    expect(await ownerOf('svc-06')).toBeUndefined();
  });
});
