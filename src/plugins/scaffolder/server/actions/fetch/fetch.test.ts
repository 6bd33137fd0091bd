import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  startRecordingServer,
  startRedirectingServer,
} from '../../../../../../test/helpers/recording-server.ts';
import { serveFiles } from '../../../../../../test/helpers/serve-files.ts';
import {
  type FixtureFile,
  serveGitRepos,
  writeFixture,
} from '../../../../../core/reading/git-http.testkit.ts';
import type { JsonObject } from '../../../../../model/entity.ts';
import type { ActionContribution, TemplateAction, TemplateInfo } from '../types.ts';
import { fetchActions } from './index.ts';
import { fetchPlainAction, fetchPlainFileAction } from './plain.ts';
import { fetchTemplateAction } from './template.ts';
import { fetchTemplateFileAction } from './template-file.ts';
import {
  buildAction,
  makeActionContext,
  runAction,
  type TestActionContext,
} from './test-context.testkit.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function tempDir(prefix = 'atrium-fetch-test-'): string {
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
    else out[rel] = readFileSync(join(dir, entry.name), 'latin1');
  }
  return out;
}

const BINARY = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1]),
  Buffer.from('${{ values.name }}'),
  Buffer.from([0, 255]),
]);

const SKELETON: Record<string, FixtureFile> = {
  'skeleton/README.md': '# ${{ values.name }}\n{% if values.withDocs %}See docs.{% endif %}\n',
  'skeleton/${{ values.name }}/index.js': 'export const name = ${{ values.name | dump }};\n',
  'skeleton/src/nested/deep/owner.txt':
    'owner: ${{ values.owner | parseEntityRef | pick("name") }}\n',
  'skeleton/bin/start.sh': { content: '#!/bin/sh\necho ${{ values.name }}\n', executable: true },
  'skeleton/assets/logo.png': BINARY,
  'skeleton/.github/workflows/${{ values.name }}.yaml': 'run: echo ${{ github.sha }}\n',
  'skeleton/{% if values.optional %}optional.txt{% endif %}': 'optional\n',
  'skeleton/docs/index.md': { symlink: '../README.md' },
};

const VALUES = { name: 'svc', owner: 'group:default/team-a', withDocs: true, optional: false };

/** A template folder on disk; returns the templateInfo a task would carry. */
function templateOnDisk(files: Record<string, FixtureFile> = SKELETON): {
  dir: string;
  templateInfo: TemplateInfo;
} {
  const dir = tempDir('atrium-template-');
  writeFixture(dir, { 'template.yaml': 'kind: Template\n', ...files });
  return {
    dir,
    templateInfo: {
      entityRef: 'template:default/test',
      baseUrl: `file:${join(dir, 'template.yaml')}`,
    },
  };
}

async function run(
  contribution: ActionContribution,
  input: JsonObject,
  options: {
    templateInfo?: TemplateInfo;
    workspacePath?: string;
    config?: Record<string, unknown>;
  } = {},
): Promise<TestActionContext> {
  const { action } = await buildAction(contribution, options.config);
  const test = makeActionContext({
    input,
    templateInfo: options.templateInfo,
    workspacePath: options.workspacePath,
  });
  cleanups.push(() => test.cleanup());
  await runAction(action, test);
  return test;
}

describe('fetch actions: registration', () => {
  it('declares four dry-run capable actions with schemas and examples', async () => {
    const actions: TemplateAction[] = [];
    for (const c of fetchActions) actions.push((await buildAction(c)).action);
    expect(actions.map((a) => a.id).sort()).toEqual([
      'fetch:plain',
      'fetch:plain:file',
      'fetch:template',
      'fetch:template:file',
    ]);
    for (const action of actions) {
      expect(action.supportsDryRun).toBe(true);
      expect(action.examples?.length).toBeGreaterThan(0);
      expect(action.schema.input.required).toContain('url');
    }
  });

  it('validates input against the schema', async () => {
    const { dir, templateInfo } = templateOnDisk();
    await expect(run(fetchTemplateAction, { targetPath: 'x' }, { templateInfo })).rejects.toThrow(
      /Invalid input passed to action fetch:template/,
    );
    await expect(
      run(fetchTemplateAction, { url: './skeleton', templateFileExtension: 3 }, { templateInfo }),
    ).rejects.toThrow(/Invalid input passed to action fetch:template/);
    expect(existsSync(dir)).toBe(true);
  });
});

describe('fetch:template from disk', () => {
  it('renders a nested skeleton: names, contents, binaries, modes, dropped files', async () => {
    const { templateInfo } = templateOnDisk();
    const test = await run(
      fetchTemplateAction,
      { url: './skeleton', values: VALUES, copyWithoutTemplating: ['.github/workflows/*'] },
      { templateInfo },
    );
    const files = listFiles(test.workspace);
    expect(files).toEqual({
      'README.md': '# svc\nSee docs.\n',
      'svc/index.js': 'export const name = "svc";\n',
      'src/nested/deep/owner.txt': 'owner: team-a\n',
      'bin/start.sh': '#!/bin/sh\necho svc\n',
      'assets/logo.png': BINARY.toString('latin1'),
      // contents raw, path rendered
      '.github/workflows/svc.yaml': 'run: echo ${{ github.sha }}\n',
      // a link inside the skeleton arrives as the file it points to, rendered
      'docs/index.md': '# svc\nSee docs.\n',
    });
    expect(statSync(join(test.workspace, 'bin/start.sh')).mode & 0o111).not.toBe(0);
    expect(statSync(join(test.workspace, 'README.md')).mode & 0o111).toBe(0);
    expect(test.logText()).toMatch(/Left out 1 file\(s\) whose name rendered empty/);
    expect(test.logText()).toMatch(/5 file\(s\) rendered, 2 copied as they are, 0 skipped/);
  });

  it('renders files that copyWithoutTemplating does not list', async () => {
    const { templateInfo } = templateOnDisk();
    const test = await run(
      fetchTemplateAction,
      { url: './skeleton', values: VALUES },
      { templateInfo },
    );
    expect(readFileSync(join(test.workspace, '.github/workflows/svc.yaml'), 'utf8')).toBe(
      'run: echo \n',
    );
  });

  it('treats the deprecated copyWithoutRender as copyWithoutTemplating, with a warning', async () => {
    const { templateInfo } = templateOnDisk();
    const test = await run(
      fetchTemplateAction,
      { url: './skeleton', values: VALUES, copyWithoutRender: ['.github/workflows/*'] },
      { templateInfo },
    );
    expect(readFileSync(join(test.workspace, '.github/workflows/svc.yaml'), 'utf8')).toBe(
      'run: echo ${{ github.sha }}\n',
    );
    expect(test.logs).toContainEqual({
      level: 'warn',
      message: expect.stringMatching(/\[Deprecated\] copyWithoutRender is deprecated/),
    });
  });

  it('writes below targetPath, and refuses a targetPath outside the workspace', async () => {
    const { templateInfo } = templateOnDisk();
    const test = await run(
      fetchTemplateAction,
      { url: './skeleton', values: VALUES, targetPath: './service/app' },
      { templateInfo },
    );
    expect(readFileSync(join(test.workspace, 'service/app/svc/index.js'), 'utf8')).toContain(
      '"svc"',
    );
    await expect(
      run(fetchTemplateAction, { url: './skeleton', targetPath: '../../etc' }, { templateInfo }),
    ).rejects.toThrow("targetPath: '../../etc' leads outside the workspace");
  });

  it('refuses a target folder that is a symlink out of the workspace', async () => {
    const { templateInfo } = templateOnDisk();
    const workspace = tempDir('atrium-ws-');
    const outside = tempDir('atrium-outside-');
    symlinkSync(outside, join(workspace, 'out'));
    await expect(
      run(
        fetchTemplateAction,
        { url: './skeleton', values: VALUES, targetPath: 'out' },
        { templateInfo, workspacePath: workspace },
      ),
    ).rejects.toThrow("targetPath: 'out' leads outside the workspace through a symlink");
    expect(readdirSync(outside)).toEqual([]);
  });

  it('refuses a file name that renders to a path out of the workspace', async () => {
    const { templateInfo } = templateOnDisk({ 'skeleton/${{ values.evil }}/x.txt': 'x' });
    const parent = tempDir('atrium-parent-');
    const workspace = join(parent, 'a', 'workspace');
    mkdirSync(workspace, { recursive: true });
    await expect(
      run(
        fetchTemplateAction,
        { url: './skeleton', values: { evil: '../../x' } },
        { templateInfo, workspacePath: workspace },
      ),
    ).rejects.toThrow("skeleton folder ${{ values.evil }}: '../../x' leads outside the workspace");
    expect(existsSync(join(parent, 'x'))).toBe(false);
  });

  it('refuses a skeleton symlink that points outside the skeleton, naming it', async () => {
    const { templateInfo } = templateOnDisk({
      ...SKELETON,
      'skeleton/config/passwd': { symlink: '/etc/passwd' },
    });
    const test = makeActionContext({ input: { url: './skeleton' }, templateInfo });
    cleanups.push(() => test.cleanup());
    const { action } = await buildAction(fetchTemplateAction);
    await expect(runAction(action, test)).rejects.toThrow(
      /Symbolic link config\/passwd in .*skeleton points to \/etc\/passwd, outside the folder being read/,
    );
    expect(readdirSync(test.workspace)).toEqual([]);
  });

  it('refuses a url that climbs out of the template folder or is absolute', async () => {
    const { templateInfo } = templateOnDisk();
    await expect(run(fetchTemplateAction, { url: '../..' }, { templateInfo })).rejects.toThrow(
      "../.. leads outside the template's folder",
    );
    await expect(run(fetchTemplateAction, { url: '/etc' }, { templateInfo })).rejects.toThrow(
      /absolute local paths are not allowed/,
    );
    await expect(run(fetchTemplateAction, { url: './nope' }, { templateInfo })).rejects.toThrow(
      /nope does not exist/,
    );
  });

  it('templateFileExtension: renders only those files and strips the extension', async () => {
    const { templateInfo } = templateOnDisk({
      'skeleton/README.md.njk': '# ${{ values.name }}\n',
      'skeleton/${{ values.name }}.txt': 'raw ${{ values.name }}\n',
      'skeleton/config.yaml.tmpl': 'name: ${{ values.name }}\n',
    });
    const withTrue = await run(
      fetchTemplateAction,
      { url: './skeleton', values: VALUES, templateFileExtension: true },
      { templateInfo },
    );
    expect(listFiles(withTrue.workspace)).toEqual({
      'README.md': '# svc\n',
      'svc.txt': 'raw ${{ values.name }}\n',
      'config.yaml.tmpl': 'name: ${{ values.name }}\n',
    });
    const custom = await run(
      fetchTemplateAction,
      { url: './skeleton', values: VALUES, templateFileExtension: '.tmpl' },
      { templateInfo },
    );
    expect(listFiles(custom.workspace)).toEqual({
      'README.md.njk': '# ${{ values.name }}\n',
      'svc.txt': 'raw ${{ values.name }}\n',
      'config.yaml': 'name: svc\n',
    });
    await expect(
      run(
        fetchTemplateAction,
        { url: './skeleton', templateFileExtension: true, copyWithoutTemplating: ['x'] },
        { templateInfo },
      ),
    ).rejects.toThrow(/copyWithoutTemplating and templateFileExtension are not compatible/);
    await expect(
      run(
        fetchTemplateAction,
        { url: './skeleton', templateFileExtension: true, cookiecutterCompat: true },
        { templateInfo },
      ),
    ).rejects.toThrow(
      'Fetch action input cookiecutterCompat and templateFileExtension are not compatible',
    );
  });

  it('cookiecutterCompat: {{ cookiecutter.* }} in names and contents', async () => {
    const { templateInfo } = templateOnDisk({
      'skeleton/{{ cookiecutter.name }}/setup.py': 'name = {{ cookiecutter.name | jsonify }}\n',
      'skeleton/keep.txt': 'dollar ${{ values.name }}\n',
    });
    const test = await run(
      fetchTemplateAction,
      { url: './skeleton', values: { name: 'svc' }, cookiecutterCompat: true },
      { templateInfo },
    );
    expect(listFiles(test.workspace)).toEqual({
      'svc/setup.py': 'name = "svc"\n',
      'keep.txt': 'dollar $\n',
    });
  });

  it('trimBlocks and lstripBlocks', async () => {
    const { templateInfo } = templateOnDisk({
      'skeleton/list.txt': 'items:\n  {% for i in values.items %}\n  - ${{ i }}\n  {% endfor %}\n',
    });
    const test = await run(
      fetchTemplateAction,
      { url: './skeleton', values: { items: [1, 2] }, trimBlocks: true, lstripBlocks: true },
      { templateInfo },
    );
    expect(readFileSync(join(test.workspace, 'list.txt'), 'utf8')).toBe('items:\n  - 1\n  - 2\n');
  });

  it('skips existing files unless replace, and says so', async () => {
    const { templateInfo } = templateOnDisk({ 'skeleton/README.md': 'new ${{ values.name }}' });
    const workspace = tempDir('atrium-ws-');
    writeFileSync(join(workspace, 'README.md'), 'old');
    const kept = await run(
      fetchTemplateAction,
      { url: './skeleton', values: VALUES },
      { templateInfo, workspacePath: workspace },
    );
    expect(readFileSync(join(workspace, 'README.md'), 'utf8')).toBe('old');
    expect(kept.logText()).toContain('File README.md already exists in the workspace, skipped');
    await run(
      fetchTemplateAction,
      { url: './skeleton', values: VALUES, replace: true },
      { templateInfo, workspacePath: workspace },
    );
    expect(readFileSync(join(workspace, 'README.md'), 'utf8')).toBe('new svc');
  });

  it('fails naming the skeleton file whose template is broken', async () => {
    const { templateInfo } = templateOnDisk({
      'skeleton/ok.txt': 'fine',
      'skeleton/broken/file.yaml': 'a: 1\nb: ${{ values.name | nope }}\n',
    });
    await expect(
      run(fetchTemplateAction, { url: './skeleton', values: VALUES }, { templateInfo }),
    ).rejects.toThrow(/^broken\/file\.yaml: .*filter not found: nope/);
  });

  it('renders a 1,000-file skeleton quickly', async () => {
    const files: Record<string, FixtureFile> = {};
    for (let i = 0; i < 1000; i++) {
      const dir = `skeleton/pkg-${i % 20}/sub-${i % 7}`;
      files[`${dir}/file-${i}.ts`] =
        `// ${i}\nexport const name = \${{ values.name | dump }};\n` +
        (i % 10 === 0 ? `{% if values.flag %}export const flag = ${i};{% endif %}\n` : '') +
        'export const owner = "${{ values.owner }}";\n'.repeat(5) +
        '// plain line of code without any template tags in it\n'.repeat(30);
    }
    files['skeleton/${{ values.name }}/README.md'] = '# ${{ values.name }}';
    const { templateInfo } = templateOnDisk(files);
    const start = performance.now();
    const test = await run(
      fetchTemplateAction,
      { url: './skeleton', values: { name: 'svc', owner: 'team', flag: true } },
      { templateInfo },
    );
    const elapsed = performance.now() - start;
    console.log(`fetch:template, 1,001-file skeleton from disk: ${elapsed.toFixed(0)} ms`);
    const written = listFiles(test.workspace);
    expect(Object.keys(written)).toHaveLength(1001);
    expect(written['pkg-10/sub-3/file-10.ts']).toContain('export const flag = 10;');
    expect(written['svc/README.md']).toBe('# svc');
    // Target is well under 3 s on an idle machine; the bound leaves room for a loaded one.
    expect(elapsed).toBeLessThan(15_000);
  });
});

describe('fetch:template with real Backstage templates', () => {
  const samples = new URL(
    '../../../../../../test/fixtures/backstage/backstage-examples/plugins/scaffolder-backend/sample-templates/',
    import.meta.url,
  );

  it('renders the gin-golang sample skeleton as Backstage does', async () => {
    const templateYaml = new URL('local-template/gin-golan-template/template.yaml', samples);
    const templateInfo = {
      entityRef: 'template:default/golang-starter',
      baseUrl: templateYaml.href,
    };
    const values = {
      component_id: 'my-svc',
      module: 'example.com/my-svc',
      go_version: '1.22',
      description: 'A "quoted" service',
      owner: 'group:default/team-a',
      port: 8080,
    };
    const test = await run(
      fetchTemplateAction,
      { url: './skeleton', copyWithoutRender: ['.github/workflows/*'], values },
      { templateInfo },
    );
    const files = listFiles(test.workspace);
    expect(Object.keys(files).sort()).toEqual(['catalog-info.yaml', 'go.mod', 'readme.md']);
    const entity = parseYaml(files['catalog-info.yaml']!);
    expect(entity.metadata).toMatchObject({
      name: 'my-svc',
      description: 'A "quoted" service',
    });
    expect(entity.spec.owner).toBe('group:default/team-a');
    expect(files['go.mod']).toBe('module example.com/my-svc\n\ngo 1.22\n');
    expect(files['readme.md']).toContain('http://localhost:8080/');

    const without = await run(
      fetchTemplateAction,
      { url: './skeleton', values: { ...values, description: '' } },
      { templateInfo },
    );
    const bare = parseYaml(readFileSync(join(without.workspace, 'catalog-info.yaml'), 'utf8'));
    expect(bare.metadata.description).toBeUndefined();
    expect(bare.metadata.name).toBe('my-svc');
  });
});

describe('fetch:plain, fetch:plain:file and fetch:template:file from disk', () => {
  it('fetch:plain copies a folder as it is', async () => {
    const { templateInfo } = templateOnDisk();
    const test = await run(
      fetchPlainAction,
      { url: './skeleton', targetPath: 'raw' },
      { templateInfo },
    );
    const files = listFiles(test.workspace);
    expect(files['raw/README.md']).toBe(
      '# ${{ values.name }}\n{% if values.withDocs %}See docs.{% endif %}\n',
    );
    expect(files['raw/${{ values.name }}/index.js']).toBeDefined();
    expect(files['raw/assets/logo.png']).toBe(BINARY.toString('latin1'));
    expect(statSync(join(test.workspace, 'raw/bin/start.sh')).mode & 0o111).not.toBe(0);
    expect(lstatSync(join(test.workspace, 'raw/docs/index.md')).isSymbolicLink()).toBe(false);
  });

  it('fetch:plain:file copies one file, fetch:template:file renders one', async () => {
    const { templateInfo } = templateOnDisk();
    const plain = await run(
      fetchPlainFileAction,
      { url: './skeleton/bin/start.sh', targetPath: 'scripts/start.sh' },
      { templateInfo },
    );
    expect(readFileSync(join(plain.workspace, 'scripts/start.sh'), 'utf8')).toBe(
      '#!/bin/sh\necho ${{ values.name }}\n',
    );
    expect(statSync(join(plain.workspace, 'scripts/start.sh')).mode & 0o111).not.toBe(0);

    const rendered = await run(
      fetchTemplateFileAction,
      { url: './skeleton/README.md', targetPath: 'docs/README.md', values: VALUES },
      { templateInfo },
    );
    expect(readFileSync(join(rendered.workspace, 'docs/README.md'), 'utf8')).toBe(
      '# svc\nSee docs.\n',
    );
    await expect(
      run(
        fetchTemplateFileAction,
        { url: './skeleton/README.md', targetPath: '../escape.md' },
        { templateInfo },
      ),
    ).rejects.toThrow("targetPath: '../escape.md' leads outside the workspace");
  });

  it('fetch:template:file keeps an existing file unless replace', async () => {
    const { templateInfo } = templateOnDisk();
    const workspace = tempDir('atrium-ws-');
    writeFileSync(join(workspace, 'README.md'), 'old');
    const kept = await run(
      fetchTemplateFileAction,
      { url: './skeleton/README.md', targetPath: 'README.md', values: VALUES },
      { templateInfo, workspacePath: workspace },
    );
    expect(readFileSync(join(workspace, 'README.md'), 'utf8')).toBe('old');
    expect(kept.logText()).toContain('already exists in the workspace, skipped');
    await run(
      fetchTemplateFileAction,
      { url: './skeleton/README.md', targetPath: 'README.md', values: VALUES, replace: true },
      { templateInfo, workspacePath: workspace },
    );
    expect(readFileSync(join(workspace, 'README.md'), 'utf8')).toBe('# svc\nSee docs.\n');
  });
});

describe('fetch actions over HTTP', () => {
  let git: Awaited<ReturnType<typeof serveGitRepos>>;
  beforeAll(async () => {
    git = await serveGitRepos({
      'acme/templates': {
        'node/template.yaml': 'kind: Template\n',
        ...Object.fromEntries(
          Object.entries(SKELETON)
            .filter(([path]) => !path.includes('docs/index.md'))
            .map(([path, file]) => [`node/${path}`, file]),
        ),
        'node/files/LICENSE': 'MIT ${{ values.name }}\n',
      },
    });
  });
  afterAll(() => git.close());

  const config = () => ({ backend: { reading: { allow: [{ host: git.host }] } } });
  const remoteTemplate = (): TemplateInfo => ({
    entityRef: 'template:default/node',
    baseUrl: `${git.base}/acme/templates/blob/main/node/template.yaml`,
  });

  it('fetch:template reads ./skeleton next to a template in a git repository', async () => {
    const test = await run(
      fetchTemplateAction,
      { url: './skeleton', values: VALUES, copyWithoutTemplating: ['.github/**'] },
      { templateInfo: remoteTemplate(), config: config() },
    );
    expect(listFiles(test.workspace)).toEqual({
      'README.md': '# svc\nSee docs.\n',
      'svc/index.js': 'export const name = "svc";\n',
      'src/nested/deep/owner.txt': 'owner: team-a\n',
      'bin/start.sh': '#!/bin/sh\necho svc\n',
      'assets/logo.png': BINARY.toString('latin1'),
      '.github/workflows/svc.yaml': 'run: echo ${{ github.sha }}\n',
    });
    expect(statSync(join(test.workspace, 'bin/start.sh')).mode & 0o111).not.toBe(0);
    expect(git.requests.some((r) => r.url.includes('/acme/templates.git/'))).toBe(true);
  });

  it('fetch:plain and fetch:plain:file take absolute git URLs', async () => {
    const plain = await run(
      fetchPlainAction,
      { url: `${git.base}/acme/templates/tree/main/node/files` },
      { config: config() },
    );
    expect(listFiles(plain.workspace)).toEqual({ LICENSE: 'MIT ${{ values.name }}\n' });
    const file = await run(
      fetchTemplateFileAction,
      {
        url: `${git.base}/acme/templates/blob/main/node/files/LICENSE`,
        targetPath: 'LICENSE',
        values: VALUES,
      },
      { config: config() },
    );
    expect(readFileSync(join(file.workspace, 'LICENSE'), 'utf8')).toBe('MIT svc\n');
  });

  it('refuses hosts that are not allowed, naming the URL', async () => {
    const url = `${git.base}/acme/templates/tree/main/node/skeleton`;
    await expect(run(fetchPlainAction, { url })).rejects.toThrow(
      `Reading ${url} is not allowed: add ${git.host} to backend.reading.allow`,
    );
  });

  it('fetch:plain:file reads a plain URL', async () => {
    const files = await serveFiles({ '/LICENSE': 'Apache-2.0' });
    try {
      const test = await run(
        fetchPlainFileAction,
        { url: `${files.base}/LICENSE`, targetPath: 'LICENSE' },
        { config: { backend: { reading: { allow: [{ host: files.host }] } } } },
      );
      expect(readFileSync(join(test.workspace, 'LICENSE'), 'utf8')).toBe('Apache-2.0');
    } finally {
      await files.close();
    }
  });

  it('follows no redirect from an allowed host to one outside the allow list', async () => {
    const internal = await startRecordingServer();
    const redirecting = await startRedirectingServer(() => internal.base);
    try {
      const config = { backend: { reading: { allow: [{ host: redirecting.host }] } } };
      // A plain file: redirects are followed by hand and the next hop is refused.
      const url = `${redirecting.base}/LICENSE`;
      await expect(
        run(fetchPlainFileAction, { url, targetPath: 'LICENSE' }, { config }),
      ).rejects.toThrow(
        `Reading ${url} (redirected to ${internal.base}/LICENSE) is not allowed: add ${internal.host} to backend.reading.allow`,
      );
      // A git-hosted folder: git is told not to follow redirects at all.
      const tree = `${redirecting.base}/acme/templates/tree/main/skeleton`;
      await expect(run(fetchPlainAction, { url: tree }, { config })).rejects.toThrow(tree);
      expect(redirecting.requests.length).toBeGreaterThan(1);
      expect(internal.requests).toEqual([]);
    } finally {
      await redirecting.close();
      await internal.close();
    }
  });
});
