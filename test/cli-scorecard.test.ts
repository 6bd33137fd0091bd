/** `atrium scorecard check` as a CI job runs it: the real CLI on catalog files in a temp folder. */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin/atrium.mjs');

async function atrium(args: string[], cwd = root) {
  try {
    const { stdout, stderr } = await run('node', [bin, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const SCORECARD = `apiVersion: atrium.io/v1alpha1
kind: Scorecard
metadata:
  name: production-readiness
  title: Production readiness
spec:
  owner: group:default/platform
  filter: { kind: Component, spec.type: service }
  levels: [Bronze, Silver, Gold]
  checks:
    - id: owned
      level: Bronze
      rule: { relation: ownedBy, minCount: 1, target: { kind: Group } }
      howToFix: Set spec.owner to a group in the catalog.
    - id: described
      level: Bronze
      rule: { field: metadata.description, exists: true }
    - id: readme
      level: Silver
      rule: { fact: repo.readme, equals: true }
      howToFix: Add a README.md next to catalog-info.yaml.
    - id: coverage
      level: Gold
      rule: { fact: ci.coverage, gte: 80 }
`;

const component = (name: string, extra: string) =>
  `apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: ${name}${extra} }
spec: { type: service, lifecycle: production, owner: team-a }
`;

describe('atrium scorecard check', () => {
  let dir: string;
  let card: string;
  const file = (...parts: string[]) => join(dir, ...parts);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-scorecard-cli-'));
    card = file('scorecard.yaml');
    writeFileSync(card, SCORECARD);
    mkdirSync(file('team'));
    writeFileSync(
      file('team', 'catalog-info.yaml'),
      'apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: team-a }\nspec: { type: team, children: [] }\n',
    );
    // Documented and with a README: Silver. Undocumented, no README: no level.
    mkdirSync(file('good'));
    writeFileSync(file('good', 'catalog-info.yaml'), component('good', ', description: Fine'));
    writeFileSync(file('good', 'README.md'), '# Good\n');
    mkdirSync(file('bare'));
    writeFileSync(file('bare', 'catalog-info.yaml'), component('bare', ''));
    writeFileSync(file('facts.yaml'), '"component:default/good": { ci.coverage: 91 }\n');
    writeFileSync(file('broken-scorecard.yaml'), SCORECARD.replace('gte: 80', 'gte: eighty'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints each entity with its level and what holds it back', async () => {
    const { code, stdout } = await atrium([
      'scorecard',
      'check',
      file('*', 'catalog-info.yaml'),
      '--scorecard',
      card,
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain(
      'Production readiness (scorecard:default/production-readiness): 2 entities',
    );
    expect(stdout).toMatch(/^ {2}component:default\/good: Silver$/m);
    expect(stdout).toMatch(/^ {2}component:default\/bare: no level$/m);
    expect(stdout).toContain('✗ described [Bronze] failed: metadata.description is missing');
    expect(stdout).toContain(
      "? coverage [Gold] unknown: fact 'ci.coverage' is not known for this entity",
    );
    expect(stdout).toContain('how to fix: Add a README.md next to catalog-info.yaml.');
  });

  it('exits 1 when an entity is below --min-level, 0 when all reach it', async () => {
    const below = await atrium([
      'scorecard',
      'check',
      file('*', 'catalog-info.yaml'),
      '--scorecard',
      card,
      '--min-level',
      'Bronze',
    ]);
    expect(below.code).toBe(1);
    expect(below.stdout).toMatch(
      /component:default\/bare: no level {2}\(below the minimum level\)/,
    );
    expect(below.stderr).toContain('1 entity is below Bronze');

    const ok = await atrium([
      'scorecard',
      'check',
      file('good', 'catalog-info.yaml'),
      file('team', 'catalog-info.yaml'),
      '--scorecard',
      card,
      '--min-level',
      'Silver',
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('every entity is at Silver or above');
  });

  it('exits 2 for an unknown level, naming the levels', async () => {
    const { code, stderr } = await atrium([
      'scorecard',
      'check',
      file('*', 'catalog-info.yaml'),
      '--scorecard',
      card,
      '--min-level',
      'Platinum',
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain(
      '--min-level "Platinum" is not a level of scorecard:default/production-readiness; its levels are Bronze, Silver, Gold',
    );
  });

  it('exits 2 for a broken scorecard, naming its line and field', async () => {
    const { code, stderr } = await atrium([
      'scorecard',
      'check',
      file('*', 'catalog-info.yaml'),
      '--scorecard',
      file('broken-scorecard.yaml'),
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${file('broken-scorecard.yaml')}:24: spec.checks[3].rule.gte:`);
    expect(stderr).toContain('nothing was scored');
  });

  it('reads repo.readme from a README beside the catalog file, and facts from --facts', async () => {
    const { code, stdout } = await atrium([
      'scorecard',
      'check',
      file('*', 'catalog-info.yaml'),
      '--scorecard',
      card,
      '--facts',
      file('facts.yaml'),
      '--json',
    ]);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    const [scorecard] = result.scorecards;
    const byRef = Object.fromEntries(
      scorecard.entities.map((e: { entityRef: string }) => [e.entityRef, e]),
    );
    const check = (ref: string, id: string) =>
      byRef[ref].checks.find((c: { id: string }) => c.id === id);
    expect(check('component:default/good', 'readme')).toMatchObject({
      status: 'passed',
      value: true,
    });
    expect(check('component:default/bare', 'readme')).toMatchObject({
      status: 'failed',
      value: false,
      reason: 'repo.readme is false, needs true',
      howToFix: 'Add a README.md next to catalog-info.yaml.',
    });
    expect(check('component:default/good', 'owned')).toMatchObject({ status: 'passed', value: 1 });
    expect(byRef['component:default/good']).toMatchObject({ level: 'Gold', rank: 3 });
    expect(check('component:default/bare', 'coverage').status).toBe('unknown');
  });
});
