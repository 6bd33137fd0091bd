/**
 * Roles kept in the database: created, changed and deleted through the API (validated like the
 * policy files), read-only when a file declares them, audited, and seen by every replica on
 * the same database within seconds.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/core/app.ts';
import { loadConfig } from '../src/core/config/index.ts';
import { createLogger } from '../src/core/logger.ts';
import { installedPlugins } from '../src/plugins/index.ts';
import {
  decide,
  eventually,
  POLICY_YAML,
  type PolicyServer,
  startPolicyServer,
} from './helpers/permission.ts';
import { ENGINES } from './helpers/server.ts';

const RELEASE_MANAGERS = {
  description: 'Register locations and refresh anything',
  members: ['user:bob', 'group:default/Team-Alpha'],
  rules: [
    {
      name: 'release managers register locations',
      effect: 'allow',
      permissions: ['catalog.location.create'],
    },
    {
      name: 'release managers refresh components',
      effect: 'allow',
      permissions: ['catalog.entity.refresh'],
      conditions: { isEntityKind: ['component'] },
    },
  ],
};

describe.each(ENGINES)('roles in the database (%s)', (engine) => {
  let server: PolicyServer;
  let replica: App;
  let replicaUrl: string;

  beforeAll(async () => {
    server = await startPolicyServer({
      engine,
      policy: POLICY_YAML,
      permission: { rbac: { admin: { users: [{ name: 'user:default/alice' }] } } },
    });
    // A second Atrium on the same database (the SQLite file, or the PostgreSQL database).
    const { config } = await loadConfig({
      configPaths: [join(server.dir, 'app-config.yaml')],
      cwd: server.dir,
      env: {},
    });
    replica = await createApp({
      config,
      plugins: installedPlugins(),
      cwd: server.dir,
      logger: createLogger({ level: 'error' }),
    });
    replicaUrl = await replica.start();
  });
  afterAll(async () => {
    await replica?.stop();
    await server?.stop();
  });

  const onReplica = async (path: string, body: unknown) => {
    const response = await fetch(`${replicaUrl}/api/permission${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    return response.json();
  };

  it('creates a role, which takes effect at once here and within seconds on the other replica', async () => {
    const before = await onReplica('/explain', {
      user: 'bob',
      permission: 'catalog.location.create',
    });
    expect(before.decision.result).toBe('DENY');

    const created = await server.call('PUT', '/roles/release-managers', RELEASE_MANAGERS);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'release-managers',
      description: 'Register locations and refresh anything',
      members: ['user:default/bob', 'group:default/team-alpha'],
      source: 'database',
      editable: true,
      updatedBy: 'user:default/alice',
      rules: [
        { name: 'release managers register locations', effect: 'allow' },
        {
          name: 'release managers refresh components',
          conditions: {
            rule: 'IS_ENTITY_KIND',
            resourceType: 'catalog-entity',
            params: { kinds: ['component'] },
          },
        },
      ],
    });
    // Alice is in team-alpha, a member of the role: in force on this replica at once.
    expect(await decide(server, 'catalog.location.create')).toMatchObject({
      result: 'ALLOW',
      reason: { rule: 'release managers register locations', source: 'database' },
    });
    const started = Date.now();
    await eventually(async () => {
      const after = await onReplica('/explain', {
        user: 'bob',
        permission: 'catalog.location.create',
      });
      expect(after.decision).toMatchObject({
        result: 'ALLOW',
        reason: { rule: 'release managers register locations', source: 'database' },
      });
      expect(after.roles).toContainEqual({ name: 'release-managers', source: 'database' });
    });
    expect(Date.now() - started).toBeLessThan(5000);

    const { body } = await server.call('GET', '/policy');
    const role = body.roles.find((r: { name: string }) => r.name === 'release-managers');
    expect(role).toMatchObject({ source: 'database', file: 'database', editable: true });
    // What the page shows is what it sends back when saving unchanged (conditions included).
    const resaved = await server.call('PUT', '/roles/release-managers', {
      description: role.description,
      members: role.members,
      rules: role.rules,
    });
    expect(resaved.status).toBe(200);
    expect(resaved.body.rules).toEqual(role.rules);
    const row = body.matrix.roles.indexOf('release-managers');
    const column = (p: string) => body.matrix.permissions.indexOf(p);
    expect(body.matrix.cells[row][column('catalog.location.create')]).toBe('allow');
    expect(body.matrix.cells[row][column('catalog.entity.refresh')]).toBe('conditional');
    const database = body.sources.find((s: { kind: string }) => s.kind === 'database');
    expect(database).toMatchObject({ roles: 1, rules: 2, status: 'ok' });
  });

  it('edits a role (200) and deletes it (204), on both replicas', async () => {
    const edited = await server.call('PUT', '/roles/release-managers', {
      ...RELEASE_MANAGERS,
      members: ['user:default/carol'],
    });
    expect(edited.status).toBe(200);
    expect(edited.body.members).toEqual(['user:default/carol']);
    await eventually(async () => {
      const bob = await onReplica('/explain', {
        user: 'bob',
        permission: 'catalog.location.create',
      });
      expect(bob.decision.result).toBe('DENY');
    });

    // The change is in the audit log with what changed (the audit plugin writes in batches).
    await eventually(async () => {
      const rows = await server.app.database.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'permission.role.updated')
        .execute();
      // The re-save above, then this edit.
      expect(rows).toHaveLength(2);
      const edit = rows.find((r) => r.details.includes('user:default/carol'));
      expect(edit).toMatchObject({
        resource_ref: 'release-managers',
        actor: 'user:default/alice',
      });
      expect(JSON.parse(edit!.details)).toMatchObject({
        before: { members: ['user:default/bob', 'group:default/team-alpha'] },
        after: { members: ['user:default/carol'] },
      });
    });

    expect((await server.call('DELETE', '/roles/release-managers')).status).toBe(204);
    const again = await server.call('DELETE', '/roles/release-managers');
    expect(again.status).toBe(404);
    expect(again.body.error.message).toMatch(/No role 'release-managers' in the database/);
    await eventually(async () => {
      const carol = await onReplica('/explain', {
        user: 'carol',
        permission: 'catalog.entity.refresh',
        resourceRef: 'component:default/beta-billing',
      });
      // Carol is a platform admin in the file: she still may, through the file's rule.
      expect(carol.decision.reason.rule).toBe('platform admins may do everything');
      const { body } = await server.call('GET', '/policy');
      expect(body.roles.map((r: { name: string }) => r.name)).not.toContain('release-managers');
    });
  });

  it('refuses to edit a role declared in a file (409, naming the file)', async () => {
    const put = await server.call('PUT', '/roles/platform-admins', { members: [], rules: [] });
    expect(put.status).toBe(409);
    expect(put.body.error.name).toBe('ConflictError');
    expect(put.body.error.message).toBe(
      `Role 'platform-admins' is declared in ${server.policyFile}:2: roles from policy files are read-only here; change it in that file`,
    );
    const del = await server.call('DELETE', '/roles/platform-admins');
    expect(del.status).toBe(409);
    expect(del.body.error.message).toMatch(/policy\.yaml:2/);
  });

  it('refuses unknown permissions, conditions and members with 400 naming the field', async () => {
    const bad = async (role: unknown) => {
      const { status, body } = await server.call('PUT', '/roles/bad-role', role);
      expect(status).toBe(400);
      return body.error.message as string;
    };
    expect(
      await bad({
        members: [],
        rules: [{ name: 'x', effect: 'allow', permissions: ['catalog.entity.destroy'] }],
      }),
    ).toMatch(
      /body\.rules\[0\]\.permissions\[0\]: Unknown permission 'catalog\.entity\.destroy'; did you mean 'catalog\.entity\.delete'/,
    );
    expect(
      await bad({
        members: [],
        rules: [
          {
            name: 'x',
            effect: 'allow',
            permissions: ['catalog.entity.delete'],
            conditions: { isEntityOwnr: true },
          },
        ],
      }),
    ).toMatch(
      /body\.rules\[0\]\.conditions\.isEntityOwnr: Unknown condition 'isEntityOwnr'; did you mean 'isEntityOwner'/,
    );
    expect(
      await bad({
        members: [],
        rules: [
          {
            name: 'x',
            effect: 'allow',
            permissions: ['catalog.entity.delete'],
            conditions: { rule: 'IS_ENTITY_OWNER', resourceType: 'catalog-entity', params: {} },
          },
        ],
      }),
    ).toMatch(/body\.rules\[0\]\.conditions\.params: IS_ENTITY_OWNER needs the parameter 'claims'/);
    expect(
      await bad({
        members: [],
        rules: [
          {
            name: 'x',
            effect: 'allow',
            permissions: ['catalog.location.create'],
            conditions: { isEntityOwner: true },
          },
        ],
      }),
    ).toMatch(/body\.rules\[0\]\.permissions\[0\]: .*catalog\.location\.create is not about one/);
    expect(await bad({ members: ['team-alpha'], rules: [] })).toMatch(
      /body\.members\[0\]: 'team-alpha' is not a user or group ref/,
    );
    expect(
      await bad({ members: [], rules: [{ name: 'x', effect: 'permit', permissions: ['*'] }] }),
    ).toMatch(/body\.rules\.0\.effect must be equal to one of the allowed values/);
    expect(await bad({ members: [] })).toMatch(/must have required property 'rules'/);
    const reserved = await server.call('PUT', '/roles/everyone', { members: [], rules: [] });
    expect(reserved.status).toBe(400);
    expect(reserved.body.error.message).toMatch(/'everyone' is built in/);
    const badName = await server.call('PUT', `/roles/${encodeURIComponent('bad name')}`, {
      members: [],
      rules: [],
    });
    expect(badName.status).toBe(400);
    expect(
      (await server.call('GET', '/policy')).body.roles.map((r: { name: string }) => r.name),
    ).not.toContain('bad-role');
  });

  it('keeps RHDH-style role names', async () => {
    const name = 'role:default/release-team';
    const put = await server.call('PUT', `/roles/${encodeURIComponent(name)}`, {
      members: ['user:default/bob'],
      rules: [
        {
          name: 'release team reads the audit log',
          effect: 'allow',
          permissions: ['audit.event.read'],
        },
      ],
    });
    expect(put.status).toBe(201);
    expect(put.body.name).toBe(name);
    expect((await server.call('DELETE', `/roles/${encodeURIComponent(name)}`)).status).toBe(204);
  });
});

describe.each(ENGINES)('who may change roles (%s)', (engine) => {
  let server: PolicyServer;
  beforeAll(async () => {
    server = await startPolicyServer({ engine, policy: POLICY_YAML, guest: 'user:default/bob' });
  });
  afterAll(() => server?.stop());

  it('answers 403 with the reason to a caller without permission.policy.*', async () => {
    const read = await server.call('GET', '/policy');
    expect(read.status).toBe(403);
    expect(read.body.error).toMatchObject({
      name: 'NotAllowedError',
      permission: 'permission.policy.read',
      reason: { message: 'no rule gives it to you (your roles: none)' },
    });
    const put = await server.call('PUT', '/roles/x', { members: [], rules: [] });
    expect(put.status).toBe(403);
    expect(put.body.error.permission).toBe('permission.policy.update');
    const explain = await server.call('POST', '/explain', {
      user: 'alice',
      permission: 'catalog.entity.read',
    });
    expect(explain.status).toBe(403);
  });
});
