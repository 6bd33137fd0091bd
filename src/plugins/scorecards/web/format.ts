/** How the scorecard pages write levels, rates, dates and values. Pure: unit-tested. */
import { describeValue } from '../common/describe.ts';
import type { Distribution } from './api.ts';

/** The key a distribution uses for entities below the first level. */
export const NO_LEVEL = 'none';

/** `0.834` -> `83%`; a rate that is not 100% never rounds up to it. */
export function percent(rate: number): string {
  if (!Number.isFinite(rate)) return '–';
  const value = Math.round(rate * 100);
  return `${rate < 1 && value === 100 ? 99 : value}%`;
}

/** Level names for people: `null` / `none` is "No level". */
export function levelLabel(level: string | null | undefined): string {
  return level === null || level === undefined || level === NO_LEVEL ? 'No level' : level;
}

/**
 * The hue a level is drawn in: from amber (lowest) through green to blue (highest), so the
 * order of the levels reads without knowing their names and neighbours stay apart;
 * undefined for no level (drawn grey).
 */
export function levelHue(rank: number, levels: number): number | undefined {
  if (rank <= 0 || levels <= 0) return undefined;
  if (levels === 1) return 140;
  return Math.round(30 + ((Math.min(rank, levels) - 1) / (levels - 1)) * 170);
}

/** Rank of a level name (1 = lowest), 0 for none or a name that is not a level. */
export function rankOf(levels: readonly string[], level: string | null | undefined): number {
  if (!level) return 0;
  return levels.findIndex((l) => l.toLowerCase() === level.toLowerCase()) + 1;
}

/** Keys of a distribution in drawing order: highest level first, `none` last. */
export function distributionKeys(levels: readonly string[]): string[] {
  return [...levels].reverse().concat(NO_LEVEL);
}

export function distributionTotal(distribution: Distribution): number {
  return Object.values(distribution).reduce((a, b) => a + b, 0);
}

/** "2 Gold, 5 Silver, 1 Bronze, 3 with no level": a distribution in one sentence. */
export function describeDistribution(
  levels: readonly string[],
  distribution: Distribution,
): string {
  const parts = distributionKeys(levels)
    .filter((key) => (distribution[key] ?? 0) > 0)
    .map((key) =>
      key === NO_LEVEL ? `${distribution[key]} with no level` : `${distribution[key]} ${key}`,
    );
  return parts.length ? parts.join(', ') : 'no entities';
}

const MAX_SHOWN_TEXT = 80;

/**
 * A check's value as seen, short enough for a table cell: text (clipped), numbers and
 * booleans as written, lists and objects described (`[go, kafka]`, `a list of 3 items`).
 */
export function formatValue(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string')
    return value.length > MAX_SHOWN_TEXT ? `${value.slice(0, MAX_SHOWN_TEXT - 1)}…` : value;
  return describeValue(value);
}

/** The whole value as JSON, for a tooltip when `formatValue` had to shorten it. */
export function fullValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' && typeof value !== 'string') return undefined;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === formatValue(value) ? undefined : text;
}

/** `2026-12-06` -> `6 Dec 2026` in the reader's locale; ISO times keep their date only. */
export function formatDay(isoDay: string, locale?: string): string {
  const date = new Date(`${isoDay.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return isoDay;
  return date.toLocaleDateString(locale, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** "today", "yesterday", "3 days ago", "in 12 days": how far a day is from `now`. */
export function relativeDays(isoDay: string, now: Date = new Date()): string {
  const then = Date.parse(`${isoDay.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(then)) return isoDay;
  const today = Date.parse(`${now.toISOString().slice(0, 10)}T00:00:00Z`);
  const days = Math.round((then - today) / DAY_MS);
  if (days === 0) return 'today';
  if (days === -1) return 'yesterday';
  if (days === 1) return 'tomorrow';
  return days < 0 ? `${-days} days ago` : `in ${days} days`;
}

/**
 * Plain text split into text and http(s) links, so a fix text can point somewhere without
 * any markup reaching the page: the caller renders the parts as text nodes and anchors.
 */
export function linkify(text: string): Array<{ text: string; href?: string }> {
  const parts: Array<{ text: string; href?: string }> = [];
  const pattern = /https?:\/\/[^\s<>"']+/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    // Sentence punctuation right after a URL is not part of it.
    const url = match[0].replace(/[.,;:!?)]+$/, '');
    const start = match.index ?? 0;
    if (start > last) parts.push({ text: text.slice(last, start) });
    let href: string | undefined;
    try {
      const parsed = new URL(url);
      href = parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
    } catch {
      href = undefined;
    }
    parts.push(href ? { text: url, href } : { text: url });
    last = start + url.length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}
