/**
 * Scorecard results, per engine: what is stored and served, how it stays current, and who
 * sees it. A small organisation (engineering → platform-dept → team-a, team-b; engineering →
 * team-c), a payments system, six production services and a website, two scorecards. Every
 * expected level is worked out here from the YAML, not by the scorer.
 *
 * The decisions come from the real evaluator with a policy built here (as in
 * access-filtering.test.ts): the admin is a super user; Alice reads what her team owns plus
 * the organisation's scorecards, groups, systems and domains.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { hostRegistryRef } from '../src/core/host-services.ts';
import { PermissionEvaluator } from '../src/core/permissions/evaluator.ts';
import type { Policy, PolicyRule } from '../src/core/permissions/policy-model.ts';
import type { Authorize, Identity } from '../src/core/plugin-api.ts';
import { scorecardsServiceRef } from '../src/plugins/scorecards/server/plugin.ts';
import { ENGINES, startTestServer, type TestServer } from './helpers/server.ts';

const ADMIN: Identity = {
  userEntityRef: 'user:default/admin',
  ownershipEntityRefs: ['user:default/admin'],
  isGuest: false,
  credential: 'session',
};
const ALICE: Identity = {
  userEntityRef: 'user:default/alice',
  ownershipEntityRefs: [
    'user:default/alice',
    'group:default/team-a',
    'group:default/platform-dept',
    'group:default/engineering',
  ],
  isGuest: false,
  credential: 'session',
};

const source = { file: 'scorecards-results.test.ts' };
const rule = (r: Omit<PolicyRule, 'source' | 'roles'>): PolicyRule => ({
  ...r,
  roles: ['everyone'],
  source,
});
const POLICY: Policy = {
  roles: [],
  superUsers: [ADMIN.userEntityRef],
  admins: [],
  rules: [
    rule({
      name: 'members read what their team owns',
      effect: 'allow',
      permissions: ['catalog.entity.read'],
      conditions: {
        rule: 'IS_ENTITY_OWNER',
        resourceType: 'catalog-entity',
        params: { claims: ['$ownerRefs'] },
      },
    }),
    rule({
      name: 'everyone reads the organisation',
      effect: 'allow',
      permissions: ['catalog.entity.read'],
      conditions: {
        rule: 'IS_ENTITY_KIND',
        resourceType: 'catalog-entity',
        params: { kinds: ['scorecard', 'group', 'user', 'system', 'domain'] },
      },
    }),
  ],
};

const group = (name: string, parent?: string) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name, title: `Group ${name}` },
  spec: { type: 'team', children: [], ...(parent ? { parent } : {}) },
});

interface Service {
  name: string;
  owner: string;
  description?: boolean;
  docs?: boolean;
  api?: boolean;
  system?: boolean;
  type?: string;
}

const component = (s: Service) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: s.name,
    ...(s.description ? { description: `The ${s.name} service` } : {}),
    ...(s.docs ? { annotations: { 'backstage.io/techdocs-ref': 'dir:.' } } : {}),
  },
  spec: {
    type: s.type ?? 'service',
    lifecycle: 'production',
    owner: s.owner,
    ...(s.system ? { system: 'payments' } : {}),
    ...(s.api ? { providesApis: ['pay-api'] } : {}),
  },
});

const SERVICES: Service[] = [
  { name: 'svc-a1', owner: 'team-a', description: true, docs: true, api: true, system: true },
  { name: 'svc-a2', owner: 'team-a', system: true },
  { name: 'svc-b1', owner: 'team-b', description: true },
  { name: 'svc-b2', owner: 'team-b', description: true, docs: true },
  { name: 'svc-c1', owner: 'team-c', description: true },
  { name: 'svc-x', owner: 'group:default/ghost', description: true },
];
const WEBSITE: Service = {
  name: 'site-w',
  owner: 'team-c',
  description: true,
  docs: true,
  type: 'website',
};

/** Production readiness as written in the issue; `hasDocsLevel` moves has-docs for the change test. */
function readiness(hasDocsLevel = 'Silver') {
  return {
    apiVersion: 'atrium.io/v1alpha1',
    kind: 'Scorecard',
    metadata: { name: 'production-readiness', title: 'Production readiness' },
    spec: {
      owner: 'group:default/engineering',
      filter: { kind: 'Component', 'spec.type': 'service', 'spec.lifecycle': 'production' },
      levels: ['Bronze', 'Silver', 'Gold'],
      checks: [
        {
          id: 'owned',
          title: 'Owned by a group that exists',
          level: 'Bronze',
          rule: { relation: 'ownedBy', minCount: 1, target: { kind: 'Group' } },
          howToFix: 'Set spec.owner to a group in the catalog.',
        },
        { id: 'described', level: 'Bronze', rule: { field: 'metadata.description', exists: true } },
        {
          id: 'has-docs',
          level: hasDocsLevel,
          rule: { field: 'metadata.annotations["backstage.io/techdocs-ref"]', exists: true },
        },
        { id: 'provides-api', level: 'Silver', rule: { relation: 'providesApi', minCount: 1 } },
        { id: 'coverage', level: 'Gold', rule: { fact: 'ci.coverage', gte: 80 } },
      ],
      campaigns: [
        {
          id: 'gold-payments',
          title: 'Payments services Gold',
          level: 'Gold',
          filter: { 'spec.system': 'payments' },
          deadline: '2027-03-31',
        },
      ],
    },
  };
}

const DOCUMENTATION = {
  apiVersion: 'atrium.io/v1alpha1',
  kind: 'Scorecard',
  metadata: { name: 'documentation' },
  spec: {
    filter: { kind: 'Component' },
    levels: ['Documented'],
    checks: [
      {
        id: 'described',
        level: 'Documented',
        rule: { field: 'metadata.description', exists: true },
      },
      {
        id: 'has-docs',
        level: 'Documented',
        rule: { field: 'metadata.annotations["backstage.io/techdocs-ref"]', exists: true },
      },
    ],
  },
};

const ORG = [
  group('engineering'),
  group('platform-dept', 'engineering'),
  group('team-a', 'platform-dept'),
  group('team-b', 'platform-dept'),
  group('team-c', 'engineering'),
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name: 'alice' },
    spec: { memberOf: ['team-a'] },
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Domain',
    metadata: { name: 'finance' },
    spec: { owner: 'team-a' },
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'System',
    metadata: { name: 'payments' },
    spec: { owner: 'team-a', domain: 'finance' },
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'API',
    metadata: { name: 'pay-api' },
    spec: {
      type: 'openapi',
      lifecycle: 'production',
      owner: 'team-a',
      system: 'payments',
      definition: 'openapi: 3.0.0',
    },
  },
];

const RP = 'scorecard:default/production-readiness';
const DOC = 'scorecard:default/documentation';
const ref = (name: string) => `component:default/${name}`;

const yaml = (docs: unknown[]) => docs.map((d) => stringify(d)).join('---\n');

for (const engine of ENGINES) {
  describe(`scorecard results (${engine})`, () => {
    let server: TestServer;
    let dir: string;
    let caller: Identity = ADMIN;
    let evaluator: PermissionEvaluator | undefined;

    const authorize: Authorize = (_identity, permission, resource) => {
      if (!evaluator) throw new Error('a decision was asked for before the server had started');
      return evaluator.authorize(caller, permission, resource);
    };
    const as = async <T>(who: Identity, fn: () => Promise<T>): Promise<T> => {
      const before = caller;
      caller = who;
      try {
        return await fn();
      } finally {
        caller = before;
      }
    };
    const request = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
      // biome-ignore lint/suspicious/noExplicitAny: JSON answers read loosely
      return { status: res.status, body: json as any };
    };
    const ok = async (method: string, path: string, body?: unknown) => {
      const r = await request(method, path, body);
      expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
      return r.body;
    };
    const api = () => server.app.use(scorecardsServiceRef);
    // biome-ignore lint/suspicious/noExplicitAny: the scorecards' tables, read by the test
    const db = () => server.app.database.db as Kysely<any>;
    const levelOf = async (card: string, entity: string) =>
      (await db()
        .selectFrom('scorecard_results')
        .select(['level', 'rank', 'scored_at'])
        .where('scorecard_ref', '=', card)
        .where('entity_ref', '=', entity)
        .executeTakeFirst()) as
        | { level: string | null; rank: number; scored_at: string }
        | undefined;
    const refresh = async (entityRef: string) => {
      await ok('POST', '/api/catalog/refresh', { entityRef });
      await api().idle();
    };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'atrium-scorecards-'));
      writeFileSync(join(dir, 'org.yaml'), yaml(ORG));
      for (const s of [...SERVICES, WEBSITE])
        writeFileSync(join(dir, `${s.name}.yaml`), yaml([component(s)]));
      writeFileSync(join(dir, 'readiness.yaml'), yaml([readiness()]));
      writeFileSync(join(dir, 'documentation.yaml'), yaml([DOCUMENTATION]));
      const files = [
        'org',
        ...[...SERVICES, WEBSITE].map((s) => s.name),
        'readiness',
        'documentation',
      ];
      server = await startTestServer({
        engine,
        catalog: {
          locations: files.map((f) => ({ type: 'file', target: join(dir, `${f}.yaml`) })),
        },
        extraConfig: { permission: { enabled: true } },
        authorize,
      });
      evaluator = new PermissionEvaluator({
        enabled: () => true,
        policy: () => POLICY,
        resourceTypes: server.app.use(hostRegistryRef).resourceTypes(),
      });
      await api().idle();
    }, 120_000);

    afterAll(async () => {
      await server?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('stores each entity’s level, its checks and the unknown facts', async () => {
      const expected: Record<string, string | null> = {
        'svc-a1': 'Silver',
        'svc-a2': null,
        'svc-b1': 'Bronze',
        'svc-b2': 'Bronze',
        'svc-c1': 'Bronze',
        'svc-x': null,
      };
      for (const [name, level] of Object.entries(expected))
        expect((await levelOf(RP, ref(name)))?.level, name).toBe(level);
      // The website is not a service: production readiness leaves it out, documentation not.
      expect(await levelOf(RP, ref('site-w'))).toBeUndefined();
      expect((await levelOf(DOC, ref('site-w')))?.level).toBe('Documented');

      const { items } = await ok('GET', '/api/scorecards/entities/default/component/svc-a1');
      const rp = items.find((i: { scorecard: { ref: string } }) => i.scorecard.ref === RP);
      expect(rp).toMatchObject({
        level: 'Silver',
        rank: 2,
        scorecard: { levels: ['Bronze', 'Silver', 'Gold'] },
      });
      const checks = Object.fromEntries(
        rp.checks.map((c: { id: string; status: string }) => [c.id, c]),
      );
      expect(checks.owned).toMatchObject({
        status: 'passed',
        title: 'Owned by a group that exists',
        howToFix: 'Set spec.owner to a group in the catalog.',
      });
      expect(checks['provides-api']).toMatchObject({ status: 'passed', value: 1 });
      expect(checks.coverage.status).toBe('unknown');
      expect(checks.coverage.reason).toMatch(/ci\.coverage.*not known/);

      const ghost = await ok('GET', '/api/scorecards/entities/default/component/svc-x');
      const owned = ghost.items
        .find((i: { scorecard: { ref: string } }) => i.scorecard.ref === RP)
        .checks.find((c: { id: string }) => c.id === 'owned');
      expect(owned.status).toBe('failed');

      const list = await ok('GET', '/api/scorecards/scorecards');
      const card = list.items.find((i: { ref: string }) => i.ref === RP);
      expect(card).toMatchObject({
        title: 'Production readiness',
        levels: ['Bronze', 'Silver', 'Gold'],
        matched: 6,
        distribution: { Bronze: 3, Silver: 1, Gold: 0, none: 2 },
      });
      expect(card.problems).toBeUndefined();
      expect(card.checks.map((c: { id: string }) => c.id)).toEqual([
        'owned',
        'described',
        'has-docs',
        'provides-api',
        'coverage',
      ]);
    });

    it('lists results lowest first, filtered by owner (rolled up), system, level and check', async () => {
      const all = await ok(
        'GET',
        `/api/scorecards/scorecards/default/production-readiness/results`,
      );
      expect(all.totalItems).toBe(6);
      expect(all.items.map((i: { rank: number }) => i.rank)).toEqual([0, 0, 1, 1, 1, 2]);
      expect(all.items[5]).toMatchObject({
        entityRef: ref('svc-a1'),
        kind: 'Component',
        title: 'svc-a1',
        owner: 'group:default/team-a',
        level: 'Silver',
        passed: 4,
        failed: 0,
        unknown: 1,
      });
      const names = (items: Array<{ entityRef: string }>) =>
        items.map((i) => i.entityRef.split('/')[1]).sort();
      const dept = await ok(
        'GET',
        '/api/scorecards/scorecards/default/production-readiness/results?owner=platform-dept',
      );
      expect(names(dept.items)).toEqual(['svc-a1', 'svc-a2', 'svc-b1', 'svc-b2']);
      const system = await ok(
        'GET',
        '/api/scorecards/scorecards/default/production-readiness/results?system=payments',
      );
      expect(names(system.items)).toEqual(['svc-a1', 'svc-a2']);
      const domain = await ok(
        'GET',
        '/api/scorecards/scorecards/default/production-readiness/results?domain=finance',
      );
      expect(names(domain.items)).toEqual(['svc-a1', 'svc-a2']);
      const bronze = await ok(
        'GET',
        '/api/scorecards/scorecards/default/production-readiness/results?level=bronze',
      );
      expect(names(bronze.items)).toEqual(['svc-b1', 'svc-b2', 'svc-c1']);
      const none = await ok(
        'GET',
        '/api/scorecards/scorecards/default/production-readiness/results?level=none',
      );
      expect(names(none.items)).toEqual(['svc-a2', 'svc-x']);
      const noDocs = await ok(
        'GET',
        '/api/scorecards/scorecards/default/production-readiness/results?check=has-docs&status=failed',
      );
      expect(names(noDocs.items)).toEqual(['svc-a2', 'svc-b1', 'svc-c1', 'svc-x']);
      const unknown = await ok(
        'GET',
        '/api/scorecards/scorecards/default/production-readiness/results?status=unknown',
      );
      expect(unknown.totalItems).toBe(6);

      // Pages follow each other without gaps or repeats.
      const seen: string[] = [];
      let page = await ok(
        'GET',
        '/api/scorecards/scorecards/default/production-readiness/results?limit=4',
      );
      seen.push(...page.items.map((i: { entityRef: string }) => i.entityRef));
      expect(page.nextCursor).toBeTruthy();
      page = await ok(
        'GET',
        `/api/scorecards/scorecards/default/production-readiness/results?limit=4&cursor=${page.nextCursor}`,
      );
      seen.push(...page.items.map((i: { entityRef: string }) => i.entityRef));
      expect(page.nextCursor).toBeUndefined();
      expect(seen).toEqual(all.items.map((i: { entityRef: string }) => i.entityRef));
    });

    it('rolls results up through the group hierarchy, by system and by domain', async () => {
      const byOwner = await ok(
        'GET',
        '/api/scorecards/scorecards/default/production-readiness/rollup?by=owner',
      );
      const item = (ref: string) =>
        byOwner.items.find((i: { ref: string }) => i.ref === ref) as
          | { total: number; distribution: Record<string, number>; title: string }
          | undefined;
      expect(item('group:default/team-a')).toMatchObject({
        total: 2,
        title: 'Group team-a',
        distribution: { Bronze: 0, Silver: 1, Gold: 0, none: 1 },
      });
      expect(item('group:default/team-b')?.total).toBe(2);
      expect(item('group:default/team-c')?.total).toBe(1);
      expect(item('group:default/platform-dept')).toMatchObject({
        total: 4,
        distribution: { Bronze: 2, Silver: 1, Gold: 0, none: 1 },
      });
      expect(item('group:default/engineering')?.total).toBe(5);
      // An owner missing from the catalog is still an owner.
      expect(item('group:default/ghost')).toMatchObject({ total: 1, title: 'ghost' });
      expect(byOwner.totalItems).toBe(6);
      const best = await ok(
        'GET',
        '/api/scorecards/scorecards/default/production-readiness/rollup?by=owner&limit=2',
      );
      expect(best.totalItems).toBe(6);
      expect(best.items.map((i: { ref: string }) => i.ref)).toEqual(
        byOwner.items.slice(0, 2).map((i: { ref: string }) => i.ref),
      );

      const dept = await ok(
        'GET',
        '/api/scorecards/scorecards/default/production-readiness/rollup?by=owner&group=group:default/platform-dept',
      );
      expect(dept.items.map((i: { ref: string }) => i.ref)).toEqual([
        'group:default/platform-dept',
        'group:default/team-a',
        'group:default/team-b',
      ]);
      const head = dept.items[0];
      const perCheck = Object.fromEntries(
        head.checks.map((c: { id: string; passRate: number }) => [c.id, c.passRate]),
      );
      expect(perCheck).toEqual({
        owned: 1,
        described: 0.75,
        'has-docs': 0.5,
        'provides-api': 0.25,
        coverage: 0,
      });
      expect(head.passRate).toBeCloseTo((4 + 3 + 2 + 1 + 0) / 20, 3);
      expect(head.holdingBack.map((h: { entityRef: string }) => h.entityRef)).toEqual([
        ref('svc-a2'),
        ref('svc-b1'),
        ref('svc-b2'),
        ref('svc-a1'),
      ]);
      expect(head.holdingBack[0]).toEqual({
        entityRef: ref('svc-a2'),
        level: null,
        failing: ['described'],
      });
      expect(head.holdingBack[1].failing).toEqual(['has-docs', 'provides-api']);
      expect(head.holdingBack[3].failing).toEqual(['coverage']);

      const bySystem = await ok(
        'GET',
        '/api/scorecards/scorecards/default/production-readiness/rollup?by=system',
      );
      expect(bySystem.items).toHaveLength(1);
      expect(bySystem.items[0]).toMatchObject({ ref: 'system:default/payments', total: 2 });
      const byDomain = await ok(
        'GET',
        '/api/scorecards/scorecards/default/production-readiness/rollup?by=domain',
      );
      expect(byDomain.items).toHaveLength(1);
      expect(byDomain.items[0]).toMatchObject({ ref: 'domain:default/finance', total: 2 });
    });

    it('shows campaigns with their total, who reached the level and who is missing', async () => {
      const { items } = await ok(
        'GET',
        '/api/scorecards/scorecards/default/production-readiness/campaigns',
      );
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({
        id: 'gold-payments',
        title: 'Payments services Gold',
        level: 'Gold',
        deadline: '2027-03-31',
        total: 2,
        reached: 0,
        missing: [ref('svc-a2'), ref('svc-a1')],
      });
      expect(items[0].progress.at(-1)).toMatchObject({ total: 2, reached: 0 });
    });

    it('filters the catalog by level (and orders by it)', async () => {
      const names = (items: Array<{ metadata: { name: string } }>) =>
        items.map((e) => e.metadata.name).sort();
      const bronze = await ok(
        'GET',
        '/api/catalog/entities?filter=scorecard.production-readiness.level=Bronze&fields=metadata.name',
      );
      expect(names(bronze)).toEqual(['svc-b1', 'svc-b2', 'svc-c1']);
      const either = await ok(
        'GET',
        '/api/catalog/entities?filter=scorecard.production-readiness.level=silver,scorecard.production-readiness.level=none&fields=metadata.name',
      );
      expect(names(either)).toEqual(['svc-a1', 'svc-a2', 'svc-x']);
      const scored = await ok(
        'GET',
        '/api/catalog/entities/by-query?filter=kind=component,scorecard.production-readiness.level&fields=metadata.name',
      );
      expect(scored.totalItems).toBe(4);
      const post = await ok('POST', '/api/catalog/entities/by-query', {
        query: { 'scorecard.documentation.level': 'Documented' },
        fields: ['metadata.name'],
      });
      expect(names(post.items)).toEqual(['site-w', 'svc-a1', 'svc-b2']);
      const ranked = await ok(
        'GET',
        '/api/catalog/entities/by-query?filter=kind=component&orderField=scorecard.production-readiness.rank,desc&fields=metadata.name',
      );
      expect(ranked.items[0].metadata.name).toBe('svc-a1');
      // As with any order field, entities without one (the unscored website) are left out.
      expect(ranked.totalItems).toBe(6);
      const bad = await request(
        'GET',
        '/api/catalog/entities?filter=scorecard.production-readiness.rank=high',
      );
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/scorecard\.production-readiness\.rank/);
    });

    it('rescores only the changed entity when its file changes', async () => {
      const before = await levelOf(RP, ref('svc-b1'));
      const evaluations = api().evaluations();
      const full = api().scoring.stats.fullEvaluations;
      writeFileSync(
        join(dir, 'svc-a2.yaml'),
        yaml([component({ ...SERVICES[1]!, description: true })]),
      );
      await refresh(ref('svc-a2'));
      expect((await levelOf(RP, ref('svc-a2')))?.level).toBe('Bronze');
      // Both scorecards match svc-a2; nothing else was scored, nothing evaluated in full.
      expect(api().evaluations() - evaluations).toBe(2);
      expect(api().scoring.stats.fullEvaluations).toBe(full);
      expect((await levelOf(RP, ref('svc-b1')))?.scored_at).toBe(before?.scored_at);

      const history = await ok(
        'GET',
        `/api/scorecards/entities/default/component/svc-a2/history?scorecard=${RP}`,
      );
      expect(history.items).toHaveLength(1);
      expect(history.items[0]).toMatchObject({ scorecardRef: RP, from: null, to: 'Bronze' });
      const since = await ok('GET', '/api/scorecards/entities/default/component/svc-a2');
      expect(
        since.items.find((i: { scorecard: { ref: string } }) => i.scorecard.ref === RP).levelSince,
      ).toBe(history.items[0].at);
    });

    it('keeps a daily aggregate per owner, a trend over it, and deletes history past retention', async () => {
      const today = api().history.today();
      const rows = await db()
        .selectFrom('scorecard_daily')
        .selectAll()
        .where('scorecard_ref', '=', RP)
        .where('day', '=', today)
        .execute();
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.reduce((n, r) => n + Number(r.count), 0)).toBe(6);

      // Two earlier days, as the daily job would have written them.
      const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
      await db()
        .insertInto('scorecard_daily')
        .values([
          {
            scorecard_ref: RP,
            day: day(2),
            owner_ref: 'group:default/team-a',
            level: null,
            count: 2,
          },
          {
            scorecard_ref: RP,
            day: day(1),
            owner_ref: 'group:default/team-a',
            level: 'Bronze',
            count: 2,
          },
          {
            scorecard_ref: RP,
            day: day(1),
            owner_ref: 'group:default/team-b',
            level: 'Bronze',
            count: 2,
          },
          {
            scorecard_ref: RP,
            day: day(400),
            owner_ref: 'group:default/team-b',
            level: 'Bronze',
            count: 9,
          },
        ])
        .execute();
      await db()
        .insertInto('scorecard_check_daily')
        .values([
          {
            scorecard_ref: RP,
            day: day(1),
            owner_ref: 'group:default/team-a',
            check_id: 'described',
            passed: 1,
            failed: 1,
            unknown: 0,
          },
        ])
        .execute();
      await db()
        .insertInto('scorecard_level_changes')
        .values({
          scorecard_ref: RP,
          entity_ref: ref('svc-c1'),
          at: new Date(Date.now() - 400 * 86_400_000).toISOString(),
          from_level: null,
          to_level: 'Bronze',
        })
        .execute();

      const trend = await ok(
        'GET',
        '/api/scorecards/scorecards/default/production-readiness/trend?days=7&owner=team-a',
      );
      expect(trend.days.map((d: { day: string }) => d.day)).toEqual([day(2), day(1), today]);
      expect(trend.days[0].distribution).toEqual({ Bronze: 0, Silver: 0, Gold: 0, none: 2 });
      expect(trend.days[1].distribution).toEqual({ Bronze: 2, Silver: 0, Gold: 0, none: 0 });
      expect(trend.days[1].checks).toEqual({ described: 0.5 });
      expect(trend.days[2].distribution).toEqual({ Bronze: 1, Silver: 1, Gold: 0, none: 0 });
      const department = await ok(
        'GET',
        '/api/scorecards/scorecards/default/production-readiness/trend?days=7&owner=platform-dept',
      );
      expect(department.days[1].distribution.Bronze).toBe(4);

      const deleted = await api().history.applyRetention();
      expect(deleted).toBe(2);
      const old = await db()
        .selectFrom('scorecard_daily')
        .select('day')
        .where('day', '<', day(365))
        .execute();
      expect(old).toEqual([]);
      const kept = await db()
        .selectFrom('scorecard_daily')
        .select('day')
        .where('day', '=', day(2))
        .execute();
      expect(kept).toHaveLength(1);
    });

    it('evaluates a scorecard again in full when it changes', async () => {
      const full = api().scoring.stats.fullEvaluations;
      writeFileSync(join(dir, 'readiness.yaml'), yaml([readiness('Bronze')]));
      await refresh(RP);
      await api().idle();
      expect(api().scoring.stats.fullEvaluations).toBe(full + 1);
      const expected: Record<string, string | null> = {
        'svc-a1': 'Silver',
        'svc-a2': null,
        'svc-b1': null,
        'svc-b2': 'Bronze',
        'svc-c1': null,
        'svc-x': null,
      };
      for (const [name, level] of Object.entries(expected))
        expect((await levelOf(RP, ref(name)))?.level, name).toBe(level);
      const history = await ok('GET', '/api/scorecards/entities/default/component/svc-b1/history');
      expect(history.items[0]).toMatchObject({ scorecardRef: RP, from: 'Bronze', to: null });
      // The other scorecard was not evaluated again.
      expect((await ok('GET', '/api/scorecards/scorecards')).items.length).toBe(2);
    });

    it('rescores an entity when a fact about it is pushed', async () => {
      const evaluations = api().evaluations();
      const other = await levelOf(RP, ref('svc-b2'));
      const pushed = await ok('POST', '/api/scorecards/facts', {
        entityRef: ref('svc-a1'),
        facts: { 'ci.coverage': 85 },
      });
      expect(pushed.items[0].stored).toEqual(['ci.coverage']);
      await api().idle();
      expect((await levelOf(RP, ref('svc-a1')))?.level).toBe('Gold');
      // Only svc-a1 was scored again, by both scorecards that match it.
      expect(api().evaluations() - evaluations).toBe(2);
      expect((await levelOf(RP, ref('svc-b2')))?.scored_at).toBe(other?.scored_at);
      const { items } = await ok('GET', '/api/scorecards/entities/default/component/svc-a1');
      const coverage = items
        .find((i: { scorecard: { ref: string } }) => i.scorecard.ref === RP)
        .checks.find((c: { id: string }) => c.id === 'coverage');
      expect(coverage).toMatchObject({ status: 'passed', value: 85 });
      const campaigns = await ok(
        'GET',
        '/api/scorecards/scorecards/default/production-readiness/campaigns',
      );
      expect(campaigns.items[0]).toMatchObject({ total: 2, reached: 1, missing: [ref('svc-a2')] });
    });

    it('shows results and roll-ups only for entities the caller may read', async () => {
      await as(ALICE, async () => {
        const results = await ok(
          'GET',
          '/api/scorecards/scorecards/default/production-readiness/results',
        );
        expect(results.items.map((i: { entityRef: string }) => i.entityRef).sort()).toEqual([
          ref('svc-a1'),
          ref('svc-a2'),
        ]);
        expect(results.totalItems).toBe(2);
        const rollup = await ok(
          'GET',
          '/api/scorecards/scorecards/default/production-readiness/rollup?by=owner',
        );
        expect(
          rollup.items.map((i: { ref: string; total: number }) => [i.ref, i.total]).sort(),
        ).toEqual([
          ['group:default/engineering', 2],
          ['group:default/platform-dept', 2],
          ['group:default/team-a', 2],
        ]);
        for (const item of rollup.items)
          for (const h of item.holdingBack)
            expect([ref('svc-a1'), ref('svc-a2')]).toContain(h.entityRef);
        const list = await ok('GET', '/api/scorecards/scorecards');
        expect(list.items.find((i: { ref: string }) => i.ref === RP).matched).toBe(2);
        const hidden = await request('GET', '/api/scorecards/entities/default/component/svc-b1');
        expect(hidden.status).toBe(404);
        const trend = await ok(
          'GET',
          '/api/scorecards/scorecards/default/production-readiness/trend?days=7',
        );
        expect(trend.partial).toBe(true);
        const today = trend.days.at(-1).distribution as Record<string, number>;
        expect(Object.values(today).reduce((a, b) => a + b, 0)).toBe(2);
        const catalog = await ok(
          'GET',
          '/api/catalog/entities?filter=scorecard.production-readiness.level=none&fields=metadata.name',
        );
        expect(catalog.map((e: { metadata: { name: string } }) => e.metadata.name)).toEqual([
          'svc-a2',
        ]);
        const evaluate = await request(
          'POST',
          '/api/scorecards/scorecards/default/production-readiness/evaluate',
        );
        expect(evaluate.status).toBe(403);
      });
    });

    it('answers 404 for an unknown scorecard and 400 for a bad query, naming what is wrong', async () => {
      for (const path of ['results', 'rollup', 'trend', 'campaigns']) {
        const r = await request('GET', `/api/scorecards/scorecards/default/nope/${path}`);
        expect(r.status, path).toBe(404);
        expect(r.body.error.message).toMatch(/No scorecard named 'nope'/);
      }
      const missing = await request('POST', '/api/scorecards/scorecards/default/nope/evaluate');
      expect(missing.status).toBe(404);
      const base = '/api/scorecards/scorecards/default/production-readiness';
      const bad: Array<[string, RegExp]> = [
        [`${base}/rollup?by=team`, /by/],
        [`${base}/results?level=Platinum`, /'Platinum' is not a level.*Bronze, Silver, Gold/],
        [`${base}/results?check=nope`, /'nope' is not a check.*owned/],
        [`${base}/results?limit=0`, /limit/],
        [`${base}/results?cursor=garbage`, /cursor/],
        [`${base}/results?owner=a:b:c/`, /owner/],
        [`${base}/results?colour=red`, /colour/],
        [`${base}/trend?days=4000`, /days/],
      ];
      for (const [path, message] of bad) {
        const r = await request('GET', path);
        expect(r.status, path).toBe(400);
        expect(JSON.stringify(r.body), path).toMatch(message);
      }
      const unknownEntity = await request('GET', '/api/scorecards/entities/default/component/nope');
      expect(unknownEntity.status).toBe(404);
    });

    it('evaluates on demand for a caller allowed to', async () => {
      const full = api().scoring.stats.fullEvaluations;
      const r = await request(
        'POST',
        '/api/scorecards/scorecards/default/documentation/evaluate?wait=true',
      );
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ scorecardRef: DOC, status: 'evaluated' });
      expect(api().scoring.stats.fullEvaluations).toBe(full + 1);
    });

    it('evaluates again in full without rewriting unchanged results, and drops those it no longer matches', async () => {
      await api().idle();
      // A result left from an earlier filter: the documentation scorecard matches no API.
      const stray = 'api:default/pay-api';
      await db()
        .insertInto('scorecard_results')
        .values({
          scorecard_ref: DOC,
          entity_ref: stray,
          level: null,
          rank: 0,
          checks_json: '[]',
          statuses: 'FF',
          passed: 0,
          failed: 2,
          unknown: 0,
          owner_ref: 'group:default/team-a',
          system_ref: null,
          domain_ref: null,
          campaigns: null,
          scored_at: '2020-01-01T00:00:00.000Z',
          level_since: '2020-01-01T00:00:00.000Z',
          digest: null,
        })
        .execute();
      const stored = () =>
        db()
          .selectFrom('scorecard_results')
          .select(['entity_ref', 'level', 'checks_json', 'scored_at', 'level_since', 'digest'])
          .where('scorecard_ref', '=', DOC)
          .orderBy('entity_ref')
          .execute();
      const changes = async () =>
        Number(
          (
            await db()
              .selectFrom('scorecard_level_changes')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirst()
          )?.n,
        );
      const before = (await stored()).filter((r) => r.entity_ref !== stray);
      expect(before.length).toBe(SERVICES.length + 1);
      const changed = await changes();
      const startedAt = new Date().toISOString();
      await ok('POST', '/api/scorecards/scorecards/default/documentation/evaluate?wait=true');
      // Every result came out as stored: none was written again, no level changed.
      expect(await stored()).toEqual(before);
      expect(await changes()).toBe(changed);
      // The entity page and the list still say they were scored by this evaluation.
      const { items } = await ok('GET', '/api/scorecards/entities/default/component/svc-a1');
      const mine = items.find((i: { scorecard: { ref: string } }) => i.scorecard.ref === DOC);
      expect(mine.scoredAt >= startedAt, `${mine.scoredAt} >= ${startedAt}`).toBe(true);
      const list = await ok('GET', '/api/scorecards/scorecards/default/documentation/results');
      for (const item of list.items) expect(item.scoredAt >= startedAt).toBe(true);
      expect(list.items.map((i: { entityRef: string }) => i.entityRef)).not.toContain(stray);
      expect(list.totalItems).toBe(before.length);
    });
  });
}
