/**
 * Reading a folder ("tree") or a single file named by a URL: what `fetch:*` scaffolder actions
 * and TechDocs `url:` sources need.
 *
 * - `file:` URLs and absolute paths are copied from disk, confined to a root folder;
 * - `http(s)` URLs of a folder or file in a git repository
 *   (`https://host/owner/repo/tree/<ref>/<path>`, GitLab's `…/group/repo/-/tree/<ref>/<path>`,
 *   `blob` for files) are read with the git CLI: a shallow fetch of `<ref>` into a scratch
 *   folder, then the sub-path is copied out;
 * - any other `http(s)` URL can be read as a single file.
 *
 * Hosts must be listed in `backend.reading.allow` or be a configured integration.
 * Symbolic links in what is read are followed only when they stay inside it: a link that
 * points elsewhere (e.g. a skeleton's `config -> /etc`) is refused with an error naming it.
 */
import { readFile, rm, stat, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, posix, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InputError, NotFoundError } from '../errors.ts';
import {
  assertAllowedUrl,
  fetchAllowed,
  type ReadingPolicy,
  readCappedBody,
} from './allow-list.ts';
import { copyTree, isInside } from './copy-tree.ts';
import {
  type GitReadOptions,
  gitCheckout,
  gitHeadCommit,
  pathInCheckout,
  scratchDir,
  tokenFor,
} from './git-checkout.ts';
import { formatGitUrl, parseGitUrl, parseRepoRootUrl } from './git-url.ts';

export { formatGitUrl, parseGitUrl, type GitTreeLocation } from './git-url.ts';

export interface ReadTreeOptions extends GitReadOptions {
  /**
   * For `file:` targets: the folder the read must stay inside (the template's folder).
   * Default: the target itself.
   */
  root?: string;
}

export interface ReadTreeResult {
  /** A scratch folder holding a copy of the tree; remove it with `cleanup()`. */
  dir: string;
  cleanup(): Promise<void>;
  /** For git-hosted trees: the commit they were read at. */
  commit?: string;
}

export interface ReadFileResult {
  content: Buffer;
  /** Whether the source file had an executable bit (git mode 100755 or a local +x file). */
  executable: boolean;
}

/** A single file read over plain HTTP may be at most this large. */
export const MAX_URL_FILE_BYTES = 50 * 1024 * 1024;

/** The local path of a `file:` location: `file:///abs/x` (a URL) or `file:/abs/x` (a catalog location ref). */
export function filePathOf(target: string): string {
  if (target.startsWith('file://')) return fileURLToPath(target);
  if (target.startsWith('file:')) return target.slice('file:'.length);
  return target;
}

function isLocal(target: string): boolean {
  return target.startsWith('file:') || isAbsolute(target);
}

export interface ResolvedTarget {
  /** An absolute `http(s)` URL or a `file://` URL. */
  url: string;
  /** For local targets: the template's folder, which reads must stay inside. */
  root?: string;
}

/**
 * Resolves a template's `url` input against the template's own location
 * (`templateInfo.baseUrl`): `./skeleton` next to `file:/abs/dir/template.yaml` is
 * `/abs/dir/skeleton`; next to `https://host/o/r/blob/main/t/template.yaml` it is
 * `https://host/o/r/tree/main/t/skeleton`. A relative path that climbs out of the template's
 * folder (local) or repository (git) is refused, and so are absolute local paths in input.
 */
export function resolveTemplateUrl(
  target: string,
  baseUrl: string | undefined,
  kind: 'tree' | 'blob' = 'tree',
): ResolvedTarget {
  if (/^https?:\/\//i.test(target)) {
    const url = new URL(target);
    if (url.username || url.password) {
      throw new InputError(`${target}: URLs must not carry credentials; use the token input`);
    }
    return { url: url.href };
  }
  if (isLocal(target)) {
    throw new InputError(
      `${target}: absolute local paths are not allowed in templates; write a path relative to the template (e.g. ./skeleton) or an https URL`,
    );
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
    throw new InputError(`${target}: only relative paths and http(s) URLs can be read`);
  }
  if (!baseUrl) {
    throw new InputError(
      `${target} is relative, but the template has no location to resolve it against`,
    );
  }
  const base = baseUrl.replace(/^url:/, '');
  if (isLocal(base)) {
    const root = dirname(filePathOf(base));
    const path = resolve(root, target);
    if (!isInside(root, path)) {
      throw new InputError(`${target} leads outside the template's folder ${root}`);
    }
    return { url: pathToFileURL(path).href, root };
  }
  const git = parseGitUrl(base);
  if (git) {
    const joined = posix.normalize(posix.join(posix.dirname(git.path) || '.', target));
    if (joined === '..' || joined.startsWith('../') || posix.isAbsolute(joined)) {
      throw new InputError(`${target} leads outside the repository of the template (${base})`);
    }
    return { url: formatGitUrl(git, kind, joined === '.' ? '' : joined.replace(/\/$/, '')) };
  }
  const url = new URL(target, base);
  if (url.origin !== new URL(base).origin) {
    throw new InputError(`${target} leads away from the template's site (${base})`);
  }
  return { url: url.href };
}

/** Refuses hosts that are neither in backend.reading.allow nor a configured integration. */
function assertAllowed(target: string, url: URL, opts: ReadTreeOptions): void {
  assertAllowedUrl(url, policyOf(opts), target);
}

function policyOf(opts: ReadTreeOptions): ReadingPolicy {
  return { allow: opts.allow, integrations: opts.integrations };
}

/** Resolves a local target and checks it is inside `root` (lexically and after symlinks). */
async function localPath(target: string, opts: ReadTreeOptions): Promise<string> {
  const path = resolve(filePathOf(target));
  const root = resolve(opts.root ?? path);
  if (!isInside(root, path)) {
    throw new InputError(`${target} is outside the folder it may be read from (${root})`);
  }
  let real: string;
  try {
    real = await realpath(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotFoundError(`${target} does not exist`);
    }
    throw error;
  }
  const realRoot = await realpath(root).catch(() => root);
  if (!isInside(realRoot, real)) {
    throw new InputError(`${target} leads outside ${root} through a symbolic link`);
  }
  return real;
}

// ---------------------------------------------------------------------------------------------
// entry points

/** Reads the folder at `target` into a scratch folder. */
export async function readTree(target: string, opts: ReadTreeOptions): Promise<ReadTreeResult> {
  if (isLocal(target)) {
    const path = await localPath(target, opts);
    if (!(await stat(path)).isDirectory()) {
      throw new InputError(`${target} is a file, not a folder`);
    }
    const dir = await scratchDir(opts, 'atrium-tree-');
    try {
      await copyTree(path, dir, target, false);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new InputError(`${target} is not a URL or an absolute path`);
  }
  const location = parseGitUrl(target) ?? parseRepoRootUrl(target);
  if (!location) {
    throw new InputError(
      `${target} does not name a folder in a git repository; expected https://<host>/<owner>/<repo>/tree/<ref>/<path>, https://<host>/<group>/<repo>/-/tree/<ref>/<path>, or a repository's own address https://<host>/<owner>/<repo>`,
    );
  }
  assertAllowed(target, url, opts);
  const checkout = await gitCheckout(target, location, opts);
  try {
    const commit = await gitHeadCommit(checkout);
    const path = await pathInCheckout(target, checkout, location);
    if (!(await stat(path)).isDirectory()) {
      throw new InputError(`${target} is a file, not a folder`);
    }
    const dir = await scratchDir(opts, 'atrium-tree-');
    try {
      await copyTree(path, dir, target, location.path === '');
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    return { dir, commit, cleanup: () => rm(dir, { recursive: true, force: true }) };
  } finally {
    await rm(checkout, { recursive: true, force: true });
  }
}

/** Reads the single file at `target`: local, in a git repository, or any allowed http(s) URL. */
export async function readUrlFile(target: string, opts: ReadTreeOptions): Promise<ReadFileResult> {
  if (isLocal(target)) {
    const path = await localPath(target, opts);
    const info = await stat(path);
    if (!info.isFile()) throw new InputError(`${target} is not a file`);
    return { content: await readFile(path), executable: (info.mode & 0o111) !== 0 };
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new InputError(`${target} is not a URL or an absolute path`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(`${target}: only http(s) URLs and local paths can be read`);
  }
  assertAllowed(target, url, opts);
  const location = parseGitUrl(target);
  if (location) {
    const checkout = await gitCheckout(target, location, opts);
    try {
      const path = await pathInCheckout(target, checkout, location);
      const info = await stat(path);
      if (!info.isFile()) throw new InputError(`${target} is a folder, not a file`);
      return { content: await readFile(path), executable: (info.mode & 0o111) !== 0 };
    } finally {
      await rm(checkout, { recursive: true, force: true });
    }
  }
  return { content: await fetchFile(target, url, opts), executable: false };
}

async function fetchFile(target: string, start: URL, opts: ReadTreeOptions): Promise<Buffer> {
  const signal = AbortSignal.any([
    ...(opts.signal ? [opts.signal] : []),
    AbortSignal.timeout(opts.timeoutMs ?? 60_000),
  ]);
  // Redirects are followed by hand: every hop is checked, and the token stays with its host.
  const response = await fetchAllowed(
    start,
    { signal },
    {
      policy: policyOf(opts),
      target,
      headersFor(url) {
        // An explicit token belongs to the URL it was given for, not to where that redirects.
        const auth = tokenFor(url, url.host === start.host ? opts : { ...opts, token: undefined });
        return auth ? { authorization: `Bearer ${auth.token}` } : undefined;
      },
    },
  );
  if (!response.ok) {
    await response.body?.cancel();
    const message = `Reading ${target} failed with HTTP ${response.status}`;
    throw response.status === 404 ? new NotFoundError(message) : new Error(message);
  }
  return readCappedBody(
    response,
    MAX_URL_FILE_BYTES,
    () => new InputError(`${target} is larger than ${MAX_URL_FILE_BYTES / 1048576} MB`),
  );
}
