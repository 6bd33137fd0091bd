import type { Kysely } from 'kysely';
import type { Database, Logger } from '../../../../core/plugin-api.ts';
import type { ReadTreeOptions } from '../../../../core/reading/tree.ts';
import type { Entity } from '../../../../model/entity.ts';
import { stringifyEntityRef } from '../../../../model/ref.ts';
import type { CatalogApi } from '../../../catalog/server/plugin.ts';
import { REPO_FACT_IDS } from '../../common/repo-facts.ts';
import type { FactTables, RepoSourceRow } from './migrations.ts';
import { Poller } from './poller.ts';
import { ChangeListeners, type CollectedFacts, type FactProvider } from './provider.ts';
import { type RepoScan, type RepoSource, repoSourceOf, scanRepoSource } from './repo-source.ts';

const CHUNK = 500;
/** Sources read at once by a scan. */
const CONCURRENCY = 4;
/** A source asked about for the first time is read this long after (requests pile up). */
const FIRST_SCAN_DELAY_MS = 2_000;

export interface RepoFactOptions {
  /** `scorecards.repoFacts.scheduleMs`: how often known sources are read again; null: never. */
  scheduleMs: number | null;
  /** How to read git-hosted sources (`backend.reading.allow`, integrations, timeouts). */
  reading: ReadTreeOptions;
  /** Replaces the reading (tests count reads). */
  scan?: (source: RepoSource, opts: ReadTreeOptions) => Promise<RepoScan>;
}

/**
 * `repo.readme`, `repo.codeowners`, `repo.license`, `repo.ciWorkflow`: whether those files
 * exist in the entity's source folder (see {@link repoSourceOf}).
 *
 * Scoring never reads a repository: `collect` answers from the table of scanned sources, and
 * a source nobody scanned yet is unknown until a scan shortly after (then its entities are
 * rescored). Every source is read again on `scorecards.repoFacts.schedule`; one whose commit
 * or file listing did not change is not written again and rescores nothing.
 */
export class RepoFactProvider implements FactProvider {
  readonly id = 'repo';
  readonly facts = ['repo.'];
  private readonly db: Kysely<FactTables>;
  private readonly reader: Kysely<FactTables>;
  private readonly listeners = new ChangeListeners();
  /** Sources asked about but not scanned yet. */
  private readonly wanted = new Map<string, RepoSource>();
  /** Entities seen per source, so a changed source rescores them without a catalog pass. */
  private readonly refsBySource = new Map<string, Set<string>>();
  private readonly schedule: Poller | undefined;
  private readonly firstScans: Poller;
  private started = false;
  private queue: Promise<void> = Promise.resolve();
  private firstScanTimer: NodeJS.Timeout | undefined;

  constructor(
    database: Database,
    private readonly catalog: () => CatalogApi,
    private readonly logger: Logger,
    private readonly options: RepoFactOptions,
  ) {
    this.db = database.db as Kysely<FactTables>;
    this.reader = database.reader as Kysely<FactTables>;
    this.firstScans = new Poller('repository facts', 2 ** 31 - 1, logger, () => this.scanWanted());
    if (options.scheduleMs !== null) {
      this.schedule = new Poller('repository facts', options.scheduleMs, logger, () =>
        this.scanAll(),
      );
    }
  }

  subscribe(changed: (refs: string[]) => void): () => void {
    return this.listeners.subscribe(changed);
  }

  start(): void {
    this.started = true;
    // The first scheduled scan runs one interval after start: results from before the restart
    // hold the facts of then, and a restart should not read every repository again.
    this.schedule?.start(this.options.scheduleMs ?? 0);
    if (this.wanted.size) this.scanSoon();
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.firstScanTimer) clearTimeout(this.firstScanTimer);
    await Promise.all([this.schedule?.stop(), this.firstScans.stop()]);
  }

  async collect(entities: Entity[], factIds: string[]): Promise<CollectedFacts> {
    const out: CollectedFacts = new Map();
    const wanted = new Set(factIds.filter((id) => REPO_FACT_IDS.includes(id)));
    if (!wanted.size) return out;
    const sourceOf = new Map<string, RepoSource>();
    for (const entity of entities) {
      const source = repoSourceOf(entity);
      if (!source) continue;
      const ref = stringifyEntityRef(entity).toLowerCase();
      sourceOf.set(ref, source);
      let refs = this.refsBySource.get(source.key);
      if (!refs) {
        refs = new Set();
        this.refsBySource.set(source.key, refs);
      }
      refs.add(ref);
    }
    const keys = [...new Set([...sourceOf.values()].map((s) => s.key))];
    const rows = new Map<string, RepoSourceRow>();
    for (let i = 0; i < keys.length; i += CHUNK) {
      for (const row of await this.reader
        .selectFrom('scorecard_repo_sources')
        .selectAll()
        .where('source', 'in', keys.slice(i, i + CHUNK))
        .execute()) {
        rows.set(row.source, row);
      }
    }
    let missing = false;
    for (const [ref, source] of sourceOf) {
      const row = rows.get(source.key);
      if (!row) {
        if (!this.wanted.has(source.key)) {
          this.wanted.set(source.key, source);
          missing = true;
        }
        continue;
      }
      if (!row.facts_json) continue; // the source could not be read: unknown
      const found = JSON.parse(row.facts_json) as Record<string, boolean>;
      out.set(ref, new Map(Object.entries(found).filter(([id]) => wanted.has(id))));
    }
    if (missing) this.scanSoon();
    return out;
  }

  /** Scans run one after another: two at once would read and report a source twice. */
  private exclusive(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Reads the sources asked about and never read, then rescores their entities. */
  scanWanted(): Promise<void> {
    return this.exclusive(() => this.scanWantedNow());
  }

  /** Reads every source scanned before (and those asked about), as the schedule does. */
  scanAll(): Promise<void> {
    return this.exclusive(() => this.scanAllNow());
  }

  private async scanWantedNow(): Promise<void> {
    const sources = [...this.wanted.values()];
    if (!sources.length) return;
    const changed = await this.scan(sources);
    for (const s of sources) this.wanted.delete(s.key);
    await this.emitFor(changed);
  }

  private async scanAllNow(): Promise<void> {
    const known = new Map(this.wanted);
    let after = '';
    for (;;) {
      const rows = await this.reader
        .selectFrom('scorecard_repo_sources')
        .select('source')
        .where('source', '>', after)
        .orderBy('source')
        .limit(1000)
        .execute();
      for (const { source } of rows) {
        const parsed = parseKey(source);
        if (parsed) known.set(source, parsed);
      }
      if (rows.length < 1000) break;
      after = rows.at(-1)!.source;
    }
    const sources = [...known.values()];
    const changed = await this.scan(sources);
    for (const s of sources) this.wanted.delete(s.key);
    await this.emitFor(changed);
  }

  private scanSoon(): void {
    if (!this.started || this.firstScanTimer) return;
    this.firstScanTimer = setTimeout(() => {
      this.firstScanTimer = undefined;
      void this.firstScans.runNow();
    }, FIRST_SCAN_DELAY_MS);
    this.firstScanTimer.unref();
  }

  /**
   * Reads `sources`, a slice at a time (the stored rows of a slice read in one query, what
   * changed written in one transaction), and returns the keys of sources whose facts changed.
   */
  private async scan(sources: RepoSource[]): Promise<string[]> {
    const changed: string[] = [];
    const failures: string[] = [];
    for (let i = 0; i < sources.length; i += CHUNK) {
      const slice = sources.slice(i, i + CHUNK);
      const before = new Map(
        (
          await this.reader
            .selectFrom('scorecard_repo_sources')
            .selectAll()
            .where(
              'source',
              'in',
              slice.map((s) => s.key),
            )
            .execute()
        ).map((r) => [r.source, r]),
      );
      const rows = await this.read(slice, failures);
      const writes: RepoSourceRow[] = [];
      for (const row of rows) {
        const old = before.get(row.source);
        // Same commit or same listing: nothing to write or rescore.
        if (
          old &&
          old.facts_json === row.facts_json &&
          old.error === row.error &&
          old.commit_sha === row.commit_sha
        )
          continue;
        writes.push(row);
        if (!old || old.facts_json !== row.facts_json) changed.push(row.source);
      }
      if (writes.length) {
        await this.db.transaction().execute(async (trx) => {
          for (const row of writes) {
            await trx
              .insertInto('scorecard_repo_sources')
              .values(row)
              .onConflict((oc) =>
                oc.column('source').doUpdateSet({
                  commit_sha: row.commit_sha,
                  content_hash: row.content_hash,
                  facts_json: row.facts_json,
                  error: row.error,
                  scanned_at: row.scanned_at,
                }),
              )
              .execute();
          }
        });
      }
    }
    if (failures.length) {
      this.logger.warn(
        `${failures.length} of ${sources.length} source folders could not be read for the repo.* facts; their checks are unknown`,
        { first: failures.slice(0, 5) },
      );
    }
    return changed;
  }

  /** Reads sources, {@link CONCURRENCY} at a time; a failure becomes a row with its error. */
  private async read(sources: RepoSource[], failures: string[]): Promise<RepoSourceRow[]> {
    const scan = this.options.scan ?? scanRepoSource;
    const rows: RepoSourceRow[] = [];
    let next = 0;
    const worker = async () => {
      while (next < sources.length) {
        const source = sources[next++]!;
        const now = new Date().toISOString();
        try {
          const found = await scan(source, this.options.reading);
          rows.push({
            source: source.key,
            commit_sha: found.commit ?? null,
            content_hash: found.contentHash,
            facts_json: JSON.stringify(found.facts),
            error: null,
            scanned_at: now,
          });
        } catch (error) {
          failures.push(`${source.key}: ${(error as Error).message}`);
          rows.push({
            source: source.key,
            commit_sha: null,
            content_hash: null,
            facts_json: null,
            error: (error as Error).message.slice(0, 2000),
            scanned_at: now,
          });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, sources.length) }, worker));
    return rows;
  }

  /**
   * Rescores the entities of changed sources: those seen by `collect` since start, else (after
   * a restart) found by one pass over the catalog's entities.
   */
  private async emitFor(changed: string[]): Promise<void> {
    if (!changed.length) return;
    const refs = new Set<string>();
    const unknown = new Set<string>();
    for (const key of changed) {
      const seen = this.refsBySource.get(key);
      if (seen) for (const ref of seen) refs.add(ref);
      else unknown.add(key);
    }
    if (unknown.size) {
      for await (const page of this.catalog().query.listAll({
        fields: ['kind', 'metadata.name', 'metadata.namespace', 'metadata.annotations'],
      })) {
        for (const entity of page as Entity[]) {
          const source = repoSourceOf(entity);
          if (source && unknown.has(source.key)) refs.add(stringifyEntityRef(entity).toLowerCase());
        }
      }
    }
    this.listeners.emit([...refs]);
  }
}

/** The source a cache key names (`file:<folder>` or `url:<git tree URL>`). */
function parseKey(key: string): RepoSource | undefined {
  if (key.startsWith('file:')) return { key, type: 'file', dir: key.slice('file:'.length) };
  if (key.startsWith('url:')) return { key, type: 'git', url: key.slice('url:'.length) };
  return undefined;
}
