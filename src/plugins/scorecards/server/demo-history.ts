/**
 * Invented history for the demo (see demo-seed.ts): for each scored entity a plausible past —
 * when it was first scored, the levels it climbed (or lost) — ending at its current level,
 * and from those pasts the per-owner daily aggregates, check pass counts, campaign progress
 * and level changes that the real history would hold. Deterministic (hashes of the refs, no
 * randomness), so every fresh start of the demo shows the same trend. Pure: unit-tested.
 */
import type { CampaignDailyRow, CheckDailyRow, DailyRow, LevelChangeRow } from './tables.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A scored entity as the results table has it today. */
export interface SeedEntity {
  ref: string;
  /** '' for none. */
  owner: string;
  /** 0 = no level. */
  rank: number;
  /** One letter per check (P, F, U) in the scorecard's check order. */
  statuses: string;
  /** Ids of the campaigns it is in. */
  campaigns: string[];
}

export interface SeedScorecard {
  ref: string;
  levels: string[];
  checks: Array<{ id: string; level: string }>;
  campaigns: Array<{ id: string; level: string }>;
}

/** One entity's invented past over `days` days; day indexes run 0 (oldest) .. days-1 (today). */
export interface Timeline {
  /** First day it was scored. */
  firstDay: number;
  startRank: number;
  /** Level changes, oldest first; `minute` is the time of day in minutes (UTC). */
  changes: Array<{ day: number; minute: number; from: number; to: number }>;
}

export interface InventedHistory {
  daily: DailyRow[];
  checkDaily: CheckDailyRow[];
  campaignDaily: CampaignDailyRow[];
  changes: LevelChangeRow[];
  /** Entity ref -> when its current level began, for `scorecard_results.level_since`. */
  levelSince: Map<string, string>;
}

/** FNV-1a: a stable 32-bit hash of a text, so the invented past depends only on the refs. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function inventTimeline(key: string, rank: number, levels: number, days: number): Timeline {
  const h = (salt: string) => hash(`${key}#${salt}`);
  // Most entities are there from the start; some arrived during the period.
  const firstDay =
    days > 10 && h('new') % 100 < 15 ? Math.floor(days * (0.3 + (h('when') % 50) / 100)) : 0;
  let startRank = rank;
  if (rank > 0) {
    // Climbed 0, 1 or 2 levels; those at the top climbed at least one, so the trend rises.
    const climbed = Math.min(rank, Math.max(h('climb') % 3, rank === levels ? 1 : 0));
    startRank = rank - climbed;
  } else if (levels > 0 && h('lost') % 100 < 20) {
    // Some lost their first level (an annotation removed, a check added).
    startRank = 1;
  }
  // Changes fall between the day after the first and yesterday, one segment each.
  const from = firstDay + 1;
  const span = days - 2 - from + 1;
  const steps = Math.min(Math.abs(rank - startRank), Math.max(0, span));
  if (!steps) return { firstDay, startRank: rank, changes: [] };
  const direction = rank > startRank ? 1 : -1;
  startRank = rank - direction * steps;
  const segment = span / steps;
  const changes: Timeline['changes'] = [];
  for (let j = 0; j < steps; j++) {
    const fromRank = startRank + direction * j;
    changes.push({
      day: from + Math.floor(segment * j) + (h(`day${j}`) % Math.floor(segment)),
      minute: 8 * 60 + (h(`minute${j}`) % 600),
      from: fromRank,
      to: fromRank + direction,
    });
  }
  return { firstDay, startRank, changes };
}

/** The rank on a day index, or undefined before the entity was first scored. */
export function rankOn(timeline: Timeline, day: number): number | undefined {
  if (day < timeline.firstDay) return undefined;
  let rank = timeline.startRank;
  for (const c of timeline.changes) if (c.day <= day) rank = c.to;
  return rank;
}

/** `YYYY-MM-DD` of day index `i` when index `days - 1` is `today`. */
function dayString(today: Date, days: number, i: number): string {
  return new Date(today.getTime() - (days - 1 - i) * DAY_MS).toISOString().slice(0, 10);
}

function timeOf(today: Date, days: number, i: number, minute: number): string {
  const day = dayString(today, days, i);
  return new Date(Date.parse(`${day}T00:00:00Z`) + minute * 60_000).toISOString();
}

/**
 * The past `days - 1` days (today is the live snapshot's) of one scorecard, from its
 * entities' current results.
 */
export function inventHistory(
  card: SeedScorecard,
  entities: readonly SeedEntity[],
  days: number,
  today: Date,
): InventedHistory {
  const levelName = (rank: number) => (rank > 0 ? (card.levels[rank - 1] ?? null) : null);
  const rankOfLevel = new Map(card.levels.map((l, i) => [l, i + 1]));
  const checkRanks = card.checks.map((c) => rankOfLevel.get(c.level) ?? 0);
  const checksOfLevel = new Map<number, number[]>();
  checkRanks.forEach((r, i) => {
    checksOfLevel.set(r, [...(checksOfLevel.get(r) ?? []), i]);
  });
  // The check that held an entity below a level it has reached since: one of that level's.
  const blockerOf = (entity: SeedEntity, level: number): number | undefined => {
    const list = checksOfLevel.get(level);
    return list?.[hash(`${card.ref}|${entity.ref}|${level}`) % list.length];
  };
  const timelines = entities.map((e) => ({
    entity: e,
    timeline: inventTimeline(`${card.ref}|${e.ref}`, e.rank, card.levels.length, days),
  }));

  const out: InventedHistory = {
    daily: [],
    checkDaily: [],
    campaignDaily: [],
    changes: [],
    levelSince: new Map(),
  };
  for (const { entity, timeline } of timelines) {
    for (const c of timeline.changes) {
      out.changes.push({
        scorecard_ref: card.ref,
        entity_ref: entity.ref,
        at: timeOf(today, days, c.day, c.minute),
        from_level: levelName(c.from),
        to_level: levelName(c.to),
      });
    }
    const last = timeline.changes[timeline.changes.length - 1];
    out.levelSince.set(
      entity.ref,
      last
        ? timeOf(today, days, last.day, last.minute)
        : timeOf(today, days, timeline.firstDay, 6 * 60),
    );
  }

  for (let i = 0; i < days - 1; i++) {
    const day = dayString(today, days, i);
    const levels = new Map<string, number>();
    const checks = new Map<string, { passed: number; failed: number; unknown: number }>();
    const campaigns = new Map<string, { total: number; reached: number }>();
    for (const { entity, timeline } of timelines) {
      const rank = rankOn(timeline, i);
      if (rank === undefined) continue;
      const levelKey = `${entity.owner}\u0000${levelName(rank) ?? ''}`;
      levels.set(levelKey, (levels.get(levelKey) ?? 0) + 1);
      card.checks.forEach((check, index) => {
        const letter = statusOn(rank, entity, index, checkRanks, blockerOf(entity, rank + 1));
        const key = `${entity.owner}\u0000${check.id}`;
        const sums = checks.get(key) ?? { passed: 0, failed: 0, unknown: 0 };
        if (letter === 'P') sums.passed++;
        else if (letter === 'U') sums.unknown++;
        else sums.failed++;
        checks.set(key, sums);
      });
      for (const campaign of card.campaigns) {
        if (!entity.campaigns.includes(campaign.id)) continue;
        const target = rankOfLevel.get(campaign.level) ?? Number.MAX_SAFE_INTEGER;
        const key = `${entity.owner}\u0000${campaign.id}`;
        const sums = campaigns.get(key) ?? { total: 0, reached: 0 };
        sums.total++;
        if (rank >= target) sums.reached++;
        campaigns.set(key, sums);
      }
    }
    for (const [key, count] of levels) {
      const [owner, level] = key.split('\u0000') as [string, string];
      out.daily.push({
        scorecard_ref: card.ref,
        day,
        owner_ref: owner,
        level: level || null,
        count,
      });
    }
    for (const [key, sums] of checks) {
      const [owner, check] = key.split('\u0000') as [string, string];
      out.checkDaily.push({
        scorecard_ref: card.ref,
        day,
        owner_ref: owner,
        check_id: check,
        ...sums,
      });
    }
    for (const [key, sums] of campaigns) {
      const [owner, campaign] = key.split('\u0000') as [string, string];
      out.campaignDaily.push({
        scorecard_ref: card.ref,
        campaign_id: campaign,
        day,
        owner_ref: owner,
        ...sums,
      });
    }
  }
  return out;
}

/**
 * A check's status on a past day at `rank`: checks of that level and below passed; the
 * blocker (a check of the next level) failed if the entity has climbed past it since; the
 * rest are as today.
 */
function statusOn(
  rank: number,
  entity: SeedEntity,
  index: number,
  checkRanks: readonly number[],
  blocker: number | undefined,
): string {
  const level = checkRanks[index] ?? 0;
  if (level > 0 && level <= rank) return 'P';
  if (rank < entity.rank && blocker === index) return 'F';
  return entity.statuses[index] ?? 'U';
}
