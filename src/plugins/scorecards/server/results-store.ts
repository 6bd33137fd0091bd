import type { Kysely } from 'kysely';
import type { Database } from '../../../core/plugin-api.ts';
import { TimeSlicer } from './time-slicer.ts';
import type { LevelChangeRow, ResultRow, ScorecardTables, StateRow } from './tables.ts';

const CHUNK = 500;
/** Entities whose results are replaced per transaction. */
const WRITE_SLICE = 50;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A freshly computed result, before its history (`level_since`) is known. */
export type NewResult = Omit<ResultRow, 'level_since'>;

/** Writes of results, their level changes and the per-scorecard state. */
export class ResultsStore {
  private readonly db: Kysely<ScorecardTables>;
  private readonly reader: Kysely<ScorecardTables>;

  constructor(private readonly database: Database) {
    this.db = database.db as Kysely<ScorecardTables>;
    this.reader = database.reader as Kysely<ScorecardTables>;
  }

  /**
   * Replaces the results of `scorecards` × `entities` by `results`: a pair without a new
   * result (the entity no longer matches) loses its row. A level that differs from the stored
   * one (none counting as a level) is recorded as a change and starts a new `level_since`; an
   * entity scored for the first time starts its history at its `level_since`, without a
   * change. Returns the number of level changes.
   */
  async replace(
    scorecards: readonly string[],
    entities: readonly string[],
    results: readonly NewResult[],
    slicer = new TimeSlicer(),
  ): Promise<number> {
    if (!scorecards.length || !entities.length) return 0;
    // Read before the writes, on the reader (off the server's thread on SQLite): results are
    // written only by this process's one scoring loop, so nothing changes them in between.
    const previous = new Map<string, Pick<ResultRow, 'level' | 'level_since'>>();
    const stored = new Set<string>();
    for (const part of chunks(entities)) {
      const rows = await this.reader
        .selectFrom('scorecard_results')
        .select(['scorecard_ref', 'entity_ref', 'level', 'level_since'])
        .where('scorecard_ref', 'in', scorecards)
        .where('entity_ref', 'in', part)
        .execute();
      for (const row of rows) {
        previous.set(`${row.scorecard_ref} ${row.entity_ref}`, row);
        stored.add(row.entity_ref);
      }
    }
    const byEntity = new Map<string, ResultRow[]>();
    const changes: LevelChangeRow[] = [];
    for (const result of results) {
      const before = previous.get(`${result.scorecard_ref} ${result.entity_ref}`);
      const same = before !== undefined && before.level === result.level;
      const row = { ...result, level_since: same ? before.level_since : result.scored_at };
      const list = byEntity.get(result.entity_ref) ?? [];
      list.push(row);
      byEntity.set(result.entity_ref, list);
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
    // On SQLite a write runs on the server's thread: written a slice at a time, yielding
    // when the batch has held the thread for a while, 1,000 entities never hold it long.
    for (const part of chunks(entities, WRITE_SLICE)) {
      await slicer.tick();
      const replaced = part.filter((ref) => stored.has(ref));
      await this.db.transaction().execute(async (trx) => {
        if (replaced.length) {
          await trx
            .deleteFrom('scorecard_results')
            .where('scorecard_ref', 'in', scorecards)
            .where('entity_ref', 'in', replaced)
            .execute();
        }
        await this.database.insertMany(
          trx,
          'scorecard_results',
          part.flatMap((ref) => byEntity.get(ref) ?? []),
        );
        await this.bump(trx);
      });
    }
    if (changes.length) {
      for (const part of chunks(changes)) {
        await slicer.tick();
        await this.database.insertMany(this.db, 'scorecard_level_changes', part);
      }
    }
    return changes.length;
  }

  /** Removes every result about these entities (deleted from the catalog). */
  async deleteEntities(refs: readonly string[]): Promise<void> {
    if (!refs.length) return;
    await this.db.transaction().execute(async (trx) => {
      for (const part of chunks(refs)) {
        await trx.deleteFrom('scorecard_results').where('entity_ref', 'in', part).execute();
      }
      await this.bump(trx);
    });
  }

  /** Removes a scorecard's results and state (it left the catalog); its history stays. */
  async deleteScorecard(ref: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('scorecard_results').where('scorecard_ref', '=', ref).execute();
      await trx.deleteFrom('scorecard_state').where('scorecard_ref', '=', ref).execute();
      await this.bump(trx);
    });
  }

  /**
   * After a full evaluation: drops the results it did not write (entities the scorecard no
   * longer matches), i.e. those scored before it started.
   */
  async deleteScoredBefore(scorecard: string, startedAt: string): Promise<number> {
    const result = await this.db
      .deleteFrom('scorecard_results')
      .where('scorecard_ref', '=', scorecard)
      .where('scored_at', '<', startedAt)
      .executeTakeFirst();
    await this.bump(this.db);
    return Number(result.numDeletedRows ?? 0);
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

  /** Changes whenever stored results change; cached roll-ups compare it. */
  async generation(): Promise<number> {
    const row = await this.reader
      .selectFrom('scorecard_generation')
      .select('generation')
      .where('id', '=', 1)
      .executeTakeFirst();
    return Number(row?.generation ?? 0);
  }

  private async bump(trx: Kysely<ScorecardTables>) {
    await trx
      .updateTable('scorecard_generation')
      .set((eb) => ({ generation: eb('generation', '+', 1) }))
      .where('id', '=', 1)
      .execute();
  }
}
