import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type RecordedRequest, serveDirectory } from '../../../test/helpers/serve-files.ts';

/** A file in a fixture repository: text, bytes, an executable, or a symbolic link. */
export type FixtureFile =
  | string
  | Buffer
  | { content: string | Buffer; executable: true }
  | { symlink: string };

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Fixture',
  GIT_AUTHOR_EMAIL: 'fixture@example.com',
  GIT_COMMITTER_NAME: 'Fixture',
  GIT_COMMITTER_EMAIL: 'fixture@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

/** Writes `files` under `dir`. */
export function writeFixture(dir: string, files: Record<string, FixtureFile>): void {
  for (const [path, file] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    if (typeof file === 'string' || Buffer.isBuffer(file)) {
      writeFileSync(full, file);
    } else if ('symlink' in file) {
      symlinkSync(file.symlink, full);
    } else {
      writeFileSync(full, file.content, { mode: 0o755 });
    }
  }
}

/**
 * Real git repositories served over git's "dumb HTTP" protocol (plain static files): each
 * `owner/repo` becomes a bare `owner/repo.git` with `git update-server-info` run in it, so
 * `http://127.0.0.1:<port>/owner/repo/tree/main/<path>` can be read with the git CLI.
 */
export async function serveGitRepos(
  repos: Record<string, Record<string, FixtureFile>>,
  branch = 'main',
): Promise<{
  base: string;
  host: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}> {
  const root = mkdtempSync(join(tmpdir(), 'atrium-git-http-'));
  for (const [name, files] of Object.entries(repos)) {
    const work = join(root, '_work', name);
    mkdirSync(work, { recursive: true });
    const git = (cwd: string, ...args: string[]) =>
      execFileSync('git', args, { cwd, env: GIT_ENV, stdio: 'pipe' });
    git(work, 'init', '--quiet', '--initial-branch', branch);
    writeFixture(work, files);
    git(work, 'add', '--all');
    git(work, 'commit', '--quiet', '-m', 'fixture');
    const bare = join(root, `${name}.git`);
    mkdirSync(dirname(bare), { recursive: true });
    git(root, 'clone', '--quiet', '--bare', work, bare);
    git(bare, 'update-server-info');
  }
  rmSync(join(root, '_work'), { recursive: true, force: true });
  const server = await serveDirectory(root);
  return {
    ...server,
    close: async () => {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
