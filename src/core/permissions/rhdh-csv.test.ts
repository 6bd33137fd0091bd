import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testKnown } from '../../../test/fixtures/policies/known.ts';
import { parseRhdhCsv, splitCsvLine } from './rhdh-csv.ts';

const FIXTURE = new URL('../../../test/fixtures/policies/rbac-policy.csv', import.meta.url);
const FILE = '/etc/rbac/rbac-policy.csv';
const parse = (text: string) => parseRhdhCsv(text, FILE, testKnown());

/** `line [field] message (warning)` for each problem. */
function problems(text: string): string[] {
  return parse(text).problems.map(
    (p) =>
      `${p.line}${p.field ? ` ${p.field}` : ''}: ${p.message}${p.severity ? ` (${p.severity})` : ''}`,
  );
}

describe('parseRhdhCsv: an RHDH policy file, unchanged', () => {
  const { policy, problems: found } = parseRhdhCsv(
    readFileSync(FIXTURE, 'utf8'),
    FILE,
    testKnown(),
  );

  it('reads roles from g lines, members lowercased, with the line that first names them', () => {
    expect(policy.roles).toEqual([
      {
        name: 'role:default/platform-admins',
        members: ['group:default/team-platform', 'user:default/tomas.herrera'],
        source: { file: FILE, line: 5 },
      },
      {
        name: 'role:default/developers',
        members: [
          'group:default/team-booking',
          'group:default/team-tracking',
          'user:default/lucia.romano',
        ],
        source: { file: FILE, line: 7 },
      },
      {
        name: 'role:default/contractors',
        members: ['group:default/contractors'],
        source: { file: FILE, line: 10 },
      },
      {
        name: 'role:default/auditors',
        members: ['group:default/team-data'],
        source: { file: FILE, line: 11 },
      },
    ]);
  });

  it('turns each p line into a rule for its role, permission (or resource type) and action', () => {
    const byLine = new Map(policy.rules.map((r) => [r.source.line, r]));
    expect(byLine.get(14)).toEqual({
      name: 'p, role:default/platform-admins, catalog-entity, read, allow',
      effect: 'allow',
      roles: ['role:default/platform-admins'],
      permissions: ['catalog-entity'],
      actions: ['read'],
      source: { file: FILE, line: 14 },
    });
    expect(byLine.get(31)).toMatchObject({
      roles: ['role:default/developers'],
      permissions: ['scaffolder.task.create'],
      actions: ['create'],
      effect: 'allow',
    });
    // Unspaced and quoted fields read the same.
    expect(byLine.get(34)).toMatchObject({
      name: 'p, role:default/developers, catalog.location.create, create, deny',
      effect: 'deny',
    });
    expect(byLine.get(39)).toMatchObject({
      roles: ['role:default/auditors'],
      permissions: ['audit.event.read'],
      actions: ['read'],
    });
    expect(policy.rules).toHaveLength(19);
    expect(policy.rules.every((r) => !r.conditions)).toBe(true);
  });

  it("maps RHDH's own policy-entity permissions to Atrium's policy administration", () => {
    const admin = policy.rules.filter((r) => r.name.includes('policy-entity'));
    expect(admin.map((r) => [r.source.line, r.permissions, r.actions])).toEqual([
      [21, ['permission.policy.read'], undefined],
      [22, ['permission.policy.update'], undefined],
      [23, ['permission.policy.update'], undefined],
      [24, ['permission.policy.update'], undefined],
    ]);
  });

  it('warns, without failing, about a permission of a plugin Atrium does not have', () => {
    expect(found).toEqual([
      {
        file: FILE,
        line: 25,
        field: 'permission',
        severity: 'warning',
        message:
          "No plugin of this Atrium declares 'kubernetes.proxy'; this line grants nothing here",
      },
    ]);
    expect(policy.rules.some((r) => r.permissions.includes('kubernetes.proxy'))).toBe(false);
  });
});

describe('parseRhdhCsv: mistakes, with their line', () => {
  it('fields that are not there, or too many', () => {
    expect(
      problems(
        'p, role:default/a, catalog-entity, read\ng, user:default/a\ng, user:default/a, role:default/a,\n',
      ),
    ).toEqual([
      '1: A p line has 5 fields (p, <role>, <permission or resource type>, <action>, <allow|deny>); this one has 4',
      '2: A g line has 3 fields (g, <user or group ref>, <role>); this one has 2',
      '3: A g line has 3 fields (g, <user or group ref>, <role>); this one has 4',
    ]);
  });

  it('roles, actions and effects RHDH would refuse', () => {
    expect(
      problems(
        [
          'p, team-a, catalog-entity, read, allow',
          'p, role:team-a, catalog-entity, read, allow',
          'p, role:default/a, catalog-entity, view, allow',
          'p, role:default/a, catalog-entity, read, Allow',
        ].join('\n'),
      ),
    ).toEqual([
      "1 role: 'team-a' is not a role ref in full (role:default/team-a), user ref or group ref",
      "2 role: 'role:team-a' is not a role ref in full (role:default/team-a)",
      "3 action: Unknown action 'view' (actions: create, read, update, delete, use)",
      "4 effect: The effect is 'allow' or 'deny', not 'Allow'",
    ]);
  });

  it("a typo in a known plugin's permission is an error; another plugin's is a warning", () => {
    expect(
      problems(
        'p, role:default/a, catalog.entity.reed, read, allow\np, role:default/a, catalog.*, read, allow\np, role:default/a, ocm.cluster.read, read, allow\n',
      ),
    ).toEqual([
      "1 permission: Unknown permission or resource type 'catalog.entity.reed'; did you mean 'catalog.entity.read'? (RHDH files name one permission or resource type per line, without globs)",
      "2 permission: Unknown permission or resource type 'catalog.*' (RHDH files name one permission or resource type per line, without globs)",
      "3 permission: No plugin of this Atrium declares 'ocm.cluster.read'; this line grants nothing here (warning)",
    ]);
  });

  it("Backstage's own permissions are never taken for typos, declared here or not", () => {
    const known = testKnown();
    known.permissions.delete('scaffolder.template.step.read');
    const { problems: found } = parseRhdhCsv(
      [
        'p, role:default/a, scaffolder.template.step.read, read, allow',
        'p, role:default/a, scaffolder.template.management, use, allow',
        'p, role:default/a, scaffolder.template.stepp.read, read, allow',
      ].join('\n'),
      FILE,
      known,
    );
    expect(found.map((p) => [p.line, p.severity ?? 'error'])).toEqual([
      [1, 'warning'],
      [2, 'warning'],
      [3, 'error'],
    ]);
  });

  it('lines that can never match are warnings', () => {
    expect(
      problems(
        'p, role:default/a, catalog.entity.delete, read, allow\np, role:default/a, catalog-entity, create, allow\np, role:default/a, policy.entity.read, delete, allow\n',
      ),
    ).toEqual([
      '1 action: catalog.entity.delete is checked with the action delete, not read; this line never matches (warning)',
      '2 action: No permission of catalog-entity has the action create; this line never matches (warning)',
      '3 action: RHDH never checks policy.entity.read with the action delete; this line grants nothing (warning)',
    ]);
  });

  it('repeated lines warn; the same line with the other effect is an error', () => {
    expect(
      problems(
        'p, role:default/a, catalog-entity, read, allow\np, role:default/a, catalog-entity, read, allow\np, role:default/a, catalog-entity, read, deny\ng, user:default/x, role:default/a\ng, User:default/X, role:default/a\n',
      ),
    ).toEqual([
      '2: Repeats line 1 (warning)',
      '3 effect: Line 1 says allow for the same role, permission and action',
      '5: Repeats line 4 (warning)',
    ]);
  });

  it('memberships RHDH does not support', () => {
    expect(
      problems(
        'g, role:default/a, role:default/b\ng, user:default/x, group:default/team-a\ng, jane, role:default/a\ng, user:jane, role:default/a\n',
      ),
    ).toEqual([
      '1 member: Roles cannot be members of roles (RHDH has no role inheritance)',
      '2 role: Group membership comes from the catalog; a g line assigns a role (role:default/team-a)',
      "3 member: 'jane' is not a user or group ref in full (user:default/jane, group:default/team-a)",
      "4 member: 'user:jane' is not a user or group ref in full (user:default/jane, group:default/team-a)",
    ]);
  });

  it('lines that are not CSV, or not p or g', () => {
    expect(
      problems(
        'p, "role:default/a, catalog-entity, read, allow\np, "role:default/a"x, catalog-entity, read, allow\np, role:default/a, cata"log-entity, read, allow\nx, role:default/a\n',
      ),
    ).toEqual([
      '1: Cannot read this CSV line: field 2 opens a quote that is never closed',
      '2: Cannot read this CSV line: field 2 has text after its closing quote',
      '3: Cannot read this CSV line: field 3 has a quote inside it; quote the whole field and write "" for a quote',
      "4: A line starts with p (a permission policy) or g (a role membership), not 'x'",
    ]);
  });

  it('skips comments, blank lines and whitespace, whatever the line endings', () => {
    const { policy, problems: found } = parse(
      '\uFEFF# comment\r\n\r\n   \t\r\n  # indented comment\r\n  p ,  role:default/a ,catalog-entity,read , allow  \rg,user:default/x,role:default/a',
    );
    expect(found).toEqual([]);
    expect(policy.rules.map((r) => [r.source.line, r.name])).toEqual([
      [5, 'p, role:default/a, catalog-entity, read, allow'],
    ]);
    expect(policy.roles).toEqual([
      { name: 'role:default/a', members: ['user:default/x'], source: { file: FILE, line: 5 } },
    ]);
  });

  it('a user or group named directly in a p line gets a role of its own', () => {
    const { policy, problems: found } = parse(
      'p, user:default/Jane, catalog-entity, delete, allow\n',
    );
    expect(found).toEqual([]);
    expect(policy.roles).toEqual([
      {
        name: 'user:default/jane',
        members: ['user:default/jane'],
        source: { file: FILE, line: 1 },
      },
    ]);
    expect(policy.rules[0]).toMatchObject({
      roles: ['user:default/jane'],
      name: 'p, user:default/Jane, catalog-entity, delete, allow',
    });
  });
});

describe('splitCsvLine', () => {
  it('reads quoted fields with doubled quotes and commas inside', () => {
    expect(splitCsvLine(' a , "b, c" ,"say ""hi""",,d ')).toEqual({
      fields: ['a', 'b, c', 'say "hi"', '', 'd'],
    });
  });
});
