import { describe, expect, it } from 'vitest';
import { checkDataLimits, DEFAULT_DATA_LIMITS, flowNestingBound } from './data-limits.ts';

/** 10^levels strings behind `levels` lists of ten references each. */
function laughs(levels: number): unknown {
  let value: unknown = Array.from({ length: 10 }, () => 'lol');
  for (let i = 0; i < levels; i++) value = Array.from({ length: 10 }, () => value);
  return { top: value };
}

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('checkDataLimits', () => {
  it('refuses a billion laughs in milliseconds, without expanding it', () => {
    const started = performance.now();
    const broken = checkDataLimits(laughs(8), DEFAULT_DATA_LIMITS);
    expect(performance.now() - started).toBeLessThan(200);
    expect(broken?.limit).toBe('maxExpandedBytes');
    expect(broken?.message).toContain('backend.limits.expandedBytes');
  });

  it('allows shared values whose expansion stays small, and counts each alias', () => {
    expect(checkDataLimits(laughs(2))).toBeUndefined();
    const broken = checkDataLimits(laughs(2), { ...DEFAULT_DATA_LIMITS, maxAliases: 5 });
    expect(broken?.limit).toBe('maxAliases');
    expect(broken?.message).toContain('backend.limits.yamlAliases');
  });

  it('measures a million-deep value without overflowing the stack', () => {
    const broken = checkDataLimits(nested(1_000_000));
    expect(broken?.limit).toBe('maxDepth');
    expect(broken?.message).toContain('200 levels');
    expect(checkDataLimits(nested(200))).toBeUndefined();
    expect(checkDataLimits(nested(201))?.limit).toBe('maxDepth');
  });

  it('refuses a value that contains itself', () => {
    const cyclic: Record<string, unknown> = { a: [] };
    (cyclic.a as unknown[]).push(cyclic);
    expect(checkDataLimits(cyclic)?.limit).toBe('cycle');
  });

  it('counts long strings, so aliases of one big scalar cannot hide', () => {
    const big = 'x'.repeat(1_000_000);
    const list = Array.from({ length: 40 }, () => big);
    expect(checkDataLimits(list)?.limit).toBe('maxExpandedBytes');
    expect(checkDataLimits(list.slice(0, 20))).toBeUndefined();
  });

  it('passes a large plain catalog document', () => {
    const doc = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Location',
      metadata: { name: 'big' },
      spec: { targets: Array.from({ length: 100_000 }, (_, i) => `./team-${i}/catalog-info.yaml`) },
    };
    expect(checkDataLimits(doc)).toBeUndefined();
  });
});

describe('flowNestingBound', () => {
  it('bounds bracket nesting, per YAML document', () => {
    expect(flowNestingBound('a: [1, {b: [2]}]')).toBe(3);
    expect(flowNestingBound(`${'['.repeat(5000)}`)).toBe(5000);
    expect(flowNestingBound('a: [[\n---\nb: [1]')).toBe(2);
  });
});
