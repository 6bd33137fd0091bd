import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeConfigKeys, loadConfig, toKindDefinitions } from './index.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function load(yaml: string | undefined) {
  const cwd = await mkdtemp(join(tmpdir(), 'atrium-config-'));
  dirs.push(cwd);
  if (yaml !== undefined) await writeFile(join(cwd, 'app-config.yaml'), yaml);
  return loadConfig({ cwd, env: {} });
}

function at(obj: unknown, key: string): unknown {
  return key
    .split('.')
    .reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

describe('describeConfigKeys', () => {
  const rows = describeConfigKeys();
  const byKey = new Map(rows.map((r) => [r.key, r]));

  it('lists the keys Atrium reads, each once and described', () => {
    expect(rows.length).toBe(byKey.size);
    for (const key of [
      'app.baseUrl',
      'app.title',
      'backend.baseUrl',
      'backend.listen.host',
      'backend.listen.port',
      'backend.database.client',
      'backend.database.connection',
      'backend.database.connection.filename',
      'backend.database.connection.host',
      'backend.reading.allow',
      'backend.reading.allow[].host',
      'catalog.locations[].target',
      'catalog.rules',
      'catalog.rules[].allow',
      'catalog.refresh.interval',
      'catalog.processingInterval',
      'catalog.orphanStrategy',
      'catalog.readonly',
      'catalog.kinds[].schema',
      'catalog.kinds[].relations[].reverse',
      'catalog.locationTypes',
      'auth.providers',
      'permission.enabled',
    ]) {
      expect(byKey.has(key), key).toBe(true);
    }
    for (const row of rows) {
      expect(row.description.length, `${row.key} has a description`).toBeGreaterThan(10);
      expect(row.type, `${row.key} has a type`).not.toBe('');
    }
  });

  it('shows types, defaults and required flags', () => {
    expect(byKey.get('backend.listen.port')).toMatchObject({
      type: 'integer',
      default: '7007',
      required: false,
    });
    expect(byKey.get('backend.listen.host')).toMatchObject({
      type: 'string',
      default: '127.0.0.1',
    });
    expect(byKey.get('catalog.orphanStrategy')).toMatchObject({
      type: '"keep" | "delete"',
      default: 'keep',
    });
    expect(byKey.get('catalog.refresh.interval')).toMatchObject({
      type: 'duration | false',
      default: '120 seconds',
    });
    expect(byKey.get('catalog.locationTypes')).toMatchObject({
      type: '("url" | "file")[]',
      default: '["url","file"]',
    });
    expect(byKey.get('catalog.rules')?.default).toBe(
      'unset: every kind is allowed from every location',
    );
    expect(byKey.get('catalog.rules')?.description).toContain(
      'Backstage allows only Component, API and Location',
    );
    expect(byKey.get('catalog.locations[].target')?.required).toBe(true);
    // Required only for pg: not shown as required.
    expect(byKey.get('backend.database.connection')?.required).toBe(false);
  });

  it('documents the defaults that loadConfig actually applies', async () => {
    const { config } = await load(undefined);
    const plain = rows.filter(
      (r) => r.default !== '' && !/\s/.test(r.default) && !r.key.includes('[]'),
    );
    expect(plain.length).toBeGreaterThan(8);
    for (const row of plain) {
      if (row.key === 'backend.database.connection.filename') {
        expect(config.backend.database).toMatchObject({ filename: row.default });
        continue;
      }
      if (row.key === 'backend.database.connection.port') continue; // node-postgres default, not filled in
      // A discovery provider's keys are defaults of each entry of a map or list, not of the config.
      if (row.key.startsWith('catalog.providers.')) continue;
      if (row.key === 'scaffolder.localRepositoryRoots') {
        expect(config.scaffolder.localRepositoryRoots).toHaveLength(1);
        expect(config.scaffolder.localRepositoryRoots[0]).toMatch(/[\\/]data[\\/]repos$/);
        continue;
      }
      if (row.key === 'techdocs.publisher.local.publishDirectory') {
        // Paths are resolved against the config file's directory when loaded.
        expect(config.techdocs.publisher.local.publishDirectory).toMatch(/[\\/]data[\\/]techdocs$/);
        continue;
      }
      const actual = at(config, row.key);
      expect(typeof actual === 'string' ? actual : JSON.stringify(actual), row.key).toBe(
        row.default,
      );
    }
    expect(config.catalog.refresh.intervalMs).toBe(120_000);
    expect(config.catalog.rules).toBeUndefined();
  });
});

describe('toKindDefinitions', () => {
  it('turns catalog.kinds config into model kind definitions', async () => {
    const { config } = await load(`
catalog:
  kinds:
    - apiVersion: [example.com/v1, example.com/v1beta1]
      kind: Pipeline
      schema:
        type: object
        required: [owner]
        properties:
          owner: { type: string }
          stages: { type: array, items: { type: string } }
      relations:
        - { field: spec.owner, relation: ownedBy, reverse: ownerOf, defaultKind: Group }
        - { field: spec.stages, relation: dependsOn, reverse: dependencyOf }
    - apiVersion: example.com/v1
      kind: Note
`);
    expect(toKindDefinitions(config.catalog.kinds)).toEqual([
      {
        kind: 'Pipeline',
        apiVersions: ['example.com/v1', 'example.com/v1beta1'],
        specSchema: {
          type: 'object',
          required: ['owner'],
          properties: {
            owner: { type: 'string' },
            stages: { type: 'array', items: { type: 'string' } },
          },
        },
        specRequired: true,
        refFields: [
          { path: 'spec.owner', defaultKind: 'Group', relation: 'ownedBy', reverse: 'ownerOf' },
          { path: 'spec.stages', relation: 'dependsOn', reverse: 'dependencyOf' },
        ],
      },
      {
        kind: 'Note',
        apiVersions: ['example.com/v1'],
        specSchema: { type: 'object' },
        specRequired: false,
        refFields: [],
      },
    ]);
  });

  it('does not share the schema object with the config', async () => {
    const { config } = await load(
      'catalog:\n  kinds:\n    - { apiVersion: a.io/v1, kind: K, schema: { type: object } }\n',
    );
    const [def] = toKindDefinitions(config.catalog.kinds);
    (def!.specSchema as Record<string, unknown>).type = 'changed';
    expect(config.catalog.kinds[0]!.schema).toEqual({ type: 'object' });
  });
});
