/**
 * The policy file in force: shown on GET /policy (roles with their file and line, the matrix),
 * reloaded when it changes, its last good version kept when an edit breaks it, and a file that
 * is broken at start failing closed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/core/logger.ts';
import {
  decide,
  eventually,
  POLICY_YAML,
  type PolicyServer,
  startPolicyServer,
} from './helpers/permission.ts';
import { ENGINES } from './helpers/server.ts';

const lineOf = (text: string, needle: string) =>
  text.split('\n').findIndex((line) => line.includes(needle)) + 1;

/** The error lines a server logged, parsed from its JSON log. */
const errorsIn = (log: string[]) =>
  log
    .map((line) => JSON.parse(line) as { level: string; message: string; problems?: string[] })
    .filter((entry) => entry.level === 'error');

describe.each(ENGINES)('the policy file (%s)', (engine) => {
  let server: PolicyServer;
  const log: string[] = [];

  beforeAll(async () => {
    server = await startPolicyServer({
      engine,
      policy: POLICY_YAML,
      permission: { rbac: { admin: { users: [{ name: 'user:default/alice' }] } } },
      logger: createLogger({ level: 'info', json: true, write: (line) => log.push(line) }),
    });
  });
  afterAll(() => server?.stop());

  it('shows roles read-only with their file and line, the rules and the matrix', async () => {
    const { status, body } = await server.call('GET', '/policy');
    expect(status).toBe(200);
    expect(body.enabled).toBe(true);
    const admins = body.roles.find((r: { name: string }) => r.name === 'platform-admins');
    expect(admins).toMatchObject({
      members: ['user:default/carol'],
      description: 'Run the portal',
      file: server.policyFile,
      line: lineOf(POLICY_YAML, 'name: platform-admins'),
      source: `${server.policyFile}:${lineOf(POLICY_YAML, 'name: platform-admins')}`,
      editable: false,
    });
    const rule = body.rules.find((r: { name: string }) => r.name.startsWith('team members'));
    expect(rule).toMatchObject({
      effect: 'allow',
      roles: ['everyone'],
      permissions: ['catalog.entity.delete', 'catalog.entity.refresh'],
      conditions: {
        rule: 'IS_ENTITY_OWNER',
        resourceType: 'catalog-entity',
        params: { claims: ['$ownerRefs'] },
      },
      source: `${server.policyFile}:${lineOf(POLICY_YAML, '- name: team members')}`,
    });
    const { roles, permissions, cells } = body.matrix;
    const cell = (role: string, permission: string) =>
      cells[roles.indexOf(role)][permissions.indexOf(permission)];
    expect(roles).toEqual(['everyone', 'platform-admins', 'alpha-team']);
    expect(cell('everyone', 'catalog.entity.delete')).toBe('conditional');
    expect(cell('everyone', 'catalog.location.create')).toBeNull();
    expect(cell('platform-admins', 'catalog.location.create')).toBe('allow');
    expect(cell('alpha-team', 'catalog.location.create')).toBeNull();
    // Every permission the installed plugins declare is a column.
    expect(permissions).toEqual(
      expect.arrayContaining([
        'catalog.entity.read',
        'scaffolder.task.create',
        'permission.policy.update',
      ]),
    );
    expect(
      body.permissions.find((p: { name: string }) => p.name === 'catalog.entity.delete'),
    ).toEqual({ name: 'catalog.entity.delete', action: 'delete', resourceType: 'catalog-entity' });
    expect(body.admins).toEqual(['user:default/alice']);
    const source = body.sources.find((s: { kind: string }) => s.kind === 'atrium-yaml');
    expect(source).toMatchObject({
      file: server.policyFile,
      status: 'ok',
      reload: true,
      roles: 2,
      rules: 2,
      problems: [],
    });
    expect(body.sources.map((s: { kind: string }) => s.kind)).toEqual([
      'atrium-yaml',
      'config',
      'database',
    ]);
  });

  it('reloads the file when it changes: a decision changes within seconds', async () => {
    expect(await decide(server, 'catalog.location.create')).toMatchObject({ result: 'DENY' });
    writeFileSync(
      server.policyFile,
      `${POLICY_YAML}  - name: everyone may register locations
    roles: [everyone]
    allow: catalog.location.create
`,
    );
    const started = Date.now();
    await eventually(async () =>
      expect(await decide(server, 'catalog.location.create')).toMatchObject({
        result: 'ALLOW',
        reason: { rule: 'everyone may register locations' },
      }),
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('keeps the last good version when an edit breaks the file, and shows the problem', async () => {
    const good = readFileSync(server.policyFile, 'utf8');
    const broken = good.replace('allow: catalog.location.create', 'allow: catalog.location.creat');
    writeFileSync(server.policyFile, broken);
    const line = lineOf(broken, 'allow: catalog.location.creat');
    await eventually(async () => {
      const { body } = await server.call('GET', '/policy');
      const source = body.sources.find((s: { kind: string }) => s.kind === 'atrium-yaml');
      expect(source.status).toBe('stale');
      expect(source.problems).toEqual([
        {
          file: server.policyFile,
          line,
          field: 'rules[2].allow',
          message: expect.stringMatching(
            /Unknown permission 'catalog\.location\.creat'; did you mean 'catalog\.location\.create'/,
          ),
        },
      ]);
    });
    // The server log names the file, the line and the field, and says what stays in force.
    await eventually(async () =>
      expect(errorsIn(log)).toContainEqual({
        time: expect.any(String),
        plugin: 'permission',
        level: 'error',
        message: expect.stringMatching(
          new RegExp(
            `^Policy file ${server.policyFile} has errors; the version read at .+ stays in force$`,
          ),
        ),
        problems: [
          expect.stringMatching(
            new RegExp(
              `^${server.policyFile}:${line} \\(rules\\[2\\]\\.allow\\): Unknown permission 'catalog\\.location\\.creat'`,
            ),
          ),
        ],
      }),
    );
    // The version in force is still the last good one.
    expect(await decide(server, 'catalog.location.create')).toMatchObject({ result: 'ALLOW' });
    const { body } = await server.call('GET', '/policy');
    expect(body.rules.map((r: { name: string }) => r.name)).toContain(
      'everyone may register locations',
    );

    // A YAML syntax error: kept too, with its line.
    writeFileSync(server.policyFile, `${good}  - name: [unclosed\n`);
    await eventually(async () => {
      const { body } = await server.call('GET', '/policy');
      const source = body.sources.find((s: { kind: string }) => s.kind === 'atrium-yaml');
      expect(source.problems[0]).toMatchObject({
        file: server.policyFile,
        message: expect.stringMatching(/YAML syntax error/),
      });
      expect(source.problems[0].line).toBeGreaterThan(1);
    });
    expect(await decide(server, 'catalog.location.create')).toMatchObject({ result: 'ALLOW' });

    // Fixed: the new version is in force and the problems are gone.
    writeFileSync(server.policyFile, POLICY_YAML);
    await eventually(async () => {
      const { body } = await server.call('GET', '/policy');
      const source = body.sources.find((s: { kind: string }) => s.kind === 'atrium-yaml');
      expect(source).toMatchObject({ status: 'ok', problems: [], rules: 2 });
    });
    expect(await decide(server, 'catalog.location.create')).toMatchObject({ result: 'DENY' });
  });

  it('names an unknown role with its line', async () => {
    const text = POLICY_YAML.replace('roles: [platform-admins]', 'roles: [platform-admin]');
    writeFileSync(server.policyFile, text);
    await eventually(async () => {
      const { body } = await server.call('GET', '/policy');
      const source = body.sources.find((s: { kind: string }) => s.kind === 'atrium-yaml');
      expect(source.problems).toEqual([
        expect.objectContaining({
          line: lineOf(text, 'roles: [platform-admin]'),
          field: 'rules[1].roles[0]',
          message: expect.stringMatching(
            /Unknown role 'platform-admin'; did you mean 'platform-admins'/,
          ),
        }),
      ]);
    });
    writeFileSync(server.policyFile, POLICY_YAML);
    await eventually(async () => {
      const { body } = await server.call('GET', '/policy');
      expect(body.sources[0].status).toBe('ok');
    });
  });
});

describe.each(ENGINES)('a policy file broken at start (%s)', (engine) => {
  let server: PolicyServer;
  const broken = POLICY_YAML.replace(
    'allow: [catalog.entity.delete',
    'allow: [catalog.entity.destroy',
  );

  beforeAll(async () => {
    server = await startPolicyServer({
      engine,
      policy: broken,
      permission: { rbac: { admin: { users: [{ name: 'user:default/alice' }] } } },
      guest: 'user:default/bob',
    });
  });
  afterAll(() => server?.stop());

  it('fails closed: nothing from it is in force and everything is denied, with the reason', async () => {
    // Even what the defaults open to signed-in users (reading the catalog).
    const read = await decide(server, 'catalog.entity.read');
    expect(read.result).toBe('DENY');
    expect(read.reason?.message).toMatch(/policy\.yaml could not be read at start/);
    expect(read.reason?.source).toBe(
      `${server.policyFile}:${lineOf(broken, 'catalog.entity.destroy')}`,
    );
    const list = await fetch(`${server.url}/api/catalog/entities`);
    expect(list.status).toBe(403);
    const body = await list.json();
    expect(body.error.permission).toBe('catalog.entity.read');
    expect(body.error.reason.message).toMatch(/everything is denied until it is fixed/);
  });

  it('lets the policy admins from config see the problem, and loads the file once fixed', async () => {
    // Bob is no admin: even the policy is closed to him.
    expect((await server.call('GET', '/policy')).status).toBe(403);
    const admin = await startPolicyServer({
      engine,
      policy: broken,
      permission: { rbac: { admin: { users: [{ name: 'user:default/alice' }] } } },
      guest: 'user:default/alice',
    });
    try {
      const { status, body } = await admin.call('GET', '/policy');
      expect(status).toBe(200);
      const source = body.sources.find((s: { kind: string }) => s.kind === 'atrium-yaml');
      expect(source).toMatchObject({ status: 'failed', roles: 0, rules: 0 });
      expect(source.problems[0]).toMatchObject({
        line: lineOf(broken, 'catalog.entity.destroy'),
        field: 'rules[0].allow[0]',
      });
      expect(source).not.toHaveProperty('loadedAt');
    } finally {
      await admin.stop();
    }
    writeFileSync(server.policyFile, POLICY_YAML);
    await eventually(async () =>
      expect(await decide(server, 'catalog.entity.read')).toMatchObject({ result: 'ALLOW' }),
    );
    expect(
      await decide(server, 'catalog.entity.delete', 'component:default/beta-billing'),
    ).toMatchObject({
      result: 'ALLOW',
      reason: { rule: 'team members may unregister what they own' },
    });
  });
});
