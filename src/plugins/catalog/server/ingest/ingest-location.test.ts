import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createKindRegistry } from '../../../../model/index.ts';
import { ingestLocation } from './ingest-location.ts';
import { FileReader, UrlReader } from './readers.ts';
import { RuleSet } from './rules.ts';

// A location's own read, as the server does it (no survey, nothing quoted).

const dir = mkdtempSync(join(tmpdir(), 'atrium-ingest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(path: string, content: string): string {
  const full = join(dir, path);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, content);
  return full;
}

const read = (target: string) =>
  ingestLocation(
    { id: 'test', type: 'file', target },
    {
      readers: new Map([['file', new FileReader()]]),
      registry: createKindRegistry(),
      processors: [],
      rules: new RuleSet(undefined),
      fingerprint: '',
    },
  );

const component = (name: string) =>
  `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: ${name} }\nspec: { type: service, lifecycle: production, owner: team-a }\n`;

describe('ingestLocation', () => {
  it('reads a file once when a glob and a Location entity both reach it', async () => {
    write(
      'twice/catalog-info.yaml',
      'apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: { name: twice }\nspec: { targets: [./a.yaml, ./sub/../a.yaml] }\n',
    );
    write('twice/a.yaml', component('a'));
    const outcome = await read(join(dir, 'twice/*.yaml'));
    expect(outcome.problems).toEqual([]);
    expect(outcome.fileCount).toBe(2);
    expect(outcome.entities.map((e) => e.ref).slice(1)).toEqual([
      'component:default/a',
      'location:default/twice',
    ]);
  });

  it('keeps "emitted twice" for two files emitting the same entity', async () => {
    write('conflict/a.yaml', component('same'));
    write('conflict/b.yaml', component('same'));
    const outcome = await read(join(dir, 'conflict/*.yaml'));
    expect(outcome.problems).toEqual([
      expect.objectContaining({
        name: 'ConflictError',
        file: join(dir, 'conflict/b.yaml'),
        message: expect.stringContaining('is emitted twice in this location'),
      }),
    ]);
  });

  it('stays strict and quotes nothing of a file it cannot parse', async () => {
    const secret = 'hunter2-very-secret-value';
    write('strict/openapi.yaml', 'openapi: 3.0.0\ninfo: { title: x }\n');
    write(
      'strict/broken.yaml',
      `apiVersion: v1\nkind: Component\nmetadata:\n  name: x: ${secret}\n`,
    );
    write('strict/bad.json', `{ "password": ${secret} }`);
    write('strict/bad.yaml', `a: b: ${secret}\n`);
    write(
      'strict/refs.yaml',
      `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: refs\n  annotations: { a: { $json: ./bad.json }, b: { $yaml: ./bad.yaml } }\nspec: { type: service, lifecycle: production, owner: team-a }\n`,
    );
    const outcome = await read(join(dir, 'strict/*.yaml'));
    const text = JSON.stringify(outcome.problems);
    expect(text).not.toContain('hunter2');
    expect(outcome.problems.some((p) => 'snippet' in p || 'column' in p)).toBe(false);
    const messages = outcome.problems.map((p) => `${p.file?.slice(dir.length)}: ${p.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/strict\/openapi\.yaml: Malformed envelope/),
        '/strict/broken.yaml: YAML syntax error: Nested mappings are not allowed in compact mappings',
        expect.stringMatching(
          /^\/strict\/refs\.yaml: Placeholder \$json \.\/bad\.json could not be resolved: not valid JSON( at line 1, column \d+)?/,
        ),
        expect.stringMatching(
          /^\/strict\/refs\.yaml: Placeholder \$yaml \.\/bad\.yaml could not be resolved: not valid YAML at line 1, column 5: bad indentation of a mapping entry/,
        ),
      ]),
    );
  });

  it('keeps a Location whose url target is relative to a file, with the target as its problem', async () => {
    const file = write(
      'cross-type/catalog-info.yaml',
      `apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: { name: cross }\nspec:\n  type: url\n  targets: [./a.yaml, https://example.com/b.yaml]\n---\n${component('neighbour')}`,
    );
    const outcome = await ingestLocation(
      { id: 'test', type: 'file', target: file },
      {
        readers: new Map<string, FileReader | UrlReader>([
          ['file', new FileReader()],
          // A policy that allows nothing: the absolute target is still listed, then refused.
          ['url', new UrlReader(() => ({ allow: [] }) as never)],
        ]),
        registry: createKindRegistry(),
        processors: [],
        rules: new RuleSet(undefined),
        fingerprint: '',
      },
    );
    const refs = outcome.entities.map((e) => e.ref).filter((r) => !r.includes('generated-'));
    expect(refs.sort()).toEqual(['component:default/neighbour', 'location:default/cross']);
    expect(outcome.problems).toContainEqual(
      expect.objectContaining({
        file,
        line: 1,
        message: expect.stringMatching(
          /Location target '\.\/a\.yaml' \(type url\) cannot be read .* it is relative/,
        ),
      }),
    );
    expect(outcome.problems.some((p) => /Invalid URL|Could not process/.test(p.message))).toBe(
      false,
    );
  });
});
