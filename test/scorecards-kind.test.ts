/**
 * The Scorecard kind inside real ingestion (SQLite, HTTP): a plugin contributes it through the
 * catalog's `catalog.kinds` extension point; a broken rule is a location problem with its line
 * and field, a valid scorecard is an entity owned by its group.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type App, createApp } from '../src/core/app.ts';
import { loadConfig } from '../src/core/config/index.ts';
import { createLogger } from '../src/core/logger.ts';
import { createKindRegistry, validateEntity } from '../src/model/index.ts';
import { definePlugin, extend } from '../src/core/plugin-api.ts';
import { catalogPlugin, kindsExtensionPoint } from '../src/plugins/catalog/server/plugin.ts';
import { scorecardKind } from '../src/plugins/scorecards/common/kind.ts';

const CATALOG = `apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: platform }
spec: { type: team, children: [] }
---
apiVersion: atrium.io/v1alpha1
kind: Scorecard
metadata:
  name: production-readiness
  title: Production readiness
spec:
  owner: platform
  filter: { kind: Component, spec.type: service }
  levels: [Bronze, Silver, Gold]
  checks:
    - id: described
      level: Bronze
      rule: { field: metadata.description, exists: true }
    - id: coverage
      level: Gold
      rule: { fact: ci.coverage, gte: 80 }
---
apiVersion: atrium.io/v1alpha1
kind: Scorecard
metadata:
  name: broken
spec:
  owner: platform
  levels: [Bronze, Silver]
  checks:
    - id: described
      level: Bronze
      rule: { field: metadata.description, exists: true }
    - id: coverage
      level: Silver
      rule:
        fact: ci.coverage
        gte: eighty
    - id: named
      level: Silver
      rule: { field: metadata.name, matches: '(a+)+$' }
`;

const scorecardsKindPlugin = () =>
  definePlugin({
    id: 'scorecards-kind-test',
    extensions: [extend(kindsExtensionPoint, scorecardKind)],
    setup() {},
  });

let app: App | undefined;
let dir: string | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A real catalog on SQLite over HTTP, loading `catalog.yaml`, with the given extra plugins. */
async function start(withScorecards: boolean): Promise<{ url: string; file: string }> {
  dir = mkdtempSync(join(tmpdir(), 'atrium-scorecards-kind-'));
  const file = join(dir, 'catalog.yaml');
  writeFileSync(file, CATALOG);
  const configFile = join(dir, 'app-config.yaml');
  writeFileSync(
    configFile,
    stringify({
      backend: {
        listen: { host: '127.0.0.1', port: 0 },
        database: {
          client: 'better-sqlite3',
          connection: { filename: join(dir, 'atrium.sqlite') },
        },
      },
      catalog: {
        refresh: { interval: false },
        locations: [{ type: 'file', target: file }],
      },
    }),
  );
  const { config } = await loadConfig({ configPaths: [configFile], cwd: dir, env: {} });
  app = await createApp({
    config,
    plugins: [catalogPlugin(), ...(withScorecards ? [scorecardsKindPlugin()] : [])],
    cwd: dir,
    logger: createLogger({ level: 'error' }),
  });
  return { url: await app.start(), file };
}

async function problemsOf(url: string) {
  const status = await (await fetch(`${url}/api/catalog/locations/status`)).json();
  return status.items.flatMap(
    (item: { problems: { path?: string; line?: number; message: string; file?: string }[] }) =>
      item.problems,
  );
}

describe('the Scorecard kind in ingestion', () => {
  it('reports an invalid rule as a location problem naming its line and field', async () => {
    const { url, file } = await start(true);
    const problems = await problemsOf(url);
    expect(
      problems.map((p: { path?: string; line?: number; file?: string }) => [
        p.path,
        p.line,
        p.file,
      ]),
    ).toEqual([
      ['spec.checks[1].rule.gte', 38, file],
      ['spec.checks[2].rule.matches', 41, file],
    ]);
    expect(problems[0].message).toMatch(
      /"spec\.checks\[1\]\.rule\.gte" must be a number but found "eighty"/,
    );
    expect(problems[1].message).toMatch(/could backtrack catastrophically/);
    const broken = await fetch(`${url}/api/catalog/entities/by-name/scorecard/default/broken`);
    expect(broken.status).toBe(404);
  });

  it('stores a valid scorecard as an entity with an ownedBy relation to its group', async () => {
    const { url } = await start(true);
    const response = await fetch(
      `${url}/api/catalog/entities/by-name/scorecard/default/production-readiness`,
    );
    expect(response.status).toBe(200);
    const entity = await response.json();
    expect(entity).toMatchObject({
      apiVersion: 'atrium.io/v1alpha1',
      kind: 'Scorecard',
      metadata: { title: 'Production readiness' },
      spec: { levels: ['Bronze', 'Silver', 'Gold'] },
    });
    expect(entity.relations).toEqual([{ type: 'ownedBy', targetRef: 'group:default/platform' }]);
    const group = await (
      await fetch(`${url}/api/catalog/entities/by-name/group/default/platform`)
    ).json();
    expect(group.relations).toContainEqual({
      type: 'ownerOf',
      targetRef: 'scorecard:default/production-readiness',
    });
  });

  it('without a plugin contributing the kind, a Scorecard is an unknown kind', async () => {
    const { url } = await start(false);
    const problems = await problemsOf(url);
    expect(problems.map((p: { path?: string }) => p.path)).toEqual(['kind', 'kind']);
    expect(problems[0].message).toMatch(/kind "Scorecard" is not known/);
  });
});

describe("a kind's own validate in validateEntity", () => {
  const registry = createKindRegistry([scorecardKind]);
  const doc = (spec: unknown) => ({
    apiVersion: 'atrium.io/v1alpha1',
    kind: 'Scorecard',
    metadata: { name: 'x' },
    spec,
  });

  it('reports a path the spec schema already reported once', () => {
    const { problems } = validateEntity(doc({ checks: 'none', extra: 1 }), registry);
    expect(problems.map((p) => p.path).sort()).toEqual([
      'spec.checks',
      'spec.extra',
      'spec.levels',
    ]);
  });

  it("adds the kind's problems after the schema passes, and a throwing validate costs one problem", () => {
    const valid = {
      levels: ['A'],
      checks: [{ id: 'a', level: 'A', rule: { relation: 'partOf' } }],
    };
    expect(validateEntity(doc(valid), registry).problems).toEqual([]);
    const bad = { ...valid, checks: [{ id: 'a', level: 'B', rule: { relation: 'partOf' } }] };
    expect(validateEntity(doc(bad), registry).problems.map((p) => p.path)).toEqual([
      'spec.checks[0].level',
    ]);
    const throwing = createKindRegistry([
      {
        ...scorecardKind,
        validate: () => {
          throw new Error('boom');
        },
      },
    ]);
    expect(validateEntity(doc(valid), throwing).problems).toMatchObject([
      { path: 'spec', message: 'The Scorecard could not be checked: boom' },
    ]);
  });
});
