import type { Entity } from '../../../model/entity.ts';
import type { Database, Logger } from '../../../core/plugin-api.ts';
import type { CatalogApi } from '../../catalog/server/plugin.ts';
import type { Predicate } from '../../catalog/server/query/predicate.ts';
import type { EntitiesChangedEvent } from '../../catalog/server/store/entity-store.ts';
import { type BatchScorer, newScoringContext, type ScoringContext } from './batch-scorer.ts';
import { filterToPredicate } from './filter-predicate.ts';
import type { LoadedScorecard, ScorecardRegistry } from './registry.ts';
import type { NewResult, ResultsStore } from './results-store.ts';
import { TimeSlicer } from './time-slicer.ts';

/** Entities scored per batch (read, scored and written together). */
export const BATCH = 1000;
const READ_SLICE = 250;
/**
 * A catalog write changing more entities than this is followed by a full evaluation of every
 * scorecard rather than by rescoring each entity and its neighbours one batch at a time.
 */
export const FULL_ABOVE = 10_000;
/**
 * Catalog writes changing at most this many entities return once their results are stored
 * (as the search index does), so a refreshed entity shows its new level at once. A changed
 * scorecard is waited for too while the catalog holds no more than this many entities.
 */
export const WAIT_UP_TO = 2000;

interface Waiter {
  refs: Set<string>;
  resolve(): void;
}

interface FullJob {
  cards: Map<string, LoadedScorecard>;
  predicate: Predicate;
  /**
   * The candidates' refs, in order, read once at the start: each batch then reads its 1,000
   * entities by ref. Paging the filtered listing instead lets the database pick the index of
   * the filter (kind) and sort every remaining match for each page, which grows with the
   * square of the candidates (14 s of 25 at 100,000). Entities added meanwhile are scored as
   * changes.
   */
  refs?: string[];
  next: number;
  startedAt: string;
  context: ScoringContext;
  /** A scorecard of the job changed while it ran: start over with the new version. */
  aborted: boolean;
  candidates: number;
  /**
   * Per scorecard, the entities scored since the job started (by it, or by a rescoring in
   * between): at its end the results of all others go.
   */
  scored: Map<string, Set<string>>;
}

const ALL = '*';

/**
 * Keeps results current: one queue, drained by one loop, of
 * - entities that changed (rescored with the entities that have a relation pointing at them,
 *   for every scorecard whose filter matches them; a result whose filter no longer matches
 *   is removed),
 * - entities and scorecards that were deleted (their results go),
 * - scorecards created or changed (a full evaluation: every candidate, 1,000 at a time).
 * Requests are coalesced (a ref queued twice is scored once). Changed entities go before
 * the next batch of a running full evaluation, so a rescoring waits for one batch at most.
 * Scoring yields to the event loop every 10 ms (see {@link TimeSlicer}).
 */
export class ScoringService {
  private readonly entities = new Map<string, boolean>();
  private readonly deleted = new Set<string>();
  private readonly full = new Set<string>();
  private entityWaiters: Waiter[] = [];
  private deleteWaiters: Waiter[] = [];
  private fullWaiters = new Map<string, Array<() => void>>();
  private job: FullJob | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly idleWaiters: Array<() => void> = [];
  /** Full evaluations finished, and entities rescored by changes, since start. */
  readonly stats = { fullEvaluations: 0, rescored: 0 };

  constructor(
    private readonly deps: {
      catalog: CatalogApi;
      db: Database['reader'];
      registry: ScorecardRegistry;
      scorer: BatchScorer;
      store: ResultsStore;
      logger: Logger;
      /** After a scorecard's full evaluation: today's snapshot is taken again. */
      onEvaluated(card: LoadedScorecard): Promise<void>;
      now?: () => Date;
    },
  ) {}

  private now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }

  /** Rescores these entities (lowercased refs) and, with `neighbours`, those pointing at them. */
  rescore(refs: readonly string[], options: { neighbours: boolean }): Promise<void> {
    if (!refs.length || this.stopped) return Promise.resolve();
    for (const ref of refs)
      this.entities.set(ref, (this.entities.get(ref) ?? false) || options.neighbours);
    const done = new Promise<void>((resolve) =>
      this.entityWaiters.push({ refs: new Set(refs), resolve }),
    );
    this.kick();
    return done;
  }

  /** Drops every result about these refs; a scorecard ref drops the scorecard's results. */
  remove(refs: readonly string[]): Promise<void> {
    if (!refs.length || this.stopped) return Promise.resolve();
    for (const ref of refs) {
      this.deleted.add(ref);
      this.entities.delete(ref);
    }
    const done = new Promise<void>((resolve) =>
      this.deleteWaiters.push({ refs: new Set(refs), resolve }),
    );
    this.kick();
    return done;
  }

  /** Evaluates scorecards (lowercased refs, or all of them) in full. */
  evaluate(scorecards: readonly string[] | 'all'): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const refs = scorecards === 'all' ? [ALL] : [...scorecards];
    if (!refs.length) return Promise.resolve();
    const waits = refs.map(
      (ref) =>
        new Promise<void>((resolve) => {
          this.full.add(ref);
          const list = this.fullWaiters.get(ref) ?? [];
          list.push(resolve);
          this.fullWaiters.set(ref, list);
        }),
    );
    if (this.job && (refs.includes(ALL) || refs.some((r) => this.job!.cards.has(r))))
      this.job.aborted = true;
    this.kick();
    return Promise.all(waits).then(() => undefined);
  }

  /** Resolves when the queue is empty and nothing is being scored. */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Whether a full evaluation of this scorecard is queued or running. */
  evaluating(ref: string): boolean {
    return this.full.has(ref) || this.full.has(ALL) || Boolean(this.job?.cards.has(ref));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    // Whoever waits on work that will not be done now is let go.
    for (const w of [...this.entityWaiters, ...this.deleteWaiters]) w.resolve();
    for (const list of this.fullWaiters.values()) for (const resolve of list) resolve();
    this.entityWaiters = [];
    this.deleteWaiters = [];
    this.fullWaiters = new Map();
  }

  /**
   * Turns a committed catalog write into work. Resolves when small changes are scored (the
   * write's caller waits for it); larger ones are scored after the write returns.
   */
  async onCatalogChange(event: EntitiesChangedEvent): Promise<void> {
    const size = event.upserted.length + event.deleted.length;
    const work: Promise<void>[] = [];
    if (event.deleted.length) work.push(this.remove(event.deleted));
    if (size > FULL_ABOVE) {
      work.push(this.evaluate('all'));
    } else if (event.upserted.length) {
      work.push(this.rescore(event.upserted, { neighbours: true }));
      const scorecards = event.upserted.filter((r) => r.startsWith('scorecard:'));
      if (scorecards.length) {
        const changed = await this.changedScorecards(scorecards);
        if (changed.length) {
          const evaluated = this.evaluate(changed);
          if (await this.catalogIsSmall()) work.push(evaluated);
        }
      }
    }
    if (size <= WAIT_UP_TO) await Promise.all(work);
  }

  /** Of these scorecards, those whose spec differs from the one last evaluated in full. */
  async changedScorecards(refs?: readonly string[]): Promise<string[]> {
    const [cards, states] = await Promise.all([this.deps.registry.all(), this.deps.store.states()]);
    const wanted = refs ? refs.filter((r) => cards.has(r)) : [...cards.keys()];
    return wanted.filter((ref) => states.get(ref)?.spec_hash !== cards.get(ref)!.hash);
  }

  private async catalogIsSmall(): Promise<boolean> {
    const row = (await this.deps.db
      .selectFrom(
        this.deps.db
          .selectFrom('catalog_entities')
          .select('id')
          .limit(WAIT_UP_TO + 1)
          .as('few'),
      )
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst()) as { n: number | string } | undefined;
    return Number(row?.n ?? 0) <= WAIT_UP_TO;
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    this.running = (async () => {
      // Requests made in the same turn of the event loop (a burst of notifications) are
      // merged before the first batch is taken.
      await new Promise((resolve) => setImmediate(resolve));
      try {
        while (!this.stopped) {
          let more: boolean;
          try {
            more = await this.step();
          } catch (error) {
            this.deps.logger.error('Scoring failed', { error: (error as Error).message });
            more = this.hasWork();
          }
          if (!more) break;
          await new Promise((resolve) => setImmediate(resolve));
        }
      } finally {
        this.running = undefined;
        for (const resolve of this.idleWaiters.splice(0)) resolve();
        // Work queued while the loop was finishing.
        if (this.hasWork() && !this.stopped) this.kick();
      }
    })();
  }

  private hasWork(): boolean {
    return Boolean(this.deleted.size || this.entities.size || this.job || this.full.size);
  }

  /** Does one unit of work; false when there was none. */
  private async step(): Promise<boolean> {
    if (this.deleted.size) {
      const refs = [...this.deleted];
      this.deleted.clear();
      try {
        await this.removeNow(refs);
      } finally {
        this.deleteWaiters = settle(this.deleteWaiters, refs);
        // A rescoring asked for before the deletion is answered by it.
        this.entityWaiters = settle(this.entityWaiters, refs);
      }
      return true;
    }
    if (this.entities.size) {
      const batch = [...this.entities].slice(0, BATCH);
      for (const [ref] of batch) this.entities.delete(ref);
      const refs = batch.map(([ref]) => ref);
      try {
        await this.rescoreNow(
          refs,
          batch.filter(([, n]) => n).map(([ref]) => ref),
        );
      } finally {
        this.entityWaiters = settle(this.entityWaiters, refs);
      }
      return true;
    }
    if (this.job) {
      await this.continueJob(this.job);
      return true;
    }
    if (this.full.size) {
      await this.startJob();
      return true;
    }
    return false;
  }

  private async removeNow(refs: string[]): Promise<void> {
    const scorecards = refs.filter((r) => r.startsWith('scorecard:'));
    for (const ref of scorecards) {
      await this.deps.store.deleteScorecard(ref);
      if (this.job?.cards.delete(ref) && !this.job.cards.size) this.job = undefined;
    }
    await this.deps.store.deleteEntities(refs);
  }

  private async rescoreNow(refs: string[], withNeighbours: string[]): Promise<void> {
    const all = new Set(refs);
    for (let i = 0; i < withNeighbours.length; i += 500) {
      const rows = (await this.deps.db
        .selectFrom('catalog_relations')
        .select('source_ref')
        .distinct()
        .where('target_ref', 'in', withNeighbours.slice(i, i + 500))
        .execute()) as Array<{ source_ref: string }>;
      for (const row of rows) all.add(row.source_ref);
    }
    const cards = [...(await this.deps.registry.all()).values()];
    const context = newScoringContext();
    const slicer = new TimeSlicer();
    const list = [...all];
    for (let i = 0; i < list.length; i += BATCH) {
      const part = list.slice(i, i + BATCH);
      const found = await this.deps.catalog.query.byRefs(part, undefined, undefined);
      const entities = found.filter((e): e is Entity => e !== null);
      const gone = part.filter((_, j) => found[j] === null);
      const scoredAt = this.now();
      const results = await this.deps.scorer.score(entities, cards, context, scoredAt, slicer);
      const present = part.filter((_, j) => found[j] !== null);
      // A rescored entity is up to date for a full evaluation running meanwhile too.
      if (this.job) noteScored(this.job, results);
      // Rescored on request: an unchanged result shows it was scored now.
      await this.deps.store.replace(
        cards.map((c) => c.card.ref),
        present,
        results,
        slicer,
        { touch: true },
      );
      if (gone.length) await this.deps.store.deleteEntities(gone);
      this.stats.rescored += entities.length;
    }
  }

  private async startJob(): Promise<void> {
    const wanted = [...this.full];
    this.full.clear();
    const cards = await this.deps.registry.all();
    const chosen = new Map<string, LoadedScorecard>();
    for (const ref of wanted.includes(ALL) ? cards.keys() : wanted) {
      const card = cards.get(ref);
      if (card) chosen.set(ref, card);
    }
    // Scorecards gone (or not compiling) by now: nobody waits for them any longer.
    for (const ref of wanted) {
      if (ref === ALL || chosen.has(ref)) continue;
      for (const resolve of this.fullWaiters.get(ref) ?? []) resolve();
      this.fullWaiters.delete(ref);
    }
    if (!chosen.size) {
      for (const resolve of this.fullWaiters.get(ALL) ?? []) resolve();
      this.fullWaiters.delete(ALL);
      return;
    }
    // One pass over the candidates of every scorecard evaluated together.
    const predicates = [...chosen.values()].map((c) => filterToPredicate(c.card.spec.filter));
    this.job = {
      cards: chosen,
      predicate: predicates.length === 1 ? predicates[0]! : { $any: predicates },
      next: 0,
      startedAt: this.now(),
      context: newScoringContext(),
      aborted: false,
      candidates: 0,
      scored: new Map([...chosen.keys()].map((ref) => [ref, new Set<string>()])),
    };
    if (wanted.includes(ALL)) {
      // Those waiting for "all" are told when this job ends, whatever it holds.
      const list = this.fullWaiters.get(ALL) ?? [];
      this.fullWaiters.delete(ALL);
      const first = chosen.keys().next().value!;
      this.fullWaiters.set(first, [...(this.fullWaiters.get(first) ?? []), ...list]);
    }
    this.deps.logger.info('Evaluating scorecards in full', { scorecards: [...chosen.keys()] });
  }

  private async continueJob(job: FullJob): Promise<void> {
    if (job.aborted) {
      for (const ref of job.cards.keys()) this.full.add(ref);
      this.job = undefined;
      return;
    }
    if (!job.refs) {
      const rows = (await this.deps.catalog.query
        .refsMatching(job.predicate)
        .orderBy('e.entity_ref')
        .execute()) as Array<{ entity_ref: string }>;
      job.refs = rows.map((r) => r.entity_ref);
      return;
    }
    const part = job.refs.slice(job.next, job.next + BATCH);
    job.next += part.length;
    // Read in quarters, yielding between them: parsing 1,000 entities at once holds the event
    // loop for tens of milliseconds on a busy machine.
    const entities: Entity[] = [];
    for (let i = 0; i < part.length; i += READ_SLICE) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      const found = await this.deps.catalog.query.byRefs(
        part.slice(i, i + READ_SLICE),
        undefined,
        undefined,
      );
      entities.push(...found.filter((e): e is Entity => e !== null));
    }
    if (job.aborted || this.job !== job) return;
    if (entities.length) {
      const cards = [...job.cards.values()];
      const slicer = new TimeSlicer();
      const results = await this.deps.scorer.score(
        entities,
        cards,
        job.context,
        this.now(),
        slicer,
      );
      if (job.aborted || this.job !== job) return;
      noteScored(job, results);
      await this.deps.store.replace(
        cards.map((c) => c.card.ref),
        entities.map((e) => refOfEntity(e)),
        results,
        slicer,
      );
      job.candidates += entities.length;
    }
    if (job.next < job.refs.length) return;
    await this.finishJob(job);
  }

  private async finishJob(job: FullJob): Promise<void> {
    this.job = undefined;
    await this.deps.store.settle();
    for (const [ref, card] of job.cards) {
      const removed = await this.deps.store.deleteUnscored(ref, job.scored.get(ref) ?? new Set());
      await this.deps.store.setState(ref, { spec_hash: card.hash, evaluated_at: job.startedAt });
      try {
        await this.deps.onEvaluated(card);
      } catch (error) {
        this.deps.logger.error(`Snapshot of ${ref} failed`, { error: (error as Error).message });
      }
      this.stats.fullEvaluations++;
      this.deps.logger.info(`Evaluated scorecard ${ref}`, {
        candidates: job.candidates,
        removed,
        ms: Date.now() - Date.parse(job.startedAt),
      });
      // A request for this scorecard that came during the job is met by it only if the
      // scorecard did not change since; otherwise it is still queued.
      if (!this.full.has(ref)) {
        for (const resolve of this.fullWaiters.get(ref) ?? []) resolve();
        this.fullWaiters.delete(ref);
      }
    }
  }
}

function noteScored(job: FullJob, results: readonly NewResult[]): void {
  for (const r of results) job.scored.get(r.scorecard_ref)?.add(r.entity_ref);
}

function refOfEntity(entity: Entity): string {
  return `${entity.kind}:${entity.metadata.namespace ?? 'default'}/${entity.metadata.name}`.toLowerCase();
}

/** Marks refs done for each waiter; returns those still waiting. */
function settle(waiters: Waiter[], done: readonly string[]): Waiter[] {
  const still: Waiter[] = [];
  for (const waiter of waiters) {
    for (const ref of done) waiter.refs.delete(ref);
    if (waiter.refs.size) still.push(waiter);
    else waiter.resolve();
  }
  return still;
}
