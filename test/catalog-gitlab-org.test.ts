import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Entity } from '../src/model/entity.ts';
import {
  GitlabOrgProvider,
  GitlabOrgReader,
  gitlabOrgFactory,
} from '../src/plugins/catalog/server/providers/gitlab/org.ts';
import { PrefetchStore } from '../src/plugins/catalog/server/providers/prefetch.ts';
import type { ScanResult } from '../src/plugins/catalog/server/providers/types.ts';
import { gitlabProviderContext } from './helpers/gitlab-provider-context.ts';
import { GitlabStandin } from './helpers/gitlab-standin.ts';

let gl: GitlabStandin;

/**
 * acme (alice) ─ platform (bob) ─ infra (carol)
 *              ─ web (dave, blocked; erin)
 *              ─ secret (frank)
 * outside: gina (in no group); other (hank)
 */
function seed(standin: GitlabStandin): void {
  standin.addGroup('acme', { name: 'ACME Corp', description: 'Everyone' });
  standin.addGroup('acme/platform', { name: 'Platform' });
  standin.addGroup('acme/platform/infra', { name: 'Infrastructure' });
  standin.addGroup('acme/web', { name: 'Web' });
  standin.addGroup('acme/secret', { name: 'Secret' });
  standin.addGroup('other', { name: 'Other' });
  const user = (username: string, name: string, email?: string, extra = {}) =>
    standin.addUser({
      username,
      name,
      ...(email ? { email } : {}),
      avatar_url: `https://avatars.example.com/${username}.png`,
      ...extra,
    });
  user('alice', 'Alice Archer', 'alice@acme.com');
  user('bob', 'Bob Builder', 'bob@acme.com');
  user('carol', 'Carol Cable', 'carol@contractor.example');
  user('dave', 'Dave Down', 'dave@acme.com', { state: 'blocked' });
  user('erin', 'Erin Early', undefined, { public_email: 'erin@acme.com' });
  user('frank', 'Frank Furtive', 'frank@acme.com');
  user('gina', 'Gina Groupless', 'gina@acme.com');
  user('hank', 'Hank Other', 'hank@other.example');
  user('ci-bot', 'CI', undefined, { bot: true });
  standin.addMember('acme', 'alice', 50);
  standin.addMember('acme/platform', 'bob');
  standin.addMember('acme/platform/infra', 'carol');
  standin.addMember('acme/web', 'dave');
  standin.addMember('acme/web', 'erin');
  standin.addMember('acme/web', 'ci-bot');
  standin.addMember('acme/secret', 'frank');
  standin.addMember('other', 'hank');
}

async function provider(config: Record<string, unknown>): Promise<GitlabOrgProvider> {
  const ctx = await gitlabProviderContext(gl, {
    acme: { host: gl.host, group: 'acme', orgEnabled: true, ...config },
  });
  return new GitlabOrgProvider(ctx.config.catalog.providers.gitlab[0]!, ctx);
}

function entitiesOf(content: string): Entity[] {
  return parseAllDocuments(content).map((doc) => doc.toJSON() as Entity);
}

async function scanEntities(
  p: GitlabOrgProvider,
): Promise<{ result: ScanResult; entities: Entity[] }> {
  const result = await p.scan(AbortSignal.timeout(20_000));
  expect(result.locations).toHaveLength(1);
  return { result, entities: entitiesOf(result.locations[0]!.prefetched!.content) };
}

const byName = (entities: Entity[], kind: string) =>
  Object.fromEntries(entities.filter((e) => e.kind === kind).map((e) => [e.metadata.name, e]));

beforeAll(async () => {
  gl = await GitlabStandin.start();
  seed(gl);
});

afterAll(async () => {
  await gl?.close();
});

beforeEach(() => {
  gl.clearRequests();
});

describe('GitLab org data', () => {
  it('turns nested groups into Groups with parent and children, and members into Users', async () => {
    const p = await provider({
      restrictUsersToGroup: true,
      groupPattern: '^acme(/platform(/.*)?|/web)?$',
    });
    const { result, entities } = await scanEntities(p);
    expect(result.complete).toBe(true);
    expect(result.errors).toEqual([]);
    expect(result.locations[0]).toMatchObject({
      type: 'gitlab-org',
      target: `${gl.base}/acme`,
      source: 'acme',
    });
    const groups = byName(entities, 'Group');
    // secret fails groupPattern; names are paths below the configured group, as in Backstage.
    expect(Object.keys(groups).sort()).toEqual(['acme', 'platform', 'platform-infra', 'web']);
    expect(groups.acme!.spec).toEqual({
      type: 'team',
      profile: { displayName: 'ACME Corp' },
      children: ['platform', 'web'],
    });
    expect(groups.acme!.metadata.description).toBe('Everyone');
    expect(groups.platform!.spec).toMatchObject({ parent: 'acme', children: ['platform-infra'] });
    expect(groups['platform-infra']!.spec).toMatchObject({
      parent: 'platform',
      children: [],
      profile: { displayName: 'Infrastructure' },
    });
    expect(groups['platform-infra']!.metadata.annotations).toEqual({
      '127.0.0.1/team-path': 'acme/platform/infra',
    });
    const users = byName(entities, 'User');
    // Members of the group and its subgroups (secret's too: groupPattern picks Groups, not
    // users); not dave (blocked), the bot, gina (no group) or hank (another group).
    expect(Object.keys(users).sort()).toEqual(['alice', 'bob', 'carol', 'erin', 'frank']);
    expect(users.alice).toEqual({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'User',
      metadata: {
        name: 'alice',
        annotations: { '127.0.0.1/user-login': `${gl.base}/alice` },
      },
      spec: {
        profile: { displayName: 'Alice Archer', picture: 'https://avatars.example.com/alice.png' },
        memberOf: ['acme'],
      },
    });
    expect(users.bob!.spec!.memberOf).toEqual(['platform']);
    expect(users.frank!.spec!.memberOf).toEqual([]);
    // Member lists carry no private email; the public one is used.
    expect((users.erin!.spec!.profile as Record<string, string>).email).toBe('erin@acme.com');
    // The requests: the group, its descendants, and each group's members.
    expect(gl.requests.map((r) => r.path.replace(/\?.*/, ''))).toEqual([
      '/api/v4/groups/acme',
      `/api/v4/groups/${gl.group('acme')!.id}/descendant_groups`,
      ...['acme', 'acme/platform', 'acme/platform/infra', 'acme/secret', 'acme/web'].map(
        (path) => `/api/v4/groups/${gl.group(path)!.id}/members`,
      ),
    ]);
    expect(result.cost.requests).toBe(7);
  });

  it('reads every active user of a self-managed instance unless restrictUsersToGroup', async () => {
    const { entities } = await scanEntities(await provider({}));
    const users = byName(entities, 'User');
    expect(Object.keys(users).sort()).toEqual([
      'alice',
      'bob',
      'carol',
      'erin',
      'frank',
      'gina',
      'hank',
    ]);
    // /users is an administrator's view: private emails are there.
    expect((users.carol!.spec!.profile as Record<string, string>).email).toBe(
      'carol@contractor.example',
    );
    expect(users.gina!.spec!.memberOf).toEqual([]);
    expect(users.hank!.spec!.memberOf).toEqual([]);
    expect(gl.requestsTo(/^\/users\?/)).toHaveLength(1);
    expect(new URL(gl.requestsTo(/^\/users\?/)[0]!.path, gl.base).searchParams.get('active')).toBe(
      'true',
    );
  });

  it('counts inherited members with allowInherited (or relations: [INHERITED])', async () => {
    for (const config of [{ allowInherited: true }, { relations: ['INHERITED'] }]) {
      gl.clearRequests();
      const { entities } = await scanEntities(
        await provider({ restrictUsersToGroup: true, ...config }),
      );
      const users = byName(entities, 'User');
      expect(users.alice!.spec!.memberOf).toEqual([
        'acme',
        'platform',
        'platform-infra',
        'secret',
        'web',
      ]);
      expect(users.bob!.spec!.memberOf).toEqual(['platform', 'platform-infra']);
      expect(gl.requestsTo(/\/members\/all/)).toHaveLength(5);
    }
  });

  it('keeps users whose email (else username) matches userPattern', async () => {
    const { entities } = await scanEntities(await provider({ userPattern: '@acme\\.com$' }));
    expect(Object.keys(byName(entities, 'User')).sort()).toEqual([
      'alice',
      'bob',
      'erin',
      'frank',
      'gina',
    ]);
    // Member lists show no private emails: the username is what the pattern sees.
    const members = await scanEntities(
      await provider({ restrictUsersToGroup: true, userPattern: '^(erin@|bob)' }),
    );
    expect(Object.keys(byName(members.entities, 'User')).sort()).toEqual(['bob', 'erin']);
  });

  it('maps profile fields with the declared userTransformer and reports users it cannot name', async () => {
    const p = await provider({
      userTransformer: {
        name: '{email|localpart|lower}',
        displayName: '{name|upper}',
        annotations: { 'acme.com/gitlab-id': '{id}', 'acme.com/state': '{state}' },
      },
    });
    const { result, entities } = await scanEntities(p);
    const users = byName(entities, 'User');
    expect(Object.keys(users).sort()).toEqual([
      'alice',
      'bob',
      'carol',
      'erin',
      'frank',
      'gina',
      'hank',
    ]);
    expect(users.carol!.spec!.profile).toMatchObject({ displayName: 'CAROL CABLE' });
    expect(users.carol!.metadata.annotations).toEqual({
      '127.0.0.1/user-login': `${gl.base}/carol`,
      'acme.com/gitlab-id': String(gl.user('carol')!.id),
      'acme.com/state': 'active',
    });
    // A user without an email renders an empty name: skipped, and said so on the status.
    const nameless = gl.addUser({ username: 'noemail', name: 'No Email' });
    try {
      const again = await scanEntities(p);
      expect(byName(again.entities, 'User').noemail).toBeUndefined();
      expect(again.result.errors).toEqual([
        {
          source: 'acme',
          message: expect.stringMatching(
            /^User noemail: userTransformer\.name '\{email\|localpart\|lower\}' renders empty/,
          ),
        },
      ]);
      expect(result.errors).toEqual([]);
    } finally {
      gl.users.delete(nameless.id);
    }
  });

  it('gives the same content and version when nothing changed, with 304s, and a new one when a membership changes', async () => {
    const p = await provider({ restrictUsersToGroup: true });
    const first = await p.scan(AbortSignal.timeout(20_000));
    gl.clearRequests();
    const second = await p.scan(AbortSignal.timeout(20_000));
    expect(second.locations[0]!.prefetched).toEqual(first.locations[0]!.prefetched);
    expect(second.cost.notModified).toBe(second.cost.requests);
    expect(gl.requests.every((r) => r.status === 304)).toBe(true);
    gl.addMember('acme/web', 'bob');
    try {
      const third = await scanEntities(p);
      expect(third.result.locations[0]!.prefetched!.version).not.toBe(
        first.locations[0]!.prefetched!.version,
      );
      expect(byName(third.entities, 'User').bob!.spec!.memberOf).toEqual(['platform', 'web']);
    } finally {
      gl.removeMember('acme/web', 'bob');
    }
  });

  it('waits for the rate limit while reading the organisation', async () => {
    const limited = await GitlabStandin.start({ rateLimit: { limit: 5, windowMs: 1000 } });
    try {
      seed(limited);
      limited.exhaustRateLimit();
      const ctx = await gitlabProviderContext(limited, {
        acme: { host: limited.host, group: 'acme', orgEnabled: true, restrictUsersToGroup: true },
      });
      const p = new GitlabOrgProvider(ctx.config.catalog.providers.gitlab[0]!, ctx);
      const result = await p.scan(AbortSignal.timeout(30_000));
      expect(result.errors).toEqual([]);
      expect(limited.requests.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(1);
      expect(
        entitiesOf(result.locations[0]!.prefetched!.content).filter((e) => e.kind === 'User'),
      ).toHaveLength(5);
    } finally {
      await limited.close();
    }
  });

  it('reports a failed read as an incomplete scan', async () => {
    const missing = await provider({ group: 'nope' });
    const result = await missing.scan(AbortSignal.timeout(20_000));
    expect(result).toMatchObject({ complete: false, locations: [] });
    expect(result.errors[0]!.message).toBe(`GitLab group nope does not exist on ${gl.host}`);
  });
});

describe('the gitlab-org location reader', () => {
  it("reads the scan's prefetched text during the read that follows it, else GitLab", async () => {
    const p = await provider({ restrictUsersToGroup: true, userTransformer: { name: '{email}' } });
    const prefetch = new PrefetchStore();
    const reader = new GitlabOrgReader([p], prefetch);
    const scanned = await p.scan(AbortSignal.timeout(20_000));
    const location = scanned.locations[0]!;
    gl.clearRequests();
    const first = await prefetch.during(location.target, location.prefetched!.content, () =>
      reader.read(p.target),
    );
    const files = [...(first.files as Iterable<{ content: string; locationRef: string }>)];
    expect(files).toHaveLength(1);
    expect(files[0]!.content).toBe(location.prefetched!.content);
    expect(files[0]!.locationRef).toBe(`url:${gl.base}/acme`);
    // The scan's problems come with its text: users without a public email cannot be named.
    expect(first.problems.length).toBe(scanned.errors.length);
    expect(first.problems.length).toBeGreaterThan(0);
    expect(gl.requests).toHaveLength(0);
    const second = await reader.read(p.target);
    expect(gl.requests.length).toBeGreaterThan(0);
    expect([...(second.files as Iterable<{ content: string }>)][0]!.content).toBe(
      location.prefetched!.content,
    );
  });

  it('names a target no provider reads', async () => {
    const result = await new GitlabOrgReader([]).read('http://nowhere/acme');
    expect(result.problems[0]!.message).toMatch(
      /No GitLab org provider reads http:\/\/nowhere\/acme/,
    );
  });

  it('is created with the providers of entries with orgEnabled', async () => {
    const ctx = await gitlabProviderContext(gl, {
      a: { host: gl.host, group: 'acme', orgEnabled: true },
      b: { host: gl.host, group: 'other' },
    });
    const created = gitlabOrgFactory.create(ctx);
    expect(created.providers.map((p) => p.id)).toEqual(['gitlabOrg:a']);
    expect(created.readers?.map((r) => r.type)).toEqual(['gitlab-org']);
    const twice = await gitlabProviderContext(gl, {
      a: { host: gl.host, group: 'acme', orgEnabled: true },
      b: { host: gl.host, group: 'acme', orgEnabled: true },
    });
    expect(() => gitlabOrgFactory.create(twice)).toThrow(
      /catalog\.providers\.gitlab\.a and catalog\.providers\.gitlab\.b both read the organisation/,
    );
  });
});

describe('GitLab org data: webhook events', () => {
  it('refreshes the org location for membership and group events of its groups only', async () => {
    const p = await provider({ restrictUsersToGroup: true });
    await p.scan(AbortSignal.timeout(20_000));
    gl.clearRequests();
    const refresh = { refresh: [{ type: 'gitlab-org', target: `${gl.base}/acme` }] };
    const on = (payload: Record<string, unknown>) =>
      p.onEvent({ source: 'gitlab', type: String(payload.event_name), payload });
    expect(await on(gl.addMember('acme/platform/infra', 'gina'))).toEqual(refresh);
    expect(await on(gl.removeMember('acme/platform/infra', 'gina'))).toEqual(refresh);
    // The scan told this replica the ids of its groups: no request needed.
    expect(gl.requests).toHaveLength(0);
    expect(await on(gl.addMember('other', 'gina'))).toBeUndefined();
    gl.removeMember('other', 'gina');
    const created = gl.addGroup('acme/new-team');
    expect(
      await on({
        event_name: 'group_create',
        full_path: created.full_path,
        group_id: created.id,
        name: 'x',
        path: 'new-team',
      }),
    ).toEqual(refresh);
    expect(
      await on({ event_name: 'subgroup_create', full_path: 'other/sub', group_id: 999 }),
    ).toBeUndefined();
    expect(await on(gl.renameGroup('acme/new-team', 'renamed-team'))).toEqual(refresh);
    expect(await on({ event_name: 'push', project_id: 1 })).toBeUndefined();
    expect(
      await p.onEvent({
        source: 'github',
        type: 'membership',
        payload: { event_name: 'user_add_to_group' },
      }),
    ).toBeUndefined();
  });

  it('asks GitLab where the group of a member event is when it has not scanned yet', async () => {
    const fresh = await provider({ restrictUsersToGroup: true });
    gl.clearRequests();
    const hook = gl.addMember('acme/platform/infra', 'gina');
    try {
      // The hook names the group `infra` only.
      expect(hook.group_path).toBe('infra');
      expect(
        await fresh.onEvent({ source: 'gitlab', type: 'user_add_to_group', payload: hook }),
      ).toEqual({
        refresh: [{ type: 'gitlab-org', target: `${gl.base}/acme` }],
      });
      expect(gl.requests.map((r) => r.path)).toEqual([
        `/api/v4/groups/${gl.group('acme/platform/infra')!.id}`,
      ]);
      const other = gl.addMember('other', 'gina');
      expect(
        await fresh.onEvent({ source: 'gitlab', type: 'user_add_to_group', payload: other }),
      ).toBeUndefined();
    } finally {
      gl.removeMember('acme/platform/infra', 'gina');
      gl.removeMember('other', 'gina');
    }
  });

  it('reads the new membership after the event', async () => {
    const p = await provider({ restrictUsersToGroup: true });
    const reader = new GitlabOrgReader([p]);
    await p.scan(AbortSignal.timeout(20_000));
    const hook = gl.addMember('acme/platform', 'carol');
    try {
      await p.onEvent({ source: 'gitlab', type: 'user_add_to_group', payload: hook });
      const read = await reader.read(p.target);
      const [file] = [...(read.files as Iterable<{ content: string }>)];
      const carol = byName(entitiesOf(file!.content), 'User').carol!;
      expect(carol.spec!.memberOf).toEqual(['platform', 'platform-infra']);
    } finally {
      gl.removeMember('acme/platform', 'carol');
    }
  });
});
