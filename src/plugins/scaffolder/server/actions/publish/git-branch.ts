import { posix } from 'node:path';
import { ConflictError, InputError } from '../../../../../core/errors.ts';
import type { ReadingPolicy } from '../../../../../core/reading/allow-list.ts';
import type { TaskLogger } from '../types.ts';
import { GitCommandError, runGit } from './git-command.ts';
import { authEnvironment, type PushAuth, secretsOf } from './git-push.ts';
import { checkRemoteAllowed, type GitRemote, remoteProtocols } from './remote-url.ts';

/**
 * What a commit does with each file of the source folder, as GitLab's commit actions name it:
 * `create` refuses files the branch has, `update` files it lacks, `delete` removes them,
 * `auto` (and `overlay`, GitHub's pull requests) writes each file over what is there, `skip`
 * changes nothing. Files of the branch that the source lacks are always kept.
 */
export type FileAction = 'create' | 'update' | 'delete' | 'auto' | 'skip';

export interface StagedTree {
  tree: string;
  /** Whether the tree differs from the base commit's (or, without a base, has any file). */
  changed: boolean;
  /** Repository paths the commit writes or deletes. */
  paths: string[];
}

/**
 * `targetPath` as a folder inside the repository (posix, no leading or trailing slash), or ''
 * for its root. Absolute paths and `..` that climbs out of the repository are refused.
 */
export function repositoryFolder(targetPath: string | undefined, field = 'targetPath'): string {
  if (!targetPath) return '';
  const path = targetPath.replace(/\\/g, '/');
  if (path.startsWith('/')) {
    throw new InputError(`${field}: '${targetPath}' must be a path inside the repository`);
  }
  const normal = posix.normalize(path).replace(/\/+$/, '');
  if (normal === '..' || normal.startsWith('../')) {
    throw new InputError(`${field}: '${targetPath}' leads outside the repository`);
  }
  return normal === '.' ? '' : normal;
}

/**
 * A repository in a scratch folder, outside the workspace, that builds one commit from the
 * files of a workspace folder on top of a fetched branch, and pushes it: the one way the
 * pull-request, merge-request and push-to-branch actions write to an existing repository.
 * Nothing is checked out: git reads the source folder as its work tree (honouring its
 * `.gitignore`, storing symlinks as links, never following them) and the commit is assembled
 * in an index file, so no file is written anywhere but the scratch folder.
 */
export class ScratchRepository {
  private constructor(
    private readonly options: {
      gitDir: string;
      policy: ReadingPolicy;
      auth?: PushAuth;
      signal: AbortSignal;
      logger: TaskLogger;
    },
  ) {}

  static async create(options: {
    gitDir: string;
    policy: ReadingPolicy;
    auth?: PushAuth;
    signal: AbortSignal;
    logger: TaskLogger;
  }): Promise<ScratchRepository> {
    // `--template=` leaves hooks and other template files out.
    await runGit(['init', '--quiet', '--bare', '--template=', options.gitDir], {
      signal: options.signal,
    });
    return new ScratchRepository(options);
  }

  private git(args: string[], extra: { env?: Record<string, string>; input?: string } = {}) {
    return runGit(['--git-dir', this.options.gitDir, ...args], {
      signal: this.options.signal,
      env: extra.env,
      input: extra.input,
    });
  }

  private network(remote: GitRemote) {
    checkRemoteAllowed(remote, this.options.policy);
    return {
      env: authEnvironment(remote, this.options.auth),
      secrets: secretsOf(this.options.auth),
      protocols: remoteProtocols(remote),
      signal: this.options.signal,
    };
  }

  /** The commit `branch` points at on `remote`, or undefined when it has no such branch. */
  async remoteHead(remote: GitRemote, branch: string): Promise<string | undefined> {
    let out: string;
    try {
      out = await runGit(
        [
          '--git-dir',
          this.options.gitDir,
          'ls-remote',
          '--heads',
          remote.url,
          `refs/heads/${branch}`,
        ],
        this.network(remote),
      );
    } catch (error) {
      throw wrap(error, `Could not read the remote ${remote.url}`);
    }
    const line = out.split('\n').find((l) => l.endsWith(`\trefs/heads/${branch}`));
    return line?.split('\t')[0];
  }

  /** Fetches `branch` of `remote` (with its history when `full`) and returns its commit. */
  async fetch(remote: GitRemote, branch: string, full = false): Promise<string> {
    try {
      await runGit(
        [
          '--git-dir',
          this.options.gitDir,
          'fetch',
          '--quiet',
          '--no-tags',
          ...(full ? [] : ['--depth=1']),
          remote.url,
          `+refs/heads/${branch}:refs/atrium/base`,
        ],
        this.network(remote),
      );
    } catch (error) {
      if (error instanceof GitCommandError && /couldn't find remote ref/i.test(error.output)) {
        throw new InputError(`The branch '${branch}' does not exist in ${remote.url}`);
      }
      throw wrap(error, `Could not fetch ${branch} from ${remote.url}`);
    }
    return (await this.git(['rev-parse', 'refs/atrium/base'])).trim();
  }

  /**
   * The tree of `base` (none: an empty repository) with the files of `sourceDir` applied under
   * `folder` as `action` says. Fails, naming the file, where `create` meets an existing file or
   * `update`/`delete` a missing one.
   */
  async stage(options: {
    base?: string;
    sourceDir: string;
    folder: string;
    action: FileAction;
  }): Promise<StagedTree> {
    const { gitDir } = this.options;
    const sourceIndex = { GIT_INDEX_FILE: `${gitDir}/atrium-source-index` };
    const targetIndex = { GIT_INDEX_FILE: `${gitDir}/atrium-target-index` };
    // A user's global excludes file must not decide what a template publishes.
    const tree = ['-c', 'core.excludesFile=/dev/null', '--work-tree', options.sourceDir];
    await runGit(['--git-dir', gitDir, ...tree, 'add', '--all'], {
      cwd: options.sourceDir,
      env: sourceIndex,
      signal: this.options.signal,
    });
    const source = (await this.git(['ls-files', '--stage', '-z'], { env: sourceIndex }))
      .split('\0')
      .filter(Boolean)
      .map((line) => {
        const tab = line.indexOf('\t');
        const [mode, sha] = line.slice(0, tab).split(' ');
        return { mode: mode!, sha: sha!, path: line.slice(tab + 1) };
      });
    if (options.base) await this.git(['read-tree', options.base], { env: targetIndex });
    else await this.git(['read-tree', '--empty'], { env: targetIndex });
    const existing = new Set(
      (await this.git(['ls-files', '-z'], { env: targetIndex })).split('\0').filter(Boolean),
    );
    const lines: string[] = [];
    const paths: string[] = [];
    if (options.action !== 'skip') {
      for (const file of source) {
        const path = options.folder ? `${options.folder}/${file.path}` : file.path;
        const exists = existing.has(path);
        if (options.action === 'create' && exists) {
          throw new ConflictError(
            `${path} exists already on the branch; commitAction 'create' only adds new files (use 'update' or 'auto')`,
          );
        }
        if ((options.action === 'update' || options.action === 'delete') && !exists) {
          throw new InputError(
            `${path} does not exist on the branch, so commitAction '${options.action}' cannot change it (use 'create' or 'auto')`,
          );
        }
        lines.push(
          options.action === 'delete'
            ? `0 ${'0'.repeat(40)}\t${path}`
            : `${file.mode} ${file.sha}\t${path}`,
        );
        paths.push(path);
      }
    }
    if (lines.length) {
      try {
        await this.git(['update-index', '--add', '--replace', '--index-info'], {
          env: targetIndex,
          input: `${lines.join('\n')}\n`,
        });
      } catch (error) {
        throw wrap(error, 'Could not stage the files');
      }
    }
    const written = (await this.git(['write-tree'], { env: targetIndex })).trim();
    const baseTree = options.base
      ? (await this.git(['rev-parse', `${options.base}^{tree}`])).trim()
      : undefined;
    return {
      tree: written,
      changed: baseTree ? written !== baseTree : existing.size > 0 || paths.length > 0,
      paths,
    };
  }

  /** A commit of `tree` on `parent` (none: a first commit). */
  async commit(options: {
    tree: string;
    parent?: string;
    message: string;
    author: { name: string; email: string };
  }): Promise<string> {
    const { name, email } = options.author;
    return (
      await this.git(
        ['commit-tree', options.tree, ...(options.parent ? ['-p', options.parent] : [])],
        {
          env: {
            GIT_AUTHOR_NAME: name,
            GIT_AUTHOR_EMAIL: email,
            GIT_COMMITTER_NAME: name,
            GIT_COMMITTER_EMAIL: email,
          },
          input: options.message,
        },
      )
    ).trim();
  }

  /**
   * Points `branch` of `remote` at `commit`. `expected` is what the branch must point at now
   * (undefined: it must not exist), checked by git atomically, so a branch someone else just
   * pushed is never overwritten by accident.
   */
  async push(
    remote: GitRemote,
    commit: string,
    branch: string,
    expected: string | undefined,
  ): Promise<void> {
    try {
      await runGit(
        [
          '--git-dir',
          this.options.gitDir,
          'push',
          '--quiet',
          `--force-with-lease=refs/heads/${branch}:${expected ?? ''}`,
          remote.url,
          `${commit}:refs/heads/${branch}`,
        ],
        this.network(remote),
      );
    } catch (error) {
      if (error instanceof GitCommandError && /stale info|rejected/i.test(error.output)) {
        throw new ConflictError(
          `Pushing ${branch} to ${remote.url} was refused: the branch changed while the step ran (${error.output})`,
        );
      }
      throw wrap(error, `Pushing ${branch} to ${remote.url} failed`);
    }
    this.options.logger.info(`Pushed ${commit.slice(0, 12)} to ${branch} of ${remote.url}`);
  }
}

function wrap(error: unknown, what: string): unknown {
  if (error instanceof GitCommandError && error.name !== 'AbortError') {
    return new GitCommandError(`${what}: ${error.message}`, error.output, error.exitCode);
  }
  return error;
}
