import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FixtureFile, writeFixture } from '../../../../../core/reading/git-http.testkit.ts';
import type { JsonObject } from '../../../../../model/entity.ts';
import {
  buildAction,
  makeActionContext,
  runAction,
  type TestActionContext,
} from '../fetch/test-context.testkit.ts';
import { ActionRegistry } from '../registry.ts';
import type { ActionDeps, TemplateInfo } from '../types.ts';
import { cookiecutterVariables, fnmatchPattern } from './context.ts';
import { fetchCookiecutterAction } from './cookiecutter.ts';
import { cookiecutterActions } from './index.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Relative path → content of every file under `dir`. */
function listFiles(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) Object.assign(out, listFiles(join(dir, entry.name), rel));
    else out[rel] = readFileSync(join(dir, entry.name), 'utf8');
  }
  return out;
}

/** A cookiecutter template as Backstage templates keep one: a folder beside template.yaml. */
const COOKIECUTTER_JSON = {
  project_name: 'My Service',
  project_slug: "{{ cookiecutter.project_name|lower|replace(' ', '-') }}",
  license: ['MIT', 'Apache-2.0'],
  use_docker: true,
  _copy_without_render: ['*.html'],
  _private: '{{ cookiecutter.project_name }}',
  __module: '{{ cookiecutter.project_slug|replace("-", "_") }}',
};

const TEMPLATE: Record<string, FixtureFile> = {
  'skeleton/cookiecutter.json': JSON.stringify(COOKIECUTTER_JSON, null, 2),
  'skeleton/README.md': [
    '# {{ cookiecutter.project_name }}',
    'Slug: {{ cookiecutter.project_slug }}',
    'License: {{ cookiecutter.license }}',
    '{% if cookiecutter.use_docker %}Docker: yes{% endif %}',
    'Private: {{ cookiecutter._private }}',
    'Slugified: {{ cookiecutter.project_name | slugify }}',
    '',
  ].join('\n'),
  'skeleton/{{cookiecutter.__module}}/__init__.py':
    'NAME = {{ cookiecutter.project_name | jsonify }}\n',
  'skeleton/web/templates/page.html': '<h1>{{ title }}</h1>\n',
  'skeleton/{% if cookiecutter.use_docker %}Dockerfile{% endif %}': 'FROM python:3.12\n',
  'skeleton/.github/workflows/ci.yaml': 'run: echo ${{ github.sha }}\n',
};

function templateOnDisk(files: Record<string, FixtureFile> = TEMPLATE): TemplateInfo {
  const dir = tempDir('atrium-cookiecutter-template-');
  writeFixture(dir, { 'template.yaml': 'kind: Template\n', ...files });
  return { entityRef: 'template:default/cookie', baseUrl: `file:${join(dir, 'template.yaml')}` };
}

async function run(
  input: JsonObject,
  templateInfo: TemplateInfo,
  workspacePath?: string,
): Promise<TestActionContext> {
  const { action } = await buildAction(fetchCookiecutterAction);
  const test = makeActionContext({ input, templateInfo, workspacePath });
  cleanups.push(() => test.cleanup());
  await runAction(action, test);
  return test;
}

describe('fetch:cookiecutter: registration', () => {
  it("takes Backstage's inputs, runs in dry runs, and names the field of bad input", async () => {
    const { action, config } = await buildAction(fetchCookiecutterAction);
    expect(action.id).toBe('fetch:cookiecutter');
    expect(action.supportsDryRun).toBe(true);
    expect(Object.keys(action.schema.input.properties as object)).toEqual([
      'url',
      'targetPath',
      'values',
      'copyWithoutRender',
      'extensions',
      'imageName',
    ]);
    expect(action.schema.input.required).toEqual(['url']);
    const registry = new ActionRegistry(cookiecutterActions, { config } as ActionDeps);
    expect(() => registry.check('fetch:cookiecutter', { values: {} })).toThrow(
      'Invalid input passed to action fetch:cookiecutter, input.url is required',
    );
    expect(() =>
      registry.check('fetch:cookiecutter', { url: './x', copyWithoutRender: '*.md' }),
    ).toThrow('input.copyWithoutRender');
    expect(() => registry.check('fetch:cookiecutter', { url: './x', extensions: 'a' })).toThrow(
      'input.extensions',
    );
  });
});

describe('fetch:cookiecutter', () => {
  it('renders names and contents with cookiecutter.json defaults under values, in Node', async () => {
    const test = await run(
      { url: './skeleton', values: { project_name: 'Payments API' } },
      templateOnDisk(),
    );
    const files = listFiles(test.workspace);
    expect(files['README.md']).toBe(
      [
        '# Payments API',
        'Slug: payments-api',
        // A choice variable: its first option, as `cookiecutter --no-input` takes.
        'License: MIT',
        'Docker: yes',
        // `_private` variables are kept as written, not rendered.
        'Private: {{ cookiecutter.project_name }}',
        'Slugified: payments-api',
        '',
      ].join('\n'),
    );
    expect(files['payments_api/__init__.py']).toBe('NAME = "Payments API"\n');
    expect(files.Dockerfile).toBe('FROM python:3.12\n');
    // `*.html` is fnmatch: it crosses folders, and the file is copied as it is.
    expect(files['web/templates/page.html']).toBe('<h1>{{ title }}</h1>\n');
    // `${{` is not a cookiecutter tag: `{{ github.sha }}` is, and renders empty.
    expect(files['.github/workflows/ci.yaml']).toBe('run: echo $\n');
    // As in Backstage, the template's cookiecutter.json is part of the output.
    expect(JSON.parse(files['cookiecutter.json']!).project_name).toBe('My Service');
    expect(test.logText()).toContain('Fetching and then templating using cookiecutter');
  });

  it('copyWithoutRender overrides _copy_without_render; targetPath, false conditions and overwrites', async () => {
    const templateInfo = templateOnDisk();
    const workspace = tempDir('atrium-cookiecutter-ws-');
    writeFixture(workspace, { 'service/README.md': 'old\n' });
    const test = await run(
      {
        url: './skeleton',
        targetPath: 'service',
        values: { project_name: 'Svc', use_docker: false },
        copyWithoutRender: ['README.md', '.github'],
      },
      templateInfo,
      workspace,
    );
    const files = listFiles(join(test.workspace, 'service'));
    expect(files['README.md']).toContain('# {{ cookiecutter.project_name }}');
    expect(files['.github/workflows/ci.yaml']).toBe('run: echo ${{ github.sha }}\n');
    // No longer excluded from rendering.
    expect(files['web/templates/page.html']).toBe('<h1></h1>\n');
    expect(files.Dockerfile).toBeUndefined();
    expect(files['svc/__init__.py']).toBe('NAME = "Svc"\n');
  });

  it('ignores extensions and imageName with a line in the log', async () => {
    const templateInfo = templateOnDisk({
      'skeleton/cookiecutter.json': JSON.stringify({ name: 'x', _extensions: ['local.Ext'] }),
      'skeleton/a.txt': '{{ cookiecutter.name }}',
    });
    const test = await run(
      { url: './skeleton', imageName: 'custom/cookiecutter-image' },
      templateInfo,
    );
    expect(test.logText()).toContain(
      "info: imageName 'custom/cookiecutter-image' is ignored: Atrium renders cookiecutter templates in Node, without Docker or Python",
    );
    expect(test.logText()).toContain('info: Jinja2 extensions are ignored (local.Ext)');
    const again = await run(
      { url: './skeleton', extensions: ['jinja2_time.TimeExtension'] },
      templateInfo,
    );
    expect(again.logText()).toContain('Jinja2 extensions are ignored (jinja2_time.TimeExtension)');
    expect(listFiles(again.workspace)['a.txt']).toBe('x');
  });

  it('names what is wrong: cookiecutter.json, a template, targetPath and names that climb out', async () => {
    await expect(
      run({ url: './skeleton' }, templateOnDisk({ 'skeleton/cookiecutter.json': '{oops' })),
    ).rejects.toThrow(/^cookiecutter\.json is not valid JSON/);
    await expect(
      run(
        { url: './skeleton' },
        templateOnDisk({
          'skeleton/cookiecutter.json': '{"a": "{{ cookiecutter.b | nofilter }}"}',
        }),
      ),
    ).rejects.toThrow(/^cookiecutter\.json: a: .*nofilter/);
    await expect(
      run({ url: './skeleton' }, templateOnDisk({ 'skeleton/bad.txt': '{% if %}' })),
    ).rejects.toThrow(/^bad\.txt: /);
    await expect(run({ url: './skeleton', targetPath: '../x' }, templateOnDisk())).rejects.toThrow(
      "targetPath: '../x' leads outside the workspace",
    );
    const parent = tempDir('atrium-cookiecutter-escape-');
    const workspace = join(parent, 'ws');
    writeFixture(workspace, { '.keep': '' });
    await expect(
      run(
        { url: './skeleton', values: { name: '../../escaped' } },
        templateOnDisk({ 'skeleton/{{ cookiecutter.name }}/x.txt': 'pwned' }),
        workspace,
      ),
    ).rejects.toThrow(/leads outside the workspace/);
    expect(readdirSync(parent)).toEqual(['ws']);
    expect(readdirSync(dirname(parent)).includes('escaped')).toBe(false);
  });
});

describe('cookiecutter variables and patterns', () => {
  const render = async (text: string, variables: JsonObject) =>
    text.replace(/\{\{ cookiecutter\.(\w+) \}\}/g, (_, key: string) => String(variables[key]));

  it('renders in file order against earlier variables; values override; dictionaries item by item', async () => {
    const variables = await cookiecutterVariables(
      {
        name: 'a',
        slug: '{{ cookiecutter.name }}-slug',
        choice: ['x', 'y'],
        dict: { key: '{{ cookiecutter.name }}', list: ['{{ cookiecutter.name }}', 2] },
        _raw: '{{ cookiecutter.name }}',
      },
      { name: 'b', extra: '{{ cookiecutter.slug }}!' },
      (text, scope) => render(text, scope),
    );
    expect(variables).toEqual({
      name: 'b',
      slug: 'b-slug',
      choice: 'x',
      dict: { key: 'b', list: ['b', 2] },
      _raw: '{{ cookiecutter.name }}',
      extra: 'b-slug!',
    });
  });

  it.each([
    ['*.html', 'web/templates/page.html', true],
    ['*.html', 'page.htm', false],
    ['docs/*', 'docs/a/b.md', true],
    ['file?.txt', 'file1.txt', true],
    ['[!a]*.md', 'b.md', true],
    ['[!a]*.md', 'a.md', false],
    ['[]]x', ']x', true],
    ['{{cookiecutter.slug}}/static', '{{cookiecutter.slug}}/static', true],
    ['a.b', 'axb', false],
  ])('fnmatch %s against %s is %s', (pattern, path, expected) => {
    expect(fnmatchPattern(pattern).test(path)).toBe(expected);
  });
});
