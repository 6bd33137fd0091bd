import { type Kysely, sql } from 'kysely';
import type { Database, Logger } from '../../../core/plugin-api.ts';
import type { LoadedScorecard, ScorecardRegistry } from './registry.ts';
import type { AggregateRow, ResultsQuery } from './results-query.ts';
import type { ResultsStore } from './results-store.ts';
import type { CampaignDailyRow, CheckDailyRow, DailyRow, ScorecardTables } from './tables.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** How often each server looks whether today's snapshot is missing (and old history is due). */
const TICK_MS = 60 * 60 * 1000;

export const dayOf = (date: Date): string => date.toISOString().slice(0, 10);

/** `owner` of a stored aggregate: '' stands for "no owner". */
export const ownerKey = (owner: string | null): string => owner ?? '';

/** One day of a trend, per owner, as stored (or as computed now for today). */
export interface DayAggregate {
  day: string;
  /** owner -> level (null: none) -> count */
  levels: Array<{ owner: string; level: string | null; count: number }>;
  checks: Array<{ owner: string; check: string; passed: number; failed: number; unknown: number }>;
}

/**
 * History: level changes are written as results change (ResultsStore); this writes the
 * daily per-owner snapshot (at start when today's is missing, then on the first look of
 * each day, and after each full evaluation) and deletes what is older than
 * `scorecards.historyDays`.
 */
export class History {
  private readonly db: Kysely<ScorecardTables>;
  private readonly reader: Kysely<ScorecardTables>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private retentionDay: string | undefined;

  constructor(
    private readonly deps: {
      database: Database;
      registry: ScorecardRegistry;
      store: ResultsStore;
      results: ResultsQuery;
      historyDays: number;
      logger: Logger;
      now?: () => Date;
    },
  ) {
    this.db = deps.database.db as Kysely<ScorecardTables>;
    this.reader = deps.database.reader as Kysely<ScorecardTables>;
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  today(): string {
    return dayOf(this.now());
  }

  /** Starts the hourly look (snapshots missing today, retention once a day). */
  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.catchUp()
        .catch((error) =>
          this.deps.logger.error('Scorecard history upkeep failed', {
            error: (error as Error).message,
          }),
        )
        .finally(() => {
          this.running = undefined;
          if (this.stopped) return;
          this.timer = setTimeout(tick, TICK_MS);
          this.timer.unref();
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Takes today's snapshot of scorecards that have none, and applies retention once a day. */
  async catchUp(options: { skip?: (ref: string) => boolean } = {}): Promise<void> {
    const today = this.today();
    const [cards, states] = await Promise.all([this.deps.registry.all(), this.deps.store.states()]);
    for (const [ref, card] of cards) {
      if (options.skip?.(ref)) continue;
      const state = states.get(ref);
      // Not evaluated yet: its snapshot is taken when its full evaluation ends.
      if (!state?.spec_hash || state.snapshot_day === today) continue;
      await this.snapshot(card);
    }
    if (this.retentionDay !== today) {
      await this.applyRetention();
      this.retentionDay = today;
    }
  }

  /** Writes (or rewrites) today's aggregates of one scorecard from its current results. */
  async snapshot(loaded: LoadedScorecard, day = this.today()): Promise<void> {
    const { card } = loaded;
    const checks = card.spec.checks;
    const rows = await this.deps.results.aggregate(card.ref, 'owner_ref', checks.length, []);
    const daily: DailyRow[] = rows.map((r) => ({
      scorecard_ref: card.ref,
      day,
      owner_ref: ownerKey(r.group),
      level: r.rank ? (card.spec.levels[r.rank - 1] ?? null) : null,
      count: r.count,
    }));
    const perOwner = new Map<string, AggregateRow[]>();
    for (const r of rows)
      perOwner.set(ownerKey(r.group), [...(perOwner.get(ownerKey(r.group)) ?? []), r]);
    const checkDaily: CheckDailyRow[] = [];
    for (const [owner, list] of perOwner) {
      checks.forEach((check, i) => {
        const sum = (pick: (r: AggregateRow) => number[]) =>
          list.reduce((n, r) => n + (pick(r)[i] ?? 0), 0);
        checkDaily.push({
          scorecard_ref: card.ref,
          day,
          owner_ref: owner,
          check_id: check.id,
          passed: sum((r) => r.passed),
          failed: sum((r) => r.failed),
          unknown: sum((r) => r.unknown),
        });
      });
    }
    const campaignDaily: CampaignDailyRow[] = [];
    for (const campaign of card.spec.campaigns ?? []) {
      const target = loaded.rankOf.get(campaign.level) ?? Number.MAX_SAFE_INTEGER;
      for (const row of await this.campaignCounts(card.ref, campaign.id, target)) {
        campaignDaily.push({
          scorecard_ref: card.ref,
          campaign_id: campaign.id,
          day,
          owner_ref: row.owner,
          total: row.total,
          reached: row.reached,
        });
      }
    }
    await this.db.transaction().execute(async (trx) => {
      for (const table of [
        'scorecard_daily',
        'scorecard_check_daily',
        'scorecard_campaign_daily',
      ] as const) {
        await trx
          .deleteFrom(table)
          .where('scorecard_ref', '=', card.ref)
          .where('day', '=', day)
          .execute();
      }
      await this.deps.database.insertMany(trx, 'scorecard_daily', daily);
      await this.deps.database.insertMany(trx, 'scorecard_check_daily', checkDaily);
      await this.deps.database.insertMany(trx, 'scorecard_campaign_daily', campaignDaily);
    });
    await this.deps.store.setState(card.ref, { snapshot_day: day });
  }

  /** Per owner: results in the campaign, and those at or above its level. */
  async campaignCounts(
    scorecard: string,
    campaign: string,
    targetRank: number,
    conditions: Parameters<ResultsQuery['aggregate']>[3] = [],
  ): Promise<Array<{ owner: string; total: number; reached: number }>> {
    let q = this.reader
      .selectFrom('scorecard_results')
      .select([
        'owner_ref',
        (eb) => eb.fn.countAll<number>().as('total'),
        sql<number>`sum(case when rank >= ${targetRank} then 1 else 0 end)`.as('reached'),
      ])
      .where('scorecard_ref', '=', scorecard)
      .where('campaigns', 'like', `%,${campaign},%`);
    for (const c of conditions) if (c) q = q.where(c);
    const rows = await q.groupBy('owner_ref').execute();
    return rows.map((r) => ({
      owner: ownerKey(r.owner_ref),
      total: Number(r.total),
      reached: Number(r.reached ?? 0),
    }));
  }

  /** Deletes level changes and daily aggregates older than `historyDays`. */
  async applyRetention(): Promise<number> {
    const cutoff = new Date(this.now().getTime() - this.deps.historyDays * DAY_MS);
    const cutoffDay = dayOf(cutoff);
    let deleted = 0;
    const changes = await this.db
      .deleteFrom('scorecard_level_changes')
      .where('at', '<', cutoff.toISOString())
      .executeTakeFirst();
    deleted += Number(changes.numDeletedRows ?? 0);
    for (const table of [
      'scorecard_daily',
      'scorecard_check_daily',
      'scorecard_campaign_daily',
    ] as const) {
      const result = await this.db
        .deleteFrom(table)
        .where('day', '<', cutoffDay)
        .executeTakeFirst();
      deleted += Number(result.numDeletedRows ?? 0);
    }
    if (deleted)
      this.deps.logger.info('Deleted scorecard history past its retention', { deleted, cutoffDay });
    return deleted;
  }

  /** Stored daily aggregates of a scorecard from `fromDay` on, oldest first. */
  async days(scorecard: string, fromDay: string): Promise<DayAggregate[]> {
    const [levels, checks] = await Promise.all([
      this.reader
        .selectFrom('scorecard_daily')
        .select(['day', 'owner_ref', 'level', 'count'])
        .where('scorecard_ref', '=', scorecard)
        .where('day', '>=', fromDay)
        .execute(),
      this.reader
        .selectFrom('scorecard_check_daily')
        .select(['day', 'owner_ref', 'check_id', 'passed', 'failed', 'unknown'])
        .where('scorecard_ref', '=', scorecard)
        .where('day', '>=', fromDay)
        .execute(),
    ]);
    const byDay = new Map<string, DayAggregate>();
    const dayOfRow = (day: string) => {
      let d = byDay.get(day);
      if (!d) {
        d = { day, levels: [], checks: [] };
        byDay.set(day, d);
      }
      return d;
    };
    for (const r of levels)
      dayOfRow(r.day).levels.push({ owner: r.owner_ref, level: r.level, count: Number(r.count) });
    for (const r of checks)
      dayOfRow(r.day).checks.push({
        owner: r.owner_ref,
        check: r.check_id,
        passed: Number(r.passed),
        failed: Number(r.failed),
        unknown: Number(r.unknown),
      });
    return [...byDay.values()].sort((a, b) => (a.day < b.day ? -1 : 1));
  }

  /** Stored daily campaign counts per owner, oldest first. */
  async campaignDays(scorecard: string, campaign: string, fromDay: string) {
    const rows = await this.reader
      .selectFrom('scorecard_campaign_daily')
      .select(['day', 'owner_ref', 'total', 'reached'])
      .where('scorecard_ref', '=', scorecard)
      .where('campaign_id', '=', campaign)
      .where('day', '>=', fromDay)
      .orderBy('day')
      .execute();
    return rows.map((r) => ({
      day: r.day,
      owner: r.owner_ref,
      total: Number(r.total),
      reached: Number(r.reached),
    }));
  }

  /** The first day a trend of `days` days covers, today being the last. */
  fromDay(days: number): string {
    return dayOf(new Date(this.now().getTime() - (days - 1) * DAY_MS));
  }
}
