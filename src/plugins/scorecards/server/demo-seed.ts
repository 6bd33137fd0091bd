/**
 * The demo's scorecard seed: a demo feature, on only when the config names a seed file
 * (`scorecards.demoSeed`; the repository's app-config.yaml names
 * examples/demo-seed/scorecards.yaml). At start it writes the facts a CI job would push
 * (only those not known yet: a real push always wins) and, for every scorecard without any
 * history before today, `historyDays` days of invented history ending at the current results
 * (demo-history.ts), so a first start shows a trend, level changes and campaign progress.
 */
import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import type { Database, Logger, PluginDefinition } from '../../../core/plugin-api.ts';
import { definePlugin } from '../../../core/plugin-api.ts';
import { fieldName, readYamlDocuments } from '../../../core/permissions/yaml-positions.ts';
import { parseEntityRef, stringifyEntityRef } from '../../../model/ref.ts';
import { type ScorecardsApi, scorecardsServiceRef } from './api.ts';
import { inventHistory, type SeedEntity } from './demo-history.ts';
import type { FactValue } from './facts/fact-store.ts';
import { type BuiltinFacts, scorecardFactsServiceRef } from './facts/index.ts';
import type { ScorecardTables } from './tables.ts';

export interface DemoSeed {
  historyDays: number;
  facts: Array<{ entityRef: string; facts: Record<string, FactValue> }>;
}

const MAX_HISTORY_DAYS = 365;

/** A defect of a seed file, named by file, line and field. */
export class DemoSeedError extends Error {
  override name = 'DemoSeedError';
}

/** Reads a seed file; any defect throws one error listing every problem with its line. */
export function parseDemoSeed(text: string, file: string): DemoSeed {
  const { documents, problems } = readYamlDocuments(text, file);
  const messages = problems.map((p) => `${p.file}:${p.line ?? 1}: ${p.message}`);
  const doc = documents[0];
  if (!messages.length && documents.length !== 1) {
    messages.push(`${file}:1: expected one YAML document with historyDays and facts`);
  }
  const seed: DemoSeed = { historyDays: 90, facts: [] };
  if (doc && !messages.length) {
    const at = (path: (string | number)[], message: string) =>
      messages.push(`${file}:${doc.lineOf(path)}: ${fieldName(path)}: ${message}`);
    const value = doc.value as Record<string, unknown> | null;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      messages.push(`${file}:${doc.line}: expected a mapping with historyDays and facts`);
    } else {
      for (const key of Object.keys(value)) {
        if (key !== 'historyDays' && key !== 'facts')
          at([key], 'is not a known key: expected historyDays or facts');
      }
      const days = value.historyDays;
      if (days !== undefined) {
        if (
          typeof days !== 'number' ||
          !Number.isInteger(days) ||
          days < 2 ||
          days > MAX_HISTORY_DAYS
        )
          at(['historyDays'], `must be a whole number of days from 2 to ${MAX_HISTORY_DAYS}`);
        else seed.historyDays = days;
      }
      const facts = value.facts ?? [];
      if (!Array.isArray(facts)) at(['facts'], 'must be a list of { entityRef, facts }');
      else
        facts.forEach((item: unknown, i) => {
          const entry = item as { entityRef?: unknown; facts?: unknown } | null;
          if (typeof entry?.entityRef !== 'string') {
            at(['facts', i, 'entityRef'], 'must be an entity ref such as component:default/x');
            return;
          }
          let ref: string;
          try {
            ref = stringifyEntityRef(parseEntityRef(entry.entityRef));
          } catch (error) {
            at(['facts', i, 'entityRef'], (error as Error).message);
            return;
          }
          if (
            typeof entry.facts !== 'object' ||
            entry.facts === null ||
            Array.isArray(entry.facts)
          ) {
            at(['facts', i, 'facts'], 'must map fact ids to values, e.g. { ci.coverage: 81 }');
            return;
          }
          const values: Record<string, FactValue> = {};
          for (const [id, v] of Object.entries(entry.facts)) {
            if (v !== null && !['string', 'number', 'boolean'].includes(typeof v))
              at(['facts', i, 'facts', id], 'must be a string, number, boolean or null');
            else values[id] = v as FactValue;
          }
          seed.facts.push({ entityRef: ref, facts: values });
        });
    }
  }
  if (messages.length) throw new DemoSeedError(`Invalid demo seed:\n${messages.join('\n')}`);
  return seed;
}

export function readDemoSeed(file: string): DemoSeed {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DemoSeedError(`Cannot read the demo seed ${file}: ${(error as Error).message}`);
  }
  return parseDemoSeed(text, file);
}

/** Writes the seed's facts that are not known yet; returns the refs whose facts it wrote. */
export async function seedDemoFacts(
  facts: BuiltinFacts,
  seed: DemoSeed,
  now: Date,
): Promise<string[]> {
  const refs = seed.facts.map((f) => f.entityRef);
  const known = await facts.store.read(refs);
  const observations = seed.facts
    .map((f) => ({
      entityRef: f.entityRef,
      facts: Object.fromEntries(
        Object.entries(f.facts).filter(([id]) => !known.get(f.entityRef)?.has(id)),
      ),
      observedAt: now.toISOString(),
    }))
    .filter((o) => Object.keys(o.facts).length > 0);
  if (!observations.length) return [];
  await facts.store.write(observations, 'demo-seed');
  return observations.map((o) => o.entityRef);
}

/**
 * Writes invented history for every scorecard that has none before today. Returns the refs
 * of the scorecards it wrote history for.
 */
export async function seedDemoHistory(
  deps: { database: Database; scorecards: ScorecardsApi; now: Date; logger?: Logger },
  days: number,
): Promise<string[]> {
  const db = deps.database.db as Kysely<ScorecardTables>;
  const todayStart = `${deps.now.toISOString().slice(0, 10)}T00:00:00.000Z`;
  const today = todayStart.slice(0, 10);
  const seeded: string[] = [];
  for (const [ref, loaded] of await deps.scorecards.registry.all()) {
    const [daily, changes] = await Promise.all([
      db
        .selectFrom('scorecard_daily')
        .select('day')
        .where('scorecard_ref', '=', ref)
        .where('day', '<', today)
        .limit(1)
        .execute(),
      db
        .selectFrom('scorecard_level_changes')
        .select('at')
        .where('scorecard_ref', '=', ref)
        .where('at', '<', todayStart)
        .limit(1)
        .execute(),
    ]);
    if (daily.length || changes.length) continue;
    const rows = await db
      .selectFrom('scorecard_results')
      .select(['entity_ref', 'owner_ref', 'rank', 'statuses', 'campaigns'])
      .where('scorecard_ref', '=', ref)
      .execute();
    if (!rows.length) continue;
    const entities: SeedEntity[] = rows.map((r) => ({
      ref: r.entity_ref,
      owner: r.owner_ref ?? '',
      rank: Number(r.rank),
      statuses: r.statuses,
      campaigns: (r.campaigns ?? '').split(',').filter(Boolean),
    }));
    const { card } = loaded;
    const history = inventHistory(
      {
        ref,
        levels: card.spec.levels,
        checks: card.spec.checks.map((c) => ({ id: c.id, level: c.level })),
        campaigns: (card.spec.campaigns ?? []).map((c) => ({ id: c.id, level: c.level })),
      },
      entities,
      days,
      deps.now,
    );
    await db.transaction().execute(async (trx) => {
      await deps.database.insertMany(trx, 'scorecard_daily', history.daily);
      await deps.database.insertMany(trx, 'scorecard_check_daily', history.checkDaily);
      await deps.database.insertMany(trx, 'scorecard_campaign_daily', history.campaignDaily);
      await deps.database.insertMany(trx, 'scorecard_level_changes', history.changes);
      for (const [entity, since] of history.levelSince) {
        await trx
          .updateTable('scorecard_results')
          .set({ level_since: since })
          .where('scorecard_ref', '=', ref)
          .where('entity_ref', '=', entity)
          .where('level_since', '>', since)
          .execute();
      }
      // Cached roll-ups and trends are keyed by this generation: they are stale now.
      await trx
        .updateTable('scorecard_generation')
        .set((eb) => ({ generation: eb('generation', '+', 1) }))
        .execute();
    });
    seeded.push(ref);
    deps.logger?.info('Seeded demo scorecard history', {
      scorecard: ref,
      days,
      levelChanges: history.changes.length,
    });
  }
  return seeded;
}

/**
 * The demo seed as a plugin, installed after `scorecards`. Without a seed file (the config's
 * `scorecards.demoSeed`, or `options.seedFile`) it does nothing.
 */
export function scorecardsDemoPlugin(
  options: { seedFile?: string; now?: () => Date } = {},
): PluginDefinition {
  return definePlugin({
    id: 'scorecards-demo',
    dependsOn: ['scorecards'],
    setup(env) {
      const file = options.seedFile ?? env.config.scorecards.demoSeed;
      if (!file) return;
      // Read now: a broken seed file stops the start with its line, like a broken config.
      const seed = readDemoSeed(file);
      const scorecards = env.use(scorecardsServiceRef);
      const facts = env.use(scorecardFactsServiceRef);
      const now = options.now ?? (() => new Date());
      // Before the catalog's first read and the first evaluation: scored with the facts at once.
      env.onReady(async () => {
        const refs = await seedDemoFacts(facts, seed, now());
        if (refs.length) {
          env.logger.info('Seeded demo facts', { entities: refs.length });
          facts.push.changed(refs);
        }
      });
      env.onStart(async () => {
        await scorecards.idle();
        await seedDemoHistory(
          { database: env.database, scorecards, now: now(), logger: env.logger },
          seed.historyDays,
        );
      });
    },
  });
}
