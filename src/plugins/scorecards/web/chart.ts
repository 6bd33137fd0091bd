/**
 * Geometry of the trend chart: one stacked area per level over the days, highest level at
 * the bottom. Pure (numbers and SVG path strings), so the drawing is unit-tested without a
 * browser and the page needs no chart library.
 */
import type { TrendDay } from './api.ts';
import { distributionKeys, formatDay, levelLabel, NO_LEVEL } from './format.ts';

export interface ChartBox {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const DEFAULT_BOX: ChartBox = {
  width: 720,
  height: 240,
  left: 44,
  right: 12,
  top: 10,
  bottom: 28,
};

export interface AreaSeries {
  /** Level name or `none`. */
  key: string;
  /** The closed outline of the band, in the box's coordinates. */
  path: string;
  /** Top edge of the band (for a stroke). */
  line: string;
}

export interface Tick {
  value: number;
  label: string;
  /** x for day ticks, y for count ticks. */
  at: number;
}

export interface StackedChart {
  series: AreaSeries[];
  yTicks: Tick[];
  xTicks: Tick[];
  /** Largest stacked total, the top of the y axis before rounding. */
  max: number;
  /** x of each day, for markers and hover targets. */
  xs: number[];
}

/** 1, 2, 5, 10, 20, 50…: the smallest such step that gives at most `count` steps to `max`. */
export function niceStep(max: number, count = 4): number {
  if (max <= 0) return 1;
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * magnitude >= raw) return Math.max(1, m * magnitude);
  return Math.max(1, 10 * magnitude);
}

const fixed = (n: number) => Math.round(n * 10) / 10;

export function stackedAreas(
  days: readonly TrendDay[],
  levels: readonly string[],
  box: ChartBox = DEFAULT_BOX,
): StackedChart {
  const keys = distributionKeys(levels);
  const plotW = box.width - box.left - box.right;
  const plotH = box.height - box.top - box.bottom;
  const n = days.length;
  const xs = days.map((_, i) => fixed(box.left + (n === 1 ? plotW / 2 : (i / (n - 1)) * plotW)));
  const totals = days.map((d) => keys.reduce((sum, k) => sum + (d.distribution[k] ?? 0), 0));
  const max = Math.max(0, ...totals);
  const step = niceStep(max);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const y = (value: number) => fixed(box.top + plotH - (value / top) * plotH);

  const base = days.map(() => 0);
  const series: AreaSeries[] = [];
  for (const key of keys) {
    const lower = [...base];
    const upper = days.map((d, i) => lower[i]! + (d.distribution[key] ?? 0));
    upper.forEach((v, i) => {
      base[i] = v;
    });
    if (!n) continue;
    // One day: a narrow band, so a first start still shows something.
    const xsOf = n === 1 ? [xs[0]! - 4, xs[0]! + 4] : xs;
    const up = n === 1 ? [upper[0]!, upper[0]!] : upper;
    const low = n === 1 ? [lower[0]!, lower[0]!] : lower;
    const topEdge = xsOf.map((x, i) => `${i ? 'L' : 'M'}${x},${y(up[i]!)}`).join(' ');
    const bottomEdge = xsOf
      .map((x, i) => ({ x, v: low[i]! }))
      .reverse()
      .map(({ x, v }) => `L${x},${y(v)}`)
      .join(' ');
    series.push({ key, path: `${topEdge} ${bottomEdge} Z`, line: topEdge });
  }

  const yTicks: Tick[] = [];
  for (let v = 0; v <= top; v += step) yTicks.push({ value: v, label: String(v), at: y(v) });

  // About six dates along the bottom, the first and last always.
  const xTicks: Tick[] = [];
  if (n) {
    const every = Math.max(1, Math.ceil((n - 1) / 5));
    for (let i = 0; i < n; i += every) xTicks.push({ value: i, label: days[i]!.day, at: xs[i]! });
    if (xTicks[xTicks.length - 1]!.value !== n - 1) {
      // Drop a tick too close to the last one so labels do not overlap.
      if (xTicks.length > 1 && n - 1 - xTicks[xTicks.length - 1]!.value < every / 2) xTicks.pop();
      xTicks.push({ value: n - 1, label: days[n - 1]!.day, at: xs[n - 1]! });
    }
  }
  return { series, yTicks, xTicks, max, xs };
}

/**
 * The chart in one sentence, for its accessible description: the span and how each level's
 * count moved from the first day to the last.
 */
export function describeTrend(days: readonly TrendDay[], levels: readonly string[]): string {
  if (!days.length) return 'No history yet.';
  const first = days[0]!;
  const last = days[days.length - 1]!;
  const span =
    days.length === 1
      ? `On ${formatDay(last.day, 'en-GB')}`
      : `From ${formatDay(first.day, 'en-GB')} to ${formatDay(last.day, 'en-GB')}`;
  const moves = distributionKeys(levels).map((key) => {
    const from = first.distribution[key] ?? 0;
    const to = last.distribution[key] ?? 0;
    const name = key === NO_LEVEL ? levelLabel(null).toLowerCase() : key;
    return days.length === 1 ? `${to} at ${name}` : `${name} ${from} → ${to}`;
  });
  return `${span}: ${moves.join(', ')}.`;
}

/**
 * A campaign's progress as a line of the share reached (0..1) per day, in a small box; the
 * last point is returned too, for a marker.
 */
export function progressLine(
  progress: ReadonlyArray<{ total: number; reached: number }>,
  width = 160,
  height = 36,
): { path: string; last?: { x: number; y: number } } {
  if (!progress.length) return { path: '' };
  const pad = 3;
  const n = progress.length;
  const points = progress.map((p, i) => ({
    x: fixed(pad + (n === 1 ? (width - 2 * pad) / 2 : (i / (n - 1)) * (width - 2 * pad))),
    y: fixed(height - pad - (p.total ? p.reached / p.total : 0) * (height - 2 * pad)),
  }));
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${p.x},${p.y}`).join(' ');
  return { path, last: points[n - 1] };
}
