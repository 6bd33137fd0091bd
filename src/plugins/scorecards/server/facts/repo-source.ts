import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, realpath } from 'node:fs/promises';
import { dirname, join, posix, resolve, sep } from 'node:path';
import { isInside } from '../../../../core/reading/copy-tree.ts';
import {
  filePathOf,
  formatGitUrl,
  parseGitUrl,
  type ReadTreeOptions,
  readTree,
} from '../../../../core/reading/tree.ts';
import {
  ANNOTATION_MANAGED_BY_LOCATION,
  ANNOTATION_SOURCE_LOCATION,
  type Entity,
} from '../../../../model/entity.ts';
import { parseLocationRef } from '../../../../model/ref.ts';
import { REPO_FACT_FOLDERS, repoFactsFromFiles } from '../../common/repo-facts.ts';

/** Sources longer than this are not scanned (they would not fit the cache table's key). */
const MAX_SOURCE_LENGTH = 1000;

/**
 * Where an entity's repository files are: the folder its `backstage.io/source-location`
 * names, else the folder of the catalog file that defines it (`managed-by-location`), as
 * the CLI looks beside each catalog file. `key` names it in the cache: `file:<abs folder>` or
 * `url:<git tree URL>`. Undefined when neither annotation names a local folder or a folder in
 * a git repository (a plain https file has no folder to list).
 */
export type RepoSource =
  | { key: string; type: 'file'; dir: string }
  | { key: string; type: 'git'; url: string };

export function repoSourceOf(entity: Entity): RepoSource | undefined {
  const annotations = entity.metadata.annotations ?? {};
  const source = annotations[ANNOTATION_SOURCE_LOCATION];
  const managed = annotations[ANNOTATION_MANAGED_BY_LOCATION];
  const found = (source && folderOf(source, true)) || (managed && folderOf(managed, false));
  return found && found.key.length <= MAX_SOURCE_LENGTH ? found : undefined;
}

function folderOf(value: string, isFolder: boolean): RepoSource | undefined {
  let location: { type: string; target: string };
  try {
    location = parseLocationRef(value);
  } catch {
    return undefined;
  }
  if (location.type === 'file') {
    const path = filePathOf(location.target);
    if (!path.startsWith('/') && !/^[a-z]:[\\/]/i.test(path)) return undefined;
    const folder =
      isFolder || path.endsWith('/') || path.endsWith(sep) ? resolve(path) : dirname(resolve(path));
    return { key: `file:${folder}`, type: 'file', dir: folder };
  }
  if (location.type !== 'url') return undefined;
  const git = parseGitUrl(location.target);
  if (!git) return undefined;
  const folder = git.kind === 'blob' ? posix.dirname(git.path) : git.path;
  const path = folder === '.' ? '' : folder.replace(/\/+$/, '');
  const url = formatGitUrl(git, 'tree', path);
  return { key: `url:${url}`, type: 'git', url };
}

/** What one look at a source found. */
export interface RepoScan {
  facts: Record<string, boolean>;
  /** The commit read, for git sources. */
  commit?: string;
  /** Hash of the listed paths: equal hashes mean equal facts. */
  contentHash: string;
}

/** The paths (relative, POSIX) of the files in the {@link REPO_FACT_FOLDERS} of `root`. */
async function listFactFolders(root: string): Promise<string[]> {
  const realRoot = await realpath(root);
  const paths: string[] = [];
  for (const folder of REPO_FACT_FOLDERS) {
    const dir = folder ? join(root, ...folder.split('/')) : root;
    let real: string;
    try {
      real = await realpath(dir);
    } catch {
      continue; // the folder does not exist
    }
    // A linked `.github` that leads out of the repository says nothing about it.
    if (!isInside(realRoot, real)) continue;
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry.isFile() || entry.isSymbolicLink())
        paths.push(folder ? `${folder}/${entry.name}` : entry.name);
    }
  }
  return paths.sort();
}

function scanOf(paths: string[], commit?: string): RepoScan {
  return {
    facts: Object.fromEntries(repoFactsFromFiles(paths)),
    ...(commit ? { commit } : {}),
    contentHash: createHash('sha256').update(paths.join('\n')).digest('hex'),
  };
}

/**
 * Looks at a source: a local folder is listed where it is; a folder in a git repository is
 * read through the reading code (`backend.reading.allow` and integrations decide which hosts
 * may be read, with their tokens), into a scratch folder that is removed afterwards.
 */
export async function scanRepoSource(source: RepoSource, opts: ReadTreeOptions): Promise<RepoScan> {
  if (source.type === 'file') {
    const paths = await listFactFolders(source.dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw new Error(`${source.dir} does not exist`);
      throw error;
    });
    return scanOf(paths);
  }
  const tree = await readTree(source.url, opts);
  try {
    return scanOf(await listFactFolders(tree.dir), tree.commit);
  } finally {
    await tree.cleanup();
  }
}
