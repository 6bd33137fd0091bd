import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../../../core/errors.ts';
import { gitHeadCommit } from '../../../../core/reading/git-checkout.ts';
import type { Logger } from '../../../../core/plugin-api.ts';
import type { Entity } from '../../../../model/entity.ts';
import type { BuildLogLine, DocsProblem } from '../../common/api-types.ts';
import type { DocsTriplet, SiteMetadata } from '../../common/index.ts';
import { hashDocsSource } from '../build/source-hash.ts';
import { DocsBuildError } from '../build/types.ts';
import type { DocsStorage } from '../storage/index.ts';
import { type DocsSource, realDocsDir } from '../source/docs-ref.ts';
import type { BuildRecords } from './build-records.ts';
import { type RunningSync, RunningSyncs, type SyncOutcome } from './running-builds.ts';

/** A folder read from a URL (colleague A's readTree), removed by `cleanup`. */
export interface ReadTreeResult {
  dir: string;
  cleanup(): Promise<void>;
  /** The commit the tree was read at (git-hosted sources). */
  commit?: string;
}
export type TreeReader = (
  url: string,
  options: { signal?: AbortSignal },
) => Promise<ReadTreeResult>;

export interface DocsSyncOptions {
  storage: DocsStorage;
  records: BuildRecords;
  logger: Logger;
  builder: 'local' | 'external';
  readTree: TreeReader;
  /** Called after a site is published (pushes the entity's pages to the search index). */
  onPublished?(entity: Entity, triplet: DocsTriplet): Promise<void>;
  /** How long a build lock lives without being renewed. */
  lockTtlMs?: number;
  /** How often a server waiting on another replica's build looks again. */
  pollMs?: number;
  /** Sources read over the network are checked at most this often per entity (Backstage: 60 s). */
  urlCheckIntervalMs?: number;
}

export interface SyncRequest {
  entity: Entity;
  /** Lowercased `kind:namespace/name`. */
  entityRef: string;
  triplet: DocsTriplet;
  source: DocsSource;
  /** Rebuild even when the source hash matches the published site (POST /build). */
  force?: boolean;
}

/** A build that failed on the docs (not on Atrium): reported to the client, not logged as a crash. */
export class BuildFailed extends Error {}

/**
 * Builds docs on demand. Storage is the source of truth: a sync hashes the source, compares it
 * with `source_hash` of the published site, and builds only when they differ. One build per
 * entity at a time: callers in this process join the running sync; other replicas wait on
 * the build lock in the database and then read the site the lock holder published.
 */
export class DocsSync {
  private readonly running = new RunningSyncs();
  private readonly urlChecks = new Map<string, number>();
  private readonly holder = randomUUID();
  private readonly lockTtlMs: number;
  private readonly pollMs: number;
  private readonly urlCheckIntervalMs: number;
  private stopping = false;

  constructor(private readonly options: DocsSyncOptions) {
    this.lockTtlMs = options.lockTtlMs ?? 60_000;
    this.pollMs = options.pollMs ?? 500;
    this.urlCheckIntervalMs = options.urlCheckIntervalMs ?? 60_000;
  }

  /** Whether this process is building the entity's docs right now (not just checking them). */
  isBuilding(entityRef: string): boolean {
    return this.running.get(entityRef)?.building ?? false;
  }

  /** Starts (or joins) the sync of an entity; follow its log with `follow` on the result. */
  sync(request: SyncRequest): RunningSync {
    if (this.options.builder === 'external' && !request.force) {
      return this.running.join(request.entityRef, async () => ({ updated: false }));
    }
    return this.running.join(request.entityRef, (sync) => this.run(request, sync));
  }

  /**
   * Builds the entity's docs even when the source is unchanged. A sync already running for
   * it (that might decide not to build) is waited for first, then the forced one starts.
   */
  async rebuild(request: SyncRequest): Promise<RunningSync> {
    for (;;) {
      const existing = this.running.get(request.entityRef);
      if (!existing || existing.forced) return existing ?? this.startForced(request);
      await existing.outcome.catch(() => undefined);
      if (!this.running.get(request.entityRef)) return this.startForced(request);
    }
  }

  private startForced(request: SyncRequest): RunningSync {
    const sync = this.running.join(request.entityRef, (s) =>
      this.run({ ...request, force: true }, s),
    );
    sync.forced = true;
    return sync;
  }

  /** Stops waiting on other replicas and lets the builds in progress finish (shutdown). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running.settled();
  }

  private async run(request: SyncRequest, sync: RunningSync): Promise<SyncOutcome> {
    const { storage } = this.options;
    const { entityRef, triplet, source, force } = request;
    const before = await storage.getMetadata(triplet);
    if (source.type === 'url' && !force && before) {
      const checked = this.urlChecks.get(entityRef);
      if (checked && Date.now() - checked < this.urlCheckIntervalMs) {
        sync.log('info', `Docs source ${source.target} was checked less than a minute ago`);
        return { updated: false };
      }
    }
    const prepared = await this.prepare(request, sync);
    try {
      const { hash } = prepared;
      if (!force && before?.source_hash === hash) {
        sync.log('info', `Docs are up to date (source ${hash.slice(0, 12)})`);
        return { updated: false };
      }
      const last = await this.options.records.get(entityRef);
      if (!force && last?.status === 'failed' && last.sourceHash === hash) {
        // Building the same broken source again on every page view helps nobody.
        const message = `The last build of this source (${hash.slice(0, 12)}) failed at ${last.finishedAt}: ${last.error ?? 'see the build log'}. Change the docs or rebuild to try again.`;
        if (before) {
          sync.log('warn', message);
          return { updated: false };
        }
        throw new BuildFailed(message);
      }
      return await this.buildLocked(request, sync, prepared, hash, before);
    } finally {
      await prepared.cleanup?.().catch(() => undefined);
    }
  }

  /**
   * Brings the source to a local folder and hashes it. A source that cannot be read (a
   * missing folder, an unreachable repository, a broken mkdocs.yml) is a failed build: it is
   * recorded so the Docs list and the build panel show why.
   */
  private async prepare(
    request: SyncRequest,
    sync: RunningSync,
  ): Promise<{ dir: string; hash: string; commit?: string; cleanup?: () => Promise<void> }> {
    const { source, entityRef } = request;
    const startedAt = new Date();
    let tree: ReadTreeResult | undefined;
    try {
      let dir: string;
      if (source.type === 'url') {
        sync.log('info', `Reading the docs source ${source.target}`);
        tree = await this.options.readTree(source.target, {});
        this.urlChecks.set(entityRef, Date.now());
        dir = tree.dir;
      } else {
        dir = await realDocsDir(source);
      }
      return {
        dir,
        hash: await hashDocsSource(dir),
        commit: tree?.commit,
        cleanup: tree?.cleanup,
      };
    } catch (error) {
      await tree?.cleanup().catch(() => undefined);
      const message = (error as Error).message;
      sync.log('error', `Could not read the docs source: ${message}`);
      await this.options.records
        .save(entityRef, {
          status: 'failed',
          problems: [],
          log: [...sync.lines],
          error: message,
          startedAt,
          finishedAt: new Date(),
        })
        .catch((e) =>
          this.options.logger.error('Could not record a failed docs build', { error: String(e) }),
        );
      throw error;
    }
  }

  /** Builds under the entity's lock in the database, or waits for the replica holding it. */
  private async buildLocked(
    request: SyncRequest,
    sync: RunningSync,
    source: { dir: string; commit?: string },
    hash: string,
    before: SiteMetadata | undefined,
  ): Promise<SyncOutcome> {
    const { records, storage } = this.options;
    const { entityRef, triplet } = request;
    sync.building = true;
    if (!(await records.tryLock(entityRef, this.holder, this.lockTtlMs))) {
      sync.log('info', 'Another Atrium server is building these docs; waiting for it');
      while (await records.isLocked(entityRef)) {
        if (this.stopping) throw new Error('The server is shutting down');
        await new Promise((done) => setTimeout(done, this.pollMs));
      }
      const after = await storage.getMetadata(triplet);
      if (after && after.build_timestamp !== before?.build_timestamp) {
        sync.log('info', 'The other server published the docs');
        return { updated: true };
      }
      const last = await records.get(entityRef);
      if (last?.status === 'failed' && last.sourceHash === hash) {
        throw new BuildFailed(`The build on the other server failed: ${last.error ?? ''}`);
      }
      // The other server ended without publishing this source (it was stopped): build here.
      if (!(await records.tryLock(entityRef, this.holder, this.lockTtlMs))) {
        throw new Error('Could not take the build lock of these docs; try again');
      }
    }
    const renew = setInterval(
      () => {
        records.extendLock(entityRef, this.holder, this.lockTtlMs).catch(() => undefined);
      },
      Math.max(1000, this.lockTtlMs / 3),
    );
    try {
      // Another replica may have published this very source while we waited for the lock.
      const current = await storage.getMetadata(triplet);
      if (!request.force && current?.source_hash === hash) {
        sync.log('info', 'Docs were just built by another server');
        return { updated: current.build_timestamp !== before?.build_timestamp };
      }
      await this.build(request, sync, source, hash);
      return { updated: true };
    } finally {
      clearInterval(renew);
      await records.unlock(entityRef, this.holder).catch(() => undefined);
    }
  }

  private async build(
    request: SyncRequest,
    sync: RunningSync,
    read: { dir: string; commit?: string },
    hash: string,
  ): Promise<void> {
    const { records, storage, logger } = this.options;
    const { entity, entityRef, triplet } = request;
    // A local folder in a git checkout: its commit, unless it has uncommitted changes. Asked
    // only when building, not on every look at whether the docs are up to date.
    const source =
      read.commit === undefined && request.source.type === 'dir'
        ? { ...read, commit: await gitHeadCommit(read.dir, { clean: true }) }
        : read;
    const startedAt = new Date();
    const log: BuildLogLine[] = [];
    const emit = (level: BuildLogLine['level'], message: string) => {
      log.push({ level, message });
      sync.log(level, message);
    };
    const outDir = await mkdtemp(join(tmpdir(), 'atrium-techdocs-'));
    let problems: DocsProblem[] = [];
    try {
      emit('info', `Building docs of ${entityRef} from source ${hash.slice(0, 12)}`);
      // Loaded at the first build: Markdown, highlighting and sanitising cost ~0.1-0.2 s of
      // every server start otherwise.
      const { buildSite } = await import('../build/build-site.ts');
      const result = await buildSite({
        sourceDir: source.dir,
        outDir,
        defaultSiteName: entity.metadata.title ?? entity.metadata.name,
        etag: hash,
        sourceCommit: source.commit,
        log: {
          info: (m) => emit('info', m),
          warn: (m) => emit('warn', m),
          error: (m) => emit('error', m),
        },
      });
      problems = result.problems;
      // The hash taken before the build is the one recorded: if the source changed during
      // the build, the next sync sees a difference and builds again.
      await stampSourceHash(outDir, hash, source.commit);
      await storage.publish(triplet, outDir);
      emit(
        'info',
        `Published ${result.metadata.pages?.length ?? result.metadata.files.length} pages with ${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}`,
      );
    } catch (error) {
      const message = (error as Error).message;
      if (error instanceof DocsBuildError) problems = error.problems;
      emit('error', `Build failed: ${message}`);
      await records
        .save(entityRef, {
          status: 'failed',
          problems,
          log,
          error: message,
          sourceHash: hash,
          sourceCommit: source.commit,
          startedAt,
          finishedAt: new Date(),
        })
        .catch((e) => logger.error('Could not record a failed docs build', { error: String(e) }));
      throw new BuildFailed(message);
    } finally {
      await rm(outDir, { recursive: true, force: true }).catch(() => undefined);
    }
    await records.save(entityRef, {
      status: problems.length ? 'warnings' : 'ok',
      problems,
      log,
      sourceHash: hash,
      sourceCommit: source.commit,
      startedAt,
      finishedAt: new Date(),
    });
    try {
      await this.options.onPublished?.(entity, triplet);
    } catch (error) {
      // The docs are published and readable; search catches up on the next full reindex.
      logger.warn('Could not index the docs just built', {
        entityRef,
        error: (error as Error).message,
      });
      emit('warn', `The docs were published but not added to search: ${(error as Error).message}`);
    }
  }
}

async function stampSourceHash(outDir: string, hash: string, commit?: string): Promise<void> {
  const file = join(outDir, 'techdocs_metadata.json');
  let metadata: SiteMetadata;
  try {
    metadata = JSON.parse(await readFile(file, 'utf8')) as SiteMetadata;
  } catch (error) {
    throw new InputError(`The build wrote no readable techdocs_metadata.json: ${error}`);
  }
  metadata.source_hash = hash;
  if (commit) metadata.source_commit = commit;
  await writeFile(file, JSON.stringify(metadata));
}
