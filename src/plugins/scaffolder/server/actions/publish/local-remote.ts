import { chmod, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { InputError } from '../../../../../core/errors.ts';
import type { TaskLogger } from '../types.ts';
import { GitCommandError, runGit } from './git-command.ts';

/**
 * The folder inside a local bare repository that holds a checkout of the published branch:
 * the catalog reads files, and a bare repository has none. Git ignores unknown folders in a
 * bare repository, so it travels and is deleted with the repository.
 */
export const CONTENTS_FOLDER = 'atrium-contents';

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * Checks that `path` is a bare repository to publish into, creating one there when it does
 * not exist (or is an empty folder) and `createIfMissing` is set.
 */
export async function prepareLocalRepository(
  path: string,
  options: {
    createIfMissing: boolean;
    branch: string;
    workspacePath: string;
    signal: AbortSignal;
    logger: TaskLogger;
  },
): Promise<void> {
  if (isInside(realOrSelf(options.workspacePath), realOrSelf(path))) {
    throw new InputError(
      `remoteUrl: ${path} is inside the task workspace, which is deleted when the task ends`,
    );
  }
  const info = await stat(path).catch(() => undefined);
  const empty = info?.isDirectory() ? (await readdir(path)).length === 0 : false;
  if (!info || empty) {
    if (!options.createIfMissing) {
      throw new InputError(
        `remoteUrl: ${path} ${info ? 'is an empty folder' : 'does not exist'}; create a bare repository there (git init --bare) or set createIfMissing: true`,
      );
    }
    await mkdir(path, { recursive: true });
    await runGit(
      ['init', '--quiet', '--bare', '--template=', `--initial-branch=${options.branch}`, path],
      { signal: options.signal },
    );
    options.logger.info(`Created bare repository ${path}`);
    return;
  }
  let bare = '';
  try {
    bare = (
      await runGit(['--git-dir', path, 'rev-parse', '--is-bare-repository'], {
        signal: options.signal,
      })
    ).trim();
  } catch (error) {
    if (!(error instanceof GitCommandError) || error.name === 'AbortError') throw error;
  }
  if (bare !== 'true') {
    throw new InputError(`remoteUrl: ${path} is not a bare git repository`);
  }
}

// Runs in the bare repository after every push (hooks run there); updates the checkout the
// catalog reads. It embeds no path, so the repository can move.
const POST_RECEIVE_HOOK = `#!/bin/sh
# Installed by Atrium (publish:git): keeps ${CONTENTS_FOLDER}/, the checkout of the published
# branch that the Atrium catalog reads, up to date after each push. Delete this file to stop.
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_QUARANTINE_PATH
contents="$PWD/${CONTENTS_FOLDER}"
if [ -d "$contents/.git" ]; then
  branch=$(git -C "$contents" rev-parse --abbrev-ref HEAD) &&
    git -C "$contents" fetch --quiet origin "$branch" &&
    git -C "$contents" reset --quiet --hard FETCH_HEAD ||
    echo "atrium: could not update $contents" >&2
fi
exit 0
`;

/**
 * After a push to a local bare repository: points HEAD at the published branch when HEAD
 * names no branch yet, checks the branch out into {@link CONTENTS_FOLDER} and installs a
 * post-receive hook that keeps it current. Returns the `file:` URL of the checkout, which
 * `catalog:register` reads as a `file` location.
 */
export async function publishLocalContents(
  path: string,
  options: { branch: string; signal: AbortSignal; logger: TaskLogger },
): Promise<string> {
  const { branch, signal, logger } = options;
  const headResolves = await runGit(
    ['--git-dir', path, 'rev-parse', '--verify', '--quiet', 'HEAD'],
    {
      signal,
    },
  ).then(
    () => true,
    () => false,
  );
  if (!headResolves) {
    await runGit(['--git-dir', path, 'symbolic-ref', 'HEAD', `refs/heads/${branch}`], { signal });
  }
  const contents = join(path, CONTENTS_FOLDER);
  await rm(contents, { recursive: true, force: true });
  await runGit(
    [
      '-c',
      'core.hooksPath=/dev/null',
      'clone',
      '--quiet',
      '--template=',
      '--branch',
      branch,
      '--single-branch',
      path,
      contents,
    ],
    { signal },
  );
  const hook = join(path, 'hooks', 'post-receive');
  if (await stat(hook).catch(() => undefined)) {
    logger.warn(
      `${hook} exists already; ${contents} is not updated by later pushes (the catalog keeps reading this commit)`,
    );
  } else {
    await mkdir(join(path, 'hooks'), { recursive: true });
    await writeFile(hook, POST_RECEIVE_HOOK);
    await chmod(hook, 0o755);
  }
  logger.info(`Checked out ${branch} into ${contents} for the catalog to read`);
  return pathToFileURL(contents).href;
}
