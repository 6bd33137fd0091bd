import { describe, expect, it } from 'vitest';
import { appendPath, formatPath, type PathSegment, parsePath, valueAtDottedPath } from './path.ts';

describe('problem paths', () => {
  it.each<[PathSegment[], string]>([
    [['spec', 'owner'], 'spec.owner'],
    [['metadata', 'tags', 1], 'metadata.tags[1]'],
    [['spec', 'dependsOn', 0], 'spec.dependsOn[0]'],
    [
      ['metadata', 'annotations', 'backstage.io/view-url'],
      'metadata.annotations["backstage.io/view-url"]',
    ],
    [
      ['spec', 'steps', 0, 'backstage:permissions', 'tags'],
      'spec.steps[0]["backstage:permissions"].tags',
    ],
    [['spec', 'a"b', 'c\\d'], 'spec["a\\"b"]["c\\\\d"]'],
    [['spec', 'x-y', '_z', '1st'], 'spec.x-y._z["1st"]'],
    [['odd key'], '["odd key"]'],
    [[], ''],
  ])('%j ⇄ %s', (segments, path) => {
    expect(formatPath(segments)).toBe(path);
    expect(parsePath(path)).toEqual(segments);
  });

  it('appends', () => {
    expect(appendPath('', 'spec')).toBe('spec');
    expect(appendPath('spec', 3)).toBe('spec[3]');
  });
});

describe('valueAtDottedPath', () => {
  it('reads own properties along a dotted path, and nothing inherited', () => {
    const spec = { profile: { email: 'a@example.com' }, lifecycle: 'production' };
    expect(valueAtDottedPath(spec, 'profile.email')).toBe('a@example.com');
    expect(valueAtDottedPath(spec, 'lifecycle')).toBe('production');
    expect(valueAtDottedPath(spec, 'profile.missing')).toBeUndefined();
    expect(valueAtDottedPath(spec, 'lifecycle.length')).toBeUndefined();
    expect(valueAtDottedPath(spec, 'constructor')).toBeUndefined();
    expect(valueAtDottedPath(spec, 'profile.__proto__')).toBeUndefined();
  });
});
