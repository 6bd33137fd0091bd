import { createHmac } from 'node:crypto';
import { loadAll } from 'js-yaml';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/core/config/index.ts';
import { createLogger } from '../src/core/logger.ts';
import { readingPolicy } from '../src/core/reading/allow-list.ts';
import type { Entity } from '../src/model/entity.ts';
import type { ReadResult, SourceFile } from '../src/plugins/catalog/server/ingest/readers.ts';
import {
  type GithubOrgProvider,
  type GithubOrgReader,
  githubOrgFactory,
} from '../src/plugins/catalog/server/providers/github-org/org.ts';
import type { PrefetchedFiles } from '../src/plugins/catalog/server/ingest/readers.ts';
import { type GithubStandin, startGithubStandin } from './helpers/github-standin.ts';
import { addGithubOrgData, type GithubOrgStandin } from './helpers/github-standin-org.ts';
import { ENGINES, startTestServer, type TestServer } from './helpers/server.ts';

const TOKEN = 'org-token';

/**
 * acme: engineering > platform > sre (three deep) and design; 230 members (three pages of
 * 100); `platform` has 150 immediate members (a second page of team members); some people are
 * in several teams.
 */
function seedAcme(org: GithubOrgStandin) {
  org.addOrg('acme');
  for (let i = 1; i <= 230; i++) {
    const n = String(i).padStart(3, '0');
    org.addMember('acme', {
      login: `user-${n}`,
      name: `User ${n}`,
      email: `user.${n}@acme.example`,
      bio: i === 1 ? 'First of many' : null,
    });
  }
  org.addMember('acme', { login: 'Alice', name: 'Alice A', email: 'Alice.A@acme.example' });
  org.addMember('acme', { login: 'bob', name: 'Bob', email: null });
  org.addMember('acme', { login: 'carol', name: 'Carol', email: 'not valid!@acme.example' });
  org.addTeam('acme', {
    slug: 'engineering',
    name: 'Engineering',
    description: 'All of engineering',
    members: ['Alice'],
  });
  org.addTeam('acme', {
    slug: 'platform',
    name: 'Platform',
    parent: 'engineering',
    members: [
      'Alice',
      ...Array.from({ length: 149 }, (_, i) => `user-${String(i + 1).padStart(3, '0')}`),
    ],
  });
  org.addTeam('acme', {
    slug: 'sre',
    name: 'SRE',
    parent: 'platform',
    members: ['bob', 'user-001', 'user-200'],
  });
  org.addTeam('acme', { slug: 'design', name: 'Design', members: ['carol', 'user-001'] });
}

async function configFor(standin: GithubStandin, providers: unknown) {
  const dir = mkdtempSync(join(tmpdir(), 'atrium-github-org-'));
  writeFileSync(
    join(dir, 'app-config.yaml'),
    stringify({
      integrations: {
        github: [{ host: standin.host, apiBaseUrl: standin.apiBaseUrl, token: TOKEN }],
      },
      catalog: { providers: { githubOrg: providers } },
    }),
  );
  try {
    return (await loadConfig({ cwd: dir, env: {} })).config;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function createProviders(
  standin: GithubStandin,
  providers: unknown,
  prefetched?: PrefetchedFiles,
) {
  const config = await configFor(standin, providers);
  const created = githubOrgFactory.create({
    config,
    logger: createLogger({ level: 'error' }),
    policy: () => readingPolicy(config),
    prefetched,
  });
  return {
    providers: created.providers as GithubOrgProvider[],
    reader: created.readers![0] as GithubOrgReader,
  };
}

async function filesOf(result: ReadResult): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  for await (const file of result.files) files.push(file);
  return files;
}

function entitiesOf(content: string): Map<string, Entity> {
  const out = new Map<string, Entity>();
  for (const doc of loadAll(content) as Entity[]) {
    const ns = doc.metadata.namespace ?? 'default';
    out.set(`${doc.kind}:${ns}/${doc.metadata.name}`.toLowerCase(), doc);
  }
  return out;
}

describe('github-org reader and provider against the GitHub stand-in', () => {
  let standin: GithubStandin;
  let org: GithubOrgStandin;

  beforeAll(async () => {
    standin = await startGithubStandin({ token: TOKEN });
    org = addGithubOrgData(standin);
    seedAcme(org);
  });
  afterAll(async () => {
    await standin.close();
  });
  beforeEach(() => standin.resetCounters());

  it('scans one location per org, prefetching nested teams and paged members in 4 requests', async () => {
    const { providers } = await createProviders(standin, {
      id: 'main',
      githubUrl: standin.base,
      orgs: ['acme'],
    });
    expect(providers.map((p) => p.id)).toEqual(['githubOrg:main']);
    const result = await providers[0]!.scan(AbortSignal.timeout(30_000));
    expect(result.errors).toEqual([]);
    expect(result.complete).toBe(true);
    expect(result.locations).toHaveLength(1);
    const location = result.locations[0]!;
    expect(location).toMatchObject({
      type: 'github-org',
      target: `${standin.base}/acme`,
      source: 'acme',
    });

    // 233 members at 100 a page: 3 queries (the first also brings every team); `platform`'s
    // 150 immediate members need one more page.
    const queries = org.orgQueries();
    expect(queries).toHaveLength(4);
    expect(result.cost.requests).toBe(4);
    expect(result.cost.graphqlCost).toBeGreaterThanOrEqual(4);
    expect(queries.every((q) => q.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(queries.map((q) => q.graphql!.variables.withTeams)).toEqual([
      true,
      false,
      false,
      undefined,
    ]);
    expect(queries[3]!.graphql!.variables).toMatchObject({ slug: 'platform' });

    const entities = entitiesOf(location.prefetched!.content);
    const group = (name: string) => entities.get(`group:default/${name}`)!;
    const user = (name: string) => entities.get(`user:default/${name}`)!;
    // One provider reading one org: groups in `default`, as Backstage does.
    expect(group('sre').spec).toMatchObject({
      type: 'team',
      parent: 'default/platform',
      children: [],
      members: ['default/bob', 'default/user-001', 'default/user-200'],
      profile: { displayName: 'SRE', picture: `${standin.base}/team-avatars/sre` },
    });
    expect(group('platform').spec).toMatchObject({
      parent: 'default/engineering',
      children: ['default/sre'],
    });
    expect((group('platform').spec!.members as string[]).length).toBe(150);
    expect(group('engineering').spec).toMatchObject({
      children: ['default/platform'],
      members: ['default/Alice'],
    });
    expect(group('engineering').spec!.parent).toBeUndefined();
    expect(group('engineering').metadata).toMatchObject({
      description: 'All of engineering',
      annotations: {
        'github.com/team-slug': 'acme/engineering',
        'backstage.io/edit-url': `${standin.base}/orgs/acme/teams/engineering/edit`,
      },
    });
    // Immediate memberships only: Alice is in engineering and platform, not (through them) in sre.
    expect(user('alice').spec!.memberOf).toEqual(['default/engineering', 'default/platform']);
    expect(user('user-001').spec!.memberOf).toEqual([
      'default/design',
      'default/platform',
      'default/sre',
    ]);
    expect(user('user-230').spec!.memberOf).toEqual([]);
    expect(user('user-001')).toMatchObject({
      metadata: {
        name: 'user-001',
        description: 'First of many',
        annotations: { 'github.com/user-login': 'user-001' },
      },
      spec: {
        profile: {
          displayName: 'User 001',
          email: 'user.001@acme.example',
          picture: `${standin.base}/avatars/user-001`,
        },
      },
    });
    expect([...entities.keys()].filter((k) => k.startsWith('user:'))).toHaveLength(233);
  });

  it('maps users with the declared transformer and reports a name that renders invalid or empty', async () => {
    const { reader } = await createProviders(standin, {
      id: 'mapped',
      githubUrl: standin.base,
      orgs: ['acme'],
      userTransformer: {
        name: '{email|localpart|lower}',
        displayName: '{name} ({login})',
        annotations: { 'acme.example/login': '{login|lower}' },
      },
      teamTransformer: { name: '{org}-{slug}' },
    });
    const read = await reader.read(`${standin.base}/acme`);
    const [file] = await filesOf(read);
    expect(file).toMatchObject({
      type: 'github-org',
      target: `${standin.base}/acme`,
      locationRef: `url:${standin.base}/acme`,
    });
    expect(read.problems.map((p) => p.message)).toEqual([
      "GitHub organisation acme: User bob: userTransformer.name '{email|localpart|lower}' renders empty; the user is skipped",
      "GitHub organisation acme: User carol: userTransformer.name '{email|localpart|lower}' renders 'not valid!', which is not a valid entity name (1–63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit); the user is skipped",
    ]);
    expect(
      read.problems.every((p) => p.level === 'error' && p.file === `${standin.base}/acme`),
    ).toBe(true);
    const entities = entitiesOf(file!.content);
    expect(entities.get('user:default/alice.a')).toMatchObject({
      metadata: {
        annotations: { 'github.com/user-login': 'Alice', 'acme.example/login': 'alice' },
      },
      spec: { profile: { displayName: 'Alice A (Alice)' } },
    });
    expect(entities.has('user:default/bob')).toBe(false);
    // Groups refer to users by their mapped names, and skip the skipped ones.
    expect(entities.get('group:default/acme-sre')!.spec).toMatchObject({
      parent: 'default/acme-platform',
      members: ['default/user.001', 'default/user.200'],
    });
    expect(entities.get('group:default/acme-design')!.spec!.members).toEqual(['default/user.001']);
  });

  it('takes a scan’s prefetched file instead of asking again, problems included', async () => {
    let held: string | undefined;
    const { providers, reader } = await createProviders(
      standin,
      {
        id: 'prefetch',
        githubUrl: standin.base,
        orgs: ['acme'],
        userTransformer: { name: '{email|localpart|lower}' },
      },
      { get: (target) => (target === `${standin.base}/acme` ? held : undefined) },
    );
    const scan = await providers[0]!.scan(AbortSignal.timeout(30_000));
    held = scan.locations[0]!.prefetched!.content;
    standin.resetCounters();
    const read = await reader.read(`${standin.base}/acme`);
    expect(org.orgQueries()).toHaveLength(0);
    expect((await filesOf(read))[0]!.content).toBe(held);
    expect(read.problems).toHaveLength(2);
    // Other text than the scan's (a stale hand-over): read from GitHub.
    held = `${held}\n`;
    const fresh = await reader.read(`${standin.base}/acme`);
    expect(org.orgQueries().length).toBe(4);
    expect(fresh.problems).toHaveLength(2);
  });

  it('waits for the GraphQL rate limit to reset instead of failing', async () => {
    const { providers } = await createProviders(standin, {
      id: 'limited',
      githubUrl: standin.base,
      orgs: ['acme'],
    });
    standin.setRateLimit('graphql', { remaining: 0, resetInMs: 1500 });
    const started = Date.now();
    const result = await providers[0]!.scan(AbortSignal.timeout(30_000));
    expect(result.errors).toEqual([]);
    expect(result.locations[0]!.prefetched).toBeDefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    const statuses = standin.requests.filter((r) => r.resource !== 'core').map((r) => r.status);
    expect(statuses[0]).toBe(403);
    expect(statuses.slice(1).every((s) => s === 200)).toBe(true);
  });

  it('reports an organisation it cannot read, keeps listing it, and throws on the read', async () => {
    const { providers, reader } = await createProviders(standin, {
      id: 'missing',
      githubUrl: standin.base,
      orgs: ['acme', 'ghost'],
    });
    const result = await providers[0]!.scan(AbortSignal.timeout(30_000));
    expect(result.complete).toBe(true);
    expect(result.locations.map((l) => [l.source, Boolean(l.prefetched)])).toEqual([
      ['acme', true],
      ['ghost', false],
    ]);
    expect(result.errors).toEqual([
      {
        source: 'ghost',
        message:
          "Reading the organisation failed: GitHub GraphQL: NOT_FOUND: Could not resolve to an Organization with the login of 'ghost'.",
      },
    ]);
    await expect(reader.read(`${standin.base}/ghost`)).rejects.toThrow(
      /^Reading GitHub organisation ghost failed \(its groups and users stay as they were\)/,
    );
  });

  it('reads every organisation of the token when `orgs` is not set, groups namespaced by org', async () => {
    org.addOrg('Beta-Org');
    org.addMember('Beta-Org', { login: 'Alice', name: 'Alice A' });
    org.addMember('Beta-Org', { login: 'zed', name: 'Zed' });
    org.addTeam('Beta-Org', { slug: 'sre', name: 'Beta SRE', members: ['Alice', 'zed'] });
    try {
      const { providers } = await createProviders(standin, {
        id: 'all',
        githubUrl: standin.base,
      });
      const result = await providers[0]!.scan(AbortSignal.timeout(30_000));
      expect(result.errors).toEqual([]);
      expect(result.locations.map((l) => l.target)).toEqual([
        `${standin.base}/acme`,
        `${standin.base}/Beta-Org`,
      ]);
      const acme = entitiesOf(result.locations[0]!.prefetched!.content);
      const beta = entitiesOf(result.locations[1]!.prefetched!.content);
      expect(beta.get('group:beta-org/sre')!.spec!.members).toEqual([
        'default/Alice',
        'default/zed',
      ]);
      expect(acme.get('group:acme/sre')).toBeDefined();
      // Alice is in both: the first org emits her (so no conflict), the other still lists her.
      expect(acme.get('user:default/alice')!.spec!.memberOf).toEqual([
        'acme/engineering',
        'acme/platform',
      ]);
      expect(beta.has('user:default/alice')).toBe(false);
      expect(beta.has('user:default/zed')).toBe(true);
    } finally {
      org.orgs.delete('beta-org');
    }
  });

  it('turns membership, team and organization events into a read of that org only', async () => {
    const { providers } = await createProviders(standin, {
      id: 'events',
      githubUrl: standin.base,
      orgs: ['ACME'],
    });
    const provider = providers[0]!;
    const signal = AbortSignal.timeout(5000);
    const expected = {
      upsert: [{ type: 'github-org', target: `${standin.base}/ACME`, source: 'ACME' }],
    };
    const on = (type: string, payload: Record<string, unknown>) =>
      provider.onEvent({ source: 'github', type, payload }, signal);
    expect(await on('membership', org.events.membership('acme', 'added', 'sre', 'Alice'))).toEqual(
      expected,
    );
    expect(await on('team', org.events.team('acme', 'edited', 'sre'))).toEqual(expected);
    expect(
      await on('organization', org.events.organization('acme', 'member_removed', 'bob')),
    ).toEqual(expected);
    expect(await on('team', org.events.team('acme', 'added_to_repository', 'sre'))).toBeUndefined();
    expect(
      await on('organization', {
        ...org.events.organization('acme', 'member_added', 'bob'),
        action: 'renamed',
      }),
    ).toBeUndefined();
    expect(await on('push', { organization: { login: 'acme' } })).toBeUndefined();
    expect(
      await on('membership', { action: 'added', organization: { login: 'other' } }),
    ).toBeUndefined();
    // Same org name on another GitHub instance.
    expect(
      await on('membership', {
        action: 'added',
        organization: { login: 'acme', url: 'https://api.github.com/orgs/acme' },
      }),
    ).toBeUndefined();
    expect(
      await provider.onEvent(
        { source: 'gitlab', type: 'membership', payload: { organization: { login: 'acme' } } },
        signal,
      ),
    ).toBeUndefined();
  });

  it('refuses a githubUrl without a GitHub integration or token, naming the keys', async () => {
    const config = await configFor(standin, { id: 'x', githubUrl: 'https://ghe.example.com' });
    expect(() =>
      githubOrgFactory.create({
        config,
        logger: createLogger({ level: 'error' }),
        policy: () => readingPolicy(config),
      }),
    ).toThrow(
      'catalog.providers.githubOrg (id x): githubUrl https://ghe.example.com has no integrations.github entry for host ghe.example.com',
    );
    const none = await configFor(standin, []);
    expect(
      githubOrgFactory.create({
        config: none,
        logger: createLogger({ level: 'error' }),
        policy: () => readingPolicy(none),
      }),
    ).toEqual({ providers: [] });
  });
});

const WEBHOOK_SECRET = 'org-webhook-secret';

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(ENGINES)('GitHub org data through a real server (%s)', (engine) => {
  let standin: GithubStandin;
  let org: GithubOrgStandin;
  let server: TestServer;

  const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(`${server.url}${path}`, init);
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const entity = (ref: string) =>
    api<Entity & { relations: { type: string; targetRef: string }[] }>(
      `/api/catalog/entities/by-name/${ref.replace(':', '/')}`,
    );
  const targets = (e: { relations: { type: string; targetRef: string }[] }, type: string) =>
    e.relations
      .filter((r) => r.type === type)
      .map((r) => r.targetRef)
      .sort();
  const scan = () =>
    api<{ provider: { lastScan: { requests: number; locationsRead: number } } }>(
      '/api/catalog/providers/githubOrg:acme/refresh?wait=true',
      { method: 'POST' },
    );

  beforeAll(async () => {
    standin = await startGithubStandin({ token: TOKEN });
    org = addGithubOrgData(standin);
    org.addOrg('acme');
    for (const login of ['alice', 'bob', 'carol', 'dave'])
      org.addMember('acme', { login, name: login.toUpperCase(), email: `${login}@acme.example` });
    org.addMember('acme', { login: 'nomail', name: 'No Mail' });
    org.addTeam('acme', { slug: 'engineering', name: 'Engineering', members: ['alice'] });
    org.addTeam('acme', {
      slug: 'platform',
      name: 'Platform',
      parent: 'engineering',
      members: ['alice', 'bob'],
    });
    org.addTeam('acme', {
      slug: 'sre',
      name: 'SRE',
      parent: 'platform',
      members: ['bob', 'carol'],
    });
    server = await startTestServer({
      engine,
      catalog: {
        providers: {
          githubOrg: {
            id: 'acme',
            githubUrl: standin.base,
            orgs: ['acme'],
            // Scans only when the test asks.
            schedule: { frequency: false, initialDelay: { hours: 1 } },
            userTransformer: { name: '{email|localpart}' },
          },
        },
      },
      extraConfig: {
        integrations: {
          github: [{ host: standin.host, apiBaseUrl: standin.apiBaseUrl, token: TOKEN }],
        },
        events: { modules: { github: { webhookSecret: WEBHOOK_SECRET } } },
      },
    });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await standin?.close();
  });

  it('stores the teams and members as Group and User entities with their relations', async () => {
    standin.resetCounters();
    const { provider } = await scan();
    expect(provider.lastScan).toMatchObject({ requests: 1, locationsRead: 1 });
    expect(org.orgQueries()).toHaveLength(1);

    const sre = await entity('group:default/sre');
    expect(sre.spec).toMatchObject({ type: 'team', parent: 'default/platform', children: [] });
    expect(sre.metadata.annotations).toMatchObject({
      'github.com/team-slug': 'acme/sre',
      'backstage.io/managed-by-location': `url:${standin.base}/acme`,
      'backstage.io/managed-by-origin-location': `github-org:${standin.base}/acme`,
    });
    expect(targets(sre, 'childOf')).toEqual(['group:default/platform']);
    expect(targets(sre, 'hasMember')).toEqual(['user:default/bob', 'user:default/carol']);
    const platform = await entity('group:default/platform');
    expect(targets(platform, 'parentOf')).toEqual(['group:default/sre']);
    expect(targets(platform, 'childOf')).toEqual(['group:default/engineering']);
    expect(targets(await entity('group:default/engineering'), 'parentOf')).toEqual([
      'group:default/platform',
    ]);
    const bob = await entity('user:default/bob');
    expect(bob.spec).toMatchObject({
      profile: { displayName: 'BOB', email: 'bob@acme.example' },
      memberOf: ['default/platform', 'default/sre'],
    });
    expect(bob.metadata.annotations?.['github.com/user-login']).toBe('bob');
    expect(targets(bob, 'memberOf')).toEqual(['group:default/platform', 'group:default/sre']);

    // Queryable like any entity: the members of sre by relation.
    const members = await api<{ items: Entity[] }>(
      `/api/catalog/entities/by-query?filter=kind=user,relations.memberOf=group:default/sre&fields=metadata.name`,
    );
    expect(members.items.map((e) => e.metadata.name).sort()).toEqual(['bob', 'carol']);

    // The member whose name renders empty is an error on the provider's status, naming them.
    const { items } = await api<{
      items: { id: string; errors: { message: string }[] }[];
    }>('/api/catalog/providers');
    const status = items.find((p) => p.id === 'githubOrg:acme')!;
    expect(status.errors.map((e) => e.message)).toContainEqual(
      expect.stringContaining(
        "User nomail: userTransformer.name '{email|localpart}' renders empty; the user is skipped",
      ),
    );
  });

  it('updates memberOf on the next scan after a membership change, and skips an unchanged org', async () => {
    await scan();
    org.addToTeam('acme', 'engineering', 'dave');
    const { provider } = await scan();
    expect(provider.lastScan.locationsRead).toBe(1);
    expect((await entity('user:default/dave')).spec!.memberOf).toEqual(['default/engineering']);
    expect(targets(await entity('group:default/engineering'), 'hasMember')).toEqual([
      'user:default/alice',
      'user:default/dave',
    ]);
    // Nothing changed since: the prefetched version is the same, the location is not read.
    const again = await scan();
    expect(again.provider.lastScan).toMatchObject({ locationsRead: 0, requests: 1 });
  });

  it('applies a signed membership webhook within seconds', async () => {
    await scan();
    org.removeFromTeam('acme', 'sre', 'carol');
    org.addToTeam('acme', 'sre', 'alice');
    standin.resetCounters();
    const body = JSON.stringify(org.events.membership('acme', 'removed', 'sre', 'carol'));
    const started = Date.now();
    const response = await fetch(`${server.url}/api/events/http/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'membership',
        'x-github-delivery': `delivery-${Date.now()}`,
        'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
      },
      body,
    });
    expect(response.status).toBe(202);
    await until('carol to leave sre', async () => {
      const carol = await entity('user:default/carol');
      return (carol.spec!.memberOf as string[]).length === 0 ? carol : undefined;
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await entity('user:default/alice')).spec!.memberOf).toEqual([
      'default/engineering',
      'default/platform',
      'default/sre',
    ]);
    expect(targets(await entity('group:default/sre'), 'hasMember')).toEqual([
      'user:default/alice',
      'user:default/bob',
    ]);
    // One organisation read: one query.
    expect(org.orgQueries()).toHaveLength(1);
  });
});
