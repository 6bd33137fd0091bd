/**
 * The graph's edges as a reader sees them: named in words, coloured by family, pointing the
 * way dependence flows, and one line per pair of nodes.
 *
 * The server names each relation pair by its forward relation (`A providesApi X`). Drawn
 * like that, an API's consumers and providers all point at it from the same side. Drawn as
 * `X provided by A` instead, every arrow reads "needs": consumer → API → provider, service →
 * dependency, so what depends on what is read along the arrows.
 */
import type { GraphEdge } from './model.ts';

export type Family = 'dependency' | 'api' | 'ownership' | 'partof' | 'membership' | 'hierarchy';

interface RelationLook {
  label: string;
  family: Family | 'other';
  /** Drawn from the server's target to its source. */
  flip?: boolean;
}

const LOOKS: Record<string, RelationLook> = {
  dependsOn: { label: 'depends on', family: 'dependency' },
  consumesApi: { label: 'consumes', family: 'api' },
  providesApi: { label: 'provided by', family: 'api', flip: true },
  ownedBy: { label: 'owned by', family: 'ownership' },
  partOf: { label: 'part of', family: 'partof' },
  memberOf: { label: 'member of', family: 'membership' },
  childOf: { label: 'child of', family: 'hierarchy' },
};

/** The families' names for the legend, in the legend's order. */
export const FAMILY_LABELS: Record<Family | 'other', string> = {
  dependency: 'depends on',
  api: 'consumes / provided by',
  ownership: 'owned by',
  partof: 'part of',
  membership: 'member of',
  hierarchy: 'child of',
  other: 'other relations',
};

export function relationLook(type: string): RelationLook {
  return LOOKS[type] ?? { label: type, family: 'other' };
}

/** One relation of a drawn edge. */
export interface DrawnRelation {
  /** As the server names it (`providesApi`). */
  type: string;
  label: string;
  family: Family | 'other';
  /** Points from the drawn edge's target to its source. */
  backwards: boolean;
}

/** A line between two nodes, standing for every relation between them. */
export interface DrawnEdge {
  id: string;
  source: string;
  target: string;
  relations: DrawnRelation[];
  /** The relations' labels, each once: "depends on · part of". */
  label: string;
  /** The first relation's family colours the line. */
  family: Family | 'other';
}

/**
 * Turns the server's edges into drawn ones: flipped where reading calls for it, and the
 * relations between the same two nodes (either way round) merged into one edge.
 */
export function drawnEdges(edges: readonly GraphEdge[]): DrawnEdge[] {
  const byPair = new Map<string, DrawnEdge>();
  for (const edge of edges) {
    if (edge.source === edge.target) continue;
    const look = relationLook(edge.type);
    const [from, to] = look.flip ? [edge.target, edge.source] : [edge.source, edge.target];
    const key = from < to ? `${from}\u0000${to}` : `${to}\u0000${from}`;
    let drawn = byPair.get(key);
    if (!drawn) {
      drawn = {
        id: `${from}|${to}`,
        source: from,
        target: to,
        relations: [],
        label: '',
        family: look.family,
      };
      byPair.set(key, drawn);
    }
    drawn.relations.push({
      type: edge.type,
      label: look.label,
      family: look.family,
      backwards: drawn.source !== from,
    });
  }
  for (const drawn of byPair.values()) {
    drawn.label = [...new Set(drawn.relations.map((r) => r.label))].join(' · ');
  }
  return [...byPair.values()];
}
