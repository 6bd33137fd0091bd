import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

/*
 * Bare git repositories written without spawning git: loose objects (blob, tree, commit) and
 * refs in git's own format, so that thousands of repositories can be created in seconds for a
 * benchmark and every git command (fsck, show, http-backend, clone) still reads them. A
 * snapshot cache keyed by commit id (content-addressed, so never stale) lets a stand-in answer
 * tree and file queries without a process per request; commits it did not write itself (a
 * push through git http-backend) are read with git.
 */

/** One entry of a commit's tree, as `git ls-tree -r -t -l` lists it. */
export interface TreeEntry {
  path: string;
  type: 'blob' | 'tree';
  mode: string;
  sha: string;
  /** Bytes, for blobs. */
  size?: number;
}

export interface CommitSnapshot {
  sha: string;
  treeSha: string;
  /** Every blob and sub-tree by path, sorted by path. */
  entries: TreeEntry[];
}

const snapshots = new Map<string, CommitSnapshot>();
const blobs = new Map<string, Buffer>();

function writeObject(gitDir: string, type: string, body: Buffer): string {
  const data = Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body]);
  const sha = createHash('sha1').update(data).digest('hex');
  const dir = join(gitDir, 'objects', sha.slice(0, 2));
  const file = join(dir, sha.slice(2));
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, deflateSync(data, { level: 1 }));
  }
  return sha;
}

/** `git init --bare` by hand. */
export function initBare(gitDir: string, defaultBranch: string): void {
  mkdirSync(join(gitDir, 'objects', 'info'), { recursive: true });
  mkdirSync(join(gitDir, 'objects', 'pack'), { recursive: true });
  mkdirSync(join(gitDir, 'refs', 'heads'), { recursive: true });
  mkdirSync(join(gitDir, 'refs', 'tags'), { recursive: true });
  writeFileSync(join(gitDir, 'HEAD'), `ref: refs/heads/${defaultBranch}\n`);
  writeFileSync(
    join(gitDir, 'config'),
    '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n',
  );
}

/** Git's tree order: names compared bytewise, a sub-tree as if its name ended in `/`. */
function treeOrder(a: { name: string; dir: boolean }, b: { name: string; dir: boolean }): number {
  const ka = Buffer.from(a.dir ? `${a.name}/` : a.name);
  const kb = Buffer.from(b.dir ? `${b.name}/` : b.name);
  return Buffer.compare(ka, kb);
}

/** Writes the trees of `files` (path → blob sha); returns the root tree and every entry. */
function writeTrees(
  gitDir: string,
  files: Map<string, { sha: string; size: number }>,
): { treeSha: string; entries: TreeEntry[] } {
  interface Dir {
    files: Map<string, { sha: string; size: number }>;
    dirs: Map<string, Dir>;
  }
  const root: Dir = { files: new Map(), dirs: new Map() };
  for (const [path, blob] of files) {
    const parts = path.split('/');
    let dir = root;
    for (const part of parts.slice(0, -1)) {
      let next = dir.dirs.get(part);
      if (!next) {
        next = { files: new Map(), dirs: new Map() };
        dir.dirs.set(part, next);
      }
      dir = next;
    }
    dir.files.set(parts.at(-1)!, blob);
  }
  const entries: TreeEntry[] = [];
  const write = (dir: Dir, prefix: string): string => {
    const items: { name: string; dir: boolean; mode: string; sha: string }[] = [];
    for (const [name, sub] of dir.dirs) {
      const path = `${prefix}${name}`;
      const sha = write(sub, `${path}/`);
      entries.push({ path, type: 'tree', mode: '040000', sha });
      items.push({ name, dir: true, mode: '40000', sha });
    }
    for (const [name, blob] of dir.files) {
      entries.push({
        path: `${prefix}${name}`,
        type: 'blob',
        mode: '100644',
        sha: blob.sha,
        size: blob.size,
      });
      items.push({ name, dir: false, mode: '100644', sha: blob.sha });
    }
    items.sort(treeOrder);
    const body = Buffer.concat(
      items.map((item) =>
        Buffer.concat([Buffer.from(`${item.mode} ${item.name}\0`), Buffer.from(item.sha, 'hex')]),
      ),
    );
    return writeObject(gitDir, 'tree', body);
  };
  const treeSha = write(root, '');
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { treeSha, entries };
}

let clock = 1_700_000_000;

/**
 * Commits `changes` (path → text, or null to delete) on `branch` of the bare repository
 * `gitDir`, on top of its current head (or of `from`, a commit id, when the branch is new),
 * and moves the branch. Returns the new commit and what changed.
 */
export function commitFiles(
  gitDir: string,
  branch: string,
  changes: Record<string, string | Buffer | null>,
  options: { message?: string; from?: string } = {},
): { sha: string; before?: string; added: string[]; modified: string[]; removed: string[] } {
  const before = resolveRef(gitDir, branch) ?? options.from;
  const files = new Map<string, { sha: string; size: number }>();
  if (before) {
    for (const entry of snapshot(gitDir, before).entries) {
      if (entry.type === 'blob') files.set(entry.path, { sha: entry.sha, size: entry.size ?? 0 });
    }
  }
  const added: string[] = [];
  const modified: string[] = [];
  const removed: string[] = [];
  for (const [rawPath, content] of Object.entries(changes)) {
    const path = rawPath.replace(/^\/+/, '');
    if (content === null) {
      if (files.delete(path)) removed.push(path);
      continue;
    }
    const body = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const sha = writeObject(gitDir, 'blob', body);
    blobs.set(sha, body);
    const old = files.get(path);
    if (!old) added.push(path);
    else if (old.sha !== sha) modified.push(path);
    files.set(path, { sha, size: body.length });
  }
  const { treeSha, entries } = writeTrees(gitDir, files);
  clock += 1;
  const who = `Stand-in <standin@example.com> ${clock} +0000`;
  const commit = [
    `tree ${treeSha}`,
    ...(before ? [`parent ${before}`] : []),
    `author ${who}`,
    `committer ${who}`,
    '',
    options.message ?? 'Update files',
    '',
  ].join('\n');
  const sha = writeObject(gitDir, 'commit', Buffer.from(commit));
  snapshots.set(sha, { sha, treeSha, entries });
  const ref = join(gitDir, 'refs', 'heads', ...branch.split('/'));
  mkdirSync(join(ref, '..'), { recursive: true });
  writeFileSync(ref, `${sha}\n`);
  return { sha, before, added, modified, removed };
}

/** The commit `ref` (a branch name, `HEAD`, or a full commit id) points to; undefined if none. */
export function resolveRef(gitDir: string, ref: string): string | undefined {
  if (/^[0-9a-f]{40}$/.test(ref)) return ref;
  let name = ref;
  if (ref === 'HEAD') {
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head;
    name = head.slice('ref: '.length);
  } else if (!ref.startsWith('refs/')) {
    name = `refs/heads/${ref}`;
  }
  try {
    return readFileSync(join(gitDir, ...name.split('/')), 'utf8').trim();
  } catch {
    // A push through git http-backend may have packed its refs.
  }
  try {
    for (const line of readFileSync(join(gitDir, 'packed-refs'), 'utf8').split('\n')) {
      const [sha, refName] = line.split(' ');
      if (refName === name && sha) return sha;
    }
  } catch {
    // No packed refs either: the ref does not exist.
  }
  return undefined;
}

/** Every entry of `commit`'s tree (cached by commit id; read with git if it is new here). */
export function snapshot(gitDir: string, commit: string): CommitSnapshot {
  const known = snapshots.get(commit);
  if (known) return known;
  const git = (...args: string[]) =>
    execFileSync('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8' });
  const treeSha = git('rev-parse', `${commit}^{tree}`).trim();
  const entries: TreeEntry[] = [];
  for (const line of git('ls-tree', '-r', '-t', '-l', '-z', commit).split('\0')) {
    if (!line) continue;
    const tab = line.indexOf('\t');
    const [mode, type, sha, size] = line.slice(0, tab).split(/\s+/);
    if (type !== 'blob' && type !== 'tree') continue;
    entries.push({
      path: line.slice(tab + 1),
      type,
      mode: mode!,
      sha: sha!,
      ...(type === 'blob' ? { size: Number(size) } : {}),
    });
  }
  const snap = { sha: commit, treeSha, entries };
  snapshots.set(commit, snap);
  return snap;
}

/** A blob's bytes (cached by blob id). */
export function readBlob(gitDir: string, sha: string): Buffer {
  const known = blobs.get(sha);
  if (known) return known;
  const body = execFileSync('git', ['--git-dir', gitDir, 'cat-file', 'blob', sha]);
  blobs.set(sha, body);
  return body;
}
