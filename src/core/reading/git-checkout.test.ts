import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gitHeadCommit } from './git-checkout.ts';

const root = mkdtempSync(join(tmpdir(), 'atrium-head-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'T',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 'T',
      GIT_COMMITTER_EMAIL: 't@example.com',
      GIT_CONFIG_NOSYSTEM: '1',
    },
  })
    .toString()
    .trim();
}

describe('gitHeadCommit', () => {
  it('names the checked-out commit of a folder in a work tree, unless its files changed', async () => {
    const repo = join(root, 'repo');
    mkdirSync(join(repo, 'docs'), { recursive: true });
    mkdirSync(join(repo, 'other'), { recursive: true });
    writeFileSync(join(repo, 'docs/index.md'), '# Docs\n');
    writeFileSync(join(repo, 'other/notes.md'), 'x\n');
    git(repo, 'init', '--quiet', '--initial-branch=main');
    git(repo, 'add', '.');
    git(repo, 'commit', '--quiet', '-m', 'first');
    const head = git(repo, 'rev-parse', 'HEAD');
    const docs = join(repo, 'docs');
    expect(await gitHeadCommit(docs, { clean: true })).toBe(head);
    // A change elsewhere in the repository does not concern these docs.
    writeFileSync(join(repo, 'other/notes.md'), 'changed\n');
    expect(await gitHeadCommit(docs, { clean: true })).toBe(head);
    // A changed or new file in the folder does: the commit would not describe it.
    writeFileSync(join(docs, 'new.md'), '# New\n');
    expect(await gitHeadCommit(docs, { clean: true })).toBeUndefined();
    expect(await gitHeadCommit(docs)).toBe(head);
  });

  it('is undefined outside a work tree and for a repository without commits', async () => {
    const plain = join(root, 'plain');
    mkdirSync(plain);
    expect(await gitHeadCommit(plain)).toBeUndefined();
    expect(await gitHeadCommit(join(root, 'missing'))).toBeUndefined();
    const empty = join(root, 'empty');
    mkdirSync(empty);
    git(empty, 'init', '--quiet');
    expect(await gitHeadCommit(empty)).toBeUndefined();
  });
});
