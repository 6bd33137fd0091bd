import type { CheckResult, CheckStatus } from '../common/types.ts';
import { STATUS_LETTER } from './tables.ts';

/**
 * How `scorecard_results.checks_json` holds an entity's check results: a list of
 * `[id, status letter, reason]` or `[id, status letter, reason, value]`, a third smaller than
 * a list of objects naming every key. At 100,000 entities × several scorecards every byte of
 * a row is written again whenever a result changes.
 */
type Encoded = [string, string, string] | [string, string, string, unknown];

const STATUS_OF: Record<string, CheckStatus> = { P: 'passed', F: 'failed', U: 'unknown' };

export function encodeChecks(checks: readonly CheckResult[]): string {
  return JSON.stringify(
    checks.map((c): Encoded => {
      const letter = STATUS_LETTER[c.status];
      return c.value === undefined ? [c.id, letter, c.reason] : [c.id, letter, c.reason, c.value];
    }),
  );
}

/** Reads what {@link encodeChecks} wrote, and the list of objects stored before it. */
export function decodeChecks(text: string): CheckResult[] {
  const list = JSON.parse(text) as Array<Encoded | CheckResult>;
  return list.map((item) => {
    if (!Array.isArray(item)) return item;
    const [id, letter, reason] = item;
    const out: CheckResult = { id, status: STATUS_OF[letter] ?? 'unknown', reason };
    if (item.length > 3) out.value = item[3];
    return out;
  });
}
