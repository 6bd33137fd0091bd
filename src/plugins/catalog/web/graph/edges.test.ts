import { describe, expect, it } from 'vitest';
import { drawnEdges } from './edges.ts';

const S = 'component:default/svc';
const L = 'component:default/lib';
const A = 'api:default/orders';

describe('drawn edges', () => {
  it('draws a provided API as pointing at its provider, so arrows read "needs"', () => {
    const [edge] = drawnEdges([{ source: S, type: 'providesApi', target: A }]);
    expect(edge).toMatchObject({ source: A, target: S, label: 'provided by', family: 'api' });
    expect(edge!.relations).toEqual([
      { type: 'providesApi', label: 'provided by', family: 'api', backwards: false },
    ]);
  });

  it('merges the relations between one pair of nodes, either way round, into one edge', () => {
    const edges = drawnEdges([
      { source: S, type: 'dependsOn', target: L },
      { source: L, type: 'partOf', target: S },
      { source: S, type: 'consumesApi', target: A },
      { source: S, type: 'providesApi', target: A },
    ]);
    expect(edges).toHaveLength(2);
    const [lib, api] = edges;
    expect(lib).toMatchObject({ source: S, target: L, label: 'depends on · part of' });
    expect(lib!.relations.map((r) => [r.type, r.backwards])).toEqual([
      ['dependsOn', false],
      ['partOf', true],
    ]);
    // consumesApi S→A and, flipped, A→S for providesApi: one edge with arrows both ways.
    expect(api).toMatchObject({ source: S, target: A, label: 'consumes · provided by' });
    expect(api!.relations.map((r) => r.backwards)).toEqual([false, true]);
  });

  it('keeps a relation it has no words for under its own name, and drops self-loops', () => {
    const edges = drawnEdges([
      { source: S, type: 'deploys', target: L },
      { source: S, type: 'dependsOn', target: S },
    ]);
    expect(edges).toEqual([
      {
        id: `${S}|${L}`,
        source: S,
        target: L,
        label: 'deploys',
        family: 'other',
        relations: [{ type: 'deploys', label: 'deploys', family: 'other', backwards: false }],
      },
    ]);
  });
});
