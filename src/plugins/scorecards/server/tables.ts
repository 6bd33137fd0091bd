/** The scorecards' tables as Kysely sees them (created by ./migrations.ts). */

export interface ResultRow {
  scorecard_ref: string;
  entity_ref: string;
  level: string | null;
  rank: number;
  checks_json: string;
  /** One letter per check in the scorecard's order: P passed, F failed, U unknown. */
  statuses: string;
  passed: number;
  failed: number;
  unknown: number;
  owner_ref: string | null;
  system_ref: string | null;
  domain_ref: string | null;
  /** `,id,id,` of the campaigns whose filter the entity matches; null for none. */
  campaigns: string | null;
  /**
   * When it was last scored with a different outcome (an unchanged result is not written
   * again); the scorecard's `evaluated_at` is when a full evaluation last confirmed it.
   */
  scored_at: string;
  level_since: string;
  /** Hash of everything above but the times: a result equal to the stored one is not written. */
  digest: string | null;
}

export interface LevelChangeRow {
  scorecard_ref: string;
  entity_ref: string;
  at: string;
  from_level: string | null;
  to_level: string | null;
}

export interface DailyRow {
  scorecard_ref: string;
  day: string;
  owner_ref: string;
  level: string | null;
  count: number;
}

export interface CheckDailyRow {
  scorecard_ref: string;
  day: string;
  owner_ref: string;
  check_id: string;
  passed: number;
  failed: number;
  unknown: number;
}

export interface CampaignDailyRow {
  scorecard_ref: string;
  campaign_id: string;
  day: string;
  owner_ref: string;
  total: number;
  reached: number;
}

export interface StateRow {
  scorecard_ref: string;
  spec_hash: string | null;
  /** When the last full evaluation started: every result it kept was scored since. */
  evaluated_at: string | null;
  snapshot_day: string | null;
}

export interface ScorecardTables {
  scorecard_results: ResultRow;
  scorecard_level_changes: LevelChangeRow;
  scorecard_daily: DailyRow;
  scorecard_check_daily: CheckDailyRow;
  scorecard_campaign_daily: CampaignDailyRow;
  scorecard_state: StateRow;
  /** Bumped when every scorecard's history changes at once (the demo seed). */
  scorecard_generation: { id: number; generation: number };
  /** Bumped when a scorecard's results change. */
  scorecard_generations: { scorecard_ref: string; generation: number };
}

/** The status letter stored for a check status. */
export const STATUS_LETTER = { passed: 'P', failed: 'F', unknown: 'U' } as const;
