import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testKnown } from '../../../test/fixtures/policies/known.ts';
import { MAX_CONDITION_DEPTH } from './conditions.ts';
import { formatProblem } from './policy-model.ts';
import { parsePolicyYaml } from './policy-yaml.ts';

const FILE = '/etc/atrium/policy.yaml';
const parse = (text: string, roles?: string[]) => parsePolicyYaml(text, FILE, testKnown(roles));

/** The problems of a policy, one `line field: message` string each. */
function problems(text: string): string[] {
  return parse(text).problems.map((p) => `${p.line} ${p.field ?? '-'}: ${p.message}`);
}

/** The conditions of the only rule of a one-rule policy whose `when` is `when`. */
function when(condition: string, allow = 'catalog.entity.delete') {
  const { policy, problems } = parse(
    `rules:\n  - name: r\n    roles: [everyone]\n    allow: [${allow}]\n    when: ${condition}\n`,
  );
  expect(problems).toEqual([]);
  return policy.rules[0]!.conditions;
}

describe('parsePolicyYaml: a complete policy', () => {
  it('reads the README example into roles and rules with their source lines', () => {
    const text = readFileSync(
      new URL('../../../test/fixtures/policies/policy.yaml', import.meta.url),
      'utf8',
    );
    const { policy, problems } = parsePolicyYaml(text, FILE, testKnown());
    expect(problems).toEqual([]);
    expect(policy.roles).toEqual([
      {
        name: 'platform-admins',
        description: 'The team that runs Atrium',
        members: ['group:default/team-platform', 'user:default/tomas.herrera'],
        source: { file: FILE, line: 4 },
      },
      {
        name: 'release-managers',
        members: ['group:payments/release-team', 'user:default/priya.raman'],
        source: { file: FILE, line: 8 },
      },
    ]);
    expect(policy.rules).toEqual([
      {
        name: 'platform admins may do anything',
        effect: 'allow',
        roles: ['platform-admins'],
        permissions: ['*'],
        source: { file: FILE, line: 12 },
      },
      {
        name: 'everyone may use templates',
        effect: 'allow',
        roles: ['everyone'],
        permissions: [
          'scaffolder-template',
          'scaffolder.task.create',
          'scaffolder.task.read',
          'scaffolder.action.execute',
        ],
        source: { file: FILE, line: 16 },
      },
      {
        name: 'team members may refresh and unregister what they own',
        effect: 'allow',
        roles: ['everyone'],
        permissions: ['catalog.entity.refresh', 'catalog.entity.delete', 'techdocs.site.rebuild'],
        conditions: {
          rule: 'IS_ENTITY_OWNER',
          resourceType: 'catalog-entity',
          params: { claims: ['$ownerRefs'] },
        },
        source: { file: FILE, line: 24 },
      },
      {
        name: 'release managers may unregister any service that is not in production',
        effect: 'allow',
        roles: ['release-managers'],
        permissions: ['catalog-entity'],
        actions: ['delete'],
        conditions: {
          allOf: [
            {
              rule: 'IS_ENTITY_KIND',
              resourceType: 'catalog-entity',
              params: { kinds: ['component'] },
            },
            {
              not: {
                rule: 'HAS_SPEC',
                resourceType: 'catalog-entity',
                params: { key: 'lifecycle', value: 'production' },
              },
            },
          ],
        },
        source: { file: FILE, line: 29 },
      },
      {
        name: 'nobody unregisters what is under legal hold',
        effect: 'deny',
        roles: ['everyone'],
        permissions: ['catalog.entity.delete'],
        conditions: {
          anyOf: [
            { rule: 'HAS_LABEL', resourceType: 'catalog-entity', params: { label: 'legal-hold' } },
            {
              rule: 'HAS_ANNOTATION',
              resourceType: 'catalog-entity',
              params: { annotation: 'kestrel-freight.example/retention', value: 'permanent' },
            },
          ],
        },
        source: { file: FILE, line: 39 },
      },
      {
        name: 'auditors read the audit log',
        effect: 'allow',
        roles: ['platform-admins', 'release-managers'],
        permissions: ['audit.*', 'permission.policy.read'],
        source: { file: FILE, line: 47 },
      },
    ]);
  });

  it('the README shows that example, verbatim', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Access control'));
    const block = /```yaml\n(# Who may do what[\s\S]*?)```/.exec(section)?.[1];
    const fixture = readFileSync(
      new URL('../../../test/fixtures/policies/policy.yaml', import.meta.url),
      'utf8',
    );
    expect(block).toBe(fixture);
  });

  it('reads the demo policy shipped in examples/ without a problem', () => {
    const text = readFileSync(new URL('../../../examples/policy.yaml', import.meta.url), 'utf8');
    const { policy, problems } = parsePolicyYaml(text, 'examples/policy.yaml', testKnown());
    expect(problems.map(formatProblem)).toEqual([]);
    expect(policy.roles.map((r) => r.name)).toEqual(['platform-admins']);
    expect(policy.roles[0]!.members).toEqual(['group:default/team-platform']);
  });

  it('reads an empty file or a comment-only file as an empty policy', () => {
    for (const text of ['', '# nothing yet\n', 'roles:\nrules:\n', 'roles: []\nrules: []\n']) {
      expect(parse(text)).toEqual({
        policy: { roles: [], rules: [], superUsers: [], admins: [] },
        problems: [],
      });
    }
  });

  it('lowercases members and fills in the default namespace', () => {
    const { policy } = parse(
      'roles:\n  - name: r\n    members: [User:Jane.Doe, group:Team-A, group:payments/billing]\n',
    );
    expect(policy.roles[0]!.members).toEqual([
      'user:default/jane.doe',
      'group:default/team-a',
      'group:payments/billing',
    ]);
  });

  it('accepts single strings where lists are expected', () => {
    const { policy, problems } = parse(
      'roles:\n  - { name: r, members: group:team-a }\nrules:\n  - { name: x, roles: r, allow: catalog.entity.create, actions: create }\n',
    );
    expect(problems).toEqual([]);
    expect(policy.roles[0]!.members).toEqual(['group:default/team-a']);
    expect(policy.rules[0]).toMatchObject({
      roles: ['r'],
      permissions: ['catalog.entity.create'],
      actions: ['create'],
    });
  });

  it('lets rules name roles declared by other sources', () => {
    const text =
      'rules:\n  - { name: x, roles: [role:default/team-a], allow: [catalog.entity.create] }\n';
    expect(parse(text).problems).toHaveLength(1);
    expect(parse(text, ['role:default/team-a']).problems).toEqual([]);
  });
});

describe('parsePolicyYaml: condition shorthands', () => {
  const leaf = (rule: string, params: Record<string, unknown>) => ({
    rule,
    resourceType: 'catalog-entity',
    params,
  });

  it('isEntityOwner: true, a list of refs, or claims', () => {
    expect(when('{ isEntityOwner: true }')).toEqual(
      leaf('IS_ENTITY_OWNER', { claims: ['$ownerRefs'] }),
    );
    expect(when('{ isEntityOwner: [group:Team-A, $currentUser] }')).toEqual(
      leaf('IS_ENTITY_OWNER', { claims: ['group:default/team-a', '$currentUser'] }),
    );
    expect(when('{ isEntityOwner: { claims: [user:payments/ada] } }')).toEqual(
      leaf('IS_ENTITY_OWNER', { claims: ['user:payments/ada'] }),
    );
  });

  it('isEntityKind: a kind, a list of kinds, or kinds', () => {
    expect(when('{ isEntityKind: template }')).toEqual(
      leaf('IS_ENTITY_KIND', { kinds: ['template'] }),
    );
    expect(when('{ isEntityKind: [component, API] }')).toEqual(
      leaf('IS_ENTITY_KIND', { kinds: ['component', 'API'] }),
    );
    expect(when('{ isEntityKind: { kinds: [group] } }')).toEqual(
      leaf('IS_ENTITY_KIND', { kinds: ['group'] }),
    );
  });

  it('hasAnnotation, hasLabel, hasMetadata, hasSpec: a name, or the parameters', () => {
    expect(when('{ hasAnnotation: backstage.io/techdocs-ref }')).toEqual(
      leaf('HAS_ANNOTATION', { annotation: 'backstage.io/techdocs-ref' }),
    );
    expect(
      when("{ hasAnnotation: { annotation: 'github.com/project-slug', value: kestrel/booking } }"),
    ).toEqual(
      leaf('HAS_ANNOTATION', { annotation: 'github.com/project-slug', value: 'kestrel/booking' }),
    );
    expect(when('{ hasLabel: tier }')).toEqual(leaf('HAS_LABEL', { label: 'tier' }));
    expect(when('{ hasMetadata: { key: tags, value: java } }')).toEqual(
      leaf('HAS_METADATA', { key: 'tags', value: 'java' }),
    );
    expect(when('{ hasSpec: lifecycle }')).toEqual(leaf('HAS_SPEC', { key: 'lifecycle' }));
    // YAML reads `3` and `true` as a number and a boolean; rules compare text.
    expect(when('{ hasSpec: { key: replicas, value: 3 } }')).toEqual(
      leaf('HAS_SPEC', { key: 'replicas', value: '3' }),
    );
  });

  it('several conditions in one map must all hold; allOf, anyOf and not nest', () => {
    expect(when('{ isEntityOwner: true, isEntityKind: component }')).toEqual({
      allOf: [
        leaf('IS_ENTITY_OWNER', { claims: ['$ownerRefs'] }),
        leaf('IS_ENTITY_KIND', { kinds: ['component'] }),
      ],
    });
    expect(
      when(
        '{ anyOf: [{ isEntityOwner: true }, { allOf: [{ hasLabel: a }, { not: { hasLabel: b } }] }] }',
      ),
    ).toEqual({
      anyOf: [
        leaf('IS_ENTITY_OWNER', { claims: ['$ownerRefs'] }),
        { allOf: [leaf('HAS_LABEL', { label: 'a' }), { not: leaf('HAS_LABEL', { label: 'b' }) }] },
      ],
    });
  });

  it("accepts Backstage's own { rule, resourceType, params } form, for any declared rule", () => {
    expect(when('{ rule: IS_ENTITY_OWNER, params: { claims: [group:default/a] } }')).toEqual(
      leaf('IS_ENTITY_OWNER', { claims: ['group:default/a'] }),
    );
    expect(
      when(
        '{ rule: HAS_ACTION_ID, resourceType: scaffolder-action, params: { actionId: publish:github } }',
        'scaffolder.action.execute',
      ),
    ).toEqual({
      rule: 'HAS_ACTION_ID',
      resourceType: 'scaffolder-action',
      params: { actionId: 'publish:github' },
    });
  });
});

describe('parsePolicyYaml: every mistake is named with its line and field', () => {
  it('YAML syntax errors and duplicate keys', () => {
    expect(problems('roles:\n  - name: a\n    members: [user:x\nrules: []\n')).toEqual([
      expect.stringMatching(/^4 -: YAML syntax error: .*flow sequence/i),
    ]);
    expect(problems('rules:\n  - name: a\n    roles: [everyone]\n    name: b\n')).toEqual([
      expect.stringMatching(/^4 -: YAML syntax error: Map keys must be unique/),
    ]);
  });

  it('a file that is not one map of roles and rules', () => {
    expect(problems('- a\n- b\n')).toEqual([expect.stringMatching(/^1 -: A policy file is a map/)]);
    expect(problems('roles: []\n---\nrules: []\n')).toEqual([
      expect.stringMatching(/^3 -: A policy file holds one YAML document/),
    ]);
    expect(problems('roles: {}\nrules: x\n')).toEqual([
      "1 roles: 'roles' is a list",
      "2 rules: 'rules' is a list",
    ]);
  });

  it('unknown keys, with a suggestion', () => {
    expect(
      problems(
        'role:\n  - name: a\nroles:\n  - name: b\n    member: [user:x]\nrules:\n  - name: c\n    roles: [b]\n    alow: [catalog.entity.read]\n    allow: [catalog.entity.read]\n',
      ),
    ).toEqual([
      "1 role: Unknown key 'role'; did you mean 'roles'? (expected roles, rules)",
      "5 roles[0].member: Unknown key 'member'; did you mean 'members'? (expected name, description, members)",
      "9 rules[0].alow: Unknown key 'alow'; did you mean 'allow'? (expected name, roles, allow, deny, actions, when)",
    ]);
  });

  it('unknown permissions, globs that match nothing, and unsupported globs', () => {
    expect(
      problems(
        'rules:\n  - name: a\n    roles: [everyone]\n    allow:\n      - catalog.entity.read\n      - catalog.entity.reed\n      - catalg.*\n      - catalog.*.read\n      - kubernetes.proxy\n',
      ),
    ).toEqual([
      "6 rules[0].allow[1]: Unknown permission 'catalog.entity.reed'; did you mean 'catalog.entity.read'? (a permission name, a resource type, '*', or a prefix glob such as catalog.*)",
      "7 rules[0].allow[2]: 'catalg.*' matches no known permission; did you mean 'catalog.*'?",
      "8 rules[0].allow[3]: 'catalog.*.read' is not a permission pattern: write a permission name, a resource type, '*', or a prefix ending in '.*' (catalog.*)",
      "9 rules[0].allow[4]: Unknown permission 'kubernetes.proxy' (a permission name, a resource type, '*', or a prefix glob such as catalog.*)",
    ]);
  });

  it('unknown roles, and the built-in role declared', () => {
    expect(
      problems(
        'roles:\n  - name: everyone\n  - name: admins\nrules:\n  - name: a\n    roles: [admins, evryone, devs]\n    allow: [catalog.entity.create]\n',
      ),
    ).toEqual([
      "2 roles[0].name: 'everyone' is built in (every signed-in caller) and cannot be declared",
      "6 rules[0].roles[1]: Unknown role 'evryone'; did you mean 'everyone'? (declare roles under 'roles'; 'everyone' is every signed-in caller)",
      "6 rules[0].roles[2]: Unknown role 'devs' (declare roles under 'roles'; 'everyone' is every signed-in caller)",
    ]);
  });

  it('members that are not user or group refs', () => {
    expect(
      problems(
        'roles:\n  - name: a\n    members:\n      - user:jane\n      - jane\n      - component:x\n',
      ),
    ).toEqual([
      "5 roles[0].members[1]: Member 'jane' is not a user or group ref: write user:default/jane or group:default/team-a (the namespace may be left out)",
      "6 roles[0].members[2]: Member 'component:x' is not a user or group ref: write user:default/jane or group:default/team-a (the namespace may be left out)",
    ]);
  });

  it('unknown conditions, missing and unknown parameters', () => {
    const rule = (whenText: string) =>
      `rules:\n  - name: a\n    roles: [everyone]\n    allow: [catalog.entity.delete]\n    when:\n${whenText}`;
    expect(problems(rule('      isOwner: true\n'))).toEqual([
      "6 rules[0].when.isOwner: Unknown condition 'isOwner' (conditions: isEntityOwner, isEntityKind, hasAnnotation, hasLabel, hasMetadata, hasSpec, combined with allOf, anyOf, not)",
    ]);
    expect(problems(rule('      IS_ENTITY_OWNER: true\n'))).toEqual([
      expect.stringMatching(
        /^6 rules\[0\]\.when\.IS_ENTITY_OWNER: Unknown condition 'IS_ENTITY_OWNER'; did you mean 'isEntityOwner'\?/,
      ),
    ]);
    expect(problems(rule('      hasSpec:\n        value: production\n'))).toEqual([
      "6 rules[0].when.hasSpec: hasSpec needs the parameter 'key'",
    ]);
    expect(
      problems(rule('      hasSpec:\n        key: lifecycle\n        valeu: production\n')),
    ).toEqual([
      "8 rules[0].when.hasSpec.valeu: hasSpec has no parameter 'valeu'; did you mean 'value'? (parameters: key, value)",
    ]);
    expect(problems(rule('      isEntityOwner: false\n'))).toEqual([
      '6 rules[0].when.isEntityOwner: isEntityOwner takes true (owned by you or one of your groups), a list of refs, or { claims: [...] }; to negate, write not: { isEntityOwner: true }',
    ]);
    expect(problems(rule('      isEntityOwner: [team-a]\n'))).toEqual([
      "6 rules[0].when.isEntityOwner[0]: Claim 'team-a' is not a user or group ref (user:default/jane, group:default/team-a), $currentUser or $ownerRefs",
    ]);
    expect(problems(rule('      anyOf: []\n'))).toEqual([
      '6 rules[0].when.anyOf: anyOf takes a non-empty list of conditions',
    ]);
    expect(problems(rule('      rule: HAS_TAG\n      params: {}\n'))).toEqual([
      "5 rules[0].when: The condition HAS_TAG needs 'resourceType' (e.g. catalog-entity)",
    ]);
    expect(problems(rule('      rule: HAS_TAG\n      resourceType: catalog-entity\n'))).toEqual([
      "6 rules[0].when.rule: Unknown condition rule 'HAS_TAG' for catalog-entity (rules: IS_ENTITY_OWNER, IS_ENTITY_KIND, HAS_ANNOTATION, HAS_LABEL, HAS_METADATA, HAS_SPEC)",
    ]);
  });

  it('conditions on permissions that are not about a resource, or about another one', () => {
    const rule = (allow: string, whenText = '{ isEntityOwner: true }') =>
      `rules:\n  - name: a\n    roles: [everyone]\n    allow: [${allow}]\n    when: ${whenText}\n`;
    expect(problems(rule('catalog.location.read'))).toEqual([
      "4 rules[0].allow[0]: 'when' needs a resource to check, but catalog.location.read is not about a resource; name permissions of catalog-entity (or write catalog-entity)",
    ]);
    expect(problems(rule('catalog.*'))).toEqual([
      "4 rules[0].allow[0]: 'when' needs a resource to check, but 'catalog.*' covers catalog.entity.create, catalog.location.create, catalog.location.read and 5 more, which are not about a resource; name permissions of catalog-entity (or write catalog-entity)",
    ]);
    expect(problems(rule('catalog-entity, scaffolder.template.parameter.read'))).toEqual([
      '4 rules[0].allow[1]: scaffolder.template.parameter.read is about scaffolder-template, but the conditions are about catalog-entity',
    ]);
    expect(problems(rule('scaffolder-template'))).toEqual([
      "4 rules[0].allow[0]: 'scaffolder-template' is a different resource type than the conditions (catalog-entity)",
    ]);
    expect(
      problems(
        rule(
          'catalog-entity',
          '{ anyOf: [{ isEntityOwner: true }, { rule: HAS_ACTION_ID, resourceType: scaffolder-action, params: { actionId: x } }] }',
        ),
      ),
    ).toEqual([
      '5 rules[0].when: The conditions are about catalog-entity and scaffolder-action; the conditions of one rule are about one resource type',
    ]);
    // `actions` narrows what a glob covers before the check.
    expect(
      problems(
        'rules:\n  - name: a\n    roles: [everyone]\n    allow: [catalog.*]\n    actions: [delete, update]\n    when: { isEntityOwner: true }\n',
      ),
    ).toEqual([
      "4 rules[0].allow[0]: 'when' needs a resource to check, but 'catalog.*' covers catalog.location.delete, catalog.starred.update, which are not about a resource; name permissions of catalog-entity (or write catalog-entity)",
    ]);
  });

  it('actions that do not exist or match none of the permissions', () => {
    expect(
      problems(
        'rules:\n  - name: a\n    roles: [everyone]\n    allow: [catalog.entity.delete]\n    actions: [remove]\n  - name: b\n    roles: [everyone]\n    allow: [catalog.entity.delete]\n    actions: read\n',
      ),
    ).toEqual([
      "5 rules[0].actions[0]: Unknown action 'remove' (actions: create, read, update, delete, use)",
      "9 rules[1].actions: None of the permissions in 'allow' has the action read, so the rule never applies",
    ]);
  });

  it('duplicate role and rule names, naming the first', () => {
    expect(
      problems(
        'roles:\n  - name: a\n  - name: b\n  - name: a\nrules:\n  - { name: r, roles: [a], allow: [search.query] }\n  - { name: r, roles: [b], allow: [search.query] }\n',
      ),
    ).toEqual([
      "4 roles[2].name: Role 'a' is declared twice (first at line 2)",
      "7 rules[1].name: Rule 'r' is declared twice (first at line 6)",
    ]);
  });

  it('rules without a name, roles, or exactly one of allow and deny', () => {
    expect(
      problems(
        'rules:\n  - roles: [everyone]\n    allow: [search.query]\n  - name: b\n    allow: [search.query]\n  - name: c\n    roles: [everyone]\n  - name: d\n    roles: [everyone]\n    allow: [search.query]\n    deny: [search.query]\n  - name: e\n    roles: [everyone]\n    deny: []\n',
      ),
    ).toEqual([
      "2 rules[0]: A rule needs a 'name' (a non-empty string)",
      "4 rules[1]: Rule 'b' needs 'roles': the roles it applies to (everyone for every signed-in caller)",
      "6 rules[2]: Rule 'c' needs 'allow' or 'deny': the permissions it gives or takes away",
      "8 rules[3]: Rule 'd' has both allow and deny: make it two rules",
      "14 rules[4].deny: 'deny' is a permission or a non-empty list of them",
    ]);
  });

  it('keeps the rules that are right, and leaves out the ones with a problem', () => {
    const { policy, problems: found } = parse(
      'rules:\n  - { name: good, roles: [everyone], allow: [search.query] }\n  - { name: bad, roles: [everyone], allow: [search.qeury] }\n',
    );
    expect(found).toHaveLength(1);
    expect(policy.rules.map((r) => r.name)).toEqual(['good']);
  });

  it('conditions nested deeper than the limit', () => {
    let nested = '{ isEntityOwner: true }';
    for (let i = 0; i < MAX_CONDITION_DEPTH; i++) nested = `{ not: ${nested} }`;
    expect(
      problems(
        `rules:\n  - name: a\n    roles: [everyone]\n    allow: [catalog.entity.delete]\n    when: ${nested}\n`,
      ),
    ).toEqual([
      expect.stringMatching(
        new RegExp(
          `^5 rules\\[0\\]\\.when(\\.not){${MAX_CONDITION_DEPTH}}: Conditions are nested more than ${MAX_CONDITION_DEPTH} levels deep$`,
        ),
      ),
    ]);
  });

  it('names the file in every problem', () => {
    const found = parse('rules:\n  - { name: a, roles: [x], allow: [search.query] }\n').problems;
    expect(found.map(formatProblem)).toEqual([
      `${FILE}:2 (rules[0].roles[0]): Unknown role 'x' (declare roles under 'roles'; 'everyone' is every signed-in caller)`,
    ]);
  });
});
