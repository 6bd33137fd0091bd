import { describe, expect, it } from 'vitest';
import type { Entity } from '../../../../model/entity.ts';
import { entityDiff, MAX_ENTRIES, MAX_VALUE_CHARS } from './diff.ts';

function component(metadata: Partial<Entity['metadata']>, spec: Record<string, unknown>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'a', namespace: 'default', ...metadata },
    spec: { type: 'service', owner: 'team-a', ...spec },
  };
}
const diff = (a: Entity, b: Entity, pa = null, pb = null) =>
  entityDiff({ entity: a, problems: pa }, { entity: b, problems: pb });

describe('entityDiff: the leaf values an update changed', () => {
  it('lists changed, added and removed leaves with before and after, in path order', () => {
    const before = component(
      { tags: ['a'], annotations: { 'backstage.io/orphan': 'true', keep: 'x' } },
      { owner: 'team-a', lifecycle: 'production' },
    );
    const after = component(
      { tags: ['a', 'b'], description: 'new', annotations: { keep: 'x' } },
      { owner: 'team-b', lifecycle: 'production' },
    );
    expect(diff(before, after)).toEqual({
      changes: [
        { path: 'metadata.annotations.backstage.io/orphan', before: 'true' },
        { path: 'metadata.description', after: 'new' },
        { path: 'metadata.tags', before: ['a'], after: ['a', 'b'] },
        { path: 'spec.owner', before: 'team-a', after: 'team-b' },
      ],
    });
  });

  it('ignores bookkeeping (uid, etag, relations, status) and key order', () => {
    const before = { ...component({ uid: '1', etag: 'e1' }, { a: { x: 1, y: 2 } }), relations: [] };
    const after = component({ etag: 'e2', uid: '2' }, { a: { y: 2, x: 1 } });
    expect(diff(before, after)).toEqual({ changes: [] });
  });

  it('counts processing problems as status.items', () => {
    const e = component({}, {});
    const problem = { type: 'x', level: 'error' as const, message: 'bad' };
    expect(diff(e, e, null, [problem] as never).changes).toEqual([
      { path: 'status.items', after: [problem] },
    ]);
  });

  it('cuts long values and long lists, and says so', () => {
    const long = 'x'.repeat(MAX_VALUE_CHARS * 2);
    const one = diff(component({ description: 'short' }, {}), component({ description: long }, {}));
    expect(one.changes).toHaveLength(1);
    expect(one.changes[0]).toMatchObject({ before: 'short', truncated: ['after'] });
    expect((one.changes[0]!.after as string).length).toBe(MAX_VALUE_CHARS);

    const many = Object.fromEntries(
      Array.from({ length: MAX_ENTRIES + 50 }, (_, i) => [`k${i}`, i]),
    );
    const capped = diff(component({}, {}), component({ labels: many as never }, {}));
    expect(capped.changes).toHaveLength(MAX_ENTRIES);
    expect(capped.omitted).toBe(50);
  });
});
