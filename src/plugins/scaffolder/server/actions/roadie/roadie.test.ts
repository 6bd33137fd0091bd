import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { CatalogApi } from '../../../../catalog/server/plugin.ts';
import { TemplateLimitError } from '../../templating/limits.ts';
import { ActionRegistry } from '../registry.ts';
import { loadTestConfig, makeTestContext, runAction, type TestActionContext } from '../testkit.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';
import { roadieActions } from './index.ts';

let deps: ActionDeps;
/** Bounded to half a second, so the runaway-expression tests end quickly. */
let tightDeps: ActionDeps;
let registry: ActionRegistry;

beforeAll(async () => {
  const catalog = {} as CatalogApi;
  deps = { config: await loadTestConfig(), catalog };
  tightDeps = {
    config: await loadTestConfig({ scaffolder: { limits: { renderTimeout: 0.5 } } }),
    catalog,
  };
  registry = new ActionRegistry(roadieActions, deps);
});

function action(id: string, withDeps: ActionDeps = deps): TemplateAction {
  const found = roadieActions
    .map((c) => (typeof c === 'function' ? c(withDeps) : c))
    .find((a) => a.id === id);
  if (!found) throw new Error(`no action ${id}`);
  return found;
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A workspace with `files`, beside an "outside" folder holding a secret. */
function setup(
  files: Record<string, string>,
  input: Record<string, unknown>,
): TestActionContext & { outside: string } {
  const parent = mkdtempSync(join(tmpdir(), 'atrium-roadie-'));
  const workspace = join(parent, 'workspace');
  const outside = join(parent, 'outside');
  mkdirSync(workspace);
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(workspace, path)), { recursive: true });
    writeFileSync(join(workspace, path), content);
  }
  const test = makeTestContext(input as never, { workspace });
  cleanups.push(() => {
    test.cleanup();
    rmSync(parent, { recursive: true, force: true });
  });
  return Object.assign(test, { outside });
}

const read = (t: TestActionContext, path: string) => readFileSync(join(t.workspace, path), 'utf8');

describe('Roadie utility actions: registration', () => {
  it("registers Roadie's ids, all dry-run capable, with described schemas and examples", () => {
    const ids = registry.list().map((a) => a.id);
    expect(ids).toEqual([
      'roadiehq:utils:fs:append',
      'roadiehq:utils:fs:parse',
      'roadiehq:utils:fs:replace',
      'roadiehq:utils:fs:write',
      'roadiehq:utils:json:merge',
      'roadiehq:utils:jsonata',
      'roadiehq:utils:jsonata:json:transform',
      'roadiehq:utils:jsonata:yaml:transform',
      'roadiehq:utils:merge',
    ]);
    for (const id of ids) {
      const a = action(id);
      expect(a.supportsDryRun).toBe(true);
      expect(a.examples?.length).toBeGreaterThan(0);
      for (const [name, property] of Object.entries(
        a.schema.input.properties as Record<string, { description?: string }>,
      )) {
        expect(property.description, `${id} input.${name}`).toBeTruthy();
      }
    }
  });

  it.each([
    ['roadiehq:utils:fs:write', { path: 'a.txt' }, 'input.content'],
    ['roadiehq:utils:fs:write', { path: 'a.txt', content: 42 }, 'input.content'],
    ['roadiehq:utils:fs:replace', { files: [{ file: 'a.txt', replaceWith: 'x' }] }, 'find'],
    ['roadiehq:utils:fs:parse', { path: 'a.yaml', parser: 'toml' }, 'input.parser'],
    ['roadiehq:utils:merge', { path: 'a.json', content: 3 }, 'input.content'],
    ['roadiehq:utils:jsonata', { data: {} }, 'expression'],
    [
      'roadiehq:utils:jsonata:yaml:transform',
      { path: 'a', expression: '$', as: 'xml' },
      'input.as',
    ],
  ])('%s names the field of bad input %j', (id, input, field) => {
    expect(() => registry.check(id, input as never)).toThrow(field);
    expect(() => registry.check(id, input as never)).toThrow(
      `Invalid input passed to action ${id}`,
    );
  });
});

describe('roadiehq:utils:fs:write and fs:append', () => {
  it('writes a file (folders created, existing file replaced) and outputs its path', async () => {
    const t = setup({ 'old.txt': 'old' }, { path: 'deep/new/file.txt', content: 'hello' });
    await runAction(action('roadiehq:utils:fs:write'), t);
    expect(read(t, 'deep/new/file.txt')).toBe('hello');
    expect(t.outputs.path).toBe(join(t.workspace, 'deep/new/file.txt'));

    t.ctx.input = { path: 'old.txt', content: '{"a":1,"b":[1,2]}', preserveFormatting: true };
    await runAction(action('roadiehq:utils:fs:write'), t);
    expect(read(t, 'old.txt')).toBe('{\n  "a": 1,\n  "b": [\n    1,\n    2\n  ]\n}');
  });

  it('appends to a file, creating it when missing', async () => {
    const t = setup({ 'catalog-info.yaml': 'kind: Component\n' }, {});
    t.ctx.input = { path: 'catalog-info.yaml', content: '---\nkind: API\n' };
    await runAction(action('roadiehq:utils:fs:append'), t);
    expect(read(t, 'catalog-info.yaml')).toBe('kind: Component\n---\nkind: API\n');
    expect(t.outputs.path).toBe(join(t.workspace, 'catalog-info.yaml'));
    t.ctx.input = { path: 'notes.txt', content: 'one' };
    await runAction(action('roadiehq:utils:fs:append'), t);
    expect(read(t, 'notes.txt')).toBe('one');
  });
});

describe('roadiehq:utils:fs:replace', () => {
  it('replaces in the files a glob matches, dotfiles only with includeDotFiles', async () => {
    const t = setup(
      {
        'a.yaml': 'name: REPLACE_ME\nowner: REPLACE_ME\n',
        'deep/b.yaml': 'REPLACE_ME',
        '.hidden/c.yaml': 'REPLACE_ME',
        'd.txt': 'REPLACE_ME',
      },
      { files: [{ file: '**/*.yaml', find: 'REPLACE_ME', replaceWith: 'svc' }] },
    );
    await runAction(action('roadiehq:utils:fs:replace'), t);
    expect(read(t, 'a.yaml')).toBe('name: svc\nowner: svc\n');
    expect(read(t, 'deep/b.yaml')).toBe('svc');
    expect(read(t, '.hidden/c.yaml')).toBe('REPLACE_ME');
    expect(read(t, 'd.txt')).toBe('REPLACE_ME');

    t.ctx.input = {
      files: [{ file: '**/*.yaml', find: 'REPLACE_ME', replaceWith: 'x', includeDotFiles: true }],
    };
    await runAction(action('roadiehq:utils:fs:replace'), t);
    expect(read(t, '.hidden/c.yaml')).toBe('x');
  });

  it('replaces every regex match with capture groups, and names a bad regex', async () => {
    const t = setup(
      { 'README.md': 'uses v1 and v12\n' },
      {
        files: [
          { file: 'README.md', find: 'v(\\d+)', matchRegex: true, replaceWith: 'version-$1' },
        ],
      },
    );
    await runAction(action('roadiehq:utils:fs:replace'), t);
    expect(read(t, 'README.md')).toBe('uses version-1 and version-12\n');

    t.ctx.input = { files: [{ file: 'README.md', find: '(', matchRegex: true, replaceWith: '' }] };
    await expect(runAction(action('roadiehq:utils:fs:replace'), t)).rejects.toThrow(
      /^files\[0\]\.find: Invalid regular expression/,
    );
    t.ctx.input = { files: [{ file: 'missing.md', find: 'a', replaceWith: 'b' }] };
    await expect(runAction(action('roadiehq:utils:fs:replace'), t)).rejects.toThrow(
      "files[0].file: 'missing.md' does not exist in the workspace",
    );
  });

  it('stops a regular expression that backtracks forever at scaffolder.limits.renderTimeout', async () => {
    const text = `${'a'.repeat(40)}!`;
    const t = setup(
      { 'x.txt': text },
      { files: [{ file: 'x.txt', find: '(a+)+$', matchRegex: true, replaceWith: 'b' }] },
    );
    const started = Date.now();
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    const error = await runAction(action('roadiehq:utils:fs:replace', tightDeps), t).catch(
      (e: unknown) => e,
    );
    clearInterval(ticker);
    expect(error).toBeInstanceOf(TemplateLimitError);
    expect((error as Error).message).toBe(
      'files[0].find: the regular expression replacement took longer than scaffolder.limits.renderTimeout (500 ms)',
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    // The server's own thread kept running meanwhile.
    expect(ticks).toBeGreaterThan(5);
    expect(read(t, 'x.txt')).toBe(text);
  });
});

describe('roadiehq:utils:fs:parse', () => {
  it('outputs the text, or parses YAML, JSON and multi-document YAML', async () => {
    const t = setup(
      {
        'a.yaml': 'name: svc\nitems: [1, 2]\n',
        'a.json': '{"name":"svc"}',
        'multi.yaml': 'kind: A\n---\nkind: B\n',
      },
      { path: 'a.yaml' },
    );
    const parseAction = action('roadiehq:utils:fs:parse');
    await runAction(parseAction, t);
    expect(t.outputs.content).toBe('name: svc\nitems: [1, 2]\n');
    t.ctx.input = { path: 'a.yaml', parser: 'yaml' };
    await runAction(parseAction, t);
    expect(t.outputs.content).toEqual({ name: 'svc', items: [1, 2] });
    t.ctx.input = { path: 'a.json', parser: 'json' };
    await runAction(parseAction, t);
    expect(t.outputs.content).toEqual({ name: 'svc' });
    t.ctx.input = { path: 'multi.yaml', parser: 'multiyaml' };
    await runAction(parseAction, t);
    expect(t.outputs.content).toEqual([{ kind: 'A' }, { kind: 'B' }]);
    t.ctx.input = { path: 'a.yaml', parser: 'json' };
    await expect(runAction(parseAction, t)).rejects.toThrow("path: 'a.yaml' is not valid JSON");
  });
});

describe('roadiehq:utils:merge and json:merge', () => {
  it('merges into JSON (objects deep, arrays by index or concatenated with mergeArrays)', async () => {
    const t = setup(
      { 'package.json': '{"name":"svc","dependencies":{"a":"1"},"keywords":["x","y"]}' },
      { path: 'package.json', content: { dependencies: { b: '2' }, keywords: ['z'] } },
    );
    await runAction(action('roadiehq:utils:merge'), t);
    expect(JSON.parse(read(t, 'package.json'))).toEqual({
      name: 'svc',
      dependencies: { a: '1', b: '2' },
      keywords: ['z', 'y'],
    });
    expect(t.outputs.path).toBe(join(t.workspace, 'package.json'));
    t.ctx.input = { path: 'package.json', content: '{"keywords":["y","w"]}', mergeArrays: true };
    await runAction(action('roadiehq:utils:merge'), t);
    expect(JSON.parse(read(t, 'package.json')).keywords).toEqual(['z', 'y', 'w']);
  });

  it('merges into YAML, keeping comments with preserveYamlComments', async () => {
    const original = [
      '# The service',
      'metadata:',
      '  name: svc # its name',
      '  tags:',
      '    - a',
      'spec:',
      '  owner: team-a',
      '',
    ].join('\n');
    const t = setup(
      { 'catalog-info.yaml': original },
      {
        path: 'catalog-info.yaml',
        content: 'metadata:\n  tags: [b]\nspec:\n  lifecycle: production\n',
        mergeArrays: true,
        preserveYamlComments: true,
      },
    );
    await runAction(action('roadiehq:utils:merge'), t);
    const merged = read(t, 'catalog-info.yaml');
    expect(parse(merged)).toEqual({
      metadata: { name: 'svc', tags: ['a', 'b'] },
      spec: { owner: 'team-a', lifecycle: 'production' },
    });
    expect(merged).toContain('# The service');
    expect(merged).toContain('name: svc # its name');

    t.ctx.input = { path: 'catalog-info.yaml', content: { spec: { type: 'service' } } };
    await runAction(action('roadiehq:utils:merge'), t);
    expect(read(t, 'catalog-info.yaml')).not.toContain('#');
  });

  it('needs useDocumentIncludingField for a multi-document file, and merges into that one', async () => {
    const t = setup(
      { 'all.yaml': 'metadata:\n  name: a\n---\nmetadata:\n  name: b\n' },
      { path: 'all.yaml', content: { spec: { owner: 'x' } } },
    );
    await expect(runAction(action('roadiehq:utils:merge'), t)).rejects.toThrow(
      /^useDocumentIncludingField: 'all.yaml' holds 2 YAML documents/,
    );
    t.ctx.input = {
      path: 'all.yaml',
      content: { spec: { owner: 'x' } },
      useDocumentIncludingField: { key: 'metadata.name', value: 'b' },
    };
    await runAction(action('roadiehq:utils:merge'), t);
    expect(
      read(t, 'all.yaml')
        .split('---\n')
        .map((d) => parse(d)),
    ).toEqual([{ metadata: { name: 'a' } }, { metadata: { name: 'b' }, spec: { owner: 'x' } }]);
  });

  it('names a missing file and leaves other file kinds alone with a warning', async () => {
    const t = setup({ 'a.txt': 'text' }, { path: 'missing.json', content: {} });
    await expect(runAction(action('roadiehq:utils:merge'), t)).rejects.toThrow(
      "path: 'missing.json' does not exist in the workspace",
    );
    t.ctx.input = { path: 'a.txt', content: { a: 1 } };
    await runAction(action('roadiehq:utils:merge'), t);
    expect(read(t, 'a.txt')).toBe('text');
    expect(t.logText()).toContain("warn: path: 'a.txt' is neither .json nor .yaml/.yml");
    t.ctx.input = { path: 'a.json', content: '{oops' };
    writeFileSync(join(t.workspace, 'a.json'), '{}');
    await expect(runAction(action('roadiehq:utils:merge'), t)).rejects.toThrow(
      /^content: not valid JSON/,
    );
  });

  it('json:merge creates a missing file and can keep the file indentation', async () => {
    const t = setup(
      { 'tsconfig.json': '{\n    "compilerOptions": {\n        "strict": true\n    }\n}' },
      { path: 'new/settings.json', content: '{"a":{"b":1}}' },
    );
    await runAction(action('roadiehq:utils:json:merge'), t);
    expect(read(t, 'new/settings.json')).toBe('{\n  "a": {\n    "b": 1\n  }\n}');
    t.ctx.input = {
      path: 'tsconfig.json',
      content: { compilerOptions: { target: 'es2022' } },
      matchFileIndent: true,
    };
    await runAction(action('roadiehq:utils:json:merge'), t);
    expect(read(t, 'tsconfig.json')).toBe(
      '{\n    "compilerOptions": {\n        "strict": true,\n        "target": "es2022"\n    }\n}',
    );
  });
});

describe('roadiehq:utils:jsonata and its yaml/json transforms', () => {
  it("evaluates the README's expression over data", async () => {
    const t = setup(
      {},
      { data: { items: ['item1'] }, expression: '$ ~> | $ | { "items": [items, "item2"] }|' },
    );
    await runAction(action('roadiehq:utils:jsonata'), t);
    expect(t.outputs.result).toEqual({ items: ['item1', 'item2'] });
    t.ctx.input = { data: { a: [{ n: 1 }, { n: 2 }] }, expression: '$sum(a.n)' };
    await runAction(action('roadiehq:utils:jsonata'), t);
    expect(t.outputs.result).toBe(3);
  });

  it('names the expression when it does not parse or fails', async () => {
    const t = setup({}, { data: {}, expression: '$ ~> | $ |' });
    await expect(runAction(action('roadiehq:utils:jsonata'), t)).rejects.toThrow(
      /^expression: not a valid JSONata expression: .* \(at character \d+\)$/,
    );
    t.ctx.input = { data: {}, expression: '$unknownFunction(1)' };
    await expect(runAction(action('roadiehq:utils:jsonata'), t)).rejects.toThrow(
      /^expression: JSONata failed to evaluate the expression: /,
    );
  });

  it.each([
    ['an endless recursion', '( $f := function($x) { $f($x + 1) }; $f(1) )'],
    ['a regular expression that backtracks forever', '$match("' + 'a'.repeat(40) + '!", /(a+)+$/)'],
  ])('stops %s at scaffolder.limits.renderTimeout', async (_what, expression) => {
    const t = setup({}, { data: {}, expression });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    const error = await runAction(action('roadiehq:utils:jsonata', tightDeps), t).catch(
      (e: unknown) => e,
    );
    clearInterval(ticker);
    expect(error).toBeInstanceOf(TemplateLimitError);
    expect((error as TemplateLimitError).limit).toBe('scaffolder.limits.renderTimeout');
    expect((error as Error).message).toBe(
      'expression: the JSONata evaluation took longer than scaffolder.limits.renderTimeout (500 ms)',
    );
    expect(ticks).toBeGreaterThan(5);
  });

  it('yaml:transform outputs YAML text by default, the data with as: object, all documents with loadAll', async () => {
    const t = setup(
      { 'in.yaml': 'items:\n  - item1\n', 'multi.yaml': 'n: 1\n---\nn: 2\n' },
      { path: 'in.yaml', expression: '$ ~> | $ | { "items": [items, "item2"] }|' },
    );
    const transform = action('roadiehq:utils:jsonata:yaml:transform');
    await runAction(transform, t);
    expect(t.outputs.result).toBe('items:\n  - item1\n  - item2\n');
    t.ctx.input = { path: 'in.yaml', expression: 'items', as: 'object' };
    await runAction(transform, t);
    expect(t.outputs.result).toEqual(['item1']);
    t.ctx.input = { path: 'multi.yaml', expression: '$sum($.n)', loadAll: true, as: 'object' };
    await runAction(transform, t);
    expect(t.outputs.result).toBe(3);
    t.ctx.input = { path: 'in.yaml', expression: '{"a": {"b": "c"}}', options: { indent: 4 } };
    await runAction(transform, t);
    expect(t.outputs.result).toBe('a:\n    b: c\n');
  });

  it('json:transform outputs JSON text with replacer and space, or the data', async () => {
    const t = setup(
      { 'in.json': '{"items":["item1"],"secret":"x"}' },
      {
        path: 'in.json',
        expression: '$ ~> | $ | { "items": [items, "item2"] }|',
        replacer: ['items'],
        space: ' ',
      },
    );
    const transform = action('roadiehq:utils:jsonata:json:transform');
    await runAction(transform, t);
    expect(t.outputs.result).toBe('{\n "items": [\n  "item1",\n  "item2"\n ]\n}');
    t.ctx.input = { path: 'in.json', expression: 'items[0]', as: 'object' };
    await runAction(transform, t);
    expect(t.outputs.result).toBe('item1');
    t.ctx.input = { path: 'nope.json', expression: '$' };
    await expect(runAction(transform, t)).rejects.toThrow(
      "path: 'nope.json' does not exist in the workspace",
    );
  });
});

describe('Roadie actions stay inside the workspace', () => {
  const cases: Array<[string, (path: string) => Record<string, unknown>, string]> = [
    ['roadiehq:utils:fs:write', (path) => ({ path, content: 'pwned' }), 'path'],
    ['roadiehq:utils:fs:append', (path) => ({ path, content: 'pwned' }), 'path'],
    [
      'roadiehq:utils:fs:replace',
      (file) => ({ files: [{ file, find: 'secret', replaceWith: 'pwned' }] }),
      'files[0].file',
    ],
    ['roadiehq:utils:fs:parse', (path) => ({ path }), 'path'],
    ['roadiehq:utils:merge', (path) => ({ path, content: { a: 1 } }), 'path'],
    ['roadiehq:utils:json:merge', (path) => ({ path, content: { a: 1 } }), 'path'],
    ['roadiehq:utils:jsonata:yaml:transform', (path) => ({ path, expression: '$' }), 'path'],
    ['roadiehq:utils:jsonata:json:transform', (path) => ({ path, expression: '$' }), 'path'],
  ];

  it.each(cases)('%s refuses ../, absolute paths and symlinks out', async (id, input, field) => {
    for (const [path, message] of [
      ['../outside/secret.txt', 'leads outside the workspace'],
      ['/etc/passwd', 'is an absolute path'],
      ['link/secret.txt', 'leads outside the workspace through a symlink'],
      ['*/../../outside/secret.txt', 'leads outside the workspace'],
    ] as const) {
      const t = setup({}, input(path));
      symlinkSync(t.outside, join(t.workspace, 'link'));
      await expect(runAction(action(id), t), `${id} ${path}`).rejects.toThrow(
        `${field}: '${path}' ${message}`,
      );
      expect(readFileSync(join(t.outside, 'secret.txt'), 'utf8')).toBe('secret');
      expect(t.outputs).toEqual({});
    }
  });

  it('writes never follow a symlink planted at the target, and globs never descend into links', async () => {
    const t = setup({ 'a.yaml': 'secret' }, { path: 'planted.txt', content: 'pwned' });
    symlinkSync(join(t.outside, 'secret.txt'), join(t.workspace, 'planted.txt'));
    await expect(runAction(action('roadiehq:utils:fs:write'), t)).rejects.toThrow(
      "path: 'planted.txt' leads outside the workspace through a symlink",
    );
    // Even a link to a workspace file is not written through: the write lands where named.
    symlinkSync('a.yaml', join(t.workspace, 'inner-link'));
    t.ctx.input = { path: 'inner-link', content: 'pwned' };
    await expect(runAction(action('roadiehq:utils:fs:write'), t)).rejects.toThrow(
      "path: 'inner-link' is a symbolic link; refusing to write through it",
    );
    expect(read(t, 'a.yaml')).toBe('secret');
    symlinkSync(t.outside, join(t.workspace, 'dir-link'));
    t.ctx.input = { files: [{ file: '**/*', find: 'secret', replaceWith: 'pwned' }] };
    await runAction(action('roadiehq:utils:fs:replace'), t);
    expect(read(t, 'a.yaml')).toBe('pwned');
    expect(readFileSync(join(t.outside, 'secret.txt'), 'utf8')).toBe('secret');
    expect(existsSync(join(t.outside, 'planted.txt'))).toBe(false);
  });
});
