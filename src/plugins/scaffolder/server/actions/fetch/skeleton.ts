import { readdir, readFile, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Minimatch } from 'minimatch';
import type { SecureTemplater } from '../../templating/index.ts';
import type { ActionContext } from '../types.ts';
import { isBinary, WorkspaceWriter } from './workspace-files.ts';

export interface SkeletonOptions {
  templater: SecureTemplater;
  values: Record<string, unknown>;
  /** Where in the workspace the output goes (already checked). */
  targetPath: string;
  /** Globs of files whose contents are copied as they are (their paths are still rendered). */
  copyWithoutTemplating: string[];
  /** When set, only files with this extension are rendered, and lose it. */
  templateFileExtension?: string;
  cookiecutterCompat: boolean;
  trimBlocks: boolean;
  lstripBlocks: boolean;
  replace: boolean;
}

export interface SkeletonSummary {
  rendered: number;
  copied: number;
  skippedExisting: string[];
  skippedEmptyName: string[];
  directories: number;
}

interface Entry {
  /** Path inside the skeleton, `/`-separated. */
  rel: string;
  full: string;
  isDir: boolean;
}

async function walk(root: string): Promise<Entry[]> {
  const out: Entry[] = [];
  const visit = async (dir: string, prefix: string) => {
    const entries = await readdir(dir, { withFileTypes: true });
    await Promise.all(
      entries.map(async (e) => {
        const rel = prefix ? `${prefix}/${e.name}` : e.name;
        const full = join(dir, e.name);
        if (e.isDirectory()) {
          out.push({ rel, full, isDir: true });
          await visit(full, rel);
        } else if (e.isFile()) {
          out.push({ rel, full, isDir: false });
        }
      }),
    );
  };
  await visit(root, '');
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/**
 * Runs `work` over `items`, at most `limit` at a time. After the first error no new item
 * starts, and it is thrown once the running ones have finished (nothing writes afterwards).
 */
async function inPool<T>(items: T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      try {
        await work(items[next++]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

/**
 * Renders a skeleton folder into the workspace: file and folder names are templates too
 * (`${{ values.name }}/index.js`); contents are rendered unless binary, matched by
 * `copyWithoutTemplating`, or (with `templateFileExtension`) lacking the extension.
 * A name that renders empty, to `/…` or with `//` is dropped (how skeletons leave out files
 * with `{% if %}`); a name that climbs out of the workspace fails the step.
 */
export async function renderSkeletonTree(
  ctx: ActionContext,
  source: string,
  options: SkeletonOptions,
): Promise<SkeletonSummary> {
  const summary: SkeletonSummary = {
    rendered: 0,
    copied: 0,
    skippedExisting: [],
    skippedEmptyName: [],
    directories: 0,
  };
  const { templater, values } = options;
  const renderOpts = {
    cookiecutterCompat: options.cookiecutterCompat,
    trimBlocks: options.trimBlocks,
    lstripBlocks: options.lstripBlocks,
  };
  const rawMatchers = options.copyWithoutTemplating.map(
    (pattern) => new Minimatch(pattern.replace(/^\.\//, '').replace(/\/$/, ''), { dot: true }),
  );
  const copiedRaw = (rel: string) => {
    // A pattern naming a folder covers everything below it.
    const parts = rel.split('/');
    return parts.some((_, i) => {
      const prefix = parts.slice(0, i + 1).join('/');
      return rawMatchers.some((m) => m.match(prefix));
    });
  };
  const outputName = (entry: Entry): string | undefined => {
    const rendered = templater.renderSkeleton(entry.rel, values, {
      ...renderOpts,
      name: `name of ${entry.rel}`,
    });
    if (rendered.trim() === '' || rendered.startsWith('/') || rendered.includes('//')) {
      return undefined;
    }
    const ext = options.templateFileExtension;
    return ext && !entry.isDir && entry.rel.endsWith(ext)
      ? rendered.slice(0, -ext.length)
      : rendered;
  };

  const writer = new WorkspaceWriter(ctx.workspacePath);
  await writer.dir(options.targetPath, 'targetPath');
  const entries = await walk(source);
  ctx.logger.info(
    `Processing ${entries.length} template files/directories with input values: ${Object.keys(values).join(', ') || '(none)'}`,
  );

  for (const entry of entries.filter((e) => e.isDir)) {
    ctx.signal.throwIfAborted();
    const name = outputName(entry);
    if (name === undefined) continue;
    await writer.dir(posix.join(options.targetPath, name), `skeleton folder ${entry.rel}`);
    summary.directories++;
  }

  await inPool(
    entries.filter((e) => !e.isDir),
    16,
    async (entry) => {
      ctx.signal.throwIfAborted();
      const name = outputName(entry);
      if (name === undefined) {
        summary.skippedEmptyName.push(entry.rel);
        return;
      }
      const [content, info] = await Promise.all([readFile(entry.full), stat(entry.full)]);
      const ext = options.templateFileExtension;
      const render = !isBinary(content) && (ext ? entry.rel.endsWith(ext) : !copiedRaw(entry.rel));
      const output = render
        ? templater.renderSkeleton(content.toString('utf8'), values, {
            ...renderOpts,
            name: entry.rel,
          })
        : content;
      const outcome = await writer.file(posix.join(options.targetPath, name), output, {
        mode: info.mode,
        replace: options.replace,
        field: `skeleton file ${entry.rel}`,
      });
      if (outcome === 'skipped') {
        summary.skippedExisting.push(posix.join(options.targetPath, name));
      } else if (render) {
        summary.rendered++;
      } else {
        summary.copied++;
      }
    },
  );
  return summary;
}
