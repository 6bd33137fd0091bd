import { hash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../core/plugin-api.ts';
import { TimeSlicer } from './time-slicer.ts';
import type { LevelChangeRow, ResultRow, ScorecardTables, StateRow } from './tables.ts';

const CHUNK = 500;
/**
 * Result rows written per transaction. On SQLite a transaction runs on the server's thread
 * and holds it: a few hundred rows keep that near the time slicer's 10 ms; on PostgreSQL
 * it is one multi-row statement, so more rows per round trip.
 */
const WRITE_ROWS = { sqlite: 250, pg: 250 } as const;
/** Rows written before PostgreSQL's planner statistics are refreshed the first time. */
const ANALYZE_AFTER = 5000;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A freshly computed result, before its history (`level_since`) and digest are known. */
export type NewResult = Omit<ResultRow, 'level_since' | 'digest'>;

/** What a write of results did. */
export interface ReplaceOutcome {
  /** Rows inserted or rewritten (their result differs from the stored one). */
  written: number;
  /** Rows left as they were: the same result as stored. */
  unchanged: number;
  /** Rows deleted: the entity no longer matches the scorecard. */
  removed: number;
  levelChanges: number;
}

/** Everything of a result that its digest covers: not when it was scored. */
export function resultDigest(r: NewResult): string {
  // Each part with its length first, so no two results make the same text.
  let text = '';
  for (const part of [
    r.level,
    String(r.rank),
    r.statuses,
    r.owner_ref,
    r.system_ref,
    r.domain_ref,
    r.campaigns,
    r.checks_json,
  ]) {
    text += part === null ? '-;' : `${part.length}:${part};`;
  }
  return hash('sha1', text, 'base64url');
}

const key = (scorecard: string, entity: string) => `${scorecard}\u0000${entity}`;

function push<K, V>(map: Map<K, V[]>, k: K, v: V): void {
  const list = map.get(k);
  if (list) list.push(v);
  else map.set(k, [v]);
}

/** Writes of results, their level changes and the per-scorecard state. */
export class ResultsStore {
  private readonly db: Kysely<ScorecardTables>;
  private readonly reader: Kysely<ScorecardTables>;
  /** Rows written since the planner statistics were last refreshed, and before that. */
  private writes = { since: 0, before: 0 };

  constructor(private readonly database: Database) {
    this.db = database.db as Kysely<ScorecardTables>;
    this.reader = database.reader as Kysely<ScorecardTables>;
  }

  /**
   * Makes the stored results of `scorecards` × `entities` those of `results`: a pair without
   * a new result (the entity no longer matches) loses its row; a result equal to the stored
   * one (same digest) is not written again, only its `scored_at` moves when `touch` is set
   * (a full evaluation leaves it: the scorecard's `evaluated_at` says when it was confirmed).
   * A level that differs from the stored one (none counting as a level) is recorded as a
   * change and starts a new `level_since`; an entity scored for the first time starts its
   * history at its `level_since`, without a change. Scorecards whose rows changed get a new
   * generation (cached roll-ups of the others stay valid).
   */
  async replace(
    scorecards: readonly string[],
    entities: readonly string[],
    results: readonly NewResult[],
    slicer = new TimeSlicer(),
    options: { touch?: boolean } = {},
  ): Promise<ReplaceOutcome> {
    const outcome: ReplaceOutcome = { written: 0, unchanged: 0, removed: 0, levelChanges: 0 };
    if (!scorecards.length || !entities.length) return outcome;
    // Read before the writes, on the reader (off the server's thread on SQLite): results are
    // written only by this process's one scoring loop, so nothing changes them in between.
    const previous = new Map<string, Pick<ResultRow, 'level' | 'level_since' | 'digest'>>();
    for (const part of chunks(entities)) {
      const rows = await this.reader
        .selectFrom('scorecard_results')
        .select(['scorecard_ref', 'entity_ref', 'level', 'level_since', 'digest'])
        .where('scorecard_ref', 'in', scorecards)
        .where('entity_ref', 'in', part)
        .execute();
      for (const row of rows) previous.set(key(row.scorecard_ref, row.entity_ref), row);
    }
    const rows: ResultRow[] = [];
    const replaced: ResultRow[] = [];
    const changes: LevelChangeRow[] = [];
    const unchanged = new Map<string, string[]>();
    const changed = new Set<string>();
    for (const result of results) {
      await slicer.tick();
      const k = key(result.scorecard_ref, result.entity_ref);
      const before = previous.get(k);
      previous.delete(k);
      const digest = resultDigest(result);
      if (before?.digest === digest) {
        push(unchanged, result.scorecard_ref, result.entity_ref);
        continue;
      }
      const same = before !== undefined && before.level === result.level;
      const row = {
        ...result,
        level_since: same ? before.level_since : result.scored_at,
        digest,
      };
      (before ? replaced : rows).push(row);
      changed.add(result.scorecard_ref);
      if (before && !same) {
        changes.push({
          scorecard_ref: result.scorecard_ref,
          entity_ref: result.entity_ref,
          at: result.scored_at,
          from_level: before.level,
          to_level: result.level,
        });
      }
    }
    // What is left was stored and has no new result: the entity no longer matches.
    const stale = new Map<string, string[]>();
    for (const k of previous.keys()) {
      const [scorecard, entity] = k.split('\u0000') as [string, string];
      push(stale, scorecard, entity);
      changed.add(scorecard);
    }
    outcome.written = rows.length + replaced.length;
    outcome.unchanged = results.length - outcome.written;
    outcome.removed = previous.size;
    outcome.levelChanges = changes.length;

    // Rows that replace a stored one are deleted and inserted again: with every indexed
    // column possibly changed, an upsert would rewrite as much, in a statement per engine.
    const size = WRITE_ROWS[this.database.dialect];
    const isReplaced = new Set(replaced);
    const slices = chunks([...replaced, ...rows], size);
    const staleSlices = [...stale].flatMap(([scorecard, list]) =>
      chunks(list, size).map((part) => ({ scorecard, part })),
    );
    for (const part of slices) {
      await slicer.tick();
      await this.db.transaction().execute(async (trx) => {
        const old = part.filter((r) => isReplaced.has(r));
        await this.deletePairs(trx, old);
        await this.database.insertMany(trx, 'scorecard_results', part);
      });
    }
    for (const { scorecard, part } of staleSlices) {
      await slicer.tick();
      await this.db
        .deleteFrom('scorecard_results')
        .where('scorecard_ref', '=', scorecard)
        .where('entity_ref', 'in', part)
        .execute();
    }
    if (options.touch) {
      const at = results[0]?.scored_at;
      for (const [scorecard, list] of unchanged) {
        for (const part of chunks(list)) {
          await slicer.tick();
          await this.db
            .updateTable('scorecard_results')
            .set({ scored_at: at })
            .where('scorecard_ref', '=', scorecard)
            .where('entity_ref', 'in', part)
            .execute();
        }
      }
    }
    for (const part of chunks(changes)) {
      await slicer.tick();
      await this.database.insertMany(this.db, 'scorecard_level_changes', part);
    }
    if (changed.size) await this.bump(this.db, [...changed]);
    await this.analyzeIfGrown(outcome.written);
    return outcome;
  }

  /**
   * PostgreSQL plans the reads above (`entity_ref in (500 refs)`) by its statistics. A table
   * that a first evaluation fills from empty has none until autovacuum comes round (a minute
   * or more): every read is then a scan of the whole table, hundreds of ms each. So they are
   * refreshed here each time the rows written since the last time outnumber those before.
   */
  private async analyzeIfGrown(written: number): Promise<void> {
    if (this.database.dialect !== 'pg') return;
    this.writes.since += written;
    if (this.writes.since < Math.max(ANALYZE_AFTER, this.writes.before)) return;
    this.writes = { since: 0, before: this.writes.before + this.writes.since };
    await sql`analyze scorecard_results`.execute(this.db);
  }

  /**
   * After a full evaluation that wrote rows: fresh statistics, and (in the background: it
   * cannot run in a transaction and need not delay anyone) the visibility map that lets
   * PostgreSQL count results from an index alone.
   */
  async settle(): Promise<void> {
    if (this.database.dialect !== 'pg' || !this.writes.since) return;
    this.writes = { since: 0, before: this.writes.before + this.writes.since };
    await sql`analyze scorecard_results`.execute(this.db);
    sql`vacuum scorecard_results`.execute(this.db).catch(() => undefined);
  }

  /** Deletes the stored rows of these results' (scorecard, entity) pairs. */
  private async deletePairs(trx: Kysely<ScorecardTables>, rows: readonly ResultRow[]) {
    const byCard = new Map<string, string[]>();
    for (const r of rows) push(byCard, r.scorecard_ref, r.entity_ref);
    for (const [scorecard, refs] of byCard) {
      await trx
        .deleteFrom('scorecard_results')
        .where('scorecard_ref', '=', scorecard)
        .where('entity_ref', 'in', refs)
        .execute();
    }
  }

  /** Removes every result about these entities (deleted from the catalog). */
  async deleteEntities(refs: readonly string[]): Promise<void> {
    if (!refs.length) return;
    const cards = new Set<string>();
    for (const part of chunks(refs)) {
      const rows = await this.reader
        .selectFrom('scorecard_results')
        .select('scorecard_ref')
        .distinct()
        .where('entity_ref', 'in', part)
        .execute();
      for (const row of rows) cards.add(row.scorecard_ref);
    }
    if (!cards.size) return;
    await this.db.transaction().execute(async (trx) => {
      for (const part of chunks(refs)) {
        await trx.deleteFrom('scorecard_results').where('entity_ref', 'in', part).execute();
      }
      await this.bump(trx, [...cards]);
    });
  }

  /** Removes a scorecard's results and state (it left the catalog); its history stays. */
  async deleteScorecard(ref: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('scorecard_results').where('scorecard_ref', '=', ref).execute();
      await trx.deleteFrom('scorecard_state').where('scorecard_ref', '=', ref).execute();
      // Kept, not deleted: a scorecard added again under this ref must not meet answers
      // cached under a generation it would count up to again.
      await this.bump(trx, [ref]);
    });
  }

  /**
   * After a full evaluation: drops the results of entities it did not score (those the
   * scorecard no longer matches), i.e. all but `scored`.
   */
  async deleteUnscored(scorecard: string, scored: ReadonlySet<string>): Promise<number> {
    const stored = await this.reader
      .selectFrom('scorecard_results')
      .select('entity_ref')
      .where('scorecard_ref', '=', scorecard)
      .execute();
    const gone = stored.map((r) => r.entity_ref).filter((ref) => !scored.has(ref));
    if (!gone.length) return 0;
    const slicer = new TimeSlicer();
    for (const part of chunks(gone)) {
      await slicer.tick();
      await this.db
        .deleteFrom('scorecard_results')
        .where('scorecard_ref', '=', scorecard)
        .where('entity_ref', 'in', part)
        .execute();
    }
    await this.bump(this.db, [scorecard]);
    return gone.length;
  }

  async states(): Promise<Map<string, StateRow>> {
    const rows = await this.reader.selectFrom('scorecard_state').selectAll().execute();
    return new Map(rows.map((r) => [r.scorecard_ref, r]));
  }

  async setState(ref: string, values: Partial<Omit<StateRow, 'scorecard_ref'>>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const found = await trx
        .selectFrom('scorecard_state')
        .select('scorecard_ref')
        .where('scorecard_ref', '=', ref)
        .executeTakeFirst();
      if (found)
        await trx
          .updateTable('scorecard_state')
          .set(values)
          .where('scorecard_ref', '=', ref)
          .execute();
      else
        await trx
          .insertInto('scorecard_state')
          .values({
            scorecard_ref: ref,
            spec_hash: null,
            evaluated_at: null,
            snapshot_day: null,
            ...values,
          })
          .execute();
    });
  }

  /**
   * Changes whenever this scorecard's stored results change (or every scorecard's history
   * does); cached roll-ups compare it.
   */
  async generation(scorecard: string): Promise<string> {
    const [all, mine] = await Promise.all([
      this.reader
        .selectFrom('scorecard_generation')
        .select('generation')
        .where('id', '=', 1)
        .executeTakeFirst(),
      this.reader
        .selectFrom('scorecard_generations')
        .select('generation')
        .where('scorecard_ref', '=', scorecard)
        .executeTakeFirst(),
    ]);
    return `${Number(all?.generation ?? 0)}.${Number(mine?.generation ?? 0)}`;
  }

  private async bump(trx: Kysely<ScorecardTables>, scorecards: readonly string[]) {
    await trx
      .insertInto('scorecard_generations')
      .values(scorecards.map((scorecard_ref) => ({ scorecard_ref, generation: 1 })))
      .onConflict((oc) =>
        oc
          .column('scorecard_ref')
          .doUpdateSet((eb) => ({ generation: eb('scorecard_generations.generation', '+', 1) })),
      )
      .execute();
  }
}
