/**
 * The scorecards API (`/api/scorecards`) as the web app reads it. The shapes follow
 * `src/plugins/scorecards/server/routes.ts`; README, "Scorecards", documents them.
 */
import { ApiError, fetchJson, queryString } from '../../../web/plugin-api.ts';
import type { CheckStatus } from '../common/types.ts';

const BASE = '/api/scorecards';

/** Level name (or `none`) -> number of entities. */
export type Distribution = Record<string, number>;

export interface CheckInfo {
  id: string;
  title: string;
  level: string;
  description?: string;
  howToFix?: string;
}

export interface CampaignInfo {
  id: string;
  title: string;
  level: string;
  deadline: string;
}

export interface ScorecardSummary {
  ref: string;
  namespace: string;
  name: string;
  title: string;
  description?: string;
  owner?: string;
  levels: string[];
  checks: CheckInfo[];
  campaigns?: CampaignInfo[];
  matched: number;
  distribution: Distribution;
  /** A full evaluation is running: counts are still moving. */
  evaluating?: boolean;
  /** What is wrong with it, e.g. "filter matches no entity…" or why it does not compile. */
  problems?: string[];
}

export interface ResultItem {
  entityRef: string;
  title: string;
  kind: string;
  owner?: string;
  system?: string;
  level: string | null;
  rank: number;
  passed: number;
  failed: number;
  unknown: number;
  levelSince: string;
  scoredAt?: string;
}

export interface ResultsPage {
  items: ResultItem[];
  totalItems: number;
  nextCursor?: string;
}

export type RollupBy = 'owner' | 'system' | 'domain';

export interface RollupItem {
  ref: string;
  title: string;
  total: number;
  distribution: Distribution;
  /** 0..1 */
  passRate: number;
  checks: Array<{ id: string; passRate: number }>;
  holdingBack: Array<{ entityRef: string; level: string | null; failing: string[] }>;
}

export interface TrendDay {
  /** `YYYY-MM-DD` */
  day: string;
  distribution: Distribution;
  /** Check id -> pass rate 0..1. */
  checks: Record<string, number>;
}

export interface Trend {
  days: TrendDay[];
  /** Some owners' history is left out: the caller may not read all their entities. */
  partial?: boolean;
}

export interface Campaign {
  id: string;
  title: string;
  level: string;
  deadline: string;
  total: number;
  reached: number;
  /** Up to 50 refs of entities below the campaign's level. */
  missing: string[];
  progress: Array<{ day: string; total: number; reached: number }>;
}

export interface EntityCheck extends CheckInfo {
  status: CheckStatus;
  value?: unknown;
  reason: string;
}

export interface EntityScorecard {
  scorecard: { ref: string; title: string; levels: string[] };
  level: string | null;
  rank: number;
  scoredAt: string;
  levelSince: string;
  checks: EntityCheck[];
}

export interface LevelChange {
  at: string;
  scorecardRef: string;
  from: string | null;
  to: string | null;
}

/** `namespace/name` path segments of a scorecard ref (`scorecard:default/x`). */
export function scorecardPath(ref: { namespace: string; name: string }): string {
  return `${encodeURIComponent(ref.namespace)}/${encodeURIComponent(ref.name)}`;
}

/** `namespace/kind/name` path segments of an entity, as the API's entity routes take them. */
export function entitySegments(e: { kind: string; namespace: string; name: string }): string {
  return [e.namespace, e.kind, e.name].map((s) => encodeURIComponent(s.toLowerCase())).join('/');
}

export async function listScorecards(signal?: AbortSignal): Promise<ScorecardSummary[]> {
  const body = await fetchJson<{ items: ScorecardSummary[] }>(`${BASE}/scorecards`, { signal });
  return body.items;
}

export function getResults(
  card: { namespace: string; name: string },
  params: {
    owner?: string;
    system?: string;
    domain?: string;
    level?: string;
    check?: string;
    status?: CheckStatus;
    limit?: number;
    cursor?: string;
  },
  signal?: AbortSignal,
): Promise<ResultsPage> {
  return fetchJson(`${BASE}/scorecards/${scorecardPath(card)}/results${queryString(params)}`, {
    signal,
  });
}

export async function getRollup(
  card: { namespace: string; name: string },
  params: { by?: RollupBy; group?: string },
  signal?: AbortSignal,
): Promise<RollupItem[]> {
  const body = await fetchJson<{ items: RollupItem[] }>(
    `${BASE}/scorecards/${scorecardPath(card)}/rollup${queryString(params)}`,
    { signal },
  );
  return body.items;
}

export function getTrend(
  card: { namespace: string; name: string },
  params: { days?: number; owner?: string },
  signal?: AbortSignal,
): Promise<Trend> {
  return fetchJson(`${BASE}/scorecards/${scorecardPath(card)}/trend${queryString(params)}`, {
    signal,
  });
}

export async function getCampaigns(
  card: { namespace: string; name: string },
  signal?: AbortSignal,
): Promise<Campaign[]> {
  const body = await fetchJson<{ items: Campaign[] }>(
    `${BASE}/scorecards/${scorecardPath(card)}/campaigns`,
    { signal },
  );
  return body.items;
}

/** An entity's results; none (not an error) when the caller may not read it or it is gone. */
export async function getEntityScorecards(
  entity: { kind: string; namespace: string; name: string },
  signal?: AbortSignal,
): Promise<EntityScorecard[]> {
  try {
    const body = await fetchJson<{ items: EntityScorecard[] }>(
      `${BASE}/entities/${entitySegments(entity)}`,
      { signal },
    );
    return body.items;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return [];
    throw error;
  }
}

export async function getEntityHistory(
  entity: { kind: string; namespace: string; name: string },
  signal?: AbortSignal,
): Promise<LevelChange[]> {
  const body = await fetchJson<{ items: LevelChange[] }>(
    `${BASE}/entities/${entitySegments(entity)}/history`,
    { signal },
  );
  return body.items;
}
