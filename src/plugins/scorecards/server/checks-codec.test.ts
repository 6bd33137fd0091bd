import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../common/types.ts';
import { decodeChecks, encodeChecks } from './checks-codec.ts';

const CHECKS: CheckResult[] = [
  { id: 'owned', status: 'passed', value: 1, reason: '1 ownedBy relation, needs at least 1' },
  { id: 'docs', status: 'failed', reason: 'metadata.annotations["x/y"] is missing' },
  { id: 'coverage', status: 'unknown', reason: "fact 'ci.coverage' is not known" },
  { id: 'tags', status: 'passed', value: ['a', { b: null }], reason: 'has 2 items' },
  { id: 'nothing', status: 'failed', value: null, reason: 'is null' },
];

describe('stored check results', () => {
  it('reads back what it wrote, a value left out staying out and null kept', () => {
    const decoded = decodeChecks(encodeChecks(CHECKS));
    expect(decoded).toEqual(CHECKS);
    expect('value' in decoded[1]!).toBe(false);
    expect(decoded[4]).toHaveProperty('value', null);
  });

  it('is smaller than the list of objects it replaces, and still reads that list', () => {
    const objects = JSON.stringify(CHECKS);
    expect(encodeChecks(CHECKS).length).toBeLessThan(objects.length * 0.8);
    expect(decodeChecks(objects)).toEqual(CHECKS);
  });
});
