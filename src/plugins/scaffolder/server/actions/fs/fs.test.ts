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
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestContext, runAction, type TestActionContext } from '../testkit.ts';
import { fsActions } from './index.ts';
import { fsAppendAction } from './append.ts';
import { fsDeleteAction } from './delete.ts';
import { fsReadAction } from './read.ts';
import { fsReaddirAction } from './readdir.ts';
import { fsRenameAction } from './rename.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function write(root: string, files: Record<string, string>) {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

/** A workspace inside a parent folder, with a sibling "outside" folder holding a secret. */
function setup(
  files: Record<string, string>,
  input: Record<string, unknown>,
): TestActionContext & {
  outside: string;
} {
  const parent = mkdtempSync(join(tmpdir(), 'atrium-fs-'));
  const workspace = join(parent, 'workspace');
  const outside = join(parent, 'outside');
  mkdirSync(workspace);
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  write(workspace, files);
  const test = makeTestContext(input as never, { workspace });
  cleanups.push(() => {
    test.cleanup();
    rmSync(parent, { recursive: true, force: true });
  });
  return Object.assign(test, { outside });
}

describe('fsActions', () => {
  it('exports fs:delete, fs:rename, fs:readdir, fs:read and fs:append, all dry-run capable', () => {
    const ids = fsActions.map((a) => (typeof a === 'function' ? 'factory' : a.id));
    expect(ids).toEqual(['fs:delete', 'fs:rename', 'fs:readdir', 'fs:read', 'fs:append']);
    for (const a of fsActions) if (typeof a !== 'function') expect(a.supportsDryRun).toBe(true);
  });
});

describe('fs:delete', () => {
  it('deletes files and folders matched by globs, dotfiles included, and nothing else', async () => {
    const t = setup(
      {
        'keep.txt': 'k',
        'a.tmp': '1',
        'deep/b.tmp': '2',
        '.hidden/c.tmp': '3',
        '.env': 'x',
        'docs/readme.md': 'r',
        'docs/old/x.md': 'o',
      },
      { files: ['**/*.tmp', '.env', 'docs/old'] },
    );
    await runAction(fsDeleteAction, t);
    expect(existsSync(join(t.workspace, 'a.tmp'))).toBe(false);
    expect(existsSync(join(t.workspace, 'deep/b.tmp'))).toBe(false);
    expect(existsSync(join(t.workspace, '.hidden/c.tmp'))).toBe(false);
    expect(existsSync(join(t.workspace, '.env'))).toBe(false);
    expect(existsSync(join(t.workspace, 'docs/old'))).toBe(false);
    expect(readFileSync(join(t.workspace, 'keep.txt'), 'utf8')).toBe('k');
    expect(existsSync(join(t.workspace, 'docs/readme.md'))).toBe(true);
    expect(t.logText()).toContain('Deleted .env');
  });

  it('logs a pattern that matched nothing without failing', async () => {
    const t = setup({ 'a.txt': 'a' }, { files: ['nothing-*.txt'] });
    await runAction(fsDeleteAction, t);
    expect(t.logText()).toContain("files[0]: 'nothing-*.txt' matched nothing");
  });

  it.each([
    ['../*', 'leads outside the workspace'],
    ['../outside/secret.txt', 'leads outside the workspace'],
    ['/tmp/*', 'is an absolute path'],
    ['a/../../*', 'leads outside the workspace'],
  ])('refuses %s and deletes nothing', async (pattern, message) => {
    const t = setup({ 'a.txt': 'a' }, { files: ['a.txt', pattern] });
    await expect(runAction(fsDeleteAction, t)).rejects.toThrow(message);
    expect(existsSync(join(t.workspace, 'a.txt'))).toBe(true);
    expect(readFileSync(join(t.outside, 'secret.txt'), 'utf8')).toBe('secret');
  });

  it('matches only inside the workspace, whatever the glob syntax', async () => {
    const t = setup({ 'a.txt': 'a' }, { files: ['{..,.}/*', '+(..)/**'] });
    await runAction(fsDeleteAction, t);
    expect(readFileSync(join(t.outside, 'secret.txt'), 'utf8')).toBe('secret');
  });

  it('never deletes through a symlink that points outside; deleting the link itself is fine', async () => {
    const t = setup({ 'a.txt': 'a' }, { files: ['link/*'] });
    symlinkSync(t.outside, join(t.workspace, 'link'));
    await expect(runAction(fsDeleteAction, t)).rejects.toThrow(/through a symlink/);
    expect(readFileSync(join(t.outside, 'secret.txt'), 'utf8')).toBe('secret');

    const t2 = setup({}, { files: ['link/secret.txt'] });
    symlinkSync(t2.outside, join(t2.workspace, 'link'));
    await expect(runAction(fsDeleteAction, t2)).rejects.toThrow(/through a symlink/);
    expect(existsSync(join(t2.outside, 'secret.txt'))).toBe(true);

    // `**` does not descend into the link, and removing the link leaves its target alone.
    const t3 = setup({ 'b.txt': 'b' }, { files: ['**', 'link'] });
    symlinkSync(t3.outside, join(t3.workspace, 'link'));
    await runAction(fsDeleteAction, t3);
    expect(existsSync(join(t3.workspace, 'link'))).toBe(false);
    expect(existsSync(join(t3.workspace, 'b.txt'))).toBe(false);
    expect(readFileSync(join(t3.outside, 'secret.txt'), 'utf8')).toBe('secret');
  });

  it('rejects input without files (schema)', async () => {
    const t = setup({}, {});
    await expect(runAction(fsDeleteAction, t)).rejects.toThrow(
      /Invalid input passed to action fs:delete/,
    );
  });
});

describe('fs:rename', () => {
  it('renames files and folders, creating target folders', async () => {
    const t = setup(
      { 'a.txt': 'A', 'dir/x.txt': 'X' },
      {
        files: [
          { from: 'a.txt', to: 'nested/new/a-renamed.txt' },
          { from: 'dir', to: 'dir2' },
        ],
      },
    );
    await runAction(fsRenameAction, t);
    expect(readFileSync(join(t.workspace, 'nested/new/a-renamed.txt'), 'utf8')).toBe('A');
    expect(readFileSync(join(t.workspace, 'dir2/x.txt'), 'utf8')).toBe('X');
    expect(existsSync(join(t.workspace, 'a.txt'))).toBe(false);
    expect(existsSync(join(t.workspace, 'dir'))).toBe(false);
  });

  it('fails when the target exists, unless overwrite is set', async () => {
    const t = setup({ 'a.txt': 'A', 'b.txt': 'B' }, { files: [{ from: 'a.txt', to: 'b.txt' }] });
    await expect(runAction(fsRenameAction, t)).rejects.toThrow(
      "files[0].to: 'b.txt' already exists; set overwrite: true to replace it",
    );
    expect(readFileSync(join(t.workspace, 'b.txt'), 'utf8')).toBe('B');
    t.ctx.input = { files: [{ from: 'a.txt', to: 'b.txt', overwrite: true }] };
    await runAction(fsRenameAction, t);
    expect(readFileSync(join(t.workspace, 'b.txt'), 'utf8')).toBe('A');
    expect(existsSync(join(t.workspace, 'a.txt'))).toBe(false);
  });

  it('names the entry whose source is missing', async () => {
    const t = setup({}, { files: [{ from: 'missing.txt', to: 'x.txt' }] });
    await expect(runAction(fsRenameAction, t)).rejects.toThrow(
      "files[0].from: 'missing.txt' does not exist",
    );
  });

  it.each([
    [{ from: 'a.txt', to: '/tmp/x' }, "files[0].to: '/tmp/x' is an absolute path"],
    [{ from: 'a.txt', to: '../x' }, "files[0].to: '../x' leads outside the workspace"],
    [{ from: '../outside/secret.txt', to: 'stolen.txt' }, 'files[0].from'],
  ])('refuses %j', async (entry, message) => {
    const t = setup({ 'a.txt': 'a' }, { files: [entry] });
    await expect(runAction(fsRenameAction, t)).rejects.toThrow(message);
    expect(existsSync(join(t.workspace, 'a.txt'))).toBe(true);
    expect(readFileSync(join(t.outside, 'secret.txt'), 'utf8')).toBe('secret');
    expect(existsSync(join(dirname(t.workspace), 'x'))).toBe(false);
  });

  it('never moves anything through a symlink that points outside', async () => {
    const t = setup({ 'a.txt': 'a' }, { files: [{ from: 'link/secret.txt', to: 'stolen.txt' }] });
    symlinkSync(t.outside, join(t.workspace, 'link'));
    await expect(runAction(fsRenameAction, t)).rejects.toThrow(/through a symlink/);
    expect(readFileSync(join(t.outside, 'secret.txt'), 'utf8')).toBe('secret');
    expect(existsSync(join(t.workspace, 'stolen.txt'))).toBe(false);

    t.ctx.input = { files: [{ from: 'a.txt', to: 'link/planted.txt' }] };
    await expect(runAction(fsRenameAction, t)).rejects.toThrow(/through a symlink/);
    expect(existsSync(join(t.outside, 'planted.txt'))).toBe(false);

    // Overwriting a link replaces the link, not the file it points to.
    symlinkSync(join(t.outside, 'secret.txt'), join(t.workspace, 'secret-link'));
    t.ctx.input = { files: [{ from: 'a.txt', to: 'secret-link', overwrite: true }] };
    await runAction(fsRenameAction, t);
    expect(readFileSync(join(t.outside, 'secret.txt'), 'utf8')).toBe('secret');
    expect(readFileSync(join(t.workspace, 'secret-link'), 'utf8')).toBe('a');
  });

  it('refuses to move a folder into itself', async () => {
    const t = setup({ 'dir/x.txt': 'x' }, { files: [{ from: 'dir', to: 'dir/sub' }] });
    await expect(runAction(fsRenameAction, t)).rejects.toThrow(/into itself/);
  });
});

describe('fs:readdir', () => {
  it('lists files and folders of each path; recursive descends but never follows links', async () => {
    const t = setup(
      { 'a.txt': 'a', 'src/index.ts': 'i', 'src/lib/util.ts': 'u', '.github/ci.yaml': 'c' },
      { paths: ['.'] },
    );
    symlinkSync(t.outside, join(t.workspace, 'src/link'));
    await runAction(fsReaddirAction, t);
    const names = (key: string) =>
      (t.outputs[key] as Array<{ path: string }>).map((e) => e.path).sort();
    expect(names('files')).toEqual(['a.txt']);
    expect(names('folders')).toEqual(['.github', 'src']);

    t.ctx.input = { paths: ['src', '.github'], recursive: true };
    await runAction(fsReaddirAction, t);
    expect(names('files')).toEqual([
      '.github/ci.yaml',
      'src/index.ts',
      'src/lib/util.ts',
      'src/link',
    ]);
    expect(names('folders')).toEqual(['src/lib']);
    const util = (t.outputs.files as Array<Record<string, string>>).find(
      (e) => e.name === 'util.ts',
    );
    expect(util).toEqual({
      name: 'util.ts',
      path: 'src/lib/util.ts',
      fullPath: join(t.workspace, 'src/lib/util.ts'),
    });
    expect(JSON.stringify(t.outputs)).not.toContain('secret.txt');
  });

  it('refuses paths outside the workspace and names missing ones', async () => {
    const t = setup({ 'a.txt': 'a' }, { paths: ['../outside'] });
    await expect(runAction(fsReaddirAction, t)).rejects.toThrow(
      "paths[0]: '../outside' leads outside",
    );
    symlinkSync(t.outside, join(t.workspace, 'link'));
    t.ctx.input = { paths: ['link'] };
    await expect(runAction(fsReaddirAction, t)).rejects.toThrow(/through a symlink/);
    t.ctx.input = { paths: ['.', 'nope'] };
    await expect(runAction(fsReaddirAction, t)).rejects.toThrow(
      "paths[1]: 'nope' does not exist in the workspace",
    );
    t.ctx.input = { paths: ['a.txt'] };
    await expect(runAction(fsReaddirAction, t)).rejects.toThrow(
      "paths[0]: 'a.txt' is not a directory",
    );
  });
});

describe('fs:read', () => {
  it('outputs the content of a workspace file, as text or base64', async () => {
    const t = setup({ 'docs/index.md': '# Hello\n' }, { path: 'docs/index.md' });
    await runAction(fsReadAction, t);
    expect(t.outputs).toEqual({ content: '# Hello\n' });
    t.ctx.input = { path: './docs/index.md', encoding: 'base64' };
    await runAction(fsReadAction, t);
    expect(t.outputs.content).toBe(Buffer.from('# Hello\n').toString('base64'));
  });

  it('names the path that is missing, a folder, outside, or not given', async () => {
    const t = setup({ 'docs/index.md': 'x' }, { path: 'nope.md' });
    await expect(runAction(fsReadAction, t)).rejects.toThrow(
      "path: 'nope.md' does not exist in the workspace",
    );
    t.ctx.input = { path: 'docs' };
    await expect(runAction(fsReadAction, t)).rejects.toThrow("path: 'docs' is a directory");
    t.ctx.input = { path: '../outside/secret.txt' };
    await expect(runAction(fsReadAction, t)).rejects.toThrow(
      "path: '../outside/secret.txt' leads outside the workspace",
    );
    t.ctx.input = { path: '/etc/passwd' };
    await expect(runAction(fsReadAction, t)).rejects.toThrow(
      "path: '/etc/passwd' is an absolute path",
    );
    symlinkSync(join(t.outside, 'secret.txt'), join(t.workspace, 'link.txt'));
    t.ctx.input = { path: 'link.txt' };
    await expect(runAction(fsReadAction, t)).rejects.toThrow(/through a symlink/);
    t.ctx.input = { encoding: 'utf8' };
    await expect(runAction(fsReadAction, t)).rejects.toThrow(
      /Invalid input passed to action fs:read/,
    );
    expect(t.outputs).toEqual({});
  });
});

describe('fs:append', () => {
  it('appends to files in order, creating missing ones unless createIfMissing is false', async () => {
    const t = setup(
      { 'catalog-info.yaml': 'kind: Component\n' },
      {
        files: [
          { path: 'catalog-info.yaml', content: '---\nkind: API\n' },
          { path: 'docs/new.md', content: '# New\n' },
          { path: 'docs/new.md', content: 'more\n' },
        ],
      },
    );
    await runAction(fsAppendAction, t);
    expect(readFileSync(join(t.workspace, 'catalog-info.yaml'), 'utf8')).toBe(
      'kind: Component\n---\nkind: API\n',
    );
    expect(readFileSync(join(t.workspace, 'docs/new.md'), 'utf8')).toBe('# New\nmore\n');

    t.ctx.input = { files: [{ path: 'missing/x.txt', content: 'x', createIfMissing: false }] };
    await expect(runAction(fsAppendAction, t)).rejects.toThrow(
      "files[0].path: 'missing/x.txt' does not exist in the workspace (createIfMissing: false)",
    );
    expect(existsSync(join(t.workspace, 'missing'))).toBe(false);
  });

  it.each([
    ['../outside/secret.txt', 'leads outside the workspace'],
    ['/tmp/x.txt', 'is an absolute path'],
    ['link/secret.txt', 'leads outside the workspace through a symlink'],
  ])('refuses %s, naming the entry, and changes nothing outside', async (path, message) => {
    const t = setup(
      { 'a.txt': 'a' },
      {
        files: [
          { path: 'a.txt', content: 'b' },
          { path, content: 'pwned' },
        ],
      },
    );
    symlinkSync(t.outside, join(t.workspace, 'link'));
    await expect(runAction(fsAppendAction, t)).rejects.toThrow(
      `files[1].path: '${path}' ${message}`,
    );
    expect(readFileSync(join(t.outside, 'secret.txt'), 'utf8')).toBe('secret');
  });

  it('never appends through a symlink at the target, and rejects an empty list (schema)', async () => {
    const t = setup({ 'a.txt': 'a' }, { files: [{ path: 'alias.txt', content: 'x' }] });
    symlinkSync('a.txt', join(t.workspace, 'alias.txt'));
    await expect(runAction(fsAppendAction, t)).rejects.toThrow(
      "files[0].path: 'alias.txt' is a symbolic link; refusing to write through it",
    );
    expect(readFileSync(join(t.workspace, 'a.txt'), 'utf8')).toBe('a');
    t.ctx.input = { files: [] };
    await expect(runAction(fsAppendAction, t)).rejects.toThrow(
      /Invalid input passed to action fs:append/,
    );
  });
});
