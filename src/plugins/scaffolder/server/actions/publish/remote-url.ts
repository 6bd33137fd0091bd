import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../../../../core/errors.ts';
import {
  assertAllowedUrl,
  type GitProtocol,
  type ReadingPolicy,
} from '../../../../../core/reading/allow-list.ts';

export type GitRemote =
  | { kind: 'http'; url: string; origin: string }
  | { kind: 'ssh'; url: string }
  | { kind: 'local'; url: string; path: string };

/**
 * Classifies a git remote as publish actions accept it: http(s), ssh (`ssh://` or scp-like
 * `git@host:path`), or a local repository (`file://` URL, absolute path, or a plain relative
 * path placed under `localRoot`). Anything else (`..`, `ext::` command transports,
 * option-like strings) is refused.
 */
export function parseGitRemote(
  remoteUrl: string,
  field = 'remoteUrl',
  /** Where a relative path (`team/app.git`) goes; relative paths are refused without it. */
  localRoot?: string,
): GitRemote {
  const value = remoteUrl.trim();
  if (/^https?:\/\//i.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new InputError(`${field}: '${remoteUrl}' is not a valid URL`);
    }
    if (url.password) {
      throw new InputError(
        `${field}: the URL must not contain a password; pass the token in the token input or in integrations config`,
      );
    }
    return { kind: 'http', url: value, origin: url.origin };
  }
  if (/^(ssh|git\+ssh):\/\/[^/]/i.test(value) || /^[\w.~-]+@[\w.-]+:./.test(value)) {
    return { kind: 'ssh', url: value };
  }
  if (/^file:\/\//i.test(value)) {
    let path: string;
    try {
      path = fileURLToPath(value);
    } catch (error) {
      throw new InputError(
        `${field}: '${remoteUrl}' is not a valid file URL: ${(error as Error).message}`,
      );
    }
    return { kind: 'local', url: value, path };
  }
  if (isAbsolute(value)) return { kind: 'local', url: value, path: resolve(value) };
  if (localRoot && /^[\w][\w.-]*(\/[\w][\w.-]*)*$/.test(value)) {
    const path = resolve(localRoot, value);
    return { kind: 'local', url: path, path };
  }
  throw new InputError(
    `${field}: '${remoteUrl}' is not a supported git remote; use https://…, ssh://…, git@host:path, file://…, an absolute path of a bare repository, or a path relative to scaffolder.localRepositoryRoots`,
  );
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** The real path of the nearest existing ancestor of `path`, joined with the rest. */
function realPathOfNearest(path: string): string {
  const rest: string[] = [];
  let current = path;
  for (;;) {
    try {
      return resolve(realpathSync(current), ...rest);
    } catch {
      const parent = dirname(current);
      if (parent === current) return path;
      rest.unshift(basename(current));
      current = parent;
    }
  }
}

/**
 * A local remote must be inside one of `scaffolder.localRepositoryRoots`: template users choose
 * the path, and the server must not create or push repositories anywhere it can write.
 */
export function checkLocalRemoteRoot(path: string, roots: string[], field = 'remoteUrl'): void {
  const real = realPathOfNearest(path);
  if (roots.some((root) => isInside(realPathOfNearest(root), real))) return;
  throw new InputError(
    roots.length
      ? `${field}: ${path} is outside the folders where local repositories may be published (scaffolder.localRepositoryRoots: ${roots.join(', ')})`
      : `${field}: local repositories are disabled (scaffolder.localRepositoryRoots is empty)`,
  );
}

/** The host of an ssh remote (`ssh://user@host:port/path` or scp-like `user@host:path`) as a URL. */
function sshUrl(value: string): URL {
  const scp = /^[\w.~-]+@([\w.-]+):/.exec(value);
  if (scp && !/^(ssh|git\+ssh):\/\//i.test(value)) return new URL(`ssh://${scp[1]}/`);
  return new URL(value.replace(/^git\+ssh:/i, 'ssh:'));
}

/**
 * A network remote (http(s) or ssh) must pass the same allow list as URL reading
 * (core/reading/allow-list.ts): `backend.reading.allow` or a configured integration host. It is
 * checked before git runs, and git then follows no redirect. Local remotes are governed by
 * `scaffolder.localRepositoryRoots` instead (checkLocalRemoteRoot).
 */
export function checkRemoteAllowed(remote: GitRemote, policy: ReadingPolicy): void {
  if (remote.kind === 'local') return;
  const url = remote.kind === 'http' ? new URL(remote.url) : sshUrl(remote.url);
  assertAllowedUrl(url, policy, remote.url, 'Publishing to');
}

/** The one transport git may use for `remote`. */
export function remoteProtocols(remote: GitRemote): GitProtocol[] {
  if (remote.kind === 'local') return ['file'];
  if (remote.kind === 'ssh') return ['ssh'];
  return [new URL(remote.url).protocol === 'http:' ? 'http' : 'https'];
}
