import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Entity } from '../../model/entity.ts';
import {
  CATALOG_ENTITY_RULES,
  PREDICATE_COMBINATORS,
} from '../../plugins/catalog/server/permissions.ts';
import type { Identity, Permission, ResourceTypeDefinition } from '../plugin-api.ts';
import { bindCriteria, criteriaToQuery, PermissionEvaluator, ruleCovers } from './evaluator.ts';
import { EMPTY_POLICY, type Policy, type PolicyRule } from './policy-model.ts';

const READ: Permission = {
  name: 'catalog.entity.read',
  attributes: { action: 'read' },
  resourceType: 'catalog-entity',
};
const DELETE: Permission = {
  name: 'catalog.entity.delete',
  attributes: { action: 'delete' },
  resourceType: 'catalog-entity',
};
const CREATE_LOCATION: Permission = {
  name: 'catalog.location.create',
  attributes: { action: 'create' },
};

const jane: Identity = {
  userEntityRef: 'user:default/jane',
  ownershipEntityRefs: ['user:default/jane', 'group:default/team-a', 'group:default/engineering'],
  isGuest: false,
  credential: 'session',
};

function entity(name: string, owner: string, extra: Partial<Entity['spec']> = {}): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations: { 'backstage.io/techdocs-ref': 'dir:.' } },
    spec: { type: 'service', lifecycle: 'experimental', owner, ...extra },
    relations: [{ type: 'ownedBy', targetRef: owner }],
  } as Entity;
}

const entities = new Map<string, Entity>([
  ['component:default/mine', entity('mine', 'group:default/team-a')],
  ['component:default/theirs', entity('theirs', 'group:default/team-b')],
  ['component:default/prod', entity('prod', 'group:default/team-a', { lifecycle: 'production' })],
]);

const catalogEntity: ResourceTypeDefinition<Entity, unknown> = {
  type: 'catalog-entity',
  rules: CATALOG_ENTITY_RULES,
  load: async (refs) => refs.map((r) => entities.get(r)),
};

const source = { file: '/etc/atrium/policy.yaml', line: 3 };
const rule = (r: Omit<PolicyRule, 'source'>): PolicyRule => ({ ...r, source });

function evaluator(policy: Partial<Policy>, enabled = true) {
  return new PermissionEvaluator({
    enabled: () => enabled,
    policy: () => ({ ...EMPTY_POLICY, ...policy }),
    resourceTypes: new Map([['catalog-entity', catalogEntity as ResourceTypeDefinition]]),
  });
}

const ownerDelete = rule({
  name: 'team members may unregister what they own',
  effect: 'allow',
  roles: ['everyone'],
  permissions: ['catalog.entity.delete'],
  conditions: {
    rule: 'IS_ENTITY_OWNER',
    resourceType: 'catalog-entity',
    params: { claims: ['$ownerRefs'] },
  },
});

describe('permission evaluator', () => {
  it('allows everything when permission.enabled is false, but never past a read-only token', async () => {
    const e = evaluator({}, false);
    expect((await e.authorize(jane, DELETE, 'component:default/theirs')).result).toBe('ALLOW');
    const readOnly = { ...jane, credential: 'personal-token', scope: 'read' } as Identity;
    expect(await e.authorize(readOnly, DELETE, 'component:default/mine')).toEqual({
      result: 'DENY',
      reason: { message: 'this personal access token is read-only' },
    });
    expect((await e.authorize(readOnly, READ)).result).toBe('ALLOW');
  });

  it('opens catalog reads and closes writes when no rule decides', async () => {
    const e = evaluator({});
    expect((await e.authorize(jane, READ)).result).toBe('ALLOW');
    const denied = await e.authorize(jane, CREATE_LOCATION);
    expect(denied).toEqual({
      result: 'DENY',
      reason: { message: 'no rule gives it to you (your roles: none)' },
    });
  });

  it('explains which rule did not match and why on one entity', async () => {
    const e = evaluator({ rules: [ownerDelete] });
    expect((await e.authorize(jane, DELETE, 'component:default/mine')).result).toBe('ALLOW');
    const denied = await e.authorize(jane, DELETE, 'component:default/theirs');
    expect(denied).toEqual({
      result: 'DENY',
      reason: {
        message:
          "the rule 'team members may unregister what they own' did not match because you do not own this entity (neither you nor one of your groups)",
        rule: 'team members may unregister what they own',
        source: '/etc/atrium/policy.yaml:3',
      },
    });
  });

  it('answers CONDITIONAL without a resource, with the caller refs bound', async () => {
    const e = evaluator({ rules: [ownerDelete] });
    const decision = await e.authorize(jane, DELETE);
    expect(decision.result).toBe('CONDITIONAL');
    if (decision.result !== 'CONDITIONAL') return;
    expect(decision.conditions).toEqual({
      rule: 'IS_ENTITY_OWNER',
      resourceType: 'catalog-entity',
      params: { claims: jane.ownershipEntityRefs },
    });
    expect(criteriaToQuery(decision.conditions, catalogEntity, PREDICATE_COMBINATORS)).toEqual({
      'relations.ownedBy': { $in: jane.ownershipEntityRefs },
    });
  });

  it('lets an explicit deny beat an allow, conditional or not', async () => {
    const adminRole = {
      name: 'platform-admins',
      members: ['group:default/engineering'],
      source,
    };
    const allowAll = rule({
      name: 'admins may do anything',
      effect: 'allow',
      roles: ['platform-admins'],
      permissions: ['*'],
    });
    const noProd = rule({
      name: 'nobody unregisters production',
      effect: 'deny',
      roles: ['everyone'],
      permissions: ['catalog.entity.delete'],
      conditions: {
        rule: 'HAS_SPEC',
        resourceType: 'catalog-entity',
        params: { key: 'lifecycle', value: 'production' },
      },
    });
    const e = evaluator({ roles: [adminRole], rules: [allowAll, noProd] });
    expect((await e.authorize(jane, DELETE, 'component:default/theirs')).result).toBe('ALLOW');
    const prod = await e.authorize(jane, DELETE, 'component:default/prod');
    expect(prod.result).toBe('DENY');
    expect(prod.reason?.message).toBe(
      "the rule 'nobody unregisters production' denies it for component:default/prod",
    );
    const list = await e.authorize(jane, DELETE);
    expect(list).toMatchObject({
      result: 'CONDITIONAL',
      conditions: {
        not: {
          rule: 'HAS_SPEC',
          params: { key: 'lifecycle', value: 'production' },
        },
      },
    });
    const hardDeny = evaluator({
      roles: [adminRole],
      rules: [allowAll, { ...noProd, conditions: undefined }],
    });
    expect((await hardDeny.authorize(jane, DELETE, 'component:default/mine')).result).toBe('DENY');
  });

  it('gives a role to members of sub-groups through the caller ownership refs', async () => {
    const e = evaluator({
      roles: [{ name: 'eng', members: ['group:default/engineering'], source }],
      rules: [
        rule({
          name: 'eng registers',
          effect: 'allow',
          roles: ['eng'],
          permissions: ['catalog.*'],
        }),
      ],
    });
    expect(e.rolesOf(jane)).toEqual(new Set(['everyone', 'eng']));
    expect((await e.authorize(jane, CREATE_LOCATION)).result).toBe('ALLOW');
    const outsider = { ...jane, userEntityRef: 'user:default/bob', ownershipEntityRefs: [] };
    expect((await e.authorize(outsider, CREATE_LOCATION)).result).toBe('DENY');
  });

  it('honours super users, policy admins and external access restrictions', async () => {
    const e = evaluator({ superUsers: ['user:default/root'], admins: ['user:default/jane'] });
    const root = { ...jane, userEntityRef: 'user:default/root' };
    expect((await e.authorize(root, CREATE_LOCATION)).result).toBe('ALLOW');
    expect((await e.authorize(jane, { name: 'permission.policy.update' })).result).toBe('ALLOW');
    const service: Identity = {
      userEntityRef: 'service:ci',
      ownershipEntityRefs: [],
      isGuest: false,
      credential: 'external',
      accessRestrictions: [{ plugin: 'catalog', permissionAttribute: { action: ['read'] } }],
    };
    const open = evaluator({ superUsers: ['service:ci'] });
    expect((await open.authorize(service, READ)).result).toBe('ALLOW');
    expect(await open.authorize(service, DELETE)).toEqual({
      result: 'DENY',
      reason: { message: 'the access restrictions of this token do not cover it' },
    });
  });

  it('names a policy file below the working directory by its relative path', async () => {
    const local = { ...ownerDelete, source: { file: join(process.cwd(), 'policy.yaml'), line: 7 } };
    const denied = await evaluator({ rules: [local] }).authorize(
      jane,
      DELETE,
      'component:default/theirs',
    );
    expect(denied.reason?.source).toBe('policy.yaml:7');
  });

  it('matches rules by name, glob, resource type and action', () => {
    const r = (permissions: string[], actions?: string[]) => ({ permissions, actions });
    expect(ruleCovers(r(['catalog.*']), DELETE)).toBe(true);
    expect(ruleCovers(r(['catalog-entity'], ['read']), READ)).toBe(true);
    expect(ruleCovers(r(['catalog-entity'], ['read']), DELETE)).toBe(false);
    expect(ruleCovers(r(['scaffolder.*']), DELETE)).toBe(false);
    expect(ruleCovers(r(['*'], ['use']), { name: 'search.query' })).toBe(true);
  });

  it('binds $currentUser and $ownerRefs wherever they appear', () => {
    expect(
      bindCriteria(
        {
          anyOf: [
            {
              rule: 'IS_ENTITY_OWNER',
              resourceType: 'catalog-entity',
              params: { claims: '$ownerRefs' },
            },
            {
              not: {
                rule: 'HAS_METADATA',
                resourceType: 'catalog-entity',
                params: { key: 'name', value: '$currentUser' },
              },
            },
          ],
        },
        jane,
      ),
    ).toEqual({
      anyOf: [
        {
          rule: 'IS_ENTITY_OWNER',
          resourceType: 'catalog-entity',
          params: { claims: jane.ownershipEntityRefs },
        },
        {
          not: {
            rule: 'HAS_METADATA',
            resourceType: 'catalog-entity',
            params: { key: 'name', value: 'user:default/jane' },
          },
        },
      ],
    });
  });
});
