import { describe, expect, it } from 'vitest';
import { testKnown } from '../../../../test/fixtures/policies/known.ts';
import { PermissionEvaluator } from '../../../core/permissions/evaluator.ts';
import type { Policy } from '../../../core/permissions/policy-model.ts';
import type { Identity, Permission } from '../../../core/plugin-api.ts';
import { mergePolicy } from './merge-policy.ts';
import type { StoredRole } from './role-store.ts';

const FILE = '/srv/policy.yaml';

const filePolicy: Policy = {
  roles: [
    {
      name: 'platform-admins',
      members: ['group:default/platform'],
      source: { file: FILE, line: 2 },
    },
  ],
  rules: [
    {
      name: 'platform admins may do anything',
      effect: 'allow',
      roles: ['platform-admins'],
      permissions: ['*'],
      source: { file: FILE, line: 6 },
    },
  ],
  admins: [],
  superUsers: [],
};

const stored = (name: string, members: string[]): StoredRole => ({
  name,
  members,
  rules: [
    {
      name: `${name} register locations`,
      effect: 'allow',
      permissions: ['catalog.location.create'],
    },
  ],
  updatedAt: '2026-01-01T00:00:00.000Z',
  updatedBy: 'user:default/alice',
});

const person = (ref: string, groups: string[] = []): Identity => ({
  userEntityRef: ref,
  ownershipEntityRefs: [ref, ...groups],
  isGuest: false,
  credential: 'session',
});

function evaluator(policy: Policy) {
  return new PermissionEvaluator({
    enabled: () => true,
    policy: () => policy,
    resourceTypes: new Map(),
  });
}

const LOCATION_CREATE = {
  name: 'catalog.location.create',
  attributes: { action: 'create' as const },
};

describe('mergePolicy', () => {
  it('lets a file role win over a database role of the same name, with a warning', () => {
    const { policy, databaseProblems } = mergePolicy({
      files: [{ file: FILE, policy: filePolicy, problems: [] }],
      storedRoles: [
        stored('platform-admins', ['user:default/mallory']),
        stored('releasers', ['user:default/bob']),
      ],
      admins: [],
      superUsers: [],
      known: testKnown(),
    });
    expect(policy.roles.map((r) => [r.name, r.source.file])).toEqual([
      ['platform-admins', FILE],
      ['releasers', 'database'],
    ]);
    expect(policy.rules.map((r) => r.name)).toEqual([
      'platform admins may do anything',
      'releasers register locations',
    ]);
    expect(databaseProblems).toEqual([
      {
        file: 'database',
        field: 'roles.platform-admins',
        severity: 'warning',
        message: `Role 'platform-admins' is also declared in ${FILE}:2; the file's role is in force and this one is ignored (delete it here)`,
      },
    ]);
  });

  it('denies everything in place of a file that was never read (fail closed)', async () => {
    const { policy } = mergePolicy({
      files: [
        {
          file: FILE,
          policy: undefined,
          problems: [
            { file: FILE, line: 7, field: 'rules[0].allow', message: 'Unknown permission' },
          ],
        },
      ],
      storedRoles: [stored('releasers', ['user:default/bob'])],
      admins: ['user:default/alice'],
      superUsers: ['user:default/root'],
      known: testKnown(),
    });
    const decide = (who: Identity, permission: Permission = LOCATION_CREATE) =>
      evaluator(policy).authorize(who, permission);
    expect(await decide(person('user:default/bob'))).toEqual({
      result: 'DENY',
      reason: {
        message:
          "the rule 'policy.yaml could not be read at start, so everything is denied until it is fixed' denies it",
        rule: 'policy.yaml could not be read at start, so everything is denied until it is fixed',
        source: `${FILE}:7`,
      },
    });
    // The admins from config can still reach the administration page to see why.
    expect(
      (
        await decide(person('user:default/alice'), {
          name: 'permission.policy.read',
          attributes: { action: 'read' as const },
        })
      ).result,
    ).toBe('ALLOW');
    expect((await decide(person('user:default/root'))).result).toBe('ALLOW');
  });

  it('keeps groups among the admins and super users, matched through membership', async () => {
    const { policy } = mergePolicy({
      files: [],
      storedRoles: [],
      admins: ['user:default/alice', 'group:default/security'],
      superUsers: ['group:default/ops'],
      known: testKnown(),
    });
    expect(policy.admins).toEqual(['user:default/alice', 'group:default/security']);
    expect(policy.superUsers).toEqual(['group:default/ops']);
    expect(policy.roles).toEqual([]);
    const carol = person('user:default/carol', ['group:default/security']);
    const update = { name: 'permission.policy.update', attributes: { action: 'update' as const } };
    expect((await evaluator(policy).authorize(carol, update)).result).toBe('ALLOW');
    expect((await evaluator(policy).authorize(carol, LOCATION_CREATE)).result).toBe('DENY');
    const dave = person('user:default/dave', ['group:default/ops']);
    expect((await evaluator(policy).authorize(dave, LOCATION_CREATE)).result).toBe('ALLOW');
  });
});
