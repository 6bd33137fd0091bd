/**
 * The scorecard results store on its own, per engine: a result equal to the stored one is
 * not written again, a changed one is (with its level change), a pair without a new result
 * goes, and only the scorecards whose rows changed get a new generation (cached roll-ups of
 * the others stay valid).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/core/database/database.ts';
import { runMigrations } from '../src/core/database/migrations.ts';
import { scorecardMigrations } from '../src/plugins/scorecards/server/migrations.ts';
import { type NewResult, ResultsStore } from '../src/plugins/scorecards/server/results-store.ts';
import { ENGINES, freshDatabase } from './helpers/server.ts';

const A = 'scorecard:default/a';
const B = 'scorecard:default/b';
const e = (n: number) => `component:default/svc-${n}`;

function result(
  scorecard: string,
  entity: string,
  at: string,
  over: Partial<NewResult> = {},
): NewResult {
  return {
    scorecard_ref: scorecard,
    entity_ref: entity,
    level: 'Bronze',
    rank: 1,
    checks_json: JSON.stringify([{ id: 'described', status: 'passed', reason: 'it is' }]),
    statuses: 'P',
    passed: 1,
    failed: 0,
    unknown: 0,
    owner_ref: 'group:default/team-a',
    system_ref: null,
    domain_ref: null,
    campaigns: null,
    scored_at: at,
    ...over,
  };
}

for (const engine of ENGINES) {
  describe(`scorecard results store (${engine})`, () => {
    let dir: string;
    let drop: (() => Promise<void>) | undefined;
    let database: Database;
    let store: ResultsStore;
    // biome-ignore lint/suspicious/noExplicitAny: the scorecards' tables, read by the test
    const db = () => database.db as Kysely<any>;
    const rows = async () =>
      (await db()
        .selectFrom('scorecard_results')
        .select(['scorecard_ref', 'entity_ref', 'level', 'scored_at', 'level_since', 'checks_json'])
        .orderBy('scorecard_ref')
        .orderBy('entity_ref')
        .execute()) as Array<{
        scorecard_ref: string;
        entity_ref: string;
        level: string | null;
        scored_at: string;
        level_since: string;
        checks_json: string;
      }>;
    const changes = async () =>
      db().selectFrom('scorecard_level_changes').selectAll().orderBy('at').execute();

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'atrium-results-store-'));
      const fresh = await freshDatabase(engine, dir);
      drop = fresh.drop;
      database = await openDatabase(
        engine === 'sqlite'
          ? { client: 'better-sqlite3', filename: join(dir, 'atrium.sqlite') }
          : { client: 'pg', connection: (fresh.config as { connection: string }).connection },
      );
      await runMigrations(database, 'scorecards', scorecardMigrations);
      store = new ResultsStore(database);
    });

    afterAll(async () => {
      await database?.close();
      await drop?.();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    beforeEach(async () => {
      for (const table of ['scorecard_results', 'scorecard_level_changes', 'scorecard_state'])
        await db().deleteFrom(table).execute();
    });

    it('writes a result equal to the stored one no more, and leaves its generation', async () => {
      const first = [1, 2, 3].flatMap((n) => [
        result(A, e(n), '2026-01-01T00:00:00.000Z'),
        result(B, e(n), '2026-01-01T00:00:00.000Z'),
      ]);
      const written = await store.replace([A, B], [e(1), e(2), e(3)], first);
      expect(written).toMatchObject({ written: 6, unchanged: 0, removed: 0, levelChanges: 0 });
      const before = await rows();
      const generations = [await store.generation(A), await store.generation(B)];

      const again = first.map((r) => ({ ...r, scored_at: '2026-01-02T00:00:00.000Z' }));
      const outcome = await store.replace([A, B], [e(1), e(2), e(3)], again);
      expect(outcome).toMatchObject({ written: 0, unchanged: 6, removed: 0, levelChanges: 0 });
      expect(await rows()).toEqual(before);
      expect([await store.generation(A), await store.generation(B)]).toEqual(generations);

      // Rescored on request (`touch`), an unchanged result says when; nothing else moves.
      await store.replace([A], [e(1)], [again[0]!], undefined, { touch: true });
      const touched = (await rows()).find((r) => r.scorecard_ref === A && r.entity_ref === e(1));
      expect(touched).toMatchObject({
        scored_at: '2026-01-02T00:00:00.000Z',
        level_since: '2026-01-01T00:00:00.000Z',
      });
      expect(await store.generation(A)).toBe(generations[0]);
      expect(await changes()).toEqual([]);
    });

    it('rewrites a changed result, records a change of level, and bumps only its scorecard', async () => {
      const at1 = '2026-01-01T00:00:00.000Z';
      const at2 = '2026-01-02T00:00:00.000Z';
      await store.replace(
        [A, B],
        [e(1), e(2)],
        [result(A, e(1), at1), result(A, e(2), at1), result(B, e(1), at1)],
      );
      const b = await store.generation(B);
      const a = await store.generation(A);
      const outcome = await store.replace(
        [A, B],
        [e(1), e(2)],
        [
          // Same level, another value seen: written, its level still dates from before.
          result(A, e(1), at2, {
            checks_json: JSON.stringify([{ id: 'described', status: 'passed', reason: 'now' }]),
          }),
          result(A, e(2), at2, { level: null, rank: 0, statuses: 'F', passed: 0, failed: 1 }),
          result(B, e(1), at2),
        ],
      );
      expect(outcome).toMatchObject({ written: 2, unchanged: 1, levelChanges: 1 });
      const stored = await rows();
      expect(stored.find((r) => r.scorecard_ref === A && r.entity_ref === e(1))).toMatchObject({
        scored_at: at2,
        level_since: at1,
      });
      expect(stored.find((r) => r.scorecard_ref === A && r.entity_ref === e(2))).toMatchObject({
        level: null,
        scored_at: at2,
        level_since: at2,
      });
      expect(await changes()).toMatchObject([
        { scorecard_ref: A, entity_ref: e(2), at: at2, from_level: 'Bronze', to_level: null },
      ]);
      expect(await store.generation(A)).not.toBe(a);
      expect(await store.generation(B)).toBe(b);
    });

    it('deletes the result of an entity that no longer matches, in a write or after a full evaluation', async () => {
      const at = '2026-01-01T00:00:00.000Z';
      await store.replace(
        [A, B],
        [e(1), e(2), e(3)],
        [1, 2, 3].flatMap((n) => [result(A, e(n), at), result(B, e(n), at)]),
      );
      const b = await store.generation(B);
      // e(2) left A's filter: scored again without a result for A.
      const outcome = await store.replace([A, B], [e(2)], [result(B, e(2), at)]);
      expect(outcome).toMatchObject({ written: 0, unchanged: 1, removed: 1 });
      expect(await store.generation(B)).toBe(b);
      // A full evaluation of A that scored only e(1): e(3)'s result goes too.
      const a = await store.generation(A);
      expect(await store.deleteUnscored(A, new Set([e(1)]))).toBe(1);
      expect(await store.generation(A)).not.toBe(a);
      expect((await rows()).map((r) => `${r.scorecard_ref} ${r.entity_ref}`)).toEqual([
        `${A} ${e(1)}`,
        `${B} ${e(1)}`,
        `${B} ${e(2)}`,
        `${B} ${e(3)}`,
      ]);
      expect(await store.deleteUnscored(A, new Set([e(1)]))).toBe(0);
      expect(await store.generation(B)).toBe(b);
      // An entity deleted from the catalog: its results go, and each scorecard that had one
      // gets a new generation.
      await store.deleteEntities([e(3)]);
      expect(await store.generation(B)).not.toBe(b);
      expect((await rows()).map((r) => r.entity_ref)).not.toContain(e(3));
    });
  });
}
