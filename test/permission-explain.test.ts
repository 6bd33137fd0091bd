/**
 * "Why?": the explain endpoint for administrators (any user, any permission, any entity), the
 * caller's own batch of decisions for the web app, and the reason in a real 403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_YAML, type PolicyServer, startPolicyServer } from './helpers/permission.ts';
import { ENGINES } from './helpers/server.ts';

const lineOf = (text: string, needle: string) =>
  text.split('\n').findIndex((line) => line.includes(needle)) + 1;

describe.each(ENGINES)('why (%s)', (engine) => {
  let server: PolicyServer;
  let ruleSource: string;

  beforeAll(async () => {
    server = await startPolicyServer({
      engine,
      policy: POLICY_YAML,
      permission: { rbac: { admin: { users: [{ name: 'user:default/alice' }] } } },
    });
    ruleSource = `${server.policyFile}:${lineOf(POLICY_YAML, '- name: team members')}`;
  });
  afterAll(() => server?.stop());

  it('explains a decision for another user, from their groups in the catalog', async () => {
    const { status, body } = await server.call('POST', '/explain', {
      user: 'bob',
      permission: 'catalog.entity.delete',
      resourceRef: 'component:default/beta-billing',
    });
    expect(status).toBe(200);
    expect(body).toEqual({
      user: {
        ref: 'user:default/bob',
        inCatalog: true,
        ownershipRefs: expect.arrayContaining([
          'user:default/bob',
          'group:default/team-beta',
          'group:default/engineering',
        ]),
      },
      permission: {
        name: 'catalog.entity.delete',
        action: 'delete',
        resourceType: 'catalog-entity',
      },
      resourceRef: 'component:default/beta-billing',
      decision: {
        result: 'ALLOW',
        reason: {
          message: "the rule 'team members may unregister what they own' allows it",
          rule: 'team members may unregister what they own',
          source: ruleSource,
        },
      },
      roles: [{ name: 'everyone', source: 'built in' }],
      rule: {
        name: 'team members may unregister what they own',
        effect: 'allow',
        roles: ['everyone'],
        permissions: ['catalog.entity.delete', 'catalog.entity.refresh'],
        conditions: {
          rule: 'IS_ENTITY_OWNER',
          resourceType: 'catalog-entity',
          params: { claims: ['$ownerRefs'] },
        },
        source: ruleSource,
      },
    });
  });

  it('says which rule did not match and why, and which roles the user has', async () => {
    const { body } = await server.call('POST', '/explain', {
      user: 'user:default/alice',
      permission: 'catalog.entity.delete',
      resourceRef: 'component:default/beta-billing',
    });
    expect(body.decision).toEqual({
      result: 'DENY',
      reason: {
        message:
          "the rule 'team members may unregister what they own' did not match because you do not own this entity (neither you nor one of your groups)",
        rule: 'team members may unregister what they own',
        source: ruleSource,
      },
    });
    expect(body.roles).toEqual([
      { name: 'everyone', source: 'built in' },
      {
        name: 'alpha-team',
        source: `${server.policyFile}:${lineOf(POLICY_YAML, 'name: alpha-team')}`,
      },
    ]);
    // Without an entity: allowed where the conditions hold.
    const list = await server.call('POST', '/explain', {
      user: 'alice',
      permission: 'catalog.entity.delete',
    });
    expect(list.body.decision).toMatchObject({
      result: 'CONDITIONAL',
      conditions: {
        rule: 'IS_ENTITY_OWNER',
        params: { claims: expect.arrayContaining(['group:default/team-alpha']) },
      },
    });
    // Carol is not in the catalog; the file still makes her a platform admin.
    const carol = await server.call('POST', '/explain', {
      user: 'carol',
      permission: 'scaffolder.task.create',
    });
    expect(carol.body.user).toEqual({
      ref: 'user:default/carol',
      inCatalog: false,
      ownershipRefs: ['user:default/carol'],
    });
    expect(carol.body.decision.reason.rule).toBe('platform admins may do everything');
  });

  it('refuses bad questions with 400 naming the field', async () => {
    const ask = async (body: unknown) => {
      const response = await server.call('POST', '/explain', body);
      expect(response.status).toBe(400);
      return response.body.error.message as string;
    };
    expect(await ask({ user: 'bob', permission: 'catalog.entity.delet' })).toMatch(
      /body\.permission: no installed plugin declares the permission 'catalog\.entity\.delet'; did you mean 'catalog\.entity\.delete'/,
    );
    expect(
      await ask({ user: 'group:default/team-beta', permission: 'catalog.entity.read' }),
    ).toMatch(/body\.user: 'group:default\/team-beta' is not a user/);
    expect(
      await ask({ user: 'bob', permission: 'catalog.location.create', resourceRef: 'component:x' }),
    ).toMatch(/body\.resourceRef: catalog\.location\.create is not about a resource/);
    expect(await ask({ user: 'bob' })).toMatch(/must have required property 'permission'/);
  });

  it('answers a batch of the caller’s own decisions', async () => {
    const { status, body } = await server.call('POST', '/authorize', {
      items: [
        { permission: 'catalog.entity.delete', resourceRef: 'component:default/alpha-api' },
        { permission: 'catalog.entity.delete', resourceRef: 'component:default/beta-billing' },
        { permission: 'catalog.entity.delete' },
        { permission: 'catalog.location.create' },
        { permission: 'permission.policy.update' },
        { permission: 'catalog.entity.delete', resourceRef: 'component:default/no-such-thing' },
        { permission: 'no.such.permission' },
        // Backstage's permission client sends the permission whole, with an id.
        {
          id: 'b1',
          permission: {
            type: 'resource',
            name: 'catalog.entity.refresh',
            attributes: { action: 'update' },
            resourceType: 'catalog-entity',
          },
          resourceRef: 'component:default/alpha-notebook',
        },
      ],
    });
    expect(status).toBe(200);
    expect(body.items).toEqual([
      {
        permission: 'catalog.entity.delete',
        resourceRef: 'component:default/alpha-api',
        result: 'ALLOW',
        reason: expect.objectContaining({ rule: 'team members may unregister what they own' }),
      },
      {
        permission: 'catalog.entity.delete',
        resourceRef: 'component:default/beta-billing',
        result: 'DENY',
        reason: expect.objectContaining({
          message: expect.stringMatching(/did not match because you do not own this entity/),
        }),
      },
      expect.objectContaining({
        permission: 'catalog.entity.delete',
        result: 'CONDITIONAL',
        resourceType: 'catalog-entity',
      }),
      {
        permission: 'catalog.location.create',
        result: 'DENY',
        reason: { message: 'no rule gives it to you (your roles: alpha-team)' },
      },
      {
        permission: 'permission.policy.update',
        result: 'ALLOW',
        reason: { message: 'you are a policy administrator' },
      },
      {
        permission: 'catalog.entity.delete',
        resourceRef: 'component:default/no-such-thing',
        result: 'DENY',
        reason: { message: 'component:default/no-such-thing does not exist' },
      },
      {
        permission: 'no.such.permission',
        result: 'DENY',
        reason: { message: "no installed plugin declares the permission 'no.such.permission'" },
      },
      expect.objectContaining({ id: 'b1', permission: 'catalog.entity.refresh', result: 'ALLOW' }),
    ]);
    const tooMany = await server.call('POST', '/authorize', {
      items: Array.from({ length: 101 }, () => ({ permission: 'catalog.entity.read' })),
    });
    expect(tooMany.status).toBe(400);
  });

  it('carries the permission and the reason in the body of a real 403', async () => {
    const entity = await (
      await fetch(`${server.url}/api/catalog/entities/by-name/component/default/beta-billing`)
    ).json();
    const response = await fetch(
      `${server.url}/api/catalog/entities/by-uid/${entity.metadata.uid}`,
      {
        method: 'DELETE',
      },
    );
    expect(response.status).toBe(403);
    const { error } = await response.json();
    expect(error).toMatchObject({
      name: 'NotAllowedError',
      permission: 'catalog.entity.delete',
      reason: {
        message:
          "the rule 'team members may unregister what they own' did not match because you do not own this entity (neither you nor one of your groups)",
        rule: 'team members may unregister what they own',
        source: ruleSource,
      },
    });
    expect(error.message).toMatch(/^You need catalog\.entity\.delete: the rule/);
  });
});

describe.each(ENGINES)(
  'what the authorize batch tells about unreadable entities (%s)',
  (engine) => {
    let server: PolicyServer;
    beforeAll(async () => {
      server = await startPolicyServer({
        engine,
        // Alice reads only what her groups own; Carol's... nothing here is hers.
        policy: `rules:
  - name: read only what you own
    roles: [everyone]
    allow: catalog.entity.read
    when: { isEntityOwner: true }
  - name: delete what you own
    roles: [everyone]
    allow: catalog.entity.delete
    when: { isEntityOwner: true }
`,
      });
    });
    afterAll(() => server?.stop());

    it('answers the same for an entity the caller may not read as for one that does not exist', async () => {
      const { body } = await server.call('POST', '/authorize', {
        items: [
          { permission: 'catalog.entity.delete', resourceRef: 'component:default/beta-billing' },
          { permission: 'catalog.entity.delete', resourceRef: 'component:default/no-such-thing' },
          { permission: 'catalog.entity.read', resourceRef: 'component:default/beta-billing' },
          { permission: 'catalog.entity.delete', resourceRef: 'component:default/alpha-api' },
        ],
      });
      const [hidden, missing, read, own] = body.items;
      expect(hidden.reason).toEqual({
        message: 'component:default/beta-billing does not exist, or you may not see it',
      });
      expect(missing.reason).toEqual({
        message: 'component:default/no-such-thing does not exist, or you may not see it',
      });
      expect(read.result).toBe('DENY');
      expect(read.reason.message).toMatch(/does not exist, or you may not see it/);
      expect(own.result).toBe('ALLOW');
    });
  },
);
