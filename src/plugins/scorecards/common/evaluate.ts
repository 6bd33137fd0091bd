/**
 * Reading a Scorecard entity (every defect reported at its field path) and scoring entities
 * against it. A scorecard is compiled once — paths parsed, regexes built — and kept beside
 * the returned plain object, so scoring an entity parses nothing.
 */
import type { Entity } from '../../../model/entity.ts';
import { describeValue } from './describe.ts';
import {
  type CompiledFilter,
  compileFilter,
  matchesCompiledFilter,
  matchesFilter,
} from './filter.ts';
import { type CompiledRule, compileRule } from './rule.ts';
import type {
  CampaignSpec,
  CheckResult,
  EntityScore,
  RelationLike,
  Scorecard,
  ScorecardError,
  ScorecardSpec,
  ScoringInput,
} from './types.ts';

export { matchesFilter };

export const MAX_LEVELS = 10;
export const MAX_CHECKS = 100;
export const MAX_CAMPAIGNS = 50;
const ID = /^[a-z0-9-]+$/;
const MAX_ID = 63;
const MAX_TEXT = 2000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const SPEC_KEYS = ['owner', 'filter', 'levels', 'checks', 'campaigns'];
const CHECK_KEYS = ['id', 'title', 'description', 'level', 'rule', 'howToFix'];
const CAMPAIGN_KEYS = ['id', 'title', 'level', 'filter', 'deadline'];

interface CompiledCheck {
  id: string;
  levelIndex: number;
  rule: CompiledRule;
}

interface CompiledScorecard {
  filter: CompiledFilter | undefined;
  levels: string[];
  checks: CompiledCheck[];
  campaigns: Map<string, CompiledFilter | undefined>;
  factIds: string[];
}

/**
 * Thrown by {@link compileScorecard}: the list of every defect (it is an array of
 * {@link ScorecardError}), with a `message` joining them for logs.
 */
export class ScorecardErrors extends Array<ScorecardError> {
  static override get [Symbol.species]() {
    return Array;
  }
  readonly name = 'ScorecardErrors';
  get message(): string {
    return `Invalid scorecard: ${this.map((e) => `${e.path}: ${e.message}`).join('; ')}`;
  }
}

const compiledCards = new WeakMap<Scorecard, CompiledScorecard>();

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownKeys(
  at: string,
  value: Record<string, unknown>,
  allowed: string[],
  errors: ScorecardError[],
): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      errors.push({
        path: `${at}.${key}`,
        message: `"${at}.${key}" is not an allowed field; allowed fields are ${allowed.join(', ')}`,
      });
    }
  }
}

function optionalText(value: unknown, at: string, errors: ScorecardError[]): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > MAX_TEXT) {
    errors.push({
      path: at,
      message: `"${at}" must be text of at most ${MAX_TEXT} characters but found ${describeValue(value)}`,
    });
    return undefined;
  }
  return value;
}

function checkId(value: unknown, at: string, seen: Set<string>, errors: ScorecardError[]): void {
  if (typeof value !== 'string' || !ID.test(value) || value.length > MAX_ID) {
    errors.push({
      path: at,
      message: `"${at}" must be an id of lowercase letters, digits and -, at most ${MAX_ID} characters (e.g. has-docs), but found ${describeValue(value)}`,
    });
  } else if (seen.has(value)) {
    errors.push({
      path: at,
      message: `"${at}": the id "${value}" is used twice; ids must be unique`,
    });
  } else seen.add(value);
}

function levelIndexOf(
  value: unknown,
  at: string,
  levels: string[] | undefined,
  errors: ScorecardError[],
): number {
  if (!levels) return -1;
  const index = typeof value === 'string' ? levels.indexOf(value) : -1;
  if (index === -1) {
    const near =
      typeof value === 'string'
        ? levels.find((l) => l.toLowerCase() === value.toLowerCase())
        : undefined;
    errors.push({
      path: at,
      message: `"${at}" must be one of the levels ${levels.join(', ')} but found ${describeValue(value)}${near ? ` (levels are case-sensitive: did you mean "${near}"?)` : ''}`,
    });
  }
  return index;
}

function readLevels(raw: unknown, errors: ScorecardError[]): string[] | undefined {
  const at = 'spec.levels';
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_LEVELS) {
    errors.push({
      path: at,
      message: `"${at}" must be a list of 1 to ${MAX_LEVELS} level names, lowest first, e.g. [Bronze, Silver, Gold]`,
    });
    return undefined;
  }
  const before = errors.length;
  const seen = new Set<string>();
  raw.forEach((level, i) => {
    if (typeof level !== 'string' || level.trim() === '' || level.length > MAX_ID) {
      errors.push({
        path: `${at}[${i}]`,
        message: `"${at}[${i}]" must be a level name of 1 to ${MAX_ID} characters but found ${describeValue(level)}`,
      });
    } else if (seen.has(level.toLowerCase())) {
      errors.push({
        path: `${at}[${i}]`,
        message: `"${at}[${i}]": the level "${level}" is listed twice`,
      });
    } else seen.add(level.toLowerCase());
  });
  return errors.length > before ? undefined : (raw as string[]);
}

function compileSpec(spec: unknown, errors: ScorecardError[]): CompiledScorecard | undefined {
  const before = errors.length;
  if (!isRecord(spec)) {
    errors.push({
      path: 'spec',
      message: `"spec" must be an object with levels and checks but found ${describeValue(spec)}`,
    });
    return undefined;
  }
  unknownKeys('spec', spec, SPEC_KEYS, errors);
  if (spec.owner !== undefined && (typeof spec.owner !== 'string' || spec.owner === '')) {
    errors.push({
      path: 'spec.owner',
      message: `"spec.owner" must be an entity ref like group:default/platform but found ${describeValue(spec.owner)}`,
    });
  }
  const filter =
    spec.filter === undefined ? undefined : compileFilter(spec.filter, 'spec.filter', errors);
  const levels = readLevels(spec.levels, errors);

  const checks: CompiledCheck[] = [];
  const raw = spec.checks;
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_CHECKS) {
    errors.push({
      path: 'spec.checks',
      message: `"spec.checks" must be a list of 1 to ${MAX_CHECKS} checks, each { id, level, rule }`,
    });
  } else {
    const ids = new Set<string>();
    raw.forEach((check, i) => {
      const at = `spec.checks[${i}]`;
      if (!isRecord(check)) {
        errors.push({
          path: at,
          message: `"${at}" must be a check { id, level, rule, title?, description?, howToFix? } but found ${describeValue(check)}`,
        });
        return;
      }
      unknownKeys(at, check, CHECK_KEYS, errors);
      checkId(check.id, `${at}.id`, ids, errors);
      optionalText(check.title, `${at}.title`, errors);
      optionalText(check.description, `${at}.description`, errors);
      optionalText(check.howToFix, `${at}.howToFix`, errors);
      const levelIndex = levelIndexOf(check.level, `${at}.level`, levels, errors);
      if (check.rule === undefined) {
        errors.push({
          path: `${at}.rule`,
          message: `"${at}.rule" is required, e.g. rule: { field: metadata.description, exists: true }`,
        });
      }
      const rule =
        check.rule === undefined ? undefined : compileRule(check.rule, `${at}.rule`, errors);
      if (rule && levelIndex >= 0) checks.push({ id: check.id as string, levelIndex, rule });
    });
  }

  const campaigns = new Map<string, CompiledFilter | undefined>();
  if (spec.campaigns !== undefined) {
    const list = spec.campaigns;
    if (!Array.isArray(list) || list.length > MAX_CAMPAIGNS) {
      errors.push({
        path: 'spec.campaigns',
        message: `"spec.campaigns" must be a list of at most ${MAX_CAMPAIGNS} campaigns, each { id, level, deadline, title?, filter? }`,
      });
    } else {
      const ids = new Set<string>();
      list.forEach((campaign, i) => {
        const at = `spec.campaigns[${i}]`;
        if (!isRecord(campaign)) {
          errors.push({
            path: at,
            message: `"${at}" must be a campaign { id, level, deadline, title?, filter? } but found ${describeValue(campaign)}`,
          });
          return;
        }
        unknownKeys(at, campaign, CAMPAIGN_KEYS, errors);
        checkId(campaign.id, `${at}.id`, ids, errors);
        optionalText(campaign.title, `${at}.title`, errors);
        levelIndexOf(campaign.level, `${at}.level`, levels, errors);
        if (!isDate(campaign.deadline)) {
          errors.push({
            path: `${at}.deadline`,
            message: `"${at}.deadline" must be a date written YYYY-MM-DD, e.g. 2027-03-31, but found ${describeValue(campaign.deadline)}`,
          });
        }
        const narrowed =
          campaign.filter === undefined
            ? undefined
            : compileFilter(campaign.filter, `${at}.filter`, errors);
        if (typeof campaign.id === 'string') campaigns.set(campaign.id, narrowed);
      });
    }
  }

  if (errors.length > before || !levels) return undefined;
  const factIds = [...new Set(checks.flatMap((c) => c.rule.facts))];
  return { filter, levels, checks, campaigns, factIds };
}

function isDate(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const m = DATE.exec(value);
  if (!m) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

/**
 * Every defect of a Scorecard entity's spec (the envelope is the catalog's business), each at
 * its field path, e.g. `spec.checks[2].rule.gte`. Empty when the scorecard is valid. Never
 * throws.
 */
export function validateScorecard(entity: Pick<Entity, 'spec'>): ScorecardError[] {
  const errors: ScorecardError[] = [];
  try {
    compileSpec(entity?.spec, errors);
  } catch (error) {
    errors.push({
      path: 'spec',
      message: `Could not read the scorecard: ${(error as Error).message}`,
    });
  }
  return errors;
}

/**
 * Reads a Scorecard entity into a {@link Scorecard}, compiled once for {@link scoreEntity}.
 * Throws {@link ScorecardErrors} (an array of {@link ScorecardError}) when it is invalid.
 */
export function compileScorecard(entity: Entity): Scorecard {
  const errors: ScorecardError[] = [];
  const meta = isRecord(entity?.metadata) ? entity.metadata : undefined;
  const name = meta?.name;
  if (typeof name !== 'string' || name === '') {
    errors.push({ path: 'metadata.name', message: '"metadata.name" is required' });
  }
  const compiled = compileSpec(entity?.spec, errors);
  if (errors.length > 0 || !compiled) throw ScorecardErrors.from(errors) as ScorecardErrors;
  const namespace =
    typeof meta?.namespace === 'string' && meta.namespace ? meta.namespace : 'default';
  const card: Scorecard = {
    ref: `scorecard:${namespace}/${name}`.toLowerCase(),
    name: name as string,
    namespace,
    title: typeof meta?.title === 'string' && meta.title ? meta.title : (name as string),
    ...(typeof meta?.description === 'string' ? { description: meta.description } : {}),
    spec: structuredClone(entity.spec) as unknown as ScorecardSpec,
  };
  compiledCards.set(card, compiled);
  return card;
}

function compiledOf(card: Scorecard): CompiledScorecard {
  let compiled = compiledCards.get(card);
  if (!compiled) {
    // A scorecard that was copied (e.g. sent over the wire) is compiled again, once.
    const errors: ScorecardError[] = [];
    compiled = compileSpec(card.spec, errors);
    if (!compiled) throw ScorecardErrors.from(errors) as ScorecardErrors;
    compiledCards.set(card, compiled);
  }
  return compiled;
}

/** Whether the scorecard applies to the entity (its filter, or the default set of kinds). */
export function scorecardMatches(
  card: Scorecard,
  entity: Entity,
  relations?: readonly RelationLike[],
): boolean {
  return matchesCompiledFilter(compiledOf(card).filter, entity, relations ?? entity?.relations);
}

/**
 * Whether an entity the scorecard applies to is in the campaign (the campaign's filter
 * narrows the scorecard's; without one, every such entity is).
 */
export function campaignMatches(
  card: Scorecard,
  campaign: CampaignSpec | string,
  entity: Entity,
  relations?: readonly RelationLike[],
): boolean {
  const id = typeof campaign === 'string' ? campaign : campaign.id;
  const campaigns = compiledOf(card).campaigns;
  if (!campaigns.has(id)) return false;
  const filter = campaigns.get(id);
  return !filter || matchesCompiledFilter(filter, entity, relations ?? entity?.relations);
}

/** The rank of a level name (1 = lowest), or 0 when the scorecard has no such level. */
export function levelRank(card: Scorecard, level: string): number {
  return card.spec.levels.indexOf(level) + 1;
}

/** Fact ids the scorecard's checks read. */
export function factIdsOf(card: Scorecard): string[] {
  return [...compiledOf(card).factIds];
}

/** Each check's rule in words (`ci.coverage ≥ 80`), by check id. */
export function ruleTexts(card: Scorecard): Map<string, string> {
  return new Map(compiledOf(card).checks.map((c) => [c.id, c.rule.text]));
}

/**
 * Scores one entity: each check's status, value and reason, and the highest level whose
 * checks — and those of every lower level — all passed (unknown does not pass). Never throws
 * for any entity, relations or facts.
 */
export function scoreEntity(card: Scorecard, input: ScoringInput): EntityScore {
  const compiled = compiledOf(card);
  const list = compiled.checks;
  const checks: CheckResult[] = new Array(list.length);
  let rank = compiled.levels.length;
  for (let i = 0; i < list.length; i++) {
    const check = list[i] as CompiledCheck;
    let result: CheckResult;
    try {
      const outcome = check.rule.evaluate(input);
      result =
        outcome.value === undefined
          ? { id: check.id, status: outcome.status, reason: outcome.reason }
          : { id: check.id, status: outcome.status, value: outcome.value, reason: outcome.reason };
    } catch (error) {
      result = {
        id: check.id,
        status: 'unknown',
        reason: `could not be evaluated: ${(error as Error)?.message ?? String(error)}`,
      };
    }
    checks[i] = result;
    if (result.status !== 'passed' && check.levelIndex < rank) rank = check.levelIndex;
  }
  return { level: rank > 0 ? (compiled.levels[rank - 1] as string) : null, rank, checks };
}
