/**
 * Check rules: reading one from a scorecard (with a problem per defect, at its field path)
 * into a compiled form that scores an entity without parsing anything again.
 */
import { describeValue, plural, storedValue } from './describe.ts';
import { formatFieldPath, parseFieldPath, valueAtPath } from './field-path.ts';
import { type CompiledFilter, compileFilter, matchesCompiledFilter } from './filter.ts';
import { compileSafeRegex } from './regex-safety.ts';
import type { CheckStatus, RuleOperator, ScorecardError, ScoringInput } from './types.ts';

/** What evaluating a rule gives; shared objects may be returned, so never mutate one. */
export interface RuleOutcome {
  status: CheckStatus;
  value?: unknown;
  reason: string;
}

export interface CompiledRule {
  /** The rule in words, e.g. `ci.coverage ≥ 80`. */
  readonly text: string;
  /** Fact ids the rule reads. */
  readonly facts: readonly string[];
  evaluate(input: ScoringInput): RuleOutcome;
}

export const OPERATORS: readonly RuleOperator[] = [
  'exists',
  'equals',
  'in',
  'matches',
  'contains',
  'minItems',
  'gt',
  'gte',
  'lt',
  'lte',
];
const RULE_TYPES = ['field', 'fact', 'relation', 'allOf', 'anyOf', 'not'] as const;
const FACT_ID = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const RELATION_TYPE = /^\w+$/;
/** Values longer than this are cut before a regex runs on them. */
export const MAX_MATCHED_LENGTH = 10_000;
const MAX_DEPTH = 16;
const MAX_CHILDREN = 50;
const BLANK = /^\s*$/;
const NUMERIC = /^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isMissing(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && BLANK.test(value));
}

function deepEqual(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || depth > 32) {
    return false;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k)) return false;
    if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], depth + 1))
      return false;
  }
  return true;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && NUMERIC.test(value)) return Number(value);
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Operators: a test of the seen value and the sentence saying why it passed or failed.

interface Operator {
  /** e.g. `≥ 80`, `exists`, `matches /^a/`. */
  text: string;
  test(value: unknown): boolean;
  reason(label: string, value: unknown, passed: boolean): string;
}

const COMPARISONS = {
  gt: { symbol: '>', test: (a: number, b: number) => a > b },
  gte: { symbol: '≥', test: (a: number, b: number) => a >= b },
  lt: { symbol: '<', test: (a: number, b: number) => a < b },
  lte: { symbol: '≤', test: (a: number, b: number) => a <= b },
} as const;

function compileOperator(
  op: RuleOperator,
  arg: unknown,
  at: string,
  errors: ScorecardError[],
): Operator | undefined {
  const fail = (expected: string) => {
    errors.push({
      path: at,
      message: `"${at}" must be ${expected} but found ${describeValue(arg)}`,
    });
    return undefined;
  };
  switch (op) {
    case 'exists': {
      if (typeof arg !== 'boolean') return fail('true or false');
      return arg
        ? {
            text: 'is set',
            test: (v) => !isMissing(v),
            reason: (label, _v, passed) => (passed ? `${label} is set` : `${label} is missing`),
          }
        : {
            text: 'is not set',
            test: isMissing,
            reason: (label, v, passed) =>
              passed
                ? `${label} is not set`
                : `${label} is set to ${describeValue(v)}, must be absent`,
          };
    }
    case 'equals': {
      if (arg === undefined) return fail('a value');
      const wanted = describeValue(arg);
      return {
        text: `is ${wanted}`,
        test: (v) => deepEqual(v, arg),
        reason: (label, v, passed) =>
          passed
            ? `${label} is ${wanted}`
            : `${label} is ${isMissing(v) && v !== '' ? 'missing' : describeValue(v)}, needs ${wanted}`,
      };
    }
    case 'in': {
      if (!Array.isArray(arg) || arg.length === 0) return fail('a non-empty list of values');
      const wanted = arg.map(describeValue).join(', ');
      return {
        text: `is one of ${wanted}`,
        test: (v) => arg.some((a) => deepEqual(v, a)),
        reason: (label, v, passed) =>
          passed
            ? `${label} is ${describeValue(v)}`
            : `${label} is ${v === undefined || v === null ? 'missing' : describeValue(v)}, needs one of ${wanted}`,
      };
    }
    case 'matches': {
      if (typeof arg !== 'string')
        return fail('a regular expression as a string, e.g. "^[a-z-]+$"');
      const compiled = compileSafeRegex(arg);
      if ('error' in compiled) {
        errors.push({
          path: at,
          message: `"${at}": the pattern ${JSON.stringify(arg)} ${compiled.error}`,
        });
        return undefined;
      }
      const { regex } = compiled;
      const shown = `/${arg}/`;
      const one = (v: unknown) =>
        typeof v === 'string'
          ? regex.test(v.length > MAX_MATCHED_LENGTH ? v.slice(0, MAX_MATCHED_LENGTH) : v)
          : typeof v === 'number' || typeof v === 'boolean'
            ? regex.test(String(v))
            : false;
      return {
        text: `matches ${shown}`,
        test: (v) => (Array.isArray(v) ? v.some(one) : one(v)),
        reason: (label, v, passed) =>
          passed
            ? `${label} matches ${shown}`
            : v === undefined || v === null
              ? `${label} is missing, needs to match ${shown}`
              : `${label} is ${describeValue(v)}, needs to match ${shown}`,
      };
    }
    case 'contains': {
      if (arg === undefined || arg === null) return fail('a value to look for');
      const wanted = describeValue(arg);
      const text = typeof arg === 'string' ? arg : undefined;
      return {
        text: `contains ${wanted}`,
        test: (v) =>
          Array.isArray(v)
            ? v.some((item) => deepEqual(item, arg))
            : text !== undefined && typeof v === 'string' && v.includes(text),
        reason: (label, v, passed) => {
          if (passed) return `${label} contains ${wanted}`;
          if (v === undefined || v === null)
            return `${label} is missing, needs to contain ${wanted}`;
          if (Array.isArray(v) || (typeof v === 'string' && text !== undefined)) {
            return `${label} does not contain ${wanted}`;
          }
          return `${label} is ${describeValue(v)}, needs a list${text !== undefined ? ' or text' : ''} containing ${wanted}`;
        },
      };
    }
    case 'minItems': {
      if (typeof arg !== 'number' || !Number.isInteger(arg) || arg < 0) {
        return fail('a whole number of items, 0 or more');
      }
      const count = (v: unknown) =>
        v === undefined || v === null
          ? 0
          : Array.isArray(v)
            ? v.length
            : isRecord(v)
              ? Object.keys(v).length
              : -1;
      return {
        text: `has at least ${plural(arg, 'item')}`,
        test: (v) => count(v) >= arg,
        reason: (label, v, passed) => {
          const n = count(v);
          if (n < 0)
            return `${label} is ${describeValue(v)}, needs a list of at least ${plural(arg, 'item')}`;
          if (passed) return `${label} has ${plural(n, 'item')}`;
          if (v === undefined || v === null)
            return `${label} is missing, needs at least ${plural(arg, 'item')}`;
          return `${label} has ${plural(n, 'item')}, needs at least ${arg}`;
        },
      };
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      if (typeof arg !== 'number' || !Number.isFinite(arg)) return fail('a number');
      const { symbol, test } = COMPARISONS[op];
      const needs = `${symbol} ${arg}`;
      return {
        text: needs,
        test: (v) => {
          const n = toNumber(v);
          return n !== undefined && test(n, arg);
        },
        reason: (label, v, passed) => {
          const n = toNumber(v);
          if (passed) return `${label} is ${n} (${needs})`;
          if (n !== undefined) return `${label} is ${n}, needs ${needs}`;
          if (v === undefined || v === null) return `${label} is missing, needs a number ${needs}`;
          return `${label} is ${describeValue(v)}, needs a number ${needs}`;
        },
      };
    }
  }
}

// ---------------------------------------------------------------------------------------
// Rules.

class ValueRule implements CompiledRule {
  readonly text: string;
  constructor(
    private readonly label: string,
    private readonly op: Operator,
    private readonly read: (input: ScoringInput) => unknown,
    readonly facts: readonly string[],
    private readonly unknown?: RuleOutcome,
  ) {
    this.text = `${label} ${op.text}`;
  }
  evaluate(input: ScoringInput): RuleOutcome {
    if (this.unknown && !input.facts.has(this.facts[0] as string)) return this.unknown;
    const value = this.read(input);
    const passed = this.op.test(value);
    return {
      status: passed ? 'passed' : 'failed',
      value: storedValue(value),
      reason: this.op.reason(this.label, value, passed),
    };
  }
}

class RelationRule implements CompiledRule {
  readonly text: string;
  readonly facts: readonly string[] = [];
  private readonly lower: string;
  private readonly needs: string;
  private readonly targetText: string;
  constructor(
    private readonly type: string,
    private readonly min: number | undefined,
    private readonly max: number | undefined,
    private readonly target: CompiledFilter | undefined,
  ) {
    this.lower = type.toLowerCase();
    this.needs =
      min !== undefined && max !== undefined
        ? min === max
          ? `exactly ${min}`
          : `between ${min} and ${max}`
        : min !== undefined
          ? `at least ${min}`
          : `at most ${max}`;
    this.targetText = target ? ` to ${target.description}` : '';
    this.text = `${this.needs} ${type} relation${this.targetText}`;
  }
  evaluate(input: ScoringInput): RuleOutcome {
    const relations = input.relations;
    let count = 0;
    let seen: string[] | undefined;
    let absent: string[] | undefined;
    if (Array.isArray(relations)) {
      for (const relation of relations) {
        const type = relation?.type;
        const ref = relation?.targetRef;
        if (typeof type !== 'string' || typeof ref !== 'string') continue;
        if (type !== this.type && type.toLowerCase() !== this.lower) continue;
        const key = ref.toLowerCase();
        if (!seen) seen = [];
        else if (seen.includes(key)) continue;
        seen.push(key);
        const target = input.targets?.get(key) ?? input.targets?.get(ref);
        if (!target) {
          if (!absent) absent = [];
          absent.push(ref);
          continue;
        }
        if (this.target && !matchesCompiledFilter(this.target, target, target.relations)) continue;
        count++;
      }
    }
    const passed =
      (this.min === undefined || count >= this.min) &&
      (this.max === undefined || count <= this.max);
    let reason = `${count} ${this.type} relation${count === 1 ? '' : 's'}${this.targetText}, needs ${this.needs}`;
    if (absent && this.min !== undefined && count < this.min) {
      const shown = absent.slice(0, 3).join(', ');
      reason += ` (${shown}${absent.length > 3 ? ` and ${absent.length - 3} more` : ''} ${absent.length === 1 ? 'is' : 'are'} not in the catalog)`;
    }
    return { status: passed ? 'passed' : 'failed', value: count, reason };
  }
}

class AllOfRule implements CompiledRule {
  readonly text: string;
  readonly facts: readonly string[];
  constructor(private readonly rules: CompiledRule[]) {
    this.text = `all of (${rules.map((r) => r.text).join('; ')})`;
    this.facts = [...new Set(rules.flatMap((r) => r.facts))];
  }
  evaluate(input: ScoringInput): RuleOutcome {
    const outcomes = this.rules.map((r) => r.evaluate(input));
    const failed = outcomes.filter((o) => o.status === 'failed');
    if (failed.length) return { status: 'failed', reason: failed.map((o) => o.reason).join('; ') };
    const unknown = outcomes.filter((o) => o.status === 'unknown');
    if (unknown.length)
      return { status: 'unknown', reason: unknown.map((o) => o.reason).join('; ') };
    return { status: 'passed', reason: outcomes.map((o) => o.reason).join('; ') };
  }
}

class AnyOfRule implements CompiledRule {
  readonly text: string;
  readonly facts: readonly string[];
  constructor(private readonly rules: CompiledRule[]) {
    this.text = `any of (${rules.map((r) => r.text).join('; ')})`;
    this.facts = [...new Set(rules.flatMap((r) => r.facts))];
  }
  evaluate(input: ScoringInput): RuleOutcome {
    const outcomes: RuleOutcome[] = [];
    for (const rule of this.rules) {
      const outcome = rule.evaluate(input);
      if (outcome.status === 'passed') return outcome;
      outcomes.push(outcome);
    }
    const unknown = outcomes.filter((o) => o.status === 'unknown');
    if (unknown.length) {
      return {
        status: 'unknown',
        reason: `none passed; ${outcomes.map((o) => o.reason).join('; ')}`,
      };
    }
    return { status: 'failed', reason: `none passed: ${outcomes.map((o) => o.reason).join('; ')}` };
  }
}

class NotRule implements CompiledRule {
  readonly text: string;
  readonly facts: readonly string[];
  constructor(private readonly rule: CompiledRule) {
    this.text = `not (${rule.text})`;
    this.facts = rule.facts;
  }
  evaluate(input: ScoringInput): RuleOutcome {
    const outcome = this.rule.evaluate(input);
    if (outcome.status === 'unknown') return outcome;
    return outcome.status === 'passed'
      ? {
          status: 'failed',
          value: outcome.value,
          reason: `${outcome.reason}, which this check forbids`,
        }
      : { status: 'passed', value: outcome.value, reason: `as required, not: ${this.rule.text}` };
  }
}

// ---------------------------------------------------------------------------------------
// Reading a rule.

function allowedKeys(
  at: string,
  rule: Record<string, unknown>,
  allowed: readonly string[],
  errors: ScorecardError[],
) {
  for (const key of Object.keys(rule)) {
    if (!allowed.includes(key)) {
      errors.push({
        path: `${at}.${key}`,
        message: `"${at}.${key}" is not allowed here; this rule accepts ${allowed.join(', ')}`,
      });
    }
  }
}

function compileValueRule(
  rule: Record<string, unknown>,
  type: 'field' | 'fact',
  at: string,
  errors: ScorecardError[],
): CompiledRule | undefined {
  const before = errors.length;
  const ops = OPERATORS.filter((op) => Object.hasOwn(rule, op));
  let strangers = 0;
  for (const key of Object.keys(rule)) {
    if (key !== type && !(OPERATORS as readonly string[]).includes(key)) {
      strangers++;
      errors.push({
        path: `${at}.${key}`,
        message: `"${at}.${key}" is not an operator; a ${type} rule takes exactly one of ${OPERATORS.join(', ')}`,
      });
    }
  }
  if (ops.length === 0 && strangers === 0) {
    errors.push({
      path: at,
      message: `"${at}" needs an operator: one of ${OPERATORS.join(', ')}, e.g. { ${type}: ${type === 'field' ? 'metadata.description' : 'ci.coverage'}, ${type === 'field' ? 'exists: true' : 'gte: 80'} }`,
    });
  } else if (ops.length > 1) {
    errors.push({
      path: `${at}.${ops[1]}`,
      message: `"${at}" has both ${ops.join(' and ')}; a rule takes one operator, so combine rules with allOf: [...]`,
    });
  }
  const name = rule[type];
  let label = '';
  let read: ((input: ScoringInput) => unknown) | undefined;
  if (type === 'field') {
    if (typeof name !== 'string') {
      errors.push({
        path: `${at}.field`,
        message: `"${at}.field" must be a field path like metadata.description or metadata.annotations["backstage.io/techdocs-ref"]`,
      });
    } else {
      const parsed = parseFieldPath(name);
      if (parsed.error !== undefined) {
        errors.push({
          path: `${at}.field`,
          message: `The field path ${JSON.stringify(name)} ${parsed.error}`,
        });
      } else {
        const segments = parsed.segments;
        label = formatFieldPath(segments);
        read = (input) => valueAtPath(input.entity, segments);
      }
    }
  } else if (typeof name !== 'string' || !FACT_ID.test(name)) {
    errors.push({
      path: `${at}.fact`,
      message: `"${at}.fact" must be a fact id of letters, digits, - and _ parts joined by dots, e.g. ci.coverage, but found ${describeValue(name)}`,
    });
  } else {
    label = name;
    read = (input) => input.facts.get(name);
  }
  const op =
    ops.length === 1
      ? compileOperator(ops[0] as RuleOperator, rule[ops[0] as string], `${at}.${ops[0]}`, errors)
      : undefined;
  if (errors.length > before || !op || !read) return undefined;
  if (type === 'fact') {
    const unknown: RuleOutcome = Object.freeze({
      status: 'unknown',
      reason: `fact '${label}' is not known for this entity`,
    });
    return new ValueRule(label, op, read, [label], unknown);
  }
  return new ValueRule(label, op, read, []);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function compileRelationRule(
  rule: Record<string, unknown>,
  at: string,
  errors: ScorecardError[],
): CompiledRule | undefined {
  const before = errors.length;
  allowedKeys(at, rule, ['relation', 'minCount', 'maxCount', 'target'], errors);
  const type = rule.relation;
  if (typeof type !== 'string' || !RELATION_TYPE.test(type)) {
    errors.push({
      path: `${at}.relation`,
      message: `"${at}.relation" must be a relation type such as ownedBy, providesApi, dependsOn or partOf, but found ${describeValue(type)}`,
    });
  }
  for (const key of ['minCount', 'maxCount'] as const) {
    if (rule[key] !== undefined && !isCount(rule[key])) {
      errors.push({
        path: `${at}.${key}`,
        message: `"${at}.${key}" must be a whole number, 0 or more, but found ${describeValue(rule[key])}`,
      });
    }
  }
  let min = isCount(rule.minCount) ? rule.minCount : undefined;
  const max = isCount(rule.maxCount) ? rule.maxCount : undefined;
  if (min !== undefined && max !== undefined && min > max) {
    errors.push({
      path: `${at}.maxCount`,
      message: `"${at}.maxCount" (${max}) is below minCount (${min}), so no entity could pass`,
    });
  }
  if (rule.minCount === undefined && rule.maxCount === undefined) min = 1;
  const target =
    rule.target === undefined ? undefined : compileFilter(rule.target, `${at}.target`, errors);
  if (errors.length > before) return undefined;
  return new RelationRule(type as string, min, max, target);
}

/**
 * Reads the rule written at `at` (e.g. `spec.checks[2].rule`), adding a problem to `errors`
 * for each defect; returns undefined when there is any.
 */
export function compileRule(
  raw: unknown,
  at: string,
  errors: ScorecardError[],
  depth = 0,
): CompiledRule | undefined {
  if (!isRecord(raw)) {
    errors.push({
      path: at,
      message: `"${at}" must be a rule object such as { field: metadata.description, exists: true }, { fact: ci.coverage, gte: 80 }, { relation: ownedBy }, { allOf: [...] }, { anyOf: [...] } or { not: {...} }, but found ${describeValue(raw)}`,
    });
    return undefined;
  }
  if (depth > MAX_DEPTH) {
    errors.push({ path: at, message: `"${at}" nests rules more than ${MAX_DEPTH} levels deep` });
    return undefined;
  }
  const types = RULE_TYPES.filter((t) => Object.hasOwn(raw, t));
  if (types.length !== 1) {
    errors.push({
      path: at,
      message:
        types.length === 0
          ? `"${at}" needs exactly one of ${RULE_TYPES.join(', ')}; found ${Object.keys(raw).join(', ') || 'no keys'}`
          : `"${at}" has both ${types.join(' and ')}; a rule is exactly one of ${RULE_TYPES.join(', ')}`,
    });
    return undefined;
  }
  const type = types[0] as (typeof RULE_TYPES)[number];
  switch (type) {
    case 'field':
    case 'fact':
      return compileValueRule(raw, type, at, errors);
    case 'relation':
      return compileRelationRule(raw, at, errors);
    case 'not': {
      const before = errors.length;
      allowedKeys(at, raw, ['not'], errors);
      const inner = compileRule(raw.not, `${at}.not`, errors, depth + 1);
      return inner && errors.length === before ? new NotRule(inner) : undefined;
    }
    case 'allOf':
    case 'anyOf': {
      const before = errors.length;
      allowedKeys(at, raw, [type], errors);
      const list = raw[type];
      if (!Array.isArray(list) || list.length === 0 || list.length > MAX_CHILDREN) {
        errors.push({
          path: `${at}.${type}`,
          message: `"${at}.${type}" must be a list of 1 to ${MAX_CHILDREN} rules`,
        });
        return undefined;
      }
      const rules = list.map((item, i) =>
        compileRule(item, `${at}.${type}[${i}]`, errors, depth + 1),
      );
      if (errors.length > before) return undefined;
      return type === 'allOf'
        ? new AllOfRule(rules as CompiledRule[])
        : new AnyOfRule(rules as CompiledRule[]);
    }
  }
}
