/**
 * The Scorecard document and the results of scoring an entity against it. Pure types shared
 * by the server, the web app and the CLI.
 */
import type { Entity } from '../../../model/entity.ts';

export const SCORECARD_API_VERSION = 'atrium.io/v1alpha1';
export const SCORECARD_KIND = 'Scorecard';

/** A filter value: one string (numbers and booleans are read as their text) or any of a list. */
export type EntityFilterValue = string | number | boolean | (string | number | boolean)[];
/** Every key must match; keys are dotted paths (`spec.type`, `relations.ownedBy`). */
export type EntityFilterObject = Record<string, EntityFilterValue>;
/** Backstage's EntityFilter: one object, or a list of objects of which any may match. */
export type EntityFilter = EntityFilterObject | EntityFilterObject[];

export type RuleOperator =
  | 'exists'
  | 'equals'
  | 'in'
  | 'matches'
  | 'contains'
  | 'minItems'
  | 'gt'
  | 'gte'
  | 'lt'
  | 'lte';

/** `{ field: 'metadata.description', exists: true }`: exactly one operator. */
export interface FieldRuleSpec extends Partial<Record<RuleOperator, unknown>> {
  field: string;
}
/** `{ fact: 'ci.coverage', gte: 80 }`: exactly one operator. */
export interface FactRuleSpec extends Partial<Record<RuleOperator, unknown>> {
  fact: string;
}
export interface RelationRuleSpec {
  relation: string;
  minCount?: number;
  maxCount?: number;
  target?: EntityFilter;
}
export interface AllOfRuleSpec {
  allOf: RuleSpec[];
}
export interface AnyOfRuleSpec {
  anyOf: RuleSpec[];
}
export interface NotRuleSpec {
  not: RuleSpec;
}
export type RuleSpec =
  | FieldRuleSpec
  | FactRuleSpec
  | RelationRuleSpec
  | AllOfRuleSpec
  | AnyOfRuleSpec
  | NotRuleSpec;

export interface CheckSpec {
  /** `[a-z0-9-]+`, unique within the scorecard. */
  id: string;
  /** Defaults to the id. */
  title?: string;
  description?: string;
  /** One of the scorecard's levels. */
  level: string;
  rule: RuleSpec;
  /** Plain text telling a developer how to make the check pass. */
  howToFix?: string;
}

export interface CampaignSpec {
  id: string;
  title?: string;
  /** The level every entity in the campaign should reach. */
  level: string;
  /** Narrows the scorecard's own filter; absent = every entity the scorecard matches. */
  filter?: EntityFilter;
  /** `YYYY-MM-DD`. */
  deadline: string;
}

export interface ScorecardSpec {
  owner?: string;
  /** Absent = every entity except Scorecards, Locations and Templates. */
  filter?: EntityFilter;
  /** Lowest first. */
  levels: string[];
  checks: CheckSpec[];
  campaigns?: CampaignSpec[];
}

/**
 * A scorecard read from its entity by `compileScorecard`. Plain JSON (it may be sent to the
 * browser); the compiled rules live beside it, keyed by this object.
 */
export interface Scorecard {
  /** Lowercased, e.g. `scorecard:default/production-readiness`. */
  ref: string;
  name: string;
  namespace: string;
  /** `metadata.title`, else the name. */
  title: string;
  description?: string;
  spec: ScorecardSpec;
}

export type CheckStatus = 'passed' | 'failed' | 'unknown';

export interface CheckResult {
  id: string;
  status: CheckStatus;
  /** What was seen: the field's or fact's value, or the number of matching relations. */
  value?: unknown;
  /** One sentence a developer can act on, e.g. "ci.coverage is 72, needs ≥ 80". */
  reason: string;
}

export interface EntityScore {
  /** The highest level whose checks, and those of every lower level, all passed. */
  level: string | null;
  /** Index of `level` in the scorecard's levels + 1; 0 for no level. */
  rank: number;
  /** In the order of the scorecard's checks. */
  checks: CheckResult[];
}

/** Fact id -> value. A fact absent from the map is unknown for the entity. */
export type Facts = ReadonlyMap<string, unknown>;

export interface RelationLike {
  type: string;
  targetRef: string;
}

export interface ScoringInput {
  entity: Entity;
  /** The entity's outgoing relations (as stored). */
  relations: readonly RelationLike[];
  /** Targets of those relations that exist in the catalog (lowercased ref -> entity). */
  targets: ReadonlyMap<string, Entity>;
  facts: Facts;
}

/** One defect of a scorecard document; `path` is a field path like `spec.checks[2].rule.gte`. */
export interface ScorecardError {
  path: string;
  message: string;
}
