import { describe, expect, it } from 'vitest';
import { inventHistory, inventTimeline, rankOn, type SeedEntity } from './demo-history.ts';

const CARD = {
  ref: 'scorecard:default/production-readiness',
  levels: ['Bronze', 'Silver', 'Gold'],
  checks: [
    { id: 'owned', level: 'Bronze' },
    { id: 'tier', level: 'Silver' },
    { id: 'coverage', level: 'Gold' },
  ],
  campaigns: [{ id: 'silver', level: 'Silver' }],
};
const TODAY = new Date('2026-12-06T12:00:00Z');

const entities: SeedEntity[] = Array.from({ length: 60 }, (_, i) => ({
  ref: `component:default/service-${i}`,
  owner: i % 3 === 0 ? '' : `group:default/team-${i % 3}`,
  rank: i % 4,
  statuses: ['FFU', 'PFU', 'PPF', 'PPP'][i % 4]!,
  campaigns: i % 2 ? ['silver'] : [],
}));

describe('inventTimeline', () => {
  it('ends every past at the current level, with changes one level apart, oldest first', () => {
    for (const e of entities) {
      const t = inventTimeline(`${CARD.ref}|${e.ref}`, e.rank, 3, 90);
      expect(rankOn(t, 89)).toBe(e.rank);
      let rank = t.startRank;
      let day = t.firstDay;
      for (const c of t.changes) {
        expect(c.from).toBe(rank);
        expect(Math.abs(c.to - c.from)).toBe(1);
        expect(c.day).toBeGreaterThan(day);
        expect(c.day).toBeLessThanOrEqual(88);
        rank = c.to;
        day = c.day;
      }
      expect(rank).toBe(e.rank);
      expect(rankOn(t, t.firstDay - 1)).toBeUndefined();
      expect(rankOn(t, t.firstDay)).toBe(t.startRank);
    }
  });

  it('is the same on every run, and the top level was climbed to', () => {
    const a = inventTimeline('x|y', 3, 3, 90);
    expect(inventTimeline('x|y', 3, 3, 90)).toEqual(a);
    expect(a.startRank).toBeLessThan(3);
  });

  it('fits the changes into a short history', () => {
    const t = inventTimeline('x|short', 3, 3, 3);
    expect(rankOn(t, 2)).toBe(3);
    expect(t.changes.every((c) => c.day <= 1)).toBe(true);
  });
});

describe('inventHistory', () => {
  const history = inventHistory(CARD, entities, 90, TODAY);

  it('writes the days before today, per owner, counting every entity present once', () => {
    const days = new Set(history.daily.map((r) => r.day));
    expect(days.size).toBe(89);
    expect([...days].sort().at(-1)).toBe('2026-12-05');
    expect([...days].sort()[0]).toBe('2026-09-08');
    const lastDay = history.daily.filter((r) => r.day === '2026-12-05');
    expect(lastDay.reduce((n, r) => n + r.count, 0)).toBe(60);
    expect(new Set(lastDay.map((r) => r.owner_ref))).toEqual(
      new Set(['', 'group:default/team-1', 'group:default/team-2']),
    );
  });

  it('shows a rising trend: fewer entities at the top level at the start', () => {
    const at = (day: string) =>
      history.daily
        .filter((r) => r.day === day && r.level === 'Gold')
        .reduce((n, r) => n + r.count, 0);
    expect(at('2026-09-08')).toBeLessThan(at('2026-12-05'));
  });

  it('counts each check once per entity and day, passing the checks of the level held', () => {
    for (const day of ['2026-09-08', '2026-12-05']) {
      const present = history.daily.filter((r) => r.day === day).reduce((n, r) => n + r.count, 0);
      for (const check of CARD.checks) {
        const rows = history.checkDaily.filter((r) => r.day === day && r.check_id === check.id);
        expect(rows.reduce((n, r) => n + r.passed + r.failed + r.unknown, 0)).toBe(present);
      }
      // Everyone at Bronze or above passed the Bronze check.
      const bronzeOrAbove = history.daily
        .filter((r) => r.day === day && r.level !== null)
        .reduce((n, r) => n + r.count, 0);
      const owned = history.checkDaily
        .filter((r) => r.day === day && r.check_id === 'owned')
        .reduce((n, r) => n + r.passed, 0);
      expect(owned).toBeGreaterThanOrEqual(bronzeOrAbove);
    }
  });

  it('records every level change with level names and sets level_since to the last one', () => {
    expect(history.changes.length).toBeGreaterThan(10);
    for (const c of history.changes) {
      expect([null, ...CARD.levels]).toContain(c.from_level);
      expect([null, ...CARD.levels]).toContain(c.to_level);
      expect(c.at < '2026-12-06').toBe(true);
    }
    const gold = entities.find((e) => e.rank === 3)!;
    const last = history.changes
      .filter((c) => c.entity_ref === gold.ref)
      .sort((a, b) => (a.at < b.at ? -1 : 1))
      .at(-1)!;
    expect(last.to_level).toBe('Gold');
    expect(history.levelSince.get(gold.ref)).toBe(last.at);
  });

  it('tracks campaign progress among the entities in the campaign', () => {
    const last = history.campaignDaily.filter((r) => r.day === '2026-12-05');
    expect(last.reduce((n, r) => n + r.total, 0)).toBe(30);
    // Entities at Silver or Gold today, in the campaign: ranks 2 and 3 of the odd ones.
    const reachedNow = entities.filter((e) => e.campaigns.length && e.rank >= 2).length;
    expect(last.reduce((n, r) => n + r.reached, 0)).toBeLessThanOrEqual(reachedNow + 5);
    const first = history.campaignDaily.filter((r) => r.day === '2026-09-08');
    expect(first.reduce((n, r) => n + r.reached, 0)).toBeLessThan(
      last.reduce((n, r) => n + r.reached, 0),
    );
  });
});
