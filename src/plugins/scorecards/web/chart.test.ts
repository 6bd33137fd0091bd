import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { TrendDay } from './api.ts';
import { DEFAULT_BOX, describeTrend, niceStep, progressLine, stackedAreas } from './chart.ts';
import { TrendChart } from './TrendChart.tsx';

const LEVELS = ['Bronze', 'Silver', 'Gold'];
const day = (d: string, Bronze: number, Silver: number, Gold: number, none: number): TrendDay => ({
  day: d,
  distribution: { Bronze, Silver, Gold, none },
  checks: {},
});
const DAYS = [
  day('2026-12-01', 4, 1, 0, 9),
  day('2026-12-02', 4, 2, 0, 8),
  day('2026-12-03', 4, 6, 2, 7),
];

/** The y of each point of a path, in order. */
const ys = (path: string) => [...path.matchAll(/[ML][\d.]+,([\d.]+)/g)].map((m) => Number(m[1]));

describe('stackedAreas', () => {
  it('stacks the highest level at the bottom and ends at the largest total', () => {
    const chart = stackedAreas(DAYS, LEVELS);
    expect(chart.series.map((s) => s.key)).toEqual(['Gold', 'Silver', 'Bronze', 'none']);
    expect(chart.max).toBe(19);
    const bottom = DEFAULT_BOX.height - DEFAULT_BOX.bottom;
    // Gold is 0 on the first two days: its top edge lies on the axis there.
    expect(ys(chart.series[0]!.line).slice(0, 2)).toEqual([bottom, bottom]);
    // Each band's top edge is above (smaller y) or on the one below it.
    for (let i = 1; i < chart.series.length; i++) {
      const upper = ys(chart.series[i]!.line);
      const lower = ys(chart.series[i - 1]!.line);
      upper.forEach((y, j) => {
        expect(y).toBeLessThanOrEqual(lower[j]!);
      });
    }
    // The axis covers the largest total with round steps.
    const top = chart.yTicks[chart.yTicks.length - 1]!;
    expect(top.value).toBeGreaterThanOrEqual(19);
    expect(chart.yTicks.map((t) => t.value)).toEqual([0, 5, 10, 15, 20]);
  });

  it('labels the first and last day, and draws a single day as a narrow band', () => {
    const chart = stackedAreas(DAYS, LEVELS);
    expect(chart.xTicks[0]!.label).toBe('2026-12-01');
    expect(chart.xTicks[chart.xTicks.length - 1]!.label).toBe('2026-12-03');
    const one = stackedAreas([DAYS[0]!], LEVELS);
    expect(one.series[0]!.path).toMatch(/^M[\d.]+,[\d.]+ L[\d.]+,[\d.]+ L/);
    expect(stackedAreas([], LEVELS).series).toEqual([]);
  });

  it('picks steps of 1, 2, 5 × 10ⁿ', () => {
    expect(niceStep(19)).toBe(5);
    expect(niceStep(3)).toBe(1);
    expect(niceStep(180)).toBe(50);
    expect(niceStep(0)).toBe(1);
  });
});

describe('describeTrend', () => {
  it('says how each level moved over the period', () => {
    expect(describeTrend(DAYS, LEVELS)).toBe(
      'From 1 Dec 2026 to 3 Dec 2026: Gold 0 → 2, Silver 1 → 6, Bronze 4 → 4, no level 9 → 7.',
    );
    expect(describeTrend([], LEVELS)).toBe('No history yet.');
  });
});

describe('TrendChart', () => {
  it('is an image with a title and description, and has the figures as a table', () => {
    const html = renderToStaticMarkup(
      createElement(TrendChart, { days: DAYS, levels: LEVELS, title: 'Production readiness' }),
    );
    expect(html).toMatch(/<svg[^>]*role="img"[^>]*aria-labelledby="[^"]+-title [^"]+-desc"/);
    expect(html).toContain('<title id="');
    expect(html).toContain('>Production readiness</title>');
    expect(html).toContain('Gold 0 → 2');
    // The table: one row per day, newest first, a column per level.
    const rows = [...html.matchAll(/<tr><th scope="row">([^<]+)<\/th>((?:<td>\d+<\/td>)+)<\/tr>/g)];
    expect(rows).toHaveLength(3);
    expect(rows[0]![2]).toBe('<td>2</td><td>6</td><td>4</td><td>7</td>');
  });
});

describe('progressLine', () => {
  it('rises with the share reached', () => {
    const line = progressLine([
      { total: 10, reached: 0 },
      { total: 10, reached: 5 },
      { total: 10, reached: 10 },
    ]);
    const points = ys(line.path);
    expect(points[0]).toBeGreaterThan(points[1]!);
    expect(points[1]).toBeGreaterThan(points[2]!);
    expect(progressLine([]).path).toBe('');
  });
});
