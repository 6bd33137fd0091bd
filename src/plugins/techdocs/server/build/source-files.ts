import { readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { inspectPath, isInside } from './fs-safety.ts';
import {
  CONFIG_FILES,
  findConfigFile,
  type MkDocsConfig,
  readMkDocsConfig,
} from './mkdocs-config.ts';
import { ProblemSink } from './problems.ts';

/** A file of the docs folder. */
export interface SourceFile {
  /** Relative to the docs folder, '/'-separated. */
  rel: string;
  abs: string;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

/** The folder to build: its config and its files, every path checked to stay inside it. */
export interface DocsSource {
  rootReal: string;
  config: MkDocsConfig;
  /** Source-relative prefix for messages, e.g. 'docs/' ('' when docs_dir is '.'). */
  docsPrefix: string;
  files: SourceFile[];
  /** Set when there is no docs folder and the folder's README.md stands in as the home page. */
  readmeFallback?: SourceFile;
  /** False when there was nothing to read (no docs folder, no README). */
  found: boolean;
}

/**
 * Reads the config and lists the docs folder; problems go to `problems`. A folder holding a
 * techdocs_metadata.json is a built site (an output folder inside the docs), not sources.
 */
export async function readDocsSource(
  sourceDir: string,
  options: { defaultSiteName?: string; problems?: ProblemSink } = {},
): Promise<DocsSource> {
  const problems = options.problems ?? new ProblemSink();
  const rootReal = await realpath(path.resolve(sourceDir));
  const config = await cachedConfig(rootReal, options.defaultSiteName, options.problems);
  const docsPrefix = config.docsDir === '.' ? '' : `${config.docsDir}/`;
  const docsAbs = path.join(rootReal, config.docsDir);
  let docsReal: string | undefined;
  try {
    docsReal = await realpath(docsAbs);
  } catch {
    docsReal = undefined;
  }
  if (docsReal !== undefined && !isInside(rootReal, docsReal)) {
    problems.error(
      `docs_dir '${config.docsDir}' leads outside the folder: refused`,
      config.configFile,
    );
    return { rootReal, config, docsPrefix, files: [], found: false };
  }
  const docsEntry = docsReal ? await inspectPath(rootReal, docsReal) : { kind: 'missing' as const };
  if (docsEntry.kind !== 'dir') {
    if (!config.configFile) {
      const readme = await rootReadme(rootReal);
      if (readme) {
        problems.warn(
          `no mkdocs.yml and no '${config.docsDir}' folder: building ${readme.rel} as the home page`,
        );
        return { rootReal, config, docsPrefix: '', files: [], readmeFallback: readme, found: true };
      }
    }
    problems.error(
      docsEntry.kind === 'missing'
        ? `docs folder '${config.docsDir}' not found`
        : `docs_dir '${config.docsDir}' is not a folder`,
      config.configFile,
    );
    return { rootReal, config, docsPrefix, files: [], found: false };
  }
  const files: SourceFile[] = [];
  await walk(rootReal, docsReal!, '', files, problems, docsPrefix);
  return { rootReal, config, docsPrefix, files, found: true };
}

const configCache = new Map<string, { key: string; config: MkDocsConfig }>();

/**
 * The config, parsed again only when one of the config files changed or when the caller wants
 * the problems reported (a build): hashing for change checks runs on every page open.
 */
async function cachedConfig(
  rootReal: string,
  defaultSiteName: string | undefined,
  problems: ProblemSink | undefined,
): Promise<MkDocsConfig> {
  const parts: string[] = [defaultSiteName ?? ''];
  for (const name of CONFIG_FILES) {
    const entry = await inspectPath(rootReal, path.join(rootReal, name));
    parts.push(
      entry.kind === 'file'
        ? `${name}:${entry.size}:${entry.mtimeMs}:${entry.ctimeMs}:${entry.ino}`
        : `${name}:${entry.kind}`,
    );
  }
  const key = parts.join('|');
  const cached = configCache.get(rootReal);
  if (!problems && cached?.key === key) return structuredClone(cached.config);
  const config = await readMkDocsConfig(rootReal, defaultSiteName, problems ?? new ProblemSink());
  if (configCache.size > 10_000) configCache.clear();
  configCache.set(rootReal, { key, config: structuredClone(config) });
  return config;
}

/** README.md of the folder itself (the legacyCopyReadmeMdToIndexMd fallback of Backstage). */
async function rootReadme(rootReal: string): Promise<SourceFile | undefined> {
  for (const name of ['README.md', 'readme.md']) {
    const abs = path.join(rootReal, name);
    const entry = await inspectPath(rootReal, abs);
    if (entry.kind === 'file') return { rel: name, abs, ...stats(entry) };
  }
  return undefined;
}

function stats(entry: { size: number; mtimeMs: number; ctimeMs: number; ino: number }) {
  return { size: entry.size, mtimeMs: entry.mtimeMs, ctimeMs: entry.ctimeMs, ino: entry.ino };
}

async function walk(
  rootReal: string,
  dir: string,
  relDir: string,
  files: SourceFile[],
  problems: ProblemSink,
  docsPrefix: string,
): Promise<void> {
  const names = (await readdir(dir)).sort();
  if (relDir !== '' && names.includes(SITE_MARKER)) return;
  // MkDocs skips dot files and folders too (.git, .DS_Store, .pages).
  const visible = names.filter((name) => !name.startsWith('.'));
  // Stat a folder's entries together: most of the walk's time is waiting for the disk.
  const entries = await Promise.all(
    visible.map((name) => inspectPath(rootReal, path.join(dir, name))),
  );
  for (const [index, name] of visible.entries()) {
    const entry = entries[index]!;
    const abs = path.join(dir, name);
    const rel = relDir ? `${relDir}/${name}` : name;
    if (entry.kind === 'dir') await walk(rootReal, abs, rel, files, problems, docsPrefix);
    else if (entry.kind === 'file') files.push({ rel, abs, ...stats(entry) });
    else if (entry.kind === 'refused') problems.error(`${entry.reason}: refused`, docsPrefix + rel);
  }
}

export { findConfigFile };

const SITE_MARKER = 'techdocs_metadata.json';
