import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Entity } from '../src/model/entity.ts';
import type { ProviderStatus } from '../src/plugins/catalog/common/providers.ts';
import { ScmHttpClient } from '../src/core/reading/scm-http.ts';
import { readingPolicy } from '../src/core/reading/allow-list.ts';
import { ConfigError } from '../src/core/config/index.ts';
import {
  GitlabDiscoveryProvider,
  gitlabDiscoveryFactory,
} from '../src/plugins/catalog/server/providers/gitlab/discovery.ts';
import {
  gitlabFileRequest,
  parseGitlabBlobUrl,
} from '../src/plugins/catalog/server/providers/gitlab/file-url.ts';
import type { ScanResult } from '../src/plugins/catalog/server/providers/types.ts';
import { gitlabProviderContext } from './helpers/gitlab-provider-context.ts';
import { GitlabStandin } from './helpers/gitlab-standin.ts';
import { ENGINES, startTestServer, type TestServer } from './helpers/server.ts';

const catalogFile = (name: string, extra = '') =>
  `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${name}\n${extra}spec:\n  type: service\n  lifecycle: production\n  owner: group:platform\n`;

let gl: GitlabStandin;

/** The test organisation: a group hierarchy whose projects exercise every filter. */
async function seed(standin: GitlabStandin): Promise<void> {
  standin.addGroup('acme', { name: 'ACME' });
  await standin.addProject('acme/platform/api', {
    files: { 'catalog-info.yaml': catalogFile('api'), 'README.md': '# api' },
    topics: ['backstage', 'go'],
  });
  await standin.addProject('acme/platform/infra/db', {
    files: { 'catalog-info.yaml': catalogFile('db') },
    defaultBranch: 'develop',
    topics: ['backstage'],
  });
  await standin.addProject('acme/web/site', {
    files: { 'catalog-info.yaml': catalogFile('site') },
    archived: true,
  });
  await standin.addProject('acme/web/api-fork', {
    files: { 'catalog-info.yaml': catalogFile('api-fork') },
    forkedFrom: 'acme/platform/api',
  });
  await standin.addProject('acme/web/no-catalog', { files: { 'README.md': '# nothing' } });
  await standin.addProject('acme/web/empty');
  await standin.addProject('acme/legacy', {
    files: { 'catalog-info.yaml': catalogFile('legacy') },
  });
  await standin.addProject('other/outside', {
    files: { 'catalog-info.yaml': catalogFile('outside') },
  });
}

async function provider(
  config: Record<string, unknown>,
  options: ConstructorParameters<typeof GitlabDiscoveryProvider>[2] = {},
): Promise<GitlabDiscoveryProvider> {
  const ctx = await gitlabProviderContext(gl, { acme: { host: gl.host, ...config } });
  return new GitlabDiscoveryProvider(ctx.config.catalog.providers.gitlab[0]!, ctx, options);
}

const scan = (p: GitlabDiscoveryProvider): Promise<ScanResult> =>
  p.scan(AbortSignal.timeout(30_000));

const sources = (result: ScanResult) => result.locations.map((l) => l.source).sort();

beforeAll(async () => {
  gl = await GitlabStandin.start();
  await seed(gl);
});

afterAll(async () => {
  await gl?.close();
});

beforeEach(() => {
  gl.clearRequests();
});

describe('GitLab discovery: scan', () => {
  it('lists the projects of the group and its subgroups that have the catalog file, with their text', async () => {
    const p = await provider({ group: 'acme' });
    const result = await scan(p);
    expect(result.errors).toEqual([]);
    expect(result.complete).toBe(true);
    expect(sources(result)).toEqual([
      'acme/legacy',
      'acme/platform/api',
      'acme/platform/infra/db',
      'acme/web/api-fork',
    ]);
    // Archived projects are not even listed (archived=false); the rest are, files or not.
    expect(result.repositoriesSeen).toBe(6);
    const api = result.locations.find((l) => l.source === 'acme/platform/api')!;
    expect(api.type).toBe('url');
    expect(api.target).toBe(`${gl.base}/acme/platform/api/-/blob/main/catalog-info.yaml`);
    expect(api.prefetched?.content).toBe(catalogFile('api'));
    // The version is the blob id git gives the file.
    expect(api.prefetched?.version).toMatch(/^[0-9a-f]{40}$/);
    const db = result.locations.find((l) => l.source === 'acme/platform/infra/db')!;
    expect(db.target).toBe(`${gl.base}/acme/platform/infra/db/-/blob/develop/catalog-info.yaml`);
    // What was sent: the group listing with subgroups, then one raw file read per candidate.
    const listing = gl.requestsTo(/^\/groups\/acme\/projects/);
    expect(listing).toHaveLength(1);
    const query = new URL(listing[0]!.path, gl.base).searchParams;
    expect(query.get('include_subgroups')).toBe('true');
    expect(query.get('archived')).toBe('false');
    expect(query.get('per_page')).toBe('100');
    expect(listing[0]!.token).toBe('glpat-standin');
    expect(gl.requestsTo(/\/repository\/files\/catalog-info\.yaml\/raw/)).toHaveLength(6);
    expect(result.cost.requests).toBe(gl.requests.length);
  });

  it('reads a subgroup alone (nested groups)', async () => {
    const result = await scan(await provider({ group: 'acme/platform' }));
    expect(sources(result)).toEqual(['acme/platform/api', 'acme/platform/infra/db']);
  });

  it('applies projectPattern, excludeRepos and topics', async () => {
    expect(
      sources(await scan(await provider({ group: 'acme', projectPattern: '^acme/platform/' }))),
    ).toEqual(['acme/platform/api', 'acme/platform/infra/db']);
    expect(
      sources(
        await scan(
          await provider({ group: 'acme', excludeRepos: ['acme/legacy', 'acme/web/api-fork'] }),
        ),
      ),
    ).toEqual(['acme/platform/api', 'acme/platform/infra/db']);
    gl.clearRequests();
    const topics = await scan(await provider({ group: 'acme', topics: ['backstage', 'go'] }));
    expect(sources(topics)).toEqual(['acme/platform/api']);
    expect(
      new URL(gl.requestsTo(/^\/groups\/acme\/projects/)[0]!.path, gl.base).searchParams.get(
        'topic',
      ),
    ).toBe('backstage,go');
  });

  it('skips forks with skipForkedRepos and reads archived projects with includeArchivedRepos', async () => {
    expect(
      sources(await scan(await provider({ group: 'acme', skipForkedRepos: true }))),
    ).not.toContain('acme/web/api-fork');
    const archived = await scan(await provider({ group: 'acme', includeArchivedRepos: true }));
    expect(sources(archived)).toContain('acme/web/site');
    expect(archived.repositoriesSeen).toBe(7);
  });

  it('reads `branch` in every project, and fallbackBranch where a project has no default branch', async () => {
    const main = await scan(await provider({ group: 'acme', branch: 'main' }));
    // db has only `develop`.
    expect(sources(main)).not.toContain('acme/platform/infra/db');
    await gl.addProject('acme/web/trunk-only');
    await gl.commit(
      'acme/web/trunk-only',
      { 'catalog-info.yaml': catalogFile('trunk') },
      { branch: 'trunk' },
    );
    gl.project('acme/web/trunk-only')!.defaultBranch = null;
    try {
      const fallback = await scan(await provider({ group: 'acme', fallbackBranch: 'trunk' }));
      const trunk = fallback.locations.find((l) => l.source === 'acme/web/trunk-only');
      expect(trunk?.target).toBe(`${gl.base}/acme/web/trunk-only/-/blob/trunk/catalog-info.yaml`);
      // Backstage's default fallback is master: the project is not found there.
      expect(sources(await scan(await provider({ group: 'acme' })))).not.toContain(
        'acme/web/trunk-only',
      );
    } finally {
      gl.deleteProject('acme/web/trunk-only');
    }
  });

  it('reads another file with entityFilename (Backstage) or catalogFile', async () => {
    await gl.commit('acme/platform/api', { 'docs/catalog.yaml': catalogFile('api-docs') });
    try {
      for (const key of ['entityFilename', 'catalogFile']) {
        const result = await scan(await provider({ group: 'acme', [key]: 'docs/catalog.yaml' }));
        expect(sources(result)).toEqual(['acme/platform/api']);
        expect(result.locations[0]!.target).toBe(
          `${gl.base}/acme/platform/api/-/blob/main/docs/catalog.yaml`,
        );
        expect(result.locations[0]!.prefetched?.content).toBe(catalogFile('api-docs'));
      }
    } finally {
      await gl.commit('acme/platform/api', { 'docs/catalog.yaml': null });
    }
  });

  it('reads the whole instance when no group is set (keyset pagination)', async () => {
    const result = await scan(await provider({}));
    expect(sources(result)).toContain('other/outside');
    const listing = gl.requestsTo(/^\/projects\?/);
    expect(listing.length).toBeGreaterThan(0);
    expect(new URL(listing[0]!.path, gl.base).searchParams.get('pagination')).toBe('keyset');
  });

  it('follows pages, and gives the same result in the same order run after run', async () => {
    for (let i = 0; i < 101; i++) {
      await gl.addProject(`paged/p${String(i).padStart(3, '0')}`, {
        files: i % 3 === 0 ? { 'catalog-info.yaml': catalogFile(`p${i}`) } : { 'README.md': 'x' },
      });
    }
    const p = await provider({ group: 'paged' });
    const first = await scan(p);
    expect(first.repositoriesSeen).toBe(101);
    expect(first.locations).toHaveLength(34);
    expect(
      gl
        .requestsTo(/^\/groups\/paged\/projects/)
        .map((r) => new URL(r.path, gl.base).searchParams.get('page')),
    ).toEqual([null, '2']);
    const second = await scan(p);
    expect(second.locations.map((l) => l.target)).toEqual(first.locations.map((l) => l.target));
  });

  it('sends conditional requests on the next scan: 304s, the same text and versions', async () => {
    const p = await provider({ group: 'acme' });
    const first = await scan(p);
    expect(first.cost.notModified).toBe(0);
    gl.clearRequests();
    const second = await scan(p);
    expect(second.cost.requests).toBe(first.cost.requests);
    // The listing and every file are answered 304 Not Modified; only the projects without the
    // file cost a full answer again (GitLab sends no ETag with a 404).
    const missing = gl.requests.filter((r) => r.status === 404);
    expect(missing.map((r) => r.path)).toHaveLength(2);
    expect(
      gl.requests.filter((r) => r.status !== 404).every((r) => r.status === 304 && r.ifNoneMatch),
    ).toBe(true);
    expect(second.cost.notModified).toBe(second.cost.requests - missing.length);
    expect(second.locations).toEqual(first.locations);
    // A changed file is a 200 again with a new version.
    await gl.commit('acme/platform/api', {
      'catalog-info.yaml': catalogFile('api', '  description: changed\n'),
    });
    const third = await scan(p);
    // The listing changed too: it carries the project's last_activity_at.
    expect(third.cost.notModified).toBe(third.cost.requests - 2 - missing.length);
    const api = third.locations.find((l) => l.source === 'acme/platform/api')!;
    expect(api.prefetched?.content).toContain('description: changed');
    expect(api.prefetched?.version).not.toBe(
      first.locations.find((l) => l.source === 'acme/platform/api')!.prefetched?.version,
    );
  });

  it('waits for the rate limit (429 with Retry-After) and finishes the scan', async () => {
    const limited = await GitlabStandin.start({ rateLimit: { limit: 4, windowMs: 1000 } });
    try {
      for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) {
        await limited.addProject(`rl/${name}`, {
          files: { 'catalog-info.yaml': catalogFile(name) },
        });
      }
      limited.exhaustRateLimit();
      const ctx = await gitlabProviderContext(limited, { rl: { host: limited.host, group: 'rl' } });
      const p = new GitlabDiscoveryProvider(ctx.config.catalog.providers.gitlab[0]!, ctx, {
        backoffMs: 50,
      });
      const result = await p.scan(AbortSignal.timeout(30_000));
      expect(result.errors).toEqual([]);
      expect(result.complete).toBe(true);
      expect(result.locations).toHaveLength(6);
      const statuses = limited.requests.map((r) => r.status);
      // The first request met the exhausted limit; the client waited for the reset.
      expect(statuses[0]).toBe(429);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
      expect(result.cost.rateLimitRemaining).toBeDefined();
      expect(result.cost.rateLimitRemaining).toBeLessThan(4);
    } finally {
      await limited.close();
    }
  });

  it('stops with an incomplete result, not an exception, when the limit outlasts the wait allowed', async () => {
    const limited = await GitlabStandin.start({ rateLimit: { limit: 2, windowMs: 3_600_000 } });
    try {
      await limited.addProject('rl/a', { files: { 'catalog-info.yaml': catalogFile('a') } });
      limited.exhaustRateLimit();
      const ctx = await gitlabProviderContext(limited, { rl: { host: limited.host, group: 'rl' } });
      const p = new GitlabDiscoveryProvider(ctx.config.catalog.providers.gitlab[0]!, ctx, {
        maxWaitMs: 200,
      });
      const result = await p.scan(AbortSignal.timeout(30_000));
      expect(result.complete).toBe(false);
      expect(result.errors[0]!.message).toMatch(/Rate limit|Rate limited/);
      expect(limited.requests).toHaveLength(1);
    } finally {
      await limited.close();
    }
  });

  it('stops at the request budget and reports the scan incomplete', async () => {
    const result = await scan(await provider({ group: 'acme' }, { budget: 3 }));
    expect(result.complete).toBe(false);
    expect(result.cost.requests).toBe(3);
    expect(result.errors.map((e) => e.message).join('\n')).toMatch(/budget of 3 requests/);
  });

  it('marks the scan incomplete when a page or a file check fails, naming what failed', async () => {
    gl.failNext('GET', /^\/groups\/acme\/projects/, { status: 500, body: { message: 'boom' } });
    const page = await scan(await provider({ group: 'acme' }));
    expect(page.complete).toBe(false);
    expect(page.errors[0]!.message).toContain('GitLab answered 500');
    expect(page.errors[0]!.message).toContain('boom');
    gl.failNext('GET', /^\/projects\/\d+\/repository\/files/, {
      status: 500,
      body: { message: 'disk' },
    });
    const file = await scan(await provider({ group: 'acme' }));
    expect(file.complete).toBe(false);
    expect(file.errors).toHaveLength(1);
    expect(file.errors[0]!.file).toBe('catalog-info.yaml');
    expect(file.locations.length).toBeGreaterThanOrEqual(3);
  });

  it('reports a group that does not exist and a refused token', async () => {
    const missing = await scan(await provider({ group: 'nope' }));
    expect(missing.complete).toBe(false);
    expect(missing.errors[0]!.message).toMatch(/404 Group Not Found/);
    const ctx = await gitlabProviderContext(
      gl,
      { acme: { host: gl.host, group: 'acme' } },
      'wrong',
    );
    const refused = await new GitlabDiscoveryProvider(
      ctx.config.catalog.providers.gitlab[0]!,
      ctx,
    ).scan(AbortSignal.timeout(10_000));
    expect(refused.errors[0]!.message).toMatch(/GitLab answered 401/);
  });
});

describe('GitLab discovery: webhook events', () => {
  it('refreshes a location when a push to the default branch touches the catalog file', async () => {
    const p = await provider({ group: 'acme' });
    await scan(p);
    const push = await gl.commit('acme/platform/api', {
      'catalog-info.yaml': catalogFile('api', '  description: pushed\n'),
    });
    const effect = await p.onEvent(
      { source: 'gitlab', type: 'push', payload: push },
      AbortSignal.timeout(10_000),
    );
    expect(effect?.upsert).toHaveLength(1);
    expect(effect!.upsert![0]!.target).toBe(
      `${gl.base}/acme/platform/api/-/blob/main/catalog-info.yaml`,
    );
    expect(effect!.upsert![0]!.prefetched?.content).toContain('description: pushed');
    expect(effect?.remove).toBeUndefined();
  });

  it('ignores pushes that do not touch the file, pushes to other branches and other sources', async () => {
    const p = await provider({ group: 'acme' });
    const signal = AbortSignal.timeout(10_000);
    gl.clearRequests();
    const readme = await gl.commit('acme/platform/api', { 'README.md': '# changed' });
    expect(
      await p.onEvent({ source: 'gitlab', type: 'push', payload: readme }, signal),
    ).toBeUndefined();
    const feature = await gl.commit(
      'acme/platform/api',
      { 'catalog-info.yaml': catalogFile('api', '  description: feature\n') },
      { branch: 'feature' },
    );
    expect(
      await p.onEvent({ source: 'gitlab', type: 'push', payload: feature }, signal),
    ).toBeUndefined();
    const outside = await gl.commit('other/outside', {
      'catalog-info.yaml': catalogFile('outside', '  description: x\n'),
    });
    expect(
      await p.onEvent({ source: 'gitlab', type: 'push', payload: outside }, signal),
    ).toBeUndefined();
    expect(
      await p.onEvent({ source: 'github', type: 'push', payload: readme }, signal),
    ).toBeUndefined();
    // None of these cost a request.
    expect(gl.requests).toHaveLength(0);
  });

  it('removes the location when a push deletes the catalog file, and adds it back when it returns', async () => {
    const p = await provider({ group: 'acme' });
    await scan(p);
    const signal = AbortSignal.timeout(10_000);
    const target = `${gl.base}/acme/legacy/-/blob/main/catalog-info.yaml`;
    const removed = await gl.commit('acme/legacy', { 'catalog-info.yaml': null });
    expect(await p.onEvent({ source: 'gitlab', type: 'push', payload: removed }, signal)).toEqual({
      remove: [{ type: 'url', target }],
    });
    const added = await gl.commit('acme/legacy', { 'catalog-info.yaml': catalogFile('legacy') });
    const effect = await p.onEvent({ source: 'gitlab', type: 'push', payload: added }, signal);
    expect(effect?.upsert?.map((l) => l.target)).toEqual([target]);
  });

  it('looks at the project again when a push lists more commits than the payload holds', async () => {
    const p = await provider({ group: 'acme' });
    const push = await gl.commit('acme/platform/api', { 'README.md': '# many commits' });
    const effect = await p.onEvent(
      { source: 'gitlab', type: 'push', payload: { ...push, total_commits_count: 40 } },
      AbortSignal.timeout(10_000),
    );
    expect(effect?.upsert?.map((l) => l.source)).toEqual(['acme/platform/api']);
  });

  it('follows project system hooks: create, archive, rename, transfer, destroy', async () => {
    const p = await provider({ group: 'acme' });
    await scan(p);
    const signal = AbortSignal.timeout(10_000);
    const on = (payload: Record<string, unknown>) =>
      p.onEvent({ source: 'gitlab', type: String(payload.event_name), payload }, signal);

    await gl.addProject('acme/web/new', { files: { 'catalog-info.yaml': catalogFile('new') } });
    const created = await on(gl.systemHook('project_create', gl.project('acme/web/new')!));
    expect(created?.upsert?.map((l) => l.target)).toEqual([
      `${gl.base}/acme/web/new/-/blob/main/catalog-info.yaml`,
    ]);

    const renamed = await on(gl.moveProject('acme/web/new', 'acme/web/renamed'));
    expect(renamed?.upsert?.map((l) => l.target)).toEqual([
      `${gl.base}/acme/web/renamed/-/blob/main/catalog-info.yaml`,
    ]);
    expect(renamed?.remove).toEqual([
      { type: 'url', target: `${gl.base}/acme/web/new/-/blob/main/catalog-info.yaml` },
    ]);

    const archived = await on(gl.setArchived('acme/web/renamed'));
    expect(archived).toEqual({
      remove: [
        { type: 'url', target: `${gl.base}/acme/web/renamed/-/blob/main/catalog-info.yaml` },
      ],
    });
    gl.setArchived('acme/web/renamed', false);
    await on(gl.systemHook('project_update', gl.project('acme/web/renamed')!));

    const transferred = await on(gl.moveProject('acme/web/renamed', 'other/renamed'));
    expect(transferred?.upsert).toBeUndefined();
    expect(transferred?.remove).toEqual([
      { type: 'url', target: `${gl.base}/acme/web/renamed/-/blob/main/catalog-info.yaml` },
    ]);
    gl.moveProject('other/renamed', 'acme/web/back');
    await on(gl.systemHook('project_create', gl.project('acme/web/back')!));
    const destroyed = await on(gl.deleteProject('acme/web/back'));
    expect(destroyed).toEqual({
      remove: [{ type: 'url', target: `${gl.base}/acme/web/back/-/blob/main/catalog-info.yaml` }],
    });
    // A project this replica never saw, destroyed: only a scan can tell which location it had.
    const fresh = await provider({ group: 'acme' });
    await gl.addProject('acme/web/unseen', {
      files: { 'catalog-info.yaml': catalogFile('unseen') },
    });
    expect(
      await fresh.onEvent(
        { source: 'gitlab', type: 'project_destroy', payload: gl.deleteProject('acme/web/unseen') },
        signal,
      ),
    ).toEqual({
      rescan: true,
    });
    expect(await on(gl.systemHook('project_create', gl.project('other/outside')!))).toBeUndefined();
  });
});

describe('GitLab blob URLs read through the API', () => {
  const integrations = (host: string, apiBaseUrl: string, token?: string) => ({
    gitlab: [{ host, apiBaseUrl, ...(token ? { token } : {}) }],
  });

  it('maps a blob URL to the raw file request with the token', () => {
    expect(
      gitlabFileRequest(
        'https://gitlab.example.com/acme/platform/api/-/blob/main/docs/catalog-info.yaml',
        integrations('gitlab.example.com', 'https://gitlab.example.com/api/v4', 't0k'),
      ),
    ).toEqual({
      url: 'https://gitlab.example.com/api/v4/projects/acme%2Fplatform%2Fapi/repository/files/docs%2Fcatalog-info.yaml/raw?ref=main',
      headers: { 'PRIVATE-TOKEN': 't0k' },
    });
    // gitlab.com needs no entry; other hosts do.
    expect(gitlabFileRequest('https://gitlab.com/g/p/-/blob/dev/c.yaml', undefined)?.url).toBe(
      'https://gitlab.com/api/v4/projects/g%2Fp/repository/files/c.yaml/raw?ref=dev',
    );
    expect(
      gitlabFileRequest('https://elsewhere.example.com/g/p/-/blob/main/c.yaml', undefined),
    ).toBeUndefined();
    expect(gitlabFileRequest('https://github.com/o/r/blob/main/c.yaml', undefined)).toBeUndefined();
    expect(gitlabFileRequest('not a url', undefined)).toBeUndefined();
    // An instance under a relative URL root.
    expect(
      gitlabFileRequest(
        'https://example.com/gitlab/g/p/-/blob/main/c.yaml',
        integrations('example.com', 'https://example.com/gitlab/api/v4'),
      )?.url,
    ).toBe('https://example.com/gitlab/api/v4/projects/g%2Fp/repository/files/c.yaml/raw?ref=main');
    // A group called `blob` does not confuse the parser.
    expect(parseGitlabBlobUrl(new URL('https://h/acme/blob/p/-/blob/main/c.yaml'))).toEqual({
      project: 'acme/blob/p',
      ref: 'main',
      path: 'c.yaml',
    });
  });

  it('reads the file from the stand-in, conditionally the second time', async () => {
    const ctx = await gitlabProviderContext(gl, { acme: { host: gl.host, group: 'acme' } });
    const request = gitlabFileRequest(
      `${gl.base}/acme/platform/infra/db/-/blob/develop/catalog-info.yaml`,
      ctx.config.integrations,
    )!;
    const client = new ScmHttpClient({ policy: () => readingPolicy(ctx.config) });
    const first = await client.request(request.url, { headers: request.headers });
    expect(first.status).toBe(200);
    expect(first.text).toBe(catalogFile('db'));
    const second = await client.request(request.url, { headers: request.headers });
    expect(second.notModified).toBe(true);
    expect(second.text).toBe(catalogFile('db'));
  });
});

describe('GitLab discovery config', () => {
  it('accepts one provider object (id default) or a map of ids, as Backstage writes it', async () => {
    const single = await gitlabProviderContext(gl, { host: gl.host, group: 'acme' });
    expect(single.config.catalog.providers.gitlab.map((c) => c.id)).toEqual(['default']);
    const map = await gitlabProviderContext(gl, {
      one: {
        host: gl.host,
        group: 'acme',
        schedule: { frequency: { minutes: 10 }, timeout: 'PT5M' },
      },
      two: { host: gl.host, group: 'other', orgEnabled: true, discoveryEnabled: false },
    });
    const [one, two] = map.config.catalog.providers.gitlab;
    expect(one).toMatchObject({
      id: 'one',
      group: 'acme',
      fallbackBranch: 'master',
      catalogFile: 'catalog-info.yaml',
      skipForkedRepos: false,
      includeArchivedRepos: false,
      schedule: { frequencyMs: 600_000, timeoutMs: 300_000, initialDelayMs: 0 },
    });
    expect(two).toMatchObject({ id: 'two', orgEnabled: true, discoveryEnabled: false });
    expect(gitlabDiscoveryFactory.create(map).providers.map((p) => p.id)).toEqual(['gitlab:one']);
  });

  it('names the key of a bad value', async () => {
    await expect(
      gitlabProviderContext(gl, { a: { host: gl.host, projectPattern: '([' } }),
    ).rejects.toThrow(
      /catalog\.providers\.gitlab\.a\.projectPattern is not a valid regular expression/,
    );
    await expect(gitlabProviderContext(gl, { a: { group: 'acme' } })).rejects.toThrow(
      /catalog\.providers\.gitlab\.a\.host is missing/,
    );
    await expect(
      gitlabProviderContext(gl, { host: gl.host, skipForkedRepos: 'maybe' }),
    ).rejects.toThrow(ConfigError);
    await expect(
      gitlabProviderContext(gl, {
        a: { host: gl.host, entityFilename: 'a.yaml', catalogFile: 'b.yaml' },
      }),
    ).rejects.toThrow(/catalogFile 'b.yaml' differs from entityFilename 'a.yaml'/);
  });

  it('refuses a host without an integrations.gitlab entry, saying where to add it', async () => {
    const ctx = await gitlabProviderContext(gl, {
      a: { host: 'gitlab.internal.example', group: 'g' },
    });
    expect(() => gitlabDiscoveryFactory.create(ctx)).toThrow(
      /catalog\.providers\.gitlab\.a\.host is gitlab\.internal\.example, but integrations\.gitlab has no entry/,
    );
  });
});

describe.each(ENGINES)('GitLab discovery and org data through a real server (%s)', (engine) => {
  const SECRET = 'gitlab-webhook-token-for-tests';
  let standin: GitlabStandin;
  let server: TestServer;

  const api = async <T>(path: string, init?: RequestInit): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${server.url}${path}`, init);
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const entity = async (ref: string): Promise<Entity | undefined> => {
    const [kind, rest] = ref.split(':') as [string, string];
    const [namespace, name] = rest.split('/') as [string, string];
    const { status, body } = await api<Entity>(
      `/api/catalog/entities/by-name/${kind}/${namespace}/${name}`,
    );
    return status === 200 ? body : undefined;
  };
  const targets = (e: Entity | undefined, type: string) =>
    (e?.relations ?? [])
      .filter((r) => r.type === type)
      .map((r) => r.targetRef)
      .sort();
  const statuses = async () =>
    (await api<{ items: ProviderStatus[] }>('/api/catalog/providers')).body.items;
  const hook = (payload: Record<string, unknown>, event: string) =>
    fetch(`${server.url}/api/events/http/gitlab`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-gitlab-token': SECRET,
        'x-gitlab-event': event,
        'x-gitlab-event-uuid': `uuid-${Math.random().toString(36).slice(2)}`,
      },
      body: JSON.stringify(payload),
    });
  async function until<T>(
    what: string,
    probe: () => Promise<T | undefined>,
    ms = 5000,
  ): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > end) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    standin = await GitlabStandin.start();
    standin.addGroup('acme', { name: 'ACME' });
    standin.addGroup('acme/platform', { name: 'Platform' });
    standin.addGroup('acme/platform/infra', { name: 'Infrastructure' });
    standin.addGroup('acme/web', { name: 'Web' });
    for (const username of ['alice', 'bob', 'carol']) {
      standin.addUser({
        username,
        name: username.toUpperCase(),
        public_email: `${username}@acme.com`,
      });
    }
    standin.addMember('acme', 'alice');
    standin.addMember('acme/platform', 'bob');
    standin.addMember('acme/platform/infra', 'carol');
    await standin.addProject('acme/platform/api', {
      files: { 'catalog-info.yaml': catalogFile('api') },
    });
    await standin.addProject('acme/platform/infra/db', {
      files: {
        'catalog-info.yaml': catalogFile('db').replace(
          'owner: group:platform',
          'owner: platform-infra',
        ),
      },
    });
    await standin.addProject('acme/web/site', {
      files: { 'catalog-info.yaml': catalogFile('site') },
    });
    await standin.addProject('acme/web/readme-only', { files: { 'README.md': '# no catalog' } });
    server = await startTestServer({
      engine,
      catalog: {
        providers: {
          gitlab: {
            acme: {
              host: standin.host,
              group: 'acme',
              orgEnabled: true,
              restrictUsersToGroup: true,
              schedule: { frequency: false },
            },
          },
        },
      },
      extraConfig: {
        integrations: {
          gitlab: [{ host: standin.host, apiBaseUrl: standin.api, token: standin.tokens[0] }],
        },
        events: { modules: { gitlab: { webhookSecret: SECRET } } },
      },
    });
    // Both providers scan once at start.
    await until(
      'the first scans',
      async () => {
        const items = await statuses();
        return items.filter((p) => p.id.endsWith(':acme') && p.lastScan).length === 2
          ? items
          : undefined;
      },
      30_000,
    );
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await standin?.close();
  });

  it('stores the discovered components and the org data with their relations', async () => {
    const items = await statuses();
    const discovery = items.find((p) => p.id === 'gitlab:acme')!;
    expect(discovery.lastScan).toMatchObject({
      complete: true,
      repositoriesSeen: 4,
      locations: 3,
      locationsCreated: 3,
      // One listing page and one file check per project; the reads used the scan's text.
      requests: 5,
    });
    expect(discovery.errors).toEqual([]);
    expect(items.find((p) => p.id === 'gitlabOrg:acme')!.lastScan).toMatchObject({
      complete: true,
      locations: 1,
      requests: 6,
    });
    // The first scan wrote every file read as one request (no read of its own).
    expect(standin.requestsTo(/\/repository\/files\//)).toHaveLength(4);

    const apiEntity = await entity('component:default/api');
    expect(apiEntity?.metadata.annotations?.['backstage.io/managed-by-location']).toBe(
      `url:${standin.base}/acme/platform/api/-/blob/main/catalog-info.yaml`,
    );
    expect(targets(apiEntity, 'ownedBy')).toEqual(['group:default/platform']);
    expect(targets(await entity('component:default/db'), 'ownedBy')).toEqual([
      'group:default/platform-infra',
    ]);
    const platform = await entity('group:default/platform');
    expect(platform?.spec).toMatchObject({
      type: 'team',
      parent: 'acme',
      children: ['platform-infra'],
    });
    expect(targets(platform, 'childOf')).toEqual(['group:default/acme']);
    expect(targets(platform, 'parentOf')).toEqual(['group:default/platform-infra']);
    expect(targets(platform, 'hasMember')).toEqual(['user:default/bob']);
    expect(targets(platform, 'ownerOf')).toEqual([
      'component:default/api',
      'component:default/site',
    ]);
    const carol = await entity('user:default/carol');
    expect(targets(carol, 'memberOf')).toEqual(['group:default/platform-infra']);
    expect(carol?.metadata.annotations?.['backstage.io/managed-by-origin-location']).toBe(
      `gitlab-org:${standin.base}/acme`,
    );
  });

  it('updates an entity within 5 seconds of a push webhook', async () => {
    const push = await standin.commit('acme/platform/api', {
      'catalog-info.yaml': catalogFile('api', '  description: Pushed through a webhook\n'),
    });
    const sent = Date.now();
    const response = await hook(push, 'Push Hook');
    expect(response.status).toBe(202);
    await until('the pushed description', async () =>
      (await entity('component:default/api'))?.metadata.description === 'Pushed through a webhook'
        ? true
        : undefined,
    );
    expect(Date.now() - sent).toBeLessThan(5000);
    // The status is written once the effect is applied.
    const webhook = await until(
      'the webhook on the status',
      async () => (await statuses()).find((p) => p.id === 'gitlab:acme')?.lastWebhook ?? undefined,
    );
    expect(webhook).toMatchObject({ upserted: 1, removed: 0 });
  });

  it('follows a membership event and removes the entities of a deleted project', async () => {
    const added = standin.addMember('acme/web', 'bob');
    expect((await hook(added, 'System Hook')).status).toBe(202);
    await until('bob in web', async () => {
      const bob = await entity('user:default/bob');
      return targets(bob, 'memberOf').includes('group:default/web') ? bob : undefined;
    });
    const destroyed = standin.deleteProject('acme/web/site');
    expect((await hook(destroyed, 'System Hook')).status).toBe(202);
    await until('site removed', async () =>
      (await entity('component:default/site')) === undefined ? true : undefined,
    );
  });

  it('refuses a delivery with the wrong token', async () => {
    const response = await fetch(`${server.url}/api/events/http/gitlab`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-gitlab-token': 'wrong',
        'x-gitlab-event': 'Push Hook',
      },
      body: JSON.stringify({ object_kind: 'push' }),
    });
    expect(response.status).toBe(401);
  });
});
