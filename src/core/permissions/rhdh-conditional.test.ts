import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testKnown } from '../../../test/fixtures/policies/known.ts';
import { parseRhdhConditional, precedenceWarnings } from './rhdh-conditional.ts';
import { parseRhdhCsv } from './rhdh-csv.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/policies/${name}`, import.meta.url), 'utf8');
const FILE = '/etc/rbac/conditional-policies.yaml';
const CSV_FILE = '/etc/rbac/rbac-policy.csv';
const ROLES = ['role:default/developers', 'role:default/contractors', 'role:default/test'];
const parse = (text: string, roles: string[] | undefined = ROLES) =>
  parseRhdhConditional(text, FILE, testKnown(roles));

function problems(text: string, roles?: string[]): string[] {
  return parse(text, roles).problems.map(
    (p) =>
      `${p.line}${p.field ? ` ${p.field}` : ''}: ${p.message}${p.severity ? ` (${p.severity})` : ''}`,
  );
}

/** One conditional policy document, with the given fields replaced. */
function doc(fields: Record<string, string> = {}): string {
  const all: Record<string, string> = {
    result: 'CONDITIONAL',
    roleEntityRef: 'role:default/test',
    pluginId: 'catalog',
    resourceType: 'catalog-entity',
    permissionMapping: '[read, delete]',
    conditions:
      '{ rule: IS_ENTITY_OWNER, resourceType: catalog-entity, params: { claims: [$currentUser] } }',
    ...fields,
  };
  return Object.entries(all)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v}\n`)
    .join('');
}

describe('parseRhdhConditional: an RHDH conditional policies file, unchanged', () => {
  it('turns each document into an allow rule with conditions, for its role, resource type and actions', () => {
    const { policy, problems: found } = parse(fixture('rbac-conditional-policies.yaml'));
    expect(found).toEqual([]);
    expect(policy.roles).toEqual([]);
    expect(policy.rules).toEqual([
      {
        name: 'conditional policy of role:default/developers for catalog-entity (update, delete)',
        effect: 'allow',
        roles: ['role:default/developers'],
        permissions: ['catalog-entity'],
        actions: ['update', 'delete'],
        conditions: {
          rule: 'IS_ENTITY_OWNER',
          resourceType: 'catalog-entity',
          params: { claims: ['$ownerRefs'] },
        },
        source: { file: FILE, line: 5 },
      },
      {
        name: 'conditional policy of role:default/developers for scaffolder-action (use)',
        effect: 'allow',
        roles: ['role:default/developers'],
        permissions: ['scaffolder-action'],
        actions: ['use'],
        conditions: {
          not: {
            rule: 'HAS_ACTION_ID',
            resourceType: 'scaffolder-action',
            params: { actionId: 'publish:github' },
          },
        },
        source: { file: FILE, line: 20 },
      },
      {
        name: 'conditional policy of role:default/contractors for catalog-entity (read)',
        effect: 'allow',
        roles: ['role:default/contractors'],
        permissions: ['catalog-entity'],
        actions: ['read'],
        conditions: {
          anyOf: [
            {
              rule: 'IS_ENTITY_OWNER',
              resourceType: 'catalog-entity',
              params: { claims: ['$currentUser', 'group:default/contractors'] },
            },
            {
              rule: 'IS_ENTITY_KIND',
              resourceType: 'catalog-entity',
              params: { kinds: ['Group', 'User'] },
            },
            {
              allOf: [
                {
                  rule: 'IS_ENTITY_KIND',
                  resourceType: 'catalog-entity',
                  params: { kinds: ['Component'] },
                },
                {
                  rule: 'HAS_ANNOTATION',
                  resourceType: 'catalog-entity',
                  params: { annotation: 'backstage.io/techdocs-ref' },
                },
              ],
            },
          ],
        },
        source: { file: FILE, line: 34 },
      },
    ]);
  });

  it('goes with the CSV fixture: its roles, and no allow that would override a condition', () => {
    const csv = parseRhdhCsv(fixture('rbac-policy.csv'), CSV_FILE, testKnown());
    const roles = csv.policy.roles.map((r) => r.name);
    const conditional = parse(fixture('rbac-conditional-policies.yaml'), roles);
    expect(conditional.problems).toEqual([]);
    expect(precedenceWarnings(csv.policy, conditional.policy, testKnown())).toEqual([]);
  });

  it('accepts permission names of the resource type in permissionMapping', () => {
    const { policy, problems: found } = parse(
      doc({ permissionMapping: '[read, catalog.entity.refresh]' }),
    );
    expect(found).toEqual([]);
    expect(policy.rules.map((r) => [r.permissions, r.actions])).toEqual([
      [['catalog-entity'], ['read']],
      [['catalog.entity.refresh'], undefined],
    ]);
  });
});

describe('parseRhdhConditional: mistakes, with their line', () => {
  it('YAML syntax errors, in the document that has them', () => {
    const text = `${doc()}---\n${doc({ conditions: '{ rule: IS_ENTITY_OWNER, params: [ }' })}`;
    const { policy, problems: found } = parse(text);
    expect(new Set(found.map((p) => p.line))).toEqual(new Set([13]));
    expect(found[0]!.message).toMatch(/^YAML syntax error/);
    expect(policy.rules).toHaveLength(1);
  });

  it('the fields of a conditional policy', () => {
    expect(
      problems(
        doc({
          result: 'ALLOW',
          roleEntityRef: 'team-a',
          pluginId: '',
          permissionMapping: '[read, read, view, catalog.location.read]',
        }),
      ),
    ).toEqual([
      '1 result: \'result\' is CONDITIONAL in a conditional policy, not "ALLOW"',
      "2 roleEntityRef: 'roleEntityRef' is a role ref in full, e.g. role:default/team-a",
      "1 pluginId: 'pluginId' names the plugin that owns the resource type, e.g. catalog",
      "4 permissionMapping[1]: 'read' is listed twice",
      "4 permissionMapping[2]: Unknown action 'view' (actions: create, read, update, delete, use)",
      '4 permissionMapping[3]: catalog.location.read is not about a resource, not catalog-entity',
    ]);
    expect(problems(doc({ permissionMapping: '[]' }))).toEqual([
      "5 permissionMapping: 'permissionMapping' is a non-empty list of actions (create, read, update, delete, use)",
    ]);
    expect(problems(doc({ conditions: '' }))).toEqual([
      "1: A conditional policy needs 'conditions'",
    ]);
    expect(problems('- result: CONDITIONAL\n')).toEqual([
      '1: A conditional policy is a map with result, roleEntityRef, pluginId, resourceType, permissionMapping and conditions',
    ]);
  });

  it("resource types: a typo is an error, another plugin's type a warning", () => {
    expect(problems(doc({ resourceType: 'catalog-entty' }))).toEqual([
      "4 resourceType: Unknown resource type 'catalog-entty'; did you mean 'catalog-entity'?",
    ]);
    expect(problems(doc({ resourceType: 'ocm-cluster' }))).toEqual([
      "4 resourceType: No plugin of this Atrium declares 'ocm-cluster'; this policy grants nothing here (warning)",
    ]);
  });

  it('conditions: one criterion per level, known rules, their parameters, one resource type', () => {
    expect(
      problems(
        doc({
          conditions:
            '\n  anyOf: [{ rule: IS_ENTITY_OWNER, resourceType: catalog-entity, params: { claims: [$ownerRefs] } }]\n  not: { rule: IS_ENTITY_KIND, resourceType: catalog-entity, params: { kinds: [api] } }',
        }),
      ),
    ).toEqual([
      '6 conditions: One condition per level: anyOf and not cannot sit side by side (nest them in allOf)',
    ]);
    expect(
      problems(
        doc({
          conditions:
            '\n  allOf:\n    - rule: IS_ENTITY_OWNR\n      resourceType: catalog-entity\n      params: { claims: [x] }\n    - rule: HAS_ANNOTATION\n      resourceType: catalog-entity\n      params: { value: v }\n    - rule: HAS_LABEL\n      resourceType: scaffolder-action\n      params: { label: l }',
        }),
      ),
    ).toEqual([
      "8 conditions.allOf[0].rule: Unknown condition rule 'IS_ENTITY_OWNR' for catalog-entity; did you mean 'IS_ENTITY_OWNER'? (rules: IS_ENTITY_OWNER, IS_ENTITY_KIND, HAS_ANNOTATION, HAS_LABEL, HAS_METADATA, HAS_SPEC)",
      "13 conditions.allOf[1].params: HAS_ANNOTATION needs the parameter 'annotation'",
      "14 conditions.allOf[2].rule: Unknown condition rule 'HAS_LABEL' for scaffolder-action (rules: HAS_ACTION_ID)",
    ]);
    expect(
      problems(
        doc({
          resourceType: 'scaffolder-action',
          permissionMapping: '[use]',
          conditions:
            '{ rule: IS_ENTITY_OWNER, resourceType: catalog-entity, params: { claims: [$currentUser] } }',
        }),
      ),
    ).toEqual([
      '6 conditions: The conditions are about catalog-entity, but the policy is for scaffolder-action',
    ]);
  });

  it('what RHDH accepts but can never match is a warning', () => {
    expect(
      problems(
        doc({
          conditions:
            '{ rule: IS_ENTITY_OWNER, resourceType: catalog-entity, params: { claims: [team-a] } }',
        }),
      ),
    ).toEqual([
      "6 conditions.params.claims[0]: Claim 'team-a' is not a user or group ref (user:default/jane, group:default/team-a), $currentUser or $ownerRefs; it never matches (warning)",
    ]);
    expect(problems(doc({ permissionMapping: '[create]' }))).toEqual([
      '5 permissionMapping[0]: No permission of catalog-entity has the action create; this entry never matches (warning)',
    ]);
    expect(problems(`${doc()}id: 7\n`)).toEqual(["7 id: Unknown key 'id' (ignored) (warning)"]);
  });

  it('roles no other source declares are skipped with a warning, as RHDH skips them', () => {
    const { policy, problems: found } = parse(doc({ roleEntityRef: 'role:default/ghost' }));
    expect(found).toEqual([
      {
        file: FILE,
        line: 2,
        field: 'roleEntityRef',
        severity: 'warning',
        message:
          "Role 'role:default/ghost' is declared nowhere (RHDH takes the roles of conditional policies from its CSV file); the policy is skipped, as RHDH skips it",
      },
    ]);
    expect(policy.rules).toEqual([]);
  });

  it('two policies of one role for the same permission', () => {
    expect(problems(`${doc()}---\n${doc({ permissionMapping: '[update, delete]' })}`)).toEqual([
      '12 permissionMapping: Line 1 already has a conditional policy of role:default/test for catalog-entity delete',
    ]);
  });
});

describe('precedenceWarnings', () => {
  it('names the CSV line whose unconditional allow makes a conditional policy moot', () => {
    const csv = parseRhdhCsv(
      'g, group:default/a, role:default/test\np, role:default/test, catalog-entity, read, allow\np, role:default/test, catalog.entity.delete, delete, allow\n',
      CSV_FILE,
      testKnown(),
    );
    const conditional = parse(doc({ permissionMapping: '[read, update, delete]' }));
    expect(precedenceWarnings(csv.policy, conditional.policy, testKnown())).toEqual([
      {
        file: FILE,
        line: 1,
        field: 'permissionMapping',
        severity: 'warning',
        message: `${CSV_FILE}:2 allows role:default/test catalog-entity read without conditions, so Atrium never applies these conditions (RHDH's default precedence would); remove that line to keep them`,
      },
      {
        file: FILE,
        line: 1,
        field: 'permissionMapping',
        severity: 'warning',
        message: `${CSV_FILE}:3 allows role:default/test catalog-entity delete without conditions, so Atrium never applies these conditions (RHDH's default precedence would); remove that line to keep them`,
      },
    ]);
  });
});
