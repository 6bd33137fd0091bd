/**
 * The dependency graph tab's model: the server's response, the relation groups offered as
 * checkboxes, and the settings read from and written to the URL query string.
 */
import { fetchJson, queryString } from '../../../../web/plugin-api.ts';
import type { GraphEdge, GraphNode, GraphResponse } from '../../common/graph.ts';
export type { GraphEdge, GraphNode, GraphResponse };

/** The checkboxes, each standing for a relation pair or pairs as the server names them. */
export const RELATION_GROUPS = [
  { id: 'ownership', label: 'Ownership', relations: ['ownedBy', 'ownerOf'] },
  { id: 'dependencies', label: 'Dependencies', relations: ['dependsOn', 'dependencyOf'] },
  {
    id: 'apis',
    label: 'APIs',
    relations: ['providesApi', 'apiProvidedBy', 'consumesApi', 'apiConsumedBy'],
  },
  { id: 'partof', label: 'Part of', relations: ['partOf', 'hasPart'] },
  {
    id: 'membership',
    label: 'Membership',
    relations: ['memberOf', 'hasMember', 'parentOf', 'childOf'],
  },
] as const;

export type RelationGroupId = (typeof RELATION_GROUPS)[number]['id'];
export type Direction = 'both' | 'outgoing';
export type Rollup = 'none' | 'system' | 'domain';

export interface GraphSettings {
  groups: RelationGroupId[];
  depth: number;
  direction: Direction;
  rollup: Rollup;
  limit: number;
}

export const DEPTHS = [1, 2, 3, 4, 5] as const;
export const LIMITS = [100, 300, 1000, 2000, 5000] as const;
export const DEFAULT_SETTINGS: GraphSettings = {
  groups: RELATION_GROUPS.map((g) => g.id),
  depth: 2,
  direction: 'both',
  rollup: 'none',
  limit: 300,
};

const GROUP_IDS = new Set<string>(RELATION_GROUPS.map((g) => g.id));

function intParam(value: string | null, min: number, max: number, fallback: number): number {
  if (value === null || !/^\d+$/.test(value)) return fallback;
  const n = Number(value);
  return n >= min && n <= max ? n : fallback;
}

/** Settings from the URL; anything missing or invalid takes its default. */
export function readSettings(params: URLSearchParams): GraphSettings {
  const rel = params.get('rel');
  const groups =
    rel === null
      ? DEFAULT_SETTINGS.groups
      : RELATION_GROUPS.map((g) => g.id).filter((id) => rel.split(',').includes(id));
  const direction = params.get('direction');
  const rollup = params.get('rollup');
  return {
    groups,
    depth: intParam(params.get('depth'), 1, DEPTHS.length, DEFAULT_SETTINGS.depth),
    direction: direction === 'outgoing' ? 'outgoing' : 'both',
    rollup: rollup === 'system' || rollup === 'domain' ? rollup : 'none',
    limit: intParam(params.get('limit'), 1, 5000, DEFAULT_SETTINGS.limit),
  };
}

/** The URL query for settings: defaults are left out, so the plain tab URL is the default. */
export function writeSettings(settings: GraphSettings): URLSearchParams {
  const params = new URLSearchParams();
  const allGroups = settings.groups.length === GROUP_IDS.size;
  if (!allGroups) params.set('rel', settings.groups.join(','));
  if (settings.depth !== DEFAULT_SETTINGS.depth) params.set('depth', String(settings.depth));
  if (settings.direction !== DEFAULT_SETTINGS.direction) {
    params.set('direction', settings.direction);
  }
  if (settings.rollup !== DEFAULT_SETTINGS.rollup) params.set('rollup', settings.rollup);
  if (settings.limit !== DEFAULT_SETTINGS.limit) params.set('limit', String(settings.limit));
  return params;
}

export function relationsOf(groups: readonly RelationGroupId[]): string[] {
  return RELATION_GROUPS.filter((g) => groups.includes(g.id)).flatMap((g) => [...g.relations]);
}

export function fetchGraph(
  root: string,
  settings: GraphSettings,
  signal?: AbortSignal,
): Promise<GraphResponse> {
  return fetchJson<GraphResponse>(
    `/api/catalog/graph${queryString({
      root,
      relations: relationsOf(settings.groups),
      depth: settings.depth,
      direction: settings.direction,
      limit: settings.limit,
      rollup: settings.rollup,
    })}`,
    { signal },
  );
}
