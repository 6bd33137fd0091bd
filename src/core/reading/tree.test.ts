import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serveFiles } from '../../../test/helpers/serve-files.ts';
import { serveGitRepos, writeFixture } from './git-http.testkit.ts';
import {
  parseGitUrl,
  readTree,
  readUrlFile,
  resolveTemplateUrl,
  type ReadTreeResult,
} from './tree.ts';

const temps: string[] = [];
const trees: ReadTreeResult[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.cleanup()));
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'atrium-tree-test-'));
  temps.push(dir);
  return dir;
}

/** Relative path → content of every file under `dir` (folders implied). */
function listFiles(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) Object.assign(out, listFiles(full, rel));
    else out[rel] = readFileSync(full, 'latin1');
  }
  return out;
}

const BINARY = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255, 0, 10]);

const SKELETON = {
  'template.yaml': 'kind: Template\n',
  'skeleton/README.md': '# ${{ values.name }}\n',
  'skeleton/src/index.js': 'console.log(1);\n',
  'skeleton/bin/run.sh': { content: '#!/bin/sh\necho hi\n', executable: true as const },
  'skeleton/logo.png': BINARY,
  'skeleton/docs/link-to-readme.md': { symlink: '../README.md' },
};

describe('resolveTemplateUrl', () => {
  it('resolves next to a local template and refuses climbing out of its folder', () => {
    expect(resolveTemplateUrl('./skeleton', 'file:/abs/dir/template.yaml')).toEqual({
      url: 'file:///abs/dir/skeleton',
      root: '/abs/dir',
    });
    expect(resolveTemplateUrl('skeleton/sub', 'file:///abs/dir/template.yaml')).toEqual({
      url: 'file:///abs/dir/skeleton/sub',
      root: '/abs/dir',
    });
    expect(() => resolveTemplateUrl('../other', 'file:/abs/dir/template.yaml')).toThrow(
      "../other leads outside the template's folder /abs/dir",
    );
    expect(() => resolveTemplateUrl('/etc', 'file:/abs/dir/template.yaml')).toThrow(
      /\/etc: absolute local paths are not allowed/,
    );
    expect(() => resolveTemplateUrl('file:///etc', 'file:/abs/dir/template.yaml')).toThrow(
      /absolute local paths are not allowed/,
    );
    expect(() => resolveTemplateUrl('./skeleton', undefined)).toThrow(
      /relative, but the template has no location/,
    );
  });

  it('resolves inside the git repository of a remote template', () => {
    const base = 'https://host.example/o/r/blob/main/templates/x/template.yaml';
    expect(resolveTemplateUrl('./skeleton', base).url).toBe(
      'https://host.example/o/r/tree/main/templates/x/skeleton',
    );
    expect(resolveTemplateUrl('../shared/file.txt', base, 'blob').url).toBe(
      'https://host.example/o/r/blob/main/templates/shared/file.txt',
    );
    expect(resolveTemplateUrl('../..', base).url).toBe('https://host.example/o/r/tree/main');
    expect(() => resolveTemplateUrl('../../../x', base)).toThrow(
      /leads outside the repository of the template/,
    );
    expect(
      resolveTemplateUrl('./skeleton', 'https://gl.example/g/sub/r/-/blob/v1/t/template.yaml').url,
    ).toBe('https://gl.example/g/sub/r/-/tree/v1/t/skeleton');
    expect(resolveTemplateUrl('https://x.example/a/b/tree/main/c', base).url).toBe(
      'https://x.example/a/b/tree/main/c',
    );
    expect(resolveTemplateUrl('./s', 'url:https://plain.example/t/template.yaml').url).toBe(
      'https://plain.example/t/s',
    );
    expect(() => resolveTemplateUrl('https://u:p@x.example/a/b/tree/main', base)).toThrow(
      /must not carry credentials/,
    );
  });

  it('parses GitHub- and GitLab-style URLs', () => {
    expect(parseGitUrl('https://h.example/acme/svc/tree/main/a/b')).toEqual({
      repoUrl: 'https://h.example/acme/svc',
      cloneUrl: 'https://h.example/acme/svc.git',
      style: 'github',
      kind: 'tree',
      ref: 'main',
      path: 'a/b',
    });
    expect(parseGitUrl('https://h.example/g/s/svc/-/blob/v2/f.txt')).toMatchObject({
      repoUrl: 'https://h.example/g/s/svc',
      style: 'gitlab',
      kind: 'blob',
      ref: 'v2',
      path: 'f.txt',
    });
    expect(parseGitUrl('https://h.example/acme/svc')).toBeUndefined();
    expect(parseGitUrl('https://h.example/file.yaml')).toBeUndefined();
  });
});

describe('readTree from disk', () => {
  it('copies a folder with nested files, modes, binaries and inside links', async () => {
    const src = tempDir();
    writeFixture(src, SKELETON);
    const tree = await readTree(pathToFileURL(join(src, 'skeleton')).href, {
      allow: [],
      root: src,
      tmpDir: tempDir(),
    });
    trees.push(tree);
    expect(listFiles(tree.dir)).toEqual({
      'README.md': '# ${{ values.name }}\n',
      'src/index.js': 'console.log(1);\n',
      'bin/run.sh': '#!/bin/sh\necho hi\n',
      'logo.png': BINARY.toString('latin1'),
      'docs/link-to-readme.md': '# ${{ values.name }}\n',
    });
    expect(statSync(join(tree.dir, 'bin/run.sh')).mode & 0o111).not.toBe(0);
    expect(statSync(join(tree.dir, 'src/index.js')).mode & 0o111).toBe(0);
    // an inside link arrives as a regular file
    expect(lstatSync(join(tree.dir, 'docs/link-to-readme.md')).isSymbolicLink()).toBe(false);
    await tree.cleanup();
    expect(() => statSync(tree.dir)).toThrow();
  });

  it('refuses a symlink that points outside the folder, naming it', async () => {
    const src = tempDir();
    writeFixture(src, { ...SKELETON, 'skeleton/config/secrets': { symlink: '/etc/passwd' } });
    const scratch = tempDir();
    await expect(
      readTree(join(src, 'skeleton'), { allow: [], root: src, tmpDir: scratch }),
    ).rejects.toThrow(
      /Symbolic link config\/secrets in .*skeleton points to \/etc\/passwd, outside the folder being read/,
    );
    // nothing left behind
    expect(readdirSync(scratch)).toEqual([]);
  });

  it('refuses a link to a sibling of the folder read', async () => {
    const src = tempDir();
    writeFixture(src, { ...SKELETON, 'skeleton/t.yaml': { symlink: '../template.yaml' } });
    await expect(readTree(join(src, 'skeleton'), { allow: [], root: src })).rejects.toThrow(
      /Symbolic link t\.yaml .* outside the folder being read/,
    );
  });

  it('names a missing folder, a file, and a target outside the root', async () => {
    const src = tempDir();
    writeFixture(src, SKELETON);
    await expect(readTree(join(src, 'nope'), { allow: [], root: src })).rejects.toThrow(
      `${join(src, 'nope')} does not exist`,
    );
    await expect(readTree(join(src, 'template.yaml'), { allow: [], root: src })).rejects.toThrow(
      /template\.yaml is a file, not a folder/,
    );
    await expect(
      readTree(join(src, 'skeleton'), { allow: [], root: join(src, 'skeleton', 'src') }),
    ).rejects.toThrow(/is outside the folder it may be read from/);
  });

  it('reads a single local file, keeping the executable bit', async () => {
    const src = tempDir();
    writeFixture(src, SKELETON);
    const file = await readUrlFile(pathToFileURL(join(src, 'skeleton/bin/run.sh')).href, {
      allow: [],
      root: src,
    });
    expect(file.content.toString()).toBe('#!/bin/sh\necho hi\n');
    expect(file.executable).toBe(true);
  });
});

describe('readTree over git (dumb HTTP server)', () => {
  let server: Awaited<ReturnType<typeof serveGitRepos>>;
  beforeAll(async () => {
    server = await serveGitRepos({
      'acme/templates': SKELETON,
      'group/sub/gl-templates': { 'svc/skeleton/a.txt': 'gitlab a\n' },
      'acme/evil': { 'skeleton/ok.txt': 'ok', 'skeleton/leak': { symlink: '/etc/passwd' } },
    });
  });
  afterAll(() => server.close());

  const opts = () => ({ allow: [{ host: server.host }], tmpDir: tempDir() });

  it('reads a GitHub-style tree URL with git', async () => {
    const url = `${server.base}/acme/templates/tree/main/skeleton`;
    const tree = await readTree(url, opts());
    trees.push(tree);
    expect(listFiles(tree.dir)).toEqual({
      'README.md': '# ${{ values.name }}\n',
      'src/index.js': 'console.log(1);\n',
      'bin/run.sh': '#!/bin/sh\necho hi\n',
      'logo.png': BINARY.toString('latin1'),
      'docs/link-to-readme.md': '# ${{ values.name }}\n',
    });
    expect(statSync(join(tree.dir, 'bin/run.sh')).mode & 0o111).not.toBe(0);
    // the git server was really asked
    expect(server.requests.some((r) => r.url.startsWith('/acme/templates.git/info/refs'))).toBe(
      true,
    );
  });

  it("reads a repository's own address as its default branch, as Backstage does", async () => {
    for (const url of [`${server.base}/acme/templates`, `${server.base}/acme/templates.git`]) {
      const root = await readTree(url, opts());
      trees.push(root);
      expect(Object.keys(listFiles(root.dir))).toContain('template.yaml');
      expect(Object.keys(listFiles(root.dir))).toContain('skeleton/src/index.js');
    }
    const nested = await readTree(`${server.base}/group/sub/gl-templates`, opts());
    trees.push(nested);
    expect(Object.keys(listFiles(nested.dir))).toEqual(['svc/skeleton/a.txt']);
    await expect(readTree(`${server.base}/acme`, opts())).rejects.toThrow(
      /does not name a folder in a git repository/,
    );
  });

  it('reads the repository root without its .git folder, and GitLab-style URLs', async () => {
    const root = await readTree(`${server.base}/acme/templates/tree/main`, opts());
    trees.push(root);
    expect(Object.keys(listFiles(root.dir)).sort()).toEqual([
      'skeleton/README.md',
      'skeleton/bin/run.sh',
      'skeleton/docs/link-to-readme.md',
      'skeleton/logo.png',
      'skeleton/src/index.js',
      'template.yaml',
    ]);
    const gl = await readTree(
      `${server.base}/group/sub/gl-templates/-/tree/main/svc/skeleton`,
      opts(),
    );
    trees.push(gl);
    expect(listFiles(gl.dir)).toEqual({ 'a.txt': 'gitlab a\n' });
  });

  it('reads one file of a repository (blob URL)', async () => {
    const file = await readUrlFile(
      `${server.base}/acme/templates/blob/main/skeleton/bin/run.sh`,
      opts(),
    );
    expect(file).toEqual({ content: Buffer.from('#!/bin/sh\necho hi\n'), executable: true });
  });

  it('refuses a repository symlink that points outside', async () => {
    await expect(readTree(`${server.base}/acme/evil/tree/main/skeleton`, opts())).rejects.toThrow(
      /Symbolic link leak in .*acme\/evil\/tree\/main\/skeleton points to \/etc\/passwd/,
    );
  });

  it('sends the integration token as an auth header, only to its host', async () => {
    const before = server.requests.length;
    const tree = await readTree(`${server.base}/acme/templates/tree/main/skeleton/src`, {
      allow: [],
      integrations: { github: [{ host: server.host, token: 'tok-123' }] },
      tmpDir: tempDir(),
    });
    trees.push(tree);
    const expected = `Basic ${Buffer.from('x-access-token:tok-123').toString('base64')}`;
    const seen = server.requests.slice(before);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((r) => r.headers.authorization === expected)).toBe(true);
  });

  it('gives clear errors naming the URL', async () => {
    const missingPath = `${server.base}/acme/templates/tree/main/nope`;
    await expect(readTree(missingPath, opts())).rejects.toThrow(
      `Could not read ${missingPath}: 'nope' does not exist at 'main' in ${server.base}/acme/templates`,
    );
    const missingRef = `${server.base}/acme/templates/tree/no-such-branch/skeleton`;
    await expect(readTree(missingRef, opts())).rejects.toThrow(
      `Could not read ${missingRef}: branch, tag or commit 'no-such-branch' not found`,
    );
    const missingRepo = `${server.base}/acme/nothing/tree/main/skeleton`;
    await expect(readTree(missingRepo, opts())).rejects.toThrow(
      `Could not read ${missingRepo}: repository ${server.base}/acme/nothing.git not found`,
    );
    const disallowed = `${server.base}/acme/templates/tree/main/skeleton`;
    await expect(readTree(disallowed, { allow: [{ host: 'other.example' }] })).rejects.toThrow(
      `Reading ${disallowed} is not allowed: add ${server.host} to backend.reading.allow`,
    );
    const unreachable = 'http://127.0.0.1:9/acme/templates/tree/main/skeleton';
    await expect(readTree(unreachable, { allow: [{ host: '127.0.0.1:9' }] })).rejects.toThrow(
      `Could not reach 127.0.0.1:9 to read ${unreachable}`,
    );
    // Any address with a path may be a repository's own (GitLab nests groups): it is tried as one.
    await expect(readTree(`${server.base}/just/a/page`, opts())).rejects.toThrow(
      `Could not read ${server.base}/just/a/page: repository ${server.base}/just/a/page.git not found`,
    );
    await expect(readTree(`${server.base}/page?x=1`, opts())).rejects.toThrow(
      /does not name a folder in a git repository/,
    );
  });

  it('stops when the task is cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      readTree(`${server.base}/acme/templates/tree/main/skeleton`, {
        ...opts(),
        signal: controller.signal,
      }),
    ).rejects.toThrow(/cancelled or timed out/);
  });
});

describe('readUrlFile over plain HTTP', () => {
  it('fetches an allowed URL and reports 404 and disallowed hosts', async () => {
    const files = await serveFiles({ '/files/a.txt': 'hello' });
    try {
      const allow = [{ host: files.host }];
      expect((await readUrlFile(`${files.base}/files/a.txt`, { allow })).content.toString()).toBe(
        'hello',
      );
      await expect(readUrlFile(`${files.base}/files/b.txt`, { allow })).rejects.toThrow(
        `Reading ${files.base}/files/b.txt failed with HTTP 404`,
      );
      await expect(readUrlFile(`${files.base}/files/a.txt`, { allow: [] })).rejects.toThrow(
        /is not allowed/,
      );
    } finally {
      await files.close();
    }
  });
});
