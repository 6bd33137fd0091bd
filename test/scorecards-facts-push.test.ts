/**
 * `POST /api/scorecards/facts` on each engine, as a CI job calls it: with a personal access
 * token under an owner-only policy, with an external access token, and with a session. A
 * stored fact reaches the scorer (the push provider notifies it and the check passes); bad
 * requests (unknown entity, wrong type, no permission, stale timestamp) are answered clearly
 * and store nothing of that request; every push and denial is audited.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE } from '../src/plugins/auth/common/types.ts';
import { authServiceRef } from '../src/plugins/auth/server/plugin.ts';
import { ENGINES } from './helpers/server.ts';
import { eventually, type FactServer, startFactServer } from './scorecards-facts-helpers.ts';

// biome-ignore lint/suspicious/noExplicitAny: response bodies, checked by the assertions
type Json = Record<string, any>;
type Headers = Record<string, string>;

const yaml = (...docs: unknown[]) => docs.map((d) => stringify(d)).join('---\n');
const group = (name: string) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name },
  spec: { type: 'team', children: [] },
});
const user = (name: string, team: string) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name },
  spec: { memberOf: [team] },
});
const component = (name: string, owner: string, annotations: Record<string, string> = {}) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, annotations },
  spec: { type: 'service', lifecycle: 'production', owner },
});

const CATALOG = yaml(
  group('team-a'),
  group('team-b'),
  user('alice', 'team-a'),
  user('bob', 'team-b'),
  user('carol', 'team-b'),
  component('svc-a', 'team-a'),
  component('svc-a2', 'team-a', { 'ci.example.com/reported': 'true' }),
  component('svc-b', 'team-b'),
  {
    apiVersion: 'atrium.io/v1alpha1',
    kind: 'Scorecard',
    metadata: { name: 'ci' },
    spec: {
      filter: { kind: 'Component' },
      levels: ['Gold'],
      checks: [{ id: 'coverage', level: 'Gold', rule: { fact: 'ci.coverage', gte: 80 } }],
    },
  },
);

const POLICY = `roles:
  - name: admins
    members: [user:default/carol]
rules:
  - name: everyone may make personal tokens
    roles: [everyone]
    allow: [auth.token.create]
  - name: owners report facts about what they own
    roles: [everyone]
    allow: [scorecards.fact.create]
    when: { isEntityOwner: true }
  - name: CI reports facts about entities that opt in
    roles: [everyone]
    allow: [scorecards.fact.create]
    when: { hasAnnotation: { annotation: ci.example.com/reported } }
  - name: admins may do everything
    roles: [admins]
    allow: '*'
`;

const STATIC_TOKEN = 'ci-static-token-0123456789abcdef';
const CATALOG_ONLY_TOKEN = 'catalog-only-token-0123456789abcd';

for (const engine of ENGINES) {
  describe(`pushing facts (${engine})`, () => {
    let server: FactServer;
    let alice: Headers;
    let carol: Headers;
    let aliceToken: Headers;
    const heard: string[][] = [];
    let off: (() => void) | undefined;

    const session = async (userEntityRef: string): Promise<Headers> => {
      const { sessions } = server.app.use(authServiceRef);
      const s = await sessions.create({
        userEntityRef,
        provider: 'oidc',
        inCatalog: true,
        profile: {},
      });
      return {
        cookie: `${SESSION_COOKIE}=${s.token}; ${CSRF_COOKIE}=${s.csrfToken}`,
        [CSRF_HEADER]: s.csrfToken!,
      };
    };
    const call = async (headers: Headers, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          ...headers,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : {}) as Json };
    };
    const push = (headers: Headers, body: unknown) =>
      call(headers, 'POST', '/api/scorecards/facts', body);
    const stored = async () =>
      (await server.app.database.db
        .selectFrom('scorecard_facts')
        .select(['entity_ref', 'fact_id', 'value_json', 'observed_at'])
        .orderBy('entity_ref')
        .orderBy('fact_id')
        .execute()) as Array<{
        entity_ref: string;
        fact_id: string;
        value_json: string;
        observed_at: string;
      }>;
    const audit = async (action: string) =>
      (await server.app.database.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', action)
        .execute()) as Array<{
        actor: string;
        credential: string;
        resource_ref: string | null;
        outcome: string;
        details: string | null;
      }>;

    beforeAll(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'atrium-facts-push-'));
      writeFileSync(join(dir, 'catalog.yaml'), CATALOG);
      writeFileSync(join(dir, 'policy.yaml'), POLICY);
      server = await startFactServer(engine, dir, {
        backend: {
          auth: {
            externalAccess: [
              {
                type: 'static',
                options: { token: STATIC_TOKEN, subject: 'ci-pipeline' },
                accessRestrictions: [{ plugin: 'scorecards' }],
              },
              {
                type: 'static',
                options: { token: CATALOG_ONLY_TOKEN, subject: 'catalog-reader' },
                accessRestrictions: [{ plugin: 'catalog' }],
              },
            ],
          },
        },
        catalog: {
          refresh: { interval: false },
          locations: [{ type: 'file', target: join(dir, 'catalog.yaml') }],
        },
        auth: { environment: 'production' },
        permission: { enabled: true, policyFile: join(dir, 'policy.yaml') },
      });
      alice = await session('user:default/alice');
      carol = await session('user:default/carol');
      const created = await call(alice, 'POST', '/api/auth/tokens', {
        name: 'ci',
        scope: 'full',
        expiresInDays: 7,
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      aliceToken = { authorization: `Bearer ${created.body.token}` };
      off = server.facts.push.subscribe((refs) => heard.push(refs));
    }, 120_000);

    afterAll(async () => {
      off?.();
      await server?.stop();
    });

    it('stores a fact pushed with a personal token, tells the scorer, and the check passes', async () => {
      heard.length = 0;
      const result = await push(aliceToken, {
        entityRef: 'component:default/svc-a',
        facts: { 'ci.coverage': 81, 'ci.pipeline': 'green', 'security.scanned': true },
        timestamp: '2026-01-02T03:04:05Z',
      });
      expect(result.status, JSON.stringify(result.body)).toBe(200);
      expect(result.body).toEqual({
        items: [
          {
            entityRef: 'component:default/svc-a',
            stored: ['ci.coverage', 'ci.pipeline', 'security.scanned'],
            ignored: [],
          },
        ],
      });
      expect(heard).toEqual([['component:default/svc-a']]);
      expect(await stored()).toEqual([
        {
          entity_ref: 'component:default/svc-a',
          fact_id: 'ci.coverage',
          value_json: '81',
          observed_at: '2026-01-02T03:04:05.000Z',
        },
        {
          entity_ref: 'component:default/svc-a',
          fact_id: 'ci.pipeline',
          value_json: '"green"',
          observed_at: '2026-01-02T03:04:05.000Z',
        },
        {
          entity_ref: 'component:default/svc-a',
          fact_id: 'security.scanned',
          value_json: 'true',
          observed_at: '2026-01-02T03:04:05.000Z',
        },
      ]);
      await eventually(async () => {
        const r = await call(alice, 'GET', '/api/scorecards/entities/default/component/svc-a');
        expect(r.body.items[0].checks[0]).toMatchObject({
          id: 'coverage',
          status: 'passed',
          value: 81,
        });
      });
      const audited = await eventually(async () => {
        const events = await audit('scorecards.fact.create');
        expect(events).toHaveLength(1);
        return events[0]!;
      });
      expect(audited).toMatchObject({
        actor: 'user:default/alice',
        credential: 'personal-token',
        resource_ref: 'component:default/svc-a',
        outcome: 'success',
      });
    });

    it('keeps a later value over an older push, and says so; null removes a fact', async () => {
      const older = await push(aliceToken, {
        entityRef: 'component:default/svc-a',
        facts: { 'ci.coverage': 10 },
        timestamp: '2025-12-31T00:00:00Z',
      });
      expect(older.status).toBe(200);
      expect(older.body.items[0]).toEqual({
        entityRef: 'component:default/svc-a',
        stored: [],
        ignored: [
          {
            fact: 'ci.coverage',
            storedAt: '2026-01-02T03:04:05.000Z',
            reason:
              'a value observed later (2026-01-02T03:04:05.000Z) is already stored; this older one was ignored',
          },
        ],
      });
      const newer = await push(aliceToken, {
        items: [
          { entityRef: 'svc-a', facts: { 'ci.pipeline': null } },
          { entityRef: 'component:svc-a2', facts: { 'ci.coverage': 55.5 } },
        ],
      });
      expect(newer.status, JSON.stringify(newer.body)).toBe(400);
      expect(newer.body.error.message).toMatch(
        /body\.items\[0\]\.entityRef 'svc-a' is not an entity ref/,
      );

      const fixed = await push(aliceToken, {
        items: [
          { entityRef: 'component:default/svc-a', facts: { 'ci.pipeline': null } },
          { entityRef: 'Component:svc-a2', facts: { 'ci.coverage': 55.5 } },
        ],
      });
      expect(fixed.status, JSON.stringify(fixed.body)).toBe(200);
      const rows = await stored();
      expect(rows.map((r) => `${r.entity_ref} ${r.fact_id}=${r.value_json}`)).toEqual([
        'component:default/svc-a ci.coverage=81',
        'component:default/svc-a security.scanned=true',
        'component:default/svc-a2 ci.coverage=55.5',
      ]);
    });

    it('answers 404 for an unknown entity, 400 for a wrong type, 403 without permission; stores nothing of the request', async () => {
      const before = await stored();
      heard.length = 0;

      const unknown = await push(aliceToken, {
        items: [
          { entityRef: 'component:default/svc-a', facts: { 'ci.coverage': 99 } },
          { entityRef: 'component:default/nope', facts: { 'ci.coverage': 99 } },
        ],
      });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.message).toBe(
        'No entity component:default/nope in the catalog; facts can be pushed only for entities the catalog holds (nothing was stored)',
      );

      const wrongType = await push(aliceToken, {
        entityRef: 'component:default/svc-a',
        facts: { 'ci.coverage': 99, 'ci.report': { lines: 81 } },
      });
      expect(wrongType.status).toBe(400);
      expect(wrongType.body.error.message).toBe(
        "body.facts['ci.report'] of component:default/svc-a: fact 'ci.report' is an object; a fact must be a string, number, boolean or null (null removes it)",
      );
      const list = await push(aliceToken, {
        entityRef: 'component:default/svc-a',
        facts: { tags: ['a'] },
      });
      expect(list.status).toBe(400);
      expect(list.body.error.message).toMatch(/fact 'tags' is an array/);

      const computed = await push(aliceToken, {
        entityRef: 'component:default/svc-a',
        facts: { 'techdocs.built': true },
      });
      expect(computed.status).toBe(400);
      expect(computed.body.error.message).toMatch(
        /fact 'techdocs\.built' is computed by Atrium's 'techdocs' fact provider/,
      );

      const future = await push(aliceToken, {
        entityRef: 'component:default/svc-a',
        facts: { 'ci.coverage': 99 },
        timestamp: '2999-01-01T00:00:00Z',
      });
      expect(future.status).toBe(400);
      expect(future.body.error.message).toMatch(
        /body\.timestamp '2999-01-01T00:00:00Z' is in the future/,
      );

      const shape = await push(aliceToken, { facts: { 'ci.coverage': 1 } });
      expect(shape.status).toBe(400);
      expect(shape.body.error.message).toMatch(/body must have entityRef and facts/);

      // svc-b belongs to team-b: Alice's token may not report on it, even beside her own.
      const denied = await push(aliceToken, {
        items: [
          { entityRef: 'component:default/svc-a', facts: { 'ci.coverage': 99 } },
          { entityRef: 'component:default/svc-b', facts: { 'ci.coverage': 99 } },
        ],
      });
      expect(denied.status).toBe(403);
      expect(denied.body.error.name).toBe('NotAllowedError');
      expect(denied.body.error.message).toMatch(
        /^You need scorecards\.fact\.create: .*\(for component:default\/svc-b; nothing was stored\)$/,
      );
      const denials = await eventually(async () => {
        const events = (await audit('permission.denied')).filter(
          (e) => e.resource_ref === 'component:default/svc-b',
        );
        expect(events).toHaveLength(1);
        return events;
      });
      expect(denials[0]).toMatchObject({ actor: 'user:default/alice', outcome: 'denied' });

      expect(await stored()).toEqual(before);
      expect(heard).toEqual([]);

      // An admin may push for any entity, with a session.
      const admin = await push(carol, {
        entityRef: 'component:default/svc-b',
        facts: { 'ci.coverage': 90 },
      });
      expect(admin.status, JSON.stringify(admin.body)).toBe(200);
      expect(heard).toEqual([['component:default/svc-b']]);
    });

    it('accepts an external access token restricted to scorecards where the policy allows, refuses one restricted to the catalog', async () => {
      const ci = { authorization: `Bearer ${STATIC_TOKEN}` };
      const ok = await push(ci, {
        entityRef: 'component:default/svc-a2',
        facts: { 'ci.coverage': 85 },
      });
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(ok.body.items[0].stored).toEqual(['ci.coverage']);
      const audited = await eventually(async () => {
        const events = (await audit('scorecards.fact.create')).filter(
          (e) => e.resource_ref === 'component:default/svc-a2' && e.credential === 'external',
        );
        expect(events).toHaveLength(1);
        return events[0]!;
      });
      expect(audited.actor).toBe('service:ci-pipeline');
      // svc-b did not opt in, and this token may not read the catalog: it learns nothing of it.
      const notOptedIn = await push(ci, {
        entityRef: 'component:default/svc-b',
        facts: { 'ci.coverage': 85 },
      });
      expect(notOptedIn.status).toBe(404);
      expect(notOptedIn.body.error.message).toMatch(
        /^No entity component:default\/svc-b in the catalog/,
      );
      const other = await push(
        { authorization: `Bearer ${CATALOG_ONLY_TOKEN}` },
        { entityRef: 'component:default/svc-a2', facts: { 'ci.coverage': 85 } },
      );
      expect(other.status).toBe(403);
      expect(other.body.error.message).toMatch(/access restrictions/);
    });

    it('forgets the facts of an entity deleted from the catalog', async () => {
      expect((await stored()).some((r) => r.entity_ref === 'component:default/svc-b')).toBe(true);
      const entity = await call(
        carol,
        'GET',
        '/api/catalog/entities/by-name/component/default/svc-b',
      );
      const deleted = await call(
        carol,
        'DELETE',
        `/api/catalog/entities/by-uid/${entity.body.metadata.uid}`,
      );
      expect(deleted.status).toBe(204);
      await eventually(async () =>
        expect((await stored()).some((r) => r.entity_ref === 'component:default/svc-b')).toBe(
          false,
        ),
      );
      expect((await stored()).some((r) => r.entity_ref === 'component:default/svc-a')).toBe(true);
    });
  });
}
