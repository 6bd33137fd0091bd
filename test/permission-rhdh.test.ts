/**
 * Red Hat Developer Hub's RBAC files, copied over unchanged (test/fixtures/policies): the CSV
 * file's roles and rules and the conditional policies in force, each with its file and line,
 * reloaded only when `policyFileReload` says so.
 */
import { appendFileSync, copyFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type PolicyServer, startPolicyServer } from './helpers/permission.ts';
import { ENGINES } from './helpers/server.ts';

const FIXTURES = resolve(import.meta.dirname, 'fixtures/policies');
const CSV = readFileSync(join(FIXTURES, 'rbac-policy.csv'), 'utf8');
const CONDITIONAL = readFileSync(join(FIXTURES, 'rbac-conditional-policies.yaml'), 'utf8');

const lineOf = (text: string, needle: string) =>
  text.split('\n').findIndex((line) => line.includes(needle)) + 1;

/** The people and teams the RHDH files name. */
const RHDH_ORG = `
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: team-booking }
spec: { type: team, parent: engineering, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: contractors }
spec: { type: team, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: ben }
spec: { memberOf: [team-booking] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: dana }
spec: { memberOf: [contractors] }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: booking-api }
spec: { type: service, lifecycle: production, owner: team-booking }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: contractor-portal }
spec: { type: website, lifecycle: production, owner: contractors }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: documented-service
  annotations: { backstage.io/techdocs-ref: 'dir:.' }
spec: { type: service, lifecycle: production, owner: team-beta }
`;

async function startRhdh(engine: (typeof ENGINES)[number], reload: boolean) {
  const server = await startPolicyServer({
    engine,
    files: { 'rbac-policy.csv': CSV, 'rbac-conditional-policies.yaml': CONDITIONAL },
    catalogYaml: RHDH_ORG,
    permission: {
      rbac: {
        'policies-csv-file': './rbac-policy.csv',
        conditionalPoliciesFile: 'rbac-conditional-policies.yaml',
        policyFileReload: reload,
        admin: { users: [{ name: 'user:default/alice' }] },
      },
    },
  });
  return {
    server,
    csv: join(server.dir, 'rbac-policy.csv'),
    conditional: join(server.dir, 'rbac-conditional-policies.yaml'),
  };
}

describe.each(ENGINES)('RHDH RBAC files (%s)', (engine) => {
  let server: PolicyServer;
  let csv: string;
  let conditional: string;
  const explain = async (user: string, permission: string, resourceRef?: string) => {
    const { status, body } = await server.call('POST', '/explain', {
      user,
      permission,
      ...(resourceRef ? { resourceRef } : {}),
    });
    expect(status).toBe(200);
    return body;
  };

  beforeAll(async () => {
    ({ server, csv, conditional } = await startRhdh(engine, false));
  });
  afterAll(() => server?.stop());

  it('loads both files, with their warnings, and shows their roles read-only with file and line', async () => {
    const { status, body } = await server.call('GET', '/policy');
    expect(status).toBe(200);
    const sources = Object.fromEntries(body.sources.map((s: { kind: string }) => [s.kind, s]));
    expect(sources['rhdh-csv']).toMatchObject({ file: csv, status: 'ok', reload: false, roles: 4 });
    // Lines for plugins this Atrium does not have are warnings; the file is in force.
    expect(sources['rhdh-csv'].problems).toContainEqual(
      expect.objectContaining({
        line: lineOf(CSV, 'kubernetes.proxy'),
        severity: 'warning',
        message: expect.stringMatching(/kubernetes/),
      }),
    );
    expect(
      sources['rhdh-csv'].problems.every((p: { severity?: string }) => p.severity === 'warning'),
    ).toBe(true);
    expect(sources['rhdh-conditional']).toMatchObject({
      file: conditional,
      status: 'ok',
      rules: 3,
    });
    expect(
      sources['rhdh-conditional'].problems.every(
        (p: { severity?: string }) => p.severity === 'warning',
      ),
    ).toBe(true);
    const developers = body.roles.find(
      (r: { name: string }) => r.name === 'role:default/developers',
    );
    expect(developers).toMatchObject({
      file: csv,
      line: lineOf(CSV, 'role:default/developers'),
      editable: false,
      members: expect.arrayContaining([
        'group:default/team-booking',
        'group:default/team-tracking',
        'user:default/lucia.romano',
      ]),
    });
    const row = body.matrix.roles.indexOf('role:default/developers');
    const column = (p: string) => body.matrix.permissions.indexOf(p);
    expect(body.matrix.cells[row][column('catalog.entity.read')]).toBe('allow');
    expect(body.matrix.cells[row][column('catalog.entity.delete')]).toBe('conditional');
    expect(body.matrix.cells[row][column('catalog.location.create')]).toBe('deny');
    // Editing a role from the CSV file is refused, naming the file.
    const put = await server.call(
      'PUT',
      `/roles/${encodeURIComponent('role:default/developers')}`,
      {
        members: [],
        rules: [],
      },
    );
    expect(put.status).toBe(409);
    expect(put.body.error.message).toContain(`${csv}:${lineOf(CSV, 'role:default/developers')}`);
  });

  it('decides with the CSV rules and the conditional policies, naming their lines', async () => {
    // Ben (team-booking) is a developer: he may unregister what his team owns...
    const own = await explain('ben', 'catalog.entity.delete', 'component:default/booking-api');
    expect(own.decision).toMatchObject({
      result: 'ALLOW',
      reason: { source: `${conditional}:${lineOf(CONDITIONAL, 'result: CONDITIONAL')}` },
    });
    expect(own.roles.map((r: { name: string }) => r.name)).toEqual([
      'everyone',
      'role:default/developers',
    ]);
    // ...and not what another team owns, and the reason says so.
    const other = await explain('ben', 'catalog.entity.delete', 'component:default/beta-billing');
    expect(other.decision.result).toBe('DENY');
    expect(other.decision.reason.message).toMatch(
      /did not match because you do not own this entity/,
    );
    // The CSV's deny line decides, with its line.
    const denied = (await explain('ben', 'catalog.location.create')).decision;
    expect(denied).toMatchObject({
      result: 'DENY',
      reason: { source: `${csv}:${lineOf(CSV, 'catalog.location.create,create,deny')}` },
    });
    expect(
      (await explain('ben', 'catalog.entity.read', 'component:default/beta-billing')).decision,
    ).toMatchObject({
      result: 'ALLOW',
      reason: { source: `${csv}:${lineOf(CSV, 'developers, catalog-entity, read')}` },
    });
    // Contractors read only what the conditions allow: their own, people, documented components.
    expect(
      (await explain('dana', 'catalog.entity.read', 'component:default/contractor-portal')).decision
        .result,
    ).toBe('ALLOW');
    expect(
      (await explain('dana', 'catalog.entity.read', 'user:default/alice')).decision.result,
    ).toBe('ALLOW');
    expect(
      (await explain('dana', 'catalog.entity.read', 'component:default/documented-service'))
        .decision.result,
    ).toBe('ALLOW');
    expect(
      (await explain('dana', 'catalog.entity.read', 'component:default/beta-billing')).decision
        .result,
    ).toBe('DENY');
    // RHDH's policy-entity permissions are Atrium's policy administration (create, update
    // and delete all map to permission.policy.update; the first line that allows decides).
    expect((await explain('tomas.herrera', 'permission.policy.update')).decision).toMatchObject({
      result: 'ALLOW',
      reason: { source: `${csv}:${lineOf(CSV, 'policy-entity, create')}` },
    });
  });

  it('does not reload RHDH files unless policyFileReload is true', async () => {
    appendFileSync(csv, 'g, user:default/ben, role:default/auditors\n');
    await new Promise((done) => setTimeout(done, 2500));
    expect((await explain('ben', 'audit.event.read')).decision.result).toBe('DENY');
  });
});

describe.each(ENGINES)('RHDH RBAC files with policyFileReload (%s)', (engine) => {
  let server: PolicyServer;
  let csv: string;
  beforeAll(async () => {
    ({ server, csv } = await startRhdh(engine, true));
  });
  afterAll(() => server?.stop());

  it('reloads the CSV file when it changes, keeping the last good version of a broken one', async () => {
    const ben = async () =>
      (await server.call('POST', '/explain', { user: 'ben', permission: 'audit.event.read' })).body
        .decision;
    expect((await ben()).result).toBe('DENY');
    appendFileSync(csv, 'g, user:default/ben, role:default/auditors\n');
    await eventually(async () =>
      expect(await ben()).toMatchObject({
        result: 'ALLOW',
        reason: { source: `${csv}:${lineOf(CSV, '"audit.event.read"')}` },
      }),
    );
    appendFileSync(csv, 'p, role:default/auditors, audit.event.read, read, maybe\n');
    const broken = readFileSync(csv, 'utf8').trimEnd().split('\n').length;
    await eventually(async () => {
      const { body } = await server.call('GET', '/policy');
      const source = body.sources.find((s: { kind: string }) => s.kind === 'rhdh-csv');
      expect(source.status).toBe('stale');
      expect(source.problems).toContainEqual(
        expect.objectContaining({ line: broken, field: 'effect' }),
      );
    });
    expect((await ben()).result).toBe('ALLOW');
    copyFileSync(join(FIXTURES, 'rbac-policy.csv'), csv);
    await eventually(async () => expect((await ben()).result).toBe('DENY'));
  });
});

describe.each(ENGINES)('RHDH admin.superUsers (%s)', (engine) => {
  let server: PolicyServer;

  beforeAll(async () => {
    // Dana is a contractor: the files let her read only her own, people and documented
    // components, and change nothing. Her group is listed as super users.
    server = await startPolicyServer({
      engine,
      files: { 'rbac-policy.csv': CSV, 'rbac-conditional-policies.yaml': CONDITIONAL },
      catalogYaml: RHDH_ORG,
      guest: 'user:default/dana',
      permission: {
        rbac: {
          'policies-csv-file': './rbac-policy.csv',
          conditionalPoliciesFile: 'rbac-conditional-policies.yaml',
          admin: { superUsers: [{ name: 'group:default/contractors' }] },
        },
      },
    });
  });
  afterAll(() => server?.stop());

  it('lets a super user do what no rule grants', async () => {
    const path = `${server.url}/api/catalog/entities/by-name/component/default/beta-billing`;
    // No rule lets contractors read another team's component...
    const read = await fetch(path);
    expect(read.status).toBe(200);
    const { uid } = ((await read.json()) as { metadata: { uid: string } }).metadata;
    // ...nor unregister anything.
    const deleted = await fetch(`${server.url}/api/catalog/entities/by-uid/${uid}`, {
      method: 'DELETE',
    });
    expect(deleted.status, await deleted.clone().text()).toBe(204);
    expect((await fetch(path)).status).toBe(404);
  });
});
