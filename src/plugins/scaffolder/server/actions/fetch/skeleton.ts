import { readdir, readFile, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Minimatch } from 'minimatch';
import type { TemplateRenderer } from '../../templating/renderer.ts';
import type { ActionContext } from '../types.ts';
import { isBinary, WorkspaceWriter } from './workspace-files.ts';

export interface SkeletonOptions {
  /** Renders in worker threads; the skeleton's texts go to it in batches. */
  templater: TemplateRenderer;
  values: Record<string, unknown>;
  /** Where in the workspace the output goes (already checked). */
  targetPath: string;
  /** Globs of files whose contents are copied as they are (their paths are still rendered). */
  copyWithoutTemplating: string[];
  /**
   * Another test for the same, given each skeleton path (`/`-separated, unrendered), e.g.
   * cookiecutter's `_copy_without_render` with Python's fnmatch rules.
   */
  copyRaw?: (rel: string) => boolean;
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

/** Files read, rendered (one worker call) and written together: bounds memory and messages. */
const CHUNK_FILES = 500;
const CHUNK_BYTES = 8 * 1024 * 1024;

interface FileWork {
  entry: Entry;
  /** Output path inside the workspace. */
  target: string;
  size: number;
  mode: number;
  /** Read with its chunk, dropped once written. */
  content?: Buffer;
  render: boolean;
  output?: string;
}

/**
 * Renders a skeleton folder into the workspace: file and folder names are templates too
 * (`${{ values.name }}/index.js`); contents are rendered unless binary, matched by
 * `copyWithoutTemplating`, or (with `templateFileExtension`) lacking the extension.
 * A name that renders empty, to `/…` or with `//` is dropped (how skeletons leave out files
 * with `{% if %}`); a name that climbs out of the workspace fails the step.
 *
 * Rendering happens in a worker (see templating/renderer.ts): every name in one call, then
 * the contents in chunks of files, each chunk one call.
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
      return rawMatchers.some((m) => m.match(prefix)) || Boolean(options.copyRaw?.(prefix));
    });
  };
  const outputName = (entry: Entry, rendered: string): string | undefined => {
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

  // Folders first, so a broken folder name is the error reported, as when names were
  // rendered one by one.
  const dirs = entries.filter((e) => e.isDir);
  const files = entries.filter((e) => !e.isDir);
  const names = await templater.renderSkeletonFiles(
    [...dirs, ...files].map((e) => ({ text: e.rel, name: `name of ${e.rel}` })),
    values,
    renderOpts,
  );

  for (const [i, entry] of dirs.entries()) {
    ctx.signal.throwIfAborted();
    const name = outputName(entry, names[i]!);
    if (name === undefined) continue;
    await writer.dir(posix.join(options.targetPath, name), `skeleton folder ${entry.rel}`);
    summary.directories++;
  }

  const named: Array<{ entry: Entry; target: string }> = [];
  for (const [i, entry] of files.entries()) {
    const name = outputName(entry, names[dirs.length + i]!);
    if (name === undefined) summary.skippedEmptyName.push(entry.rel);
    else named.push({ entry, target: posix.join(options.targetPath, name) });
  }

  // Sizes first, to cut the files into chunks; a chunk's contents are read while the one
  // before it is rendered and written.
  const ext = options.templateFileExtension;
  const work: FileWork[] = new Array(named.length);
  await inPool([...named.keys()], 16, async (i) => {
    const { entry, target } = named[i]!;
    const info = await stat(entry.full);
    work[i] = { entry, target, size: info.size, mode: info.mode, render: false };
  });
  const chunks: FileWork[][] = [];
  for (let i = 0; i < work.length; ) {
    const chunk: FileWork[] = [];
    let bytes = 0;
    while (
      i < work.length &&
      chunk.length < CHUNK_FILES &&
      (chunk.length === 0 || bytes + work[i]!.size <= CHUNK_BYTES)
    ) {
      bytes += work[i]!.size;
      chunk.push(work[i++]!);
    }
    chunks.push(chunk);
  }
  const read = (chunk: FileWork[]) => {
    const done = inPool(chunk, 16, async (file) => {
      ctx.signal.throwIfAborted();
      file.content = await readFile(file.entry.full);
      file.render =
        !isBinary(file.content) &&
        (ext ? file.entry.rel.endsWith(ext) : !copiedRaw(file.entry.rel));
    });
    // Awaited later: a failure must not count as unhandled meanwhile.
    done.catch(() => {});
    return done;
  };

  let reading = chunks.length ? read(chunks[0]!) : Promise.resolve();
  for (const [c, chunk] of chunks.entries()) {
    await reading;
    reading = c + 1 < chunks.length ? read(chunks[c + 1]!) : Promise.resolve();
    // Whatever happens to this chunk, the next one's reads end before this function does.
    try {
      const toRender = chunk.filter((f) => f.render);
      const rendered = await templater.renderSkeletonFiles(
        toRender.map((f) => ({ text: f.content!.toString('utf8'), name: f.entry.rel })),
        values,
        renderOpts,
      );
      for (const [i, file] of toRender.entries()) file.output = rendered[i]!;
      await inPool(chunk, 16, async (file) => {
        ctx.signal.throwIfAborted();
        const outcome = await writer.file(file.target, file.output ?? file.content!, {
          mode: file.mode,
          replace: options.replace,
          field: `skeleton file ${file.entry.rel}`,
        });
        if (outcome === 'skipped') {
          summary.skippedExisting.push(file.target);
        } else if (file.render) {
          summary.rendered++;
        } else {
          summary.copied++;
        }
      });
    } catch (error) {
      await reading.catch(() => {});
      throw error;
    }
    // Contents no longer needed.
    for (const file of chunk) {
      file.content = undefined;
      file.output = undefined;
    }
  }
  return summary;
}
