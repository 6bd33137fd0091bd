/**
 * Durations in config, in every form Atrium accepts:
 *
 * - a number: seconds (`120`); a string of digits counts the same (`"120"`, e.g. from `${VAR}`)
 * - an ISO-8601 duration: `PT5M`, `P1DT2H`, `PT1.5S`
 * - a human string: `5m`, `30s`, `1h`, `1h30m`, `2 days`, `500ms`
 * - Backstage's object form (`HumanDuration`): `{ minutes: 5 }`, keys `years` … `milliseconds`
 * - `false`: disabled (returned as `null`)
 *
 * As in Backstage's `durationToMilliseconds`, a year is 365 days and a month 30 days.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const MONTH = 30 * DAY;
const YEAR = 365 * DAY;

/** Keys of Backstage's `HumanDuration` object, in order, with their length in milliseconds. */
export const HUMAN_DURATION_UNITS: Readonly<Record<string, number>> = {
  years: YEAR,
  months: MONTH,
  weeks: WEEK,
  days: DAY,
  hours: HOUR,
  minutes: MINUTE,
  seconds: SECOND,
  milliseconds: 1,
};

const UNIT_ALIASES: Record<string, number> = {};
for (const [ms, names] of [
  [1, ['ms', 'msec', 'msecs', 'millisecond', 'milliseconds']],
  [SECOND, ['s', 'sec', 'secs', 'second', 'seconds']],
  [MINUTE, ['m', 'min', 'mins', 'minute', 'minutes']],
  [HOUR, ['h', 'hr', 'hrs', 'hour', 'hours']],
  [DAY, ['d', 'day', 'days']],
  [WEEK, ['w', 'wk', 'wks', 'week', 'weeks']],
  [MONTH, ['mo', 'month', 'months']],
  [YEAR, ['y', 'yr', 'yrs', 'year', 'years']],
] as const) {
  for (const name of names) UNIT_ALIASES[name] = ms;
}

/** Thrown by `parseDuration`; the message says what is wrong with the value. */
export class DurationError extends Error {
  override name = 'DurationError';
}

const NUM = String.raw`(\d+(?:\.\d+)?)`;
const ISO_RE = new RegExp(
  `^P(?:${NUM}Y)?(?:${NUM}M)?(?:${NUM}W)?(?:${NUM}D)?(?:T(?:${NUM}H)?(?:${NUM}M)?(?:${NUM}S)?)?$`,
);
const HUMAN_PART_RE = /(\d+(?:\.\d+)?)\s*([a-z]+)\s*,?\s*/gy;

/**
 * Converts a config duration to milliseconds; `false` gives `null` (disabled).
 * Throws `DurationError` for anything else, including zero and negative durations.
 */
export function parseDuration(value: unknown): number | null {
  const ms = toMilliseconds(value);
  if (ms === null) return null;
  if (!Number.isFinite(ms)) throw new DurationError('the duration is too large');
  if (ms <= 0) throw new DurationError('the duration must be longer than zero');
  return Math.round(ms);
}

function toMilliseconds(value: unknown): number | null {
  if (value === false) return null;
  if (value === true) throw new DurationError('true is not a duration; use false to disable');
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new DurationError('not a finite number');
    if (value < 0) throw new DurationError('negative durations are not allowed');
    return value * SECOND;
  }
  if (typeof value === 'string') return parseDurationString(value);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return parseDurationObject(value as Record<string, unknown>);
  }
  throw new DurationError(`a ${Array.isArray(value) ? 'list' : typeof value} is not a duration`);
}

function parseDurationString(raw: string): number {
  const s = raw.trim();
  if (s === '') throw new DurationError('the string is empty');
  if (/^\d+(?:\.\d+)?$/.test(s)) return Number(s) * SECOND;
  if (/^-/.test(s)) throw new DurationError('negative durations are not allowed');
  if (/^P/i.test(s)) {
    const m = ISO_RE.exec(s.toUpperCase());
    if (!m || m.slice(1).every((g) => g === undefined) || /T$/.test(s.toUpperCase())) {
      throw new DurationError(`not a valid ISO-8601 duration (expected e.g. PT5M or P1DT6H)`);
    }
    const [, y, mo, w, d, h, mi, sec] = m;
    const n = (g: string | undefined) => (g === undefined ? 0 : Number(g));
    return (
      n(y) * YEAR +
      n(mo) * MONTH +
      n(w) * WEEK +
      n(d) * DAY +
      n(h) * HOUR +
      n(mi) * MINUTE +
      n(sec) * SECOND
    );
  }
  const lower = s.toLowerCase();
  let total = 0;
  let pos = 0;
  HUMAN_PART_RE.lastIndex = 0;
  while (pos < lower.length) {
    HUMAN_PART_RE.lastIndex = pos;
    const m = HUMAN_PART_RE.exec(lower);
    if (!m) throw new DurationError(`not a duration (expected e.g. 30s, 5m, 1h, 2 days or PT5M)`);
    const unit = UNIT_ALIASES[m[2]!];
    if (unit === undefined) throw new DurationError(`unknown unit '${m[2]}'`);
    total += Number(m[1]) * unit;
    pos = HUMAN_PART_RE.lastIndex;
  }
  return total;
}

function parseDurationObject(obj: Record<string, unknown>): number {
  const keys = Object.keys(obj);
  const known = Object.keys(HUMAN_DURATION_UNITS);
  const unknown = keys.filter((k) => !(k in HUMAN_DURATION_UNITS));
  if (unknown.length > 0) {
    throw new DurationError(
      `unknown ${unknown.length === 1 ? 'property' : 'properties'} ${unknown.map((k) => `'${k}'`).join(', ')}; expected one or more of ${known.join(', ')}`,
    );
  }
  if (keys.length === 0) throw new DurationError(`needs one or more of ${known.join(', ')}`);
  let total = 0;
  for (const key of keys) {
    let v = obj[key];
    if (typeof v === 'string' && /^\s*\d+(?:\.\d+)?\s*$/.test(v)) v = Number(v);
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new DurationError(`'${key}' must be a number`);
    }
    if (v < 0) throw new DurationError('negative durations are not allowed');
    total += v * HUMAN_DURATION_UNITS[key]!;
  }
  return total;
}
