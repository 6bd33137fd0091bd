/**
 * The dependency graph tab's model: the server's response, the relation groups a reader
 * chooses from, the defaults for each kind of entity, and the settings read from and written
 * to the URL query string.
 */
import { fetchJson, queryString } from '../../../../web/plugin-api.ts';
import type { GraphEdge, GraphNode, GraphResponse } from '../../common/graph.ts';
export type { GraphEdge, GraphNode, GraphResponse };

/** The relation groups, each standing for a relation pair or pairs as the server names them. */
export const RELATION_GROUPS = [
  {
    id: 'apis',
    label: 'APIs',
    relations: ['providesApi', 'apiProvidedBy', 'consumesApi', 'apiConsumedBy'],
  },
  { id: 'dependencies', label: 'Dependencies', relations: ['dependsOn', 'dependencyOf'] },
  { id: 'ownership', label: 'Ownership', relations: ['ownedBy', 'ownerOf'] },
  { id: 'partof', label: 'Part of', relations: ['partOf', 'hasPart'] },
  { id: 'membership', label: 'Membership', relations: ['memberOf', 'hasMember'] },
  { id: 'hierarchy', label: 'Parent and children', relations: ['parentOf', 'childOf'] },
] as const;

export type RelationGroupId = (typeof RELATION_GROUPS)[number]['id'];
/**
 * How far a relation group is followed: `deep` from every node up to the depth, `near` from
 * the entity itself only (its owner, its system), `off` not at all.
 */
export type Reach = 'off' | 'near' | 'deep';
export type Direction = 'both' | 'outgoing';
export type Rollup = 'none' | 'system' | 'domain';

export interface GraphSettings {
  reach: Record<RelationGroupId, Reach>;
  depth: number;
  direction: Direction;
  rollup: Rollup;
  limit: number;
}

export const DEPTHS = [1, 2, 3, 4, 5] as const;
export const LIMITS = [100, 300, 1000, 2000, 5000] as const;
export const DEFAULT_LIMIT = 300;

interface KindDefault {
  deep: RelationGroupId[];
  near: RelationGroupId[];
  depth: number;
}

const ALL_GROUPS = RELATION_GROUPS.map((g) => g.id);

/**
 * What each kind's graph answers first. A service: what it provides and consumes, what it
 * depends on and what depends on it, two levels out, with its owner and system beside it
 * (but not everything else they own or contain). A group: its people, its place in the
 * organisation and what it owns, without the members of every group around it.
 */
const KIND_DEFAULTS: Record<string, KindDefault> = {
  component: { deep: ['apis', 'dependencies'], near: ['ownership', 'partof'], depth: 2 },
  api: { deep: ['apis', 'dependencies'], near: ['ownership', 'partof'], depth: 2 },
  resource: { deep: ['apis', 'dependencies'], near: ['ownership', 'partof'], depth: 2 },
  // Depth 1 still draws the API and dependency edges between the system's own parts.
  system: { deep: ['apis', 'dependencies'], near: ['partof', 'ownership'], depth: 1 },
  domain: { deep: ['partof'], near: ['ownership'], depth: 2 },
  group: { deep: ['hierarchy'], near: ['membership', 'ownership'], depth: 2 },
  user: { deep: [], near: ['membership', 'ownership'], depth: 1 },
};
const OTHER_KINDS: KindDefault = { deep: ALL_GROUPS, near: [], depth: 1 };

/** The settings a kind's graph opens with. */
export function defaultSettings(kind: string): GraphSettings {
  const d = KIND_DEFAULTS[kind.toLowerCase()] ?? OTHER_KINDS;
  return {
    reach: reachOf(d.deep, d.near),
    depth: d.depth,
    direction: 'both',
    rollup: 'none',
    limit: DEFAULT_LIMIT,
  };
}

function reachOf(deep: readonly string[], near: readonly string[]): Record<RelationGroupId, Reach> {
  return Object.fromEntries(
    ALL_GROUPS.map((id) => [id, deep.includes(id) ? 'deep' : near.includes(id) ? 'near' : 'off']),
  ) as Record<RelationGroupId, Reach>;
}

export function groupsWith(settings: GraphSettings, reach: Reach): RelationGroupId[] {
  return ALL_GROUPS.filter((id) => settings.reach[id] === reach);
}

function intParam(value: string | null, min: number, max: number, fallback: number): number {
  if (value === null || !/^\d+$/.test(value)) return fallback;
  const n = Number(value);
  return n >= min && n <= max ? n : fallback;
}

const listParam = (value: string | null) => (value ? value.split(',') : []);

/**
 * Settings from the URL over the kind's defaults. `rel` (followed to the depth) and `near`
 * (followed from the entity only) name relation groups; either one replaces both defaults.
 */
export function readSettings(params: URLSearchParams, kind: string): GraphSettings {
  const defaults = defaultSettings(kind);
  const rel = params.get('rel');
  const near = params.get('near');
  const reach =
    rel === null && near === null ? defaults.reach : reachOf(listParam(rel), listParam(near));
  const direction = params.get('direction');
  const rollup = params.get('rollup');
  return {
    reach,
    depth: intParam(params.get('depth'), 1, DEPTHS.length, defaults.depth),
    direction: direction === 'outgoing' ? 'outgoing' : 'both',
    rollup: rollup === 'system' || rollup === 'domain' ? rollup : 'none',
    limit: intParam(params.get('limit'), 1, 5000, defaults.limit),
  };
}

/** The URL query for settings: the kind's defaults are left out, so the plain tab URL is them. */
export function writeSettings(settings: GraphSettings, kind: string): URLSearchParams {
  const defaults = defaultSettings(kind);
  const params = new URLSearchParams();
  if (ALL_GROUPS.some((id) => settings.reach[id] !== defaults.reach[id])) {
    params.set('rel', groupsWith(settings, 'deep').join(','));
    params.set('near', groupsWith(settings, 'near').join(','));
  }
  if (settings.depth !== defaults.depth) params.set('depth', String(settings.depth));
  if (settings.direction !== defaults.direction) params.set('direction', settings.direction);
  if (settings.rollup !== defaults.rollup) params.set('rollup', settings.rollup);
  if (settings.limit !== defaults.limit) params.set('limit', String(settings.limit));
  return params;
}

export function relationsOf(groups: readonly RelationGroupId[]): string[] {
  return RELATION_GROUPS.filter((g) => groups.includes(g.id)).flatMap((g) => [...g.relations]);
}

/** Whether the settings follow any relation at all. */
export function followsAny(settings: GraphSettings): boolean {
  return ALL_GROUPS.some((id) => settings.reach[id] !== 'off');
}

/** A response with the moment it arrived, so the layout time is measured from there. */
export interface ReceivedGraph extends GraphResponse {
  receivedAt: number;
}

export async function fetchGraph(
  root: string,
  settings: GraphSettings,
  signal?: AbortSignal,
): Promise<ReceivedGraph> {
  const deep = relationsOf(groupsWith(settings, 'deep'));
  const near = relationsOf(groupsWith(settings, 'near'));
  const graph = await fetchJson<GraphResponse>(
    `/api/catalog/graph${queryString({
      root,
      // Without `relations` the server follows every type, unless near ones are named.
      relations: deep.length ? deep : undefined,
      nearRelations: near.length ? near : undefined,
      depth: settings.depth,
      direction: settings.direction,
      limit: settings.limit,
      rollup: settings.rollup,
    })}`,
    { signal },
  );
  return { ...graph, receivedAt: performance.now() };
}
