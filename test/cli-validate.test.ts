import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `atrium validate` over globs: the files a glob reaches are surveyed, each read once, and
// those that are not catalog files are skipped and counted; what is meant as an entity is
// still checked as strictly as the server would.

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin/atrium.mjs');

/** Runs the real CLI with piped (non-terminal) output, as CI does. */
async function atrium(args: string[], cwd = root) {
  try {
    const { stdout, stderr } = await run('node', [bin, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The summary: the last line on stderr. */
const summary = (stderr: string) => stderr.trim().split('\n').at(-1);

const component = (name: string, extra: string[] = []) =>
  [
    'apiVersion: backstage.io/v1alpha1',
    'kind: Component',
    `metadata: { name: ${name} }`,
    'spec: { type: service, lifecycle: production, owner: team-a }',
    ...extra,
  ].join('\n');

let base: string;
let count = 0;
/** A fresh folder holding `files` (path → content). */
function folder(files: Record<string, string>): string {
  const dir = join(base, `case-${++count}`);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'atrium-cli-validate-'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('atrium validate over a glob: files that are not catalog files', () => {
  it('skips API definitions, plain YAML and other file types, and counts them by reason', async () => {
    const dir = folder({
      'catalog-info.yaml': component('shop'),
      'api/shop.openapi.yaml': 'openapi: 3.0.0\ninfo: { title: Shop, version: "1" }\npaths: {}\n',
      'api/legacy.json': '{ "swagger": "2.0", "info": { "title": "Old" }, "paths": {} }\n',
      'api/events.yaml': 'asyncapi: 2.6.0\ninfo: { title: Events, version: "1" }\nchannels: {}\n',
      'api/schema.graphql': 'type Query { shop: Shop }\n',
      'api/shop.proto': 'syntax = "proto3";\nmessage Shop { string name = 1; }\n',
      'config/lint.yaml': 'rules:\n  - no-tabs\nextends: base\n---\nmore: settings\n',
      'docs/index.md': '# Shop\n\nHow the shop works: badly.\n\n## More\n\nText.\n',
      'empty.yaml': '# nothing here yet\n',
    });
    const { code, stdout } = await atrium(['validate', `${dir}/**/*`, '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ files: 2, entities: 1, errors: 0, problems: [] });
    expect(result.skipped.reasons).toEqual({
      'api-definition': 5,
      'no-envelope': 1,
      'other-format': 1,
    });
    expect(
      Object.fromEntries(
        result.skipped.files.map((f: { file: string; reason: string }) => [
          f.file.slice(dir.length + 1),
          f.reason,
        ]),
      ),
    ).toEqual({
      'api/shop.openapi.yaml': 'api-definition',
      'api/legacy.json': 'api-definition',
      'api/events.yaml': 'api-definition',
      'api/schema.graphql': 'api-definition',
      'api/shop.proto': 'api-definition',
      'config/lint.yaml': 'no-envelope',
      'docs/index.md': 'other-format',
    });
    const text = await atrium(['validate', `${dir}/**/*`]);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe('');
    expect(summary(text.stderr)).toBe(
      '1 entity valid in 2 files; 0 errors, 0 warnings; skipped 7 files that are not catalog files (API definitions: 5, no apiVersion/kind: 1, other file types: 1)',
    );
  });

  it('still reports what is meant as an entity: one of apiVersion/kind, and strays in a file of entities', async () => {
    const dir = folder({
      'kind-only.yaml': 'kind: Component\nmetadata: { name: half }\n',
      'api-version-only.yaml':
        'apiVersion: backstage.io/v1alpha1\nmetadata: { name: other-half }\n',
      'mixed.yaml': [
        component('good'),
        '---',
        'metadata: { name: forgot-the-header }',
        'spec: { type: service }',
        '---',
        'openapi: 3.0.0',
        'info: { title: Inline, version: "1" }',
      ].join('\n'),
      'a-list.yaml': '- apiVersion: backstage.io/v1alpha1\n- kind: Component\n',
      'broken-api.openapi.yaml': 'openapi: 3.0.0\ninfo: { title: "unclosed }\n',
    });
    const { code, stdout, stderr } = await atrium(['validate', `${dir}/*.yaml`]);
    expect(code).toBe(1);
    const lines = stdout.trim().split('\n');
    const at = (file: string) => lines.filter((l) => l.startsWith(`${join(dir, file)}:`));
    expect(at('kind-only.yaml').join('\n')).toMatch(/apiVersion/);
    expect(at('api-version-only.yaml').join('\n')).toMatch(/kind/);
    expect(at('a-list.yaml')).toEqual([expect.stringContaining('An entity must be an object')]);
    expect(at('mixed.yaml')).toEqual([
      `${join(dir, 'mixed.yaml')}:6: This document has neither apiVersion nor kind, but the other documents of this file are catalog entities; add them (e.g. "apiVersion: backstage.io/v1alpha1" and "kind: Component"), or move the document to a file of its own`,
      `${join(dir, 'mixed.yaml')}:9: This document is an OpenAPI definition, but the other documents of this file are catalog entities; move it to a file of its own and reference it from the API entity (spec.definition: { $text: ./file.yaml })`,
    ]);
    // A definition that is not valid YAML is not skipped on a guess from its name.
    expect(at('broken-api.openapi.yaml')).toEqual([
      expect.stringMatching(/:\d+:\d+: YAML syntax error: Missing closing "quote$/),
    ]);
    expect(summary(stderr)).toMatch(/^1 entity valid in 5 files; \d+ errors, 0 warnings$/);
  });

  it('checks a definition file that a Location entity names, as the server would', async () => {
    const dir = folder({
      'catalog-info.yaml': [
        'apiVersion: backstage.io/v1alpha1',
        'kind: Location',
        'metadata: { name: root }',
        'spec: { targets: [./apis/shop.openapi.yaml] }',
      ].join('\n'),
      'apis/shop.openapi.yaml': 'openapi: 3.0.0\ninfo: { title: Shop, version: "1" }\n',
    });
    // Reached by the glob first and skipped, then named by the Location: checked after all.
    const { code, stdout, stderr } = await atrium(['validate', `${dir}/**/*.yaml`]);
    expect(code).toBe(1);
    expect(stdout).toContain(
      `${join(dir, 'apis/shop.openapi.yaml')}:1: openapi: Malformed envelope`,
    );
    expect(summary(stderr)).toMatch(/^1 entity valid in 2 files; \d+ errors, 0 warnings$/);
  });

  it('is an error when nothing among the files read is a catalog file', async () => {
    const dir = folder({ 'openapi.yaml': 'openapi: 3.0.0\n', 'policy.yaml': 'roles: []\n' });
    const { code, stdout } = await atrium(['validate', join(dir, 'policy.yaml')]);
    expect(code).toBe(1);
    expect(stdout).toBe(
      `No catalog file among the 1 file read from ${join(dir, 'policy.yaml')} (no apiVersion/kind: 1)\n`,
    );
  });
});

describe('atrium validate: a file reached twice is checked once', () => {
  const files = {
    'catalog-info.yaml': [
      'apiVersion: backstage.io/v1alpha1',
      'kind: Location',
      'metadata: { name: team-catalog }',
      'spec: { targets: [./services/a.yaml, ./services/b.yaml] }',
    ].join('\n'),
    'services/a.yaml': component('a'),
    'services/b.yaml': component('b'),
  };

  it('by a glob and a Location entity, and by two overlapping globs', async () => {
    const dir = folder(files);
    for (const args of [
      [`${dir}/**/*.yaml`],
      [`${dir}/**/*.yaml`, `${dir}/services/*.yaml`, join(dir, 'catalog-info.yaml')],
      [join(dir, 'catalog-info.yaml'), `${dir}/**/*.yaml`],
    ]) {
      const { code, stdout, stderr } = await atrium(['validate', ...args]);
      expect(stdout).toBe('');
      expect(summary(stderr)).toBe('3 entities valid in 3 files; 0 errors, 0 warnings');
      expect(code).toBe(0);
    }
  });

  it('still says when two files emit the same entity', async () => {
    const dir = folder({ ...files, 'services/c.yaml': component('a') });
    const { code, stdout, stderr } = await atrium(['validate', `${dir}/**/*.yaml`]);
    expect(code).toBe(1);
    expect(stdout).toBe(
      `${join(dir, 'services/c.yaml')}:1: Entity component:default/a is emitted twice in this location; the copy in file:${join(dir, 'services/a.yaml')} is kept\n`,
    );
    expect(summary(stderr)).toBe('3 entities valid in 4 files; 1 error, 0 warnings');
  });
});

describe('atrium validate: template skeletons', () => {
  const template = (url: string) =>
    [
      'apiVersion: scaffolder.backstage.io/v1beta3',
      'kind: Template',
      'metadata: { name: service }',
      'spec:',
      '  owner: team-a',
      '  type: service',
      '  steps:',
      '    - id: fetch',
      '      action: fetch:template',
      `      input: { url: ${url}, values: { name: x } }`,
      '    - id: license',
      '      action: fetch:plain:file',
      '      input: { url: ../shared/LICENSE.yaml, targetPath: LICENSE }',
    ].join('\n');
  const skeleton = [
    'apiVersion: backstage.io/v1alpha1',
    'kind: Component',
    'metadata:',
    '  name: ${{ values.name | dump }}',
    '  {%- if values.description %}',
    '  description: ${{ values.description | dump }}',
    '  {%- endif %}',
    'spec: { type: service, lifecycle: experimental, owner: ${{ values.owner }} }',
  ].join('\n');

  it('skips the files below a fetch step’s folder, whether read before or after the template', async () => {
    const dir = folder({
      // The skeleton lies above the template, so the glob reads it first.
      'skeletons/service/catalog-info.yaml': skeleton,
      'skeletons/service/config.yaml': 'port: ${{ values.port }}\n',
      'templates/deep/service/template.yaml': template('../../../skeletons/service'),
      'templates/deep/shared/LICENSE.yaml': 'text: ${{ values.year }} {{ broken\n',
      'catalog-info.yaml': component('real'),
    });
    const { code, stdout, stderr } = await atrium(['validate', `${dir}/**/*.yaml`]);
    expect(stdout).toBe('');
    expect(summary(stderr)).toBe(
      '2 entities valid in 2 files; 0 errors, 0 warnings; skipped 3 files that are not catalog files (template skeleton: 3)',
    );
    expect(code).toBe(0);
  });

  it('checks a skeleton file that a Location entity names', async () => {
    const dir = folder({
      'templates/service/template.yaml': template('./skeleton'),
      'templates/service/skeleton/catalog-info.yaml': skeleton,
      'catalog-info.yaml': [
        'apiVersion: backstage.io/v1alpha1',
        'kind: Location',
        'metadata: { name: root }',
        'spec: { targets: [./templates/service/skeleton/catalog-info.yaml] }',
      ].join('\n'),
    });
    const { code, stdout } = await atrium(['validate', `${dir}/**/*.yaml`]);
    expect(code).toBe(1);
    expect(stdout).toContain(`${join(dir, 'templates/service/skeleton/catalog-info.yaml')}:5:`);
  });
});

describe('atrium validate: YAML syntax errors', () => {
  it('name file:line:column and show the line with a caret', async () => {
    const dir = folder({
      'catalog-info.yaml': [
        'apiVersion: backstage.io/v1alpha1',
        'kind: Component',
        'metadata:',
        '  name: lockers',
        '  description: Answers one question: is there a free locker?',
        'spec: { type: service, lifecycle: production, owner: team-a }',
      ].join('\n'),
    });
    const { code, stdout } = await atrium(['validate', `${dir}/*.yaml`]);
    expect(code).toBe(1);
    expect(stdout).toBe(
      [
        `${join(dir, 'catalog-info.yaml')}:5:16: YAML syntax error: Nested mappings are not allowed in compact mappings`,
        '  5 |   description: Answers one question: is there a free locker?',
        '    |                ^',
        '',
      ].join('\n'),
    );
  });

  it('keep the quoted line short on a long line, and the message on one line', async () => {
    const long = `  description: ${'word '.repeat(2000)}and: then`;
    const dir = folder({ 'long.yaml': `apiVersion: x\nkind: Component\nmetadata:\n${long}\n` });
    const { stdout } = await atrium(['validate', `${dir}/*.yaml`]);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/long\.yaml:4:\d+: YAML syntax error: /);
    for (const line of lines) expect(line.length).toBeLessThan(220);
    expect(lines[2]!.trim()).toMatch(/^\| +\^$/);
  });
});

describe('atrium validate: progress where there is no terminal', () => {
  it('writes whole lines only: a start line, then the end line, then the summary', async () => {
    const dir = folder({ 'a.yaml': component('a'), 'b.yaml': component('b') });
    const { stderr } = await atrium(['validate', `${dir}/*.yaml`]);
    expect(stderr.endsWith('\n')).toBe(true);
    expect(stderr).not.toContain('\r');
    const lines = stderr.trimEnd().split('\n');
    // A rebuild of the compiled server may log a line of its own first.
    const ours = lines.filter((l) => !l.startsWith('{'));
    expect(ours).toEqual([
      `Validating: started, ${join(dir, 'a.yaml')}`,
      expect.stringMatching(/^Validating: done, 2 files in \d+\.\d s$/),
      '2 entities valid in 2 files; 0 errors, 0 warnings',
    ]);
  });
});

describe('atrium validate on the demo organisation', () => {
  it('skips what is not catalog files; the only errors are the deliberate ones in examples/broken', async () => {
    const { code, stdout, stderr } = await atrium(['validate', 'examples/**/*.yaml']);
    expect(code).toBe(1);
    expect(stdout).not.toContain('emitted twice');
    const located = stdout.split('\n').filter((l) => l.startsWith('/'));
    expect(located.length).toBeGreaterThan(0);
    for (const line of located) expect(line.startsWith(join(root, 'examples/broken/'))).toBe(true);
    expect(summary(stderr)).toMatch(
      /^\d+ entities valid in \d+ files; \d+ errors, 0 warnings; skipped \d+ files that are not catalog files \(API definitions: \d+, template skeleton: \d+, no apiVersion\/kind: \d+\)$/,
    );
  });

  it('is valid without examples/broken, with as many entities as its root Location gives', async () => {
    const glob = await atrium(['validate', 'examples/**/*.yaml', '--exclude', 'examples/broken']);
    expect(glob.stdout).toBe('');
    expect(glob.code).toBe(0);
    const located = await atrium(['validate', 'examples/catalog-info.yaml']);
    const counts = (stderr: string) =>
      /^(\d+) entities valid in (\d+) files/.exec(summary(stderr)!);
    expect(counts(glob.stderr)?.slice(1)).toEqual(counts(located.stderr)?.slice(1));
    expect(summary(glob.stderr)).toMatch(/; 0 errors, 0 warnings; skipped \d+ files/);
  });
});
