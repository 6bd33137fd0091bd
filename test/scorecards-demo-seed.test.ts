/**
 * The demo's scorecard seed (src/plugins/scorecards/server/demo-seed.ts) on both engines: a
 * first start of the demo catalog has pushed facts, 90 days of trend, level changes and
 * campaign progress; a restart adds nothing and keeps what was pushed since; a broken seed
 * file stops the start naming its line; without a seed file nothing is invented.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import type { App } from '../src/core/app.ts';
import { scorecardFactsServiceRef } from '../src/plugins/scorecards/server/facts/index.ts';
import { DEMO_SEED as SEED, startScorecardsDemo } from './helpers/scorecards-demo.ts';
import { ENGINES, type Engine, freshDatabase } from './helpers/server.ts';

async function start(dir: string, database: Record<string, unknown>, seedFile?: string) {
  const server = await startScorecardsDemo({ dir, database, seedFile });
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${server.url}${path}`);
    expect(response.status, path).toBe(200);
    return (await response.json()) as T;
  };
  return { app: server.app, url: server.url, get };
}

/** Rows of history before today: what a second seed would add to. */
async function pastRows(app: App): Promise<number> {
  const today = new Date().toISOString().slice(0, 10);
  const db = app.database.db as unknown as Kysely<{
    scorecard_daily: { day: string };
    scorecard_level_changes: { at: string };
  }>;
  const [daily, changes] = await Promise.all([
    db
      .selectFrom('scorecard_daily')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('day', '<', today)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('scorecard_level_changes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('at', '<', `${today}T00:00:00.000Z`)
      .executeTakeFirstOrThrow(),
  ]);
  return Number(daily.n) * 1_000_000 + Number(changes.n);
}

type Trend = { days: Array<{ day: string; distribution: Record<string, number> }> };
type EntityResults = {
  items: Array<{
    scorecard: { ref: string };
    level: string | null;
    levelSince: string;
    checks: Array<{ id: string; status: string; value?: unknown }>;
  }>;
};

describe.each(ENGINES)('the demo scorecard seed on %s', (engine: Engine) => {
  const dirs: string[] = [];
  const drops: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const drop of drops) await drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('seeds facts and history once, and keeps what was pushed since', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atrium-demo-seed-'));
    dirs.push(dir);
    const db = await freshDatabase(engine, dir);
    drops.push(db.drop);
    let server = await start(dir, db.config, SEED);
    let seeded = 0;
    try {
      const booking = await server.get<EntityResults>(
        '/api/scorecards/entities/default/component/booking-service',
      );
      const readiness = booking.items.find(
        (i) => i.scorecard.ref === 'scorecard:default/production-readiness',
      )!;
      expect(readiness.level).toBe('Gold');
      expect(readiness.checks.find((c) => c.id === 'coverage')).toMatchObject({
        status: 'passed',
        value: 87,
      });
      // A service without a report stays unknown.
      const ingest = await server.get<EntityResults>(
        '/api/scorecards/entities/default/component/tracking-ingest',
      );
      expect(
        ingest.items
          .find((i) => i.scorecard.ref === 'scorecard:default/production-readiness')!
          .checks.find((c) => c.id === 'coverage')!.status,
      ).toBe('unknown');

      const trend = await server.get<Trend>(
        '/api/scorecards/scorecards/default/production-readiness/trend?days=90',
      );
      expect(trend.days).toHaveLength(90);
      const first = trend.days[0]!.distribution;
      const last = trend.days[89]!.distribution;
      expect(last).toEqual({ Bronze: 4, Silver: 6, Gold: 2, none: 7 });
      expect(first.Gold!).toBeLessThan(last.Gold!);

      const history = await server.get<{ items: Array<{ at: string; to: string | null }> }>(
        '/api/scorecards/entities/default/component/booking-service/history',
      );
      expect(history.items.length).toBeGreaterThan(0);
      expect(history.items[0]!.to).toBe('Gold');
      // The level is held since its last (invented) change, not since this first start.
      expect(readiness.levelSince).toBe(history.items[0]!.at);

      const campaigns = await server.get<{
        items: Array<{ id: string; progress: unknown[]; total: number; reached: number }>;
      }>('/api/scorecards/scorecards/default/production-readiness/campaigns');
      const silver = campaigns.items.find((c) => c.id === 'silver-by-q1')!;
      expect(silver.progress).toHaveLength(90);
      expect(silver).toMatchObject({ total: 19, reached: 8 });

      seeded = await pastRows(server.app);
      expect(seeded).toBeGreaterThan(1_000_000);
      // A CI job reports a new coverage between starts.
      const facts = server.app.use(scorecardFactsServiceRef);
      await facts.store.write([
        {
          entityRef: 'component:default/booking-service',
          facts: { 'ci.coverage': 52 },
          observedAt: new Date(Date.now() + 1000).toISOString(),
        },
      ]);
    } finally {
      await server.app.stop();
    }

    server = await start(dir, db.config, SEED);
    try {
      const again = await server.get<Trend>(
        '/api/scorecards/scorecards/default/production-readiness/trend?days=90',
      );
      expect(again.days).toHaveLength(90);
      // Not seeded twice.
      expect(await pastRows(server.app)).toBe(seeded);
      const stored = await server.app
        .use(scorecardFactsServiceRef)
        .store.read(['component:default/booking-service'], ['ci.coverage']);
      expect(stored.get('component:default/booking-service')?.get('ci.coverage')).toBe(52);
    } finally {
      await server.app.stop();
    }
  });

  it('stops the start at a broken seed file, naming its line and field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atrium-demo-seed-bad-'));
    dirs.push(dir);
    const bad = join(dir, 'seed.yaml');
    writeFileSync(
      bad,
      'historyDays: 90\nfacts:\n  - entityRef: component:default/x\n    facts: { ci.coverage: [1, 2] }\n',
    );
    const db = await freshDatabase(engine, dir);
    drops.push(db.drop);
    await expect(start(dir, db.config, bad)).rejects.toThrow(
      `${bad}:4: facts[0].facts.ci.coverage: must be a string, number, boolean or null`,
    );
  });

  it('invents nothing without a seed file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atrium-demo-seed-off-'));
    dirs.push(dir);
    const db = await freshDatabase(engine, dir);
    drops.push(db.drop);
    const server = await start(dir, db.config);
    try {
      const trend = await server.get<Trend>(
        '/api/scorecards/scorecards/default/production-readiness/trend?days=90',
      );
      expect(trend.days).toHaveLength(1);
      const stored = await server.app
        .use(scorecardFactsServiceRef)
        .store.read(['component:default/booking-service']);
      expect(stored.size).toBe(0);
    } finally {
      await server.app.stop();
    }
  });
});
