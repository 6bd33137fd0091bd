import type { Kysely } from 'kysely';
import type { Database } from '../../../../core/plugin-api.ts';
import type { FactTables } from './migrations.ts';
import type { CollectedFacts } from './provider.ts';

export { factMigrations } from './migrations.ts';

/** What a fact may hold: JSON scalars. `null` removes the fact (it becomes unknown again). */
export type FactValue = string | number | boolean | null;

export interface FactObservation {
  /** Lowercased entity ref. */
  entityRef: string;
  facts: Record<string, FactValue>;
  /** ISO time of the observation; default: now. */
  observedAt: string;
}

export interface StoredOutcome {
  entityRef: string;
  /** Fact ids stored (or removed, for null) by this observation. */
  stored: string[];
  /** Fact ids left as they were, because a later observation is already stored. */
  ignored: Array<{ fact: string; storedAt: string }>;
}

/** Rows per statement: 500 × 2 bound parameters stays under every engine's limit. */
const CHUNK = 500;

/**
 * The facts other systems report about entities (`POST /api/scorecards/facts`), one row per
 * entity and fact, on both engines. Reads are for a batch of entities at a time, in one
 * query per 500 refs, on the read connections.
 */
export class FactStore {
  private readonly db: Kysely<FactTables>;
  private readonly reader: Kysely<FactTables>;

  constructor(database: Database) {
    this.db = database.db as Kysely<FactTables>;
    this.reader = database.reader as Kysely<FactTables>;
  }

  /** The stored facts of `refs` (lowercased), limited to `factIds` when given. */
  async read(refs: readonly string[], factIds?: readonly string[]): Promise<CollectedFacts> {
    const out: CollectedFacts = new Map();
    if (!refs.length || factIds?.length === 0) return out;
    const ids = factIds ? [...new Set(factIds)] : undefined;
    for (let i = 0; i < refs.length; i += CHUNK) {
      let q = this.reader
        .selectFrom('scorecard_facts')
        .select(['entity_ref', 'fact_id', 'value_json'])
        .where(
          'entity_ref',
          'in',
          refs.slice(i, i + CHUNK).map((r) => r.toLowerCase()),
        );
      // Few ids (a scorecard reads a handful): filtering them in SQL keeps rows small.
      if (ids && ids.length <= 100) q = q.where('fact_id', 'in', ids);
      const wanted = ids && ids.length > 100 ? new Set(ids) : undefined;
      for (const row of await q.execute()) {
        if (wanted && !wanted.has(row.fact_id)) continue;
        let facts = out.get(row.entity_ref);
        if (!facts) {
          facts = new Map();
          out.set(row.entity_ref, facts);
        }
        facts.set(row.fact_id, JSON.parse(row.value_json));
      }
    }
    return out;
  }

  /**
   * Stores observations in one transaction. A fact already stored with a later `observedAt`
   * is kept (and reported as ignored); `null` removes a fact.
   */
  async write(observations: readonly FactObservation[], source = 'push'): Promise<StoredOutcome[]> {
    return this.db.transaction().execute(async (trx) => {
      const refs = [...new Set(observations.map((o) => o.entityRef))];
      const existing = new Map<string, string>();
      for (let i = 0; i < refs.length; i += CHUNK) {
        const rows = await trx
          .selectFrom('scorecard_facts')
          .select(['entity_ref', 'fact_id', 'observed_at'])
          .where('entity_ref', 'in', refs.slice(i, i + CHUNK))
          .execute();
        for (const r of rows) existing.set(`${r.entity_ref}\u0000${r.fact_id}`, r.observed_at);
      }
      // The latest observation of a pair within one request wins, like separate requests.
      const latest = new Map<string, { ref: string; fact: string; value: FactValue; at: string }>();
      for (const o of observations) {
        for (const [fact, value] of Object.entries(o.facts)) {
          const key = `${o.entityRef}\u0000${fact}`;
          const seen = latest.get(key);
          if (!seen || seen.at <= o.observedAt)
            latest.set(key, { ref: o.entityRef, fact, value, at: o.observedAt });
        }
      }
      const upserts: Array<{ ref: string; fact: string; value: FactValue; at: string }> = [];
      const removals: Array<{ ref: string; fact: string; at: string }> = [];
      const outcomes = new Map<string, StoredOutcome>();
      const outcomeOf = (ref: string) => {
        let outcome = outcomes.get(ref);
        if (!outcome) {
          outcome = { entityRef: ref, stored: [], ignored: [] };
          outcomes.set(ref, outcome);
        }
        return outcome;
      };
      for (const [key, item] of latest) {
        const storedAt = existing.get(key);
        if (storedAt !== undefined && storedAt > item.at) {
          outcomeOf(item.ref).ignored.push({ fact: item.fact, storedAt });
          continue;
        }
        outcomeOf(item.ref).stored.push(item.fact);
        if (item.value === null) removals.push(item);
        else upserts.push(item);
      }
      for (const r of removals) {
        await trx
          .deleteFrom('scorecard_facts')
          .where('entity_ref', '=', r.ref)
          .where('fact_id', '=', r.fact)
          .where('observed_at', '<=', r.at)
          .execute();
      }
      for (let i = 0; i < upserts.length; i += CHUNK) {
        await trx
          .insertInto('scorecard_facts')
          .values(
            upserts.slice(i, i + CHUNK).map((u) => ({
              entity_ref: u.ref,
              fact_id: u.fact,
              value_json: JSON.stringify(u.value),
              source,
              observed_at: u.at,
            })),
          )
          .onConflict((oc) =>
            oc
              .columns(['entity_ref', 'fact_id'])
              .doUpdateSet((eb) => ({
                value_json: eb.ref('excluded.value_json'),
                source: eb.ref('excluded.source'),
                observed_at: eb.ref('excluded.observed_at'),
              }))
              // A concurrent writer that stored a later observation keeps it.
              .where((eb) =>
                eb('scorecard_facts.observed_at', '<=', eb.ref('excluded.observed_at')),
              ),
          )
          .execute();
      }
      return [...new Set(observations.map((o) => o.entityRef))].map(
        (ref) => outcomes.get(ref) ?? { entityRef: ref, stored: [], ignored: [] },
      );
    });
  }

  /** Forgets every fact of `refs` (lowercased), e.g. of deleted entities. */
  async forget(refs: readonly string[]): Promise<void> {
    for (let i = 0; i < refs.length; i += CHUNK) {
      await this.db
        .deleteFrom('scorecard_facts')
        .where('entity_ref', 'in', refs.slice(i, i + CHUNK))
        .execute();
    }
  }
}
