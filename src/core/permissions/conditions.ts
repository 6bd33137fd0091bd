import type {
  Permission,
  PermissionCondition,
  PermissionCriteria,
  ResourceTypeDefinition,
} from '../plugin-api.ts';
import type { PolicyProblem } from './policy-model.ts';
import { type FieldPath, fieldName } from './yaml-positions.ts';

/**
 * What policy files are checked against, and the parsing both YAML formats share: permission
 * patterns, and conditions (Atrium's camelCase shorthands and RHDH's `{rule, params}` form),
 * both becoming the model's PermissionCriteria with Backstage's rule names.
 */

export const CATALOG_ENTITY = 'catalog-entity';

/** RHDH's permission actions; a permission without an action counts as `use`. */
export const ACTIONS = ['create', 'read', 'update', 'delete', 'use'] as const;

/** The aliases that the evaluator replaces with the caller's refs. */
export const ALIASES = ['$currentUser', '$ownerRefs'] as const;

/** Deeper condition trees are refused: no policy needs them, and walks stay bounded. */
export const MAX_CONDITION_DEPTH = 32;

/** The names a policy may use; build it with {@link knownNames}. */
export interface KnownNames {
  permissions: Set<string>;
  resourceTypes: Set<string>;
  /** Resource type of each permission (undefined: not about a resource). Enables the checks of `when`. */
  resourceTypeOf?: Map<string, string | undefined>;
  /** Action of each permission (undefined counts as `use`). Enables the checks of `actions`. */
  actionOf?: Map<string, string | undefined>;
  /**
   * Condition rules per resource type with their required parameters. Without an entry,
   * `catalog-entity` has Backstage's six and other types have none.
   */
  rules?: Map<string, ReadonlyArray<{ name: string; params: readonly string[] }>>;
  /** Roles declared by other sources (the CSV file, the database) that rules may name. */
  roles?: Set<string>;
}

export function knownNames(
  permissions: Iterable<Permission>,
  resourceTypes: Iterable<Pick<ResourceTypeDefinition, 'type' | 'rules'>>,
  roles?: Iterable<string>,
): KnownNames {
  const known: KnownNames = {
    permissions: new Set(),
    resourceTypes: new Set(),
    resourceTypeOf: new Map(),
    actionOf: new Map(),
    rules: new Map(),
    ...(roles ? { roles: new Set(roles) } : {}),
  };
  for (const p of permissions) {
    known.permissions.add(p.name);
    known.resourceTypeOf!.set(p.name, p.resourceType);
    known.actionOf!.set(p.name, p.attributes?.action);
    if (p.resourceType) known.resourceTypes.add(p.resourceType);
  }
  for (const def of resourceTypes) {
    known.resourceTypes.add(def.type);
    known.rules!.set(
      def.type,
      def.rules.map((r) => ({ name: r.name, params: r.params })),
    );
  }
  return known;
}

// ---------------------------------------------------------------------------------------------
// Permission patterns

/**
 * The known permissions a pattern names: an exact name, `*`, a prefix glob (`catalog.*`) or a
 * resource type (`catalog-entity`). `covered` is undefined when it cannot be told (a resource
 * type without `known.resourceTypeOf`).
 */
export function checkPermissionPattern(
  pattern: string,
  known: KnownNames,
): { covered?: string[]; error?: string } {
  if (pattern === '*') return { covered: [...known.permissions] };
  if (pattern.includes('*')) {
    if (!pattern.endsWith('.*') || pattern.slice(0, -2).includes('*')) {
      return {
        error: `'${pattern}' is not a permission pattern: write a permission name, a resource type, '*', or a prefix ending in '.*' (catalog.*)`,
      };
    }
    const prefix = pattern.slice(0, -1);
    const covered = [...known.permissions].filter((p) => p.startsWith(prefix));
    if (covered.length === 0) {
      const hint = suggest(
        prefix.slice(0, -1),
        [...known.permissions].map((p) => p.split('.')[0]!),
      );
      return {
        error: `'${pattern}' matches no known permission${hint ? `; did you mean '${hint}.*'?` : ''}`,
      };
    }
    return { covered };
  }
  if (known.permissions.has(pattern)) return { covered: [pattern] };
  if (known.resourceTypes.has(pattern)) {
    if (!known.resourceTypeOf) return {};
    return {
      covered: [...known.resourceTypeOf].filter(([, type]) => type === pattern).map(([p]) => p),
    };
  }
  const hint = suggest(pattern, [...known.permissions, ...known.resourceTypes]);
  return {
    error: `Unknown permission '${pattern}'${hint ? `; did you mean '${hint}'?` : ''} (a permission name, a resource type, '*', or a prefix glob such as catalog.*)`,
  };
}

/** The permissions of `names` that have one of `actions` (a permission without one counts as `use`). */
export function withActions(
  names: string[],
  actions: readonly string[] | undefined,
  known: KnownNames,
): string[] {
  if (!actions?.length || !known.actionOf) return names;
  return names.filter((p) => actions.includes(known.actionOf!.get(p) ?? 'use'));
}

/**
 * The first segment of a permission or resource type (`catalog` of `catalog.entity.read` and
 * of `catalog-entity`): tells a typo in a known plugin's names from another plugin's names.
 */
export function pluginOf(name: string): string {
  return name.split(/[.-]/)[0] ?? name;
}

export function knownPlugins(known: KnownNames): Set<string> {
  return new Set([...known.permissions, ...known.resourceTypes].map(pluginOf));
}

// ---------------------------------------------------------------------------------------------
// Refs

const NAME = /^[a-z0-9]+(?:[-_.][a-z0-9]+)*$/;
const NAMESPACE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * `kind:namespace/name`, lowercase, the namespace `default` when left out; undefined when the
 * text is not such a ref or its kind is not one of `kinds`.
 */
export function normalizeRef(text: string, kinds: readonly string[]): string | undefined {
  const match = /^([^:/\s]+):(?:([^:/\s]+)\/)?([^:/\s]+)$/.exec(text.trim().toLowerCase());
  if (!match) return undefined;
  const [, kind, namespace = 'default', name] = match;
  if (!kinds.includes(kind!) || !NAMESPACE.test(namespace) || !NAME.test(name!)) return undefined;
  if (name!.length > 63 || namespace.length > 63) return undefined;
  return `${kind}:${namespace}/${name}`;
}

// ---------------------------------------------------------------------------------------------
// "Did you mean"

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** The candidate closest to `word`, when it is close enough to be what was meant. */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase().replace(/[_-]/g, '');
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of new Set(candidates)) {
    const d = distance(lower, candidate.toLowerCase().replace(/[_-]/g, ''));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 4)) ? best : undefined;
}

// ---------------------------------------------------------------------------------------------
// Conditions

interface ParamSpec {
  name: string;
  list?: boolean;
  required?: boolean;
}

interface BuiltinRule {
  rule: string;
  /** The camelCase name in Atrium's YAML. */
  shorthand: string;
  params: ParamSpec[];
}

/** Backstage's catalog rules, with the parameters they accept (Backstage's schemas). */
const CATALOG_RULES: BuiltinRule[] = [
  {
    rule: 'IS_ENTITY_OWNER',
    shorthand: 'isEntityOwner',
    params: [{ name: 'claims', list: true, required: true }],
  },
  {
    rule: 'IS_ENTITY_KIND',
    shorthand: 'isEntityKind',
    params: [{ name: 'kinds', list: true, required: true }],
  },
  {
    rule: 'HAS_ANNOTATION',
    shorthand: 'hasAnnotation',
    params: [{ name: 'annotation', required: true }, { name: 'value' }],
  },
  { rule: 'HAS_LABEL', shorthand: 'hasLabel', params: [{ name: 'label', required: true }] },
  {
    rule: 'HAS_METADATA',
    shorthand: 'hasMetadata',
    params: [{ name: 'key', required: true }, { name: 'value' }],
  },
  {
    rule: 'HAS_SPEC',
    shorthand: 'hasSpec',
    params: [{ name: 'key', required: true }, { name: 'value' }],
  },
];

const BY_SHORTHAND = new Map(CATALOG_RULES.map((r) => [r.shorthand, r]));
const BY_RULE = new Map(CATALOG_RULES.map((r) => [r.rule, r]));

export const CONDITION_NAMES = [...BY_SHORTHAND.keys()];

export interface ConditionContext {
  file: string;
  lineOf(path: FieldPath): number;
  problems: PolicyProblem[];
  known: KnownNames;
  /**
   * RHDH files run unchanged: what RHDH accepts but can never match (a claim that is not a
   * ref) is a warning there, and an error in Atrium's own format.
   */
  lenient?: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function report(ctx: ConditionContext, path: FieldPath, message: string, warning = false): void {
  ctx.problems.push({
    file: ctx.file,
    line: ctx.lineOf(path),
    field: fieldName(path),
    message,
    ...(warning ? { severity: 'warning' as const } : {}),
  });
}

/** The rules a resource type accepts, with their required parameters. */
function rulesOf(resourceType: string, known: KnownNames): Map<string, readonly string[]> {
  const declared = known.rules?.get(resourceType);
  if (declared) return new Map(declared.map((r) => [r.name, r.params]));
  if (resourceType === CATALOG_ENTITY) {
    return new Map(
      CATALOG_RULES.map((r) => [r.rule, r.params.filter((p) => p.required).map((p) => p.name)]),
    );
  }
  return new Map();
}

/** The resource types the leaves of a condition tree are about. */
export function criteriaResourceTypes(criteria: PermissionCriteria, out = new Set<string>()) {
  if ('allOf' in criteria) for (const c of criteria.allOf) criteriaResourceTypes(c, out);
  else if ('anyOf' in criteria) for (const c of criteria.anyOf) criteriaResourceTypes(c, out);
  else if ('not' in criteria) criteriaResourceTypes(criteria.not, out);
  else out.add(criteria.resourceType);
  return out;
}

function tooDeep(ctx: ConditionContext, path: FieldPath, depth: number): boolean {
  if (depth <= MAX_CONDITION_DEPTH) return false;
  report(ctx, path, `Conditions are nested more than ${MAX_CONDITION_DEPTH} levels deep`);
  return true;
}

function combine(
  key: 'allOf' | 'anyOf',
  value: unknown,
  path: FieldPath,
  ctx: ConditionContext,
  parse: (item: unknown, path: FieldPath) => PermissionCriteria | undefined,
): PermissionCriteria | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    report(ctx, path, `${key} takes a non-empty list of conditions`);
    return undefined;
  }
  const parts = value.map((item, i) => parse(item, [...path, i]));
  if (parts.some((p) => p === undefined)) return undefined;
  return key === 'allOf'
    ? { allOf: parts as PermissionCriteria[] }
    : { anyOf: parts as PermissionCriteria[] };
}

/**
 * Atrium's `when:`: a map of conditions that must all hold. Keys are the camelCase
 * shorthands, `allOf`/`anyOf` (lists of such maps), `not` (one such map), or a map with
 * `rule` (+ `resourceType`, `params`) in Backstage's own form.
 */
export function parseWhen(
  value: unknown,
  path: FieldPath,
  ctx: ConditionContext,
  depth = 1,
): PermissionCriteria | undefined {
  if (tooDeep(ctx, path, depth)) return undefined;
  if (!isObject(value)) {
    report(
      ctx,
      path,
      'A condition is a map, e.g. { isEntityOwner: true } or { not: { hasSpec: { key: lifecycle, value: production } } }',
    );
    return undefined;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) {
    report(
      ctx,
      path,
      `An empty condition: name one of ${CONDITION_NAMES.join(', ')}, allOf, anyOf or not`,
    );
    return undefined;
  }
  if ('rule' in value) return parseLeaf(value, path, ctx, CATALOG_ENTITY);
  const parts: (PermissionCriteria | undefined)[] = [];
  for (const key of keys) {
    const at = [...path, key];
    const item = value[key];
    if (key === 'allOf' || key === 'anyOf') {
      parts.push(combine(key, item, at, ctx, (v, p) => parseWhen(v, p, ctx, depth + 1)));
    } else if (key === 'not') {
      const inner = parseWhen(item, at, ctx, depth + 1);
      parts.push(inner && { not: inner });
    } else if (BY_SHORTHAND.has(key)) {
      parts.push(parseShorthand(BY_SHORTHAND.get(key)!, item, at, ctx));
    } else {
      const hint = suggest(key, [...CONDITION_NAMES, 'allOf', 'anyOf', 'not']);
      report(
        ctx,
        at,
        `Unknown condition '${key}'${hint ? `; did you mean '${hint}'?` : ''} (conditions: ${CONDITION_NAMES.join(', ')}, combined with allOf, anyOf, not)`,
      );
      parts.push(undefined);
    }
  }
  if (parts.some((p) => p === undefined)) return undefined;
  return parts.length === 1 ? parts[0] : { allOf: parts as PermissionCriteria[] };
}

function parseShorthand(
  spec: BuiltinRule,
  value: unknown,
  path: FieldPath,
  ctx: ConditionContext,
): PermissionCondition | undefined {
  const first = spec.params[0]!;
  let params: Record<string, unknown>;
  // Where a parameter sits in the file: below its key in the map form, else the value itself.
  let at = (name: string): FieldPath => [...path, name];
  if (value === true && spec.rule === 'IS_ENTITY_OWNER') {
    params = { claims: ['$ownerRefs'] };
    at = () => path;
  } else if (isObject(value)) {
    params = value;
  } else if (typeof value === 'string' || (Array.isArray(value) && first.list)) {
    params = { [first.name]: value };
    at = () => path;
  } else {
    const forms =
      spec.rule === 'IS_ENTITY_OWNER'
        ? `true (owned by you or one of your groups), a list of refs, or { claims: [...] }`
        : first.list
          ? `a ${first.name.slice(0, -1)}, a list of them, or { ${first.name}: [...] }`
          : `a ${first.name}, or { ${spec.params.map((p) => p.name).join(', ')} }`;
    const not =
      value === false
        ? `; to negate, write not: { ${spec.shorthand}: ${spec.rule === 'IS_ENTITY_OWNER' ? 'true' : '...'} }`
        : '';
    report(ctx, path, `${spec.shorthand} takes ${forms}${not}`);
    return undefined;
  }
  const checked = checkParams(spec, params, path, at, ctx, spec.shorthand);
  return checked && { rule: spec.rule, resourceType: CATALOG_ENTITY, params: checked };
}

/** Validates and normalises the parameters of a built-in rule. */
function checkParams(
  spec: BuiltinRule,
  params: Record<string, unknown>,
  path: FieldPath,
  pathOf: (name: string) => FieldPath,
  ctx: ConditionContext,
  label: string,
): Record<string, unknown> | undefined {
  let ok = true;
  const out: Record<string, unknown> = {};
  const names = spec.params.map((p) => p.name);
  for (const key of Object.keys(params)) {
    if (!names.includes(key)) {
      const hint = suggest(key, names);
      report(
        ctx,
        pathOf(key),
        `${label} has no parameter '${key}'${hint ? `; did you mean '${hint}'?` : ''} (parameters: ${names.join(', ')})`,
      );
      ok = false;
    }
  }
  for (const param of spec.params) {
    const at = pathOf(param.name);
    const raw = params[param.name];
    if (raw === undefined || raw === null) {
      if (param.required) {
        report(ctx, path, `${label} needs the parameter '${param.name}'`);
        ok = false;
      }
      continue;
    }
    if (param.list) {
      const list = Array.isArray(raw) ? raw : [raw];
      const items = list.map((v) => scalarText(v));
      if (items.length === 0 || items.some((v) => v === undefined || v === '')) {
        report(ctx, at, `'${param.name}' is a non-empty list of non-empty strings`);
        ok = false;
        continue;
      }
      out[param.name] =
        spec.rule === 'IS_ENTITY_OWNER' ? claims(items as string[], at, ctx) : items;
      if (out[param.name] === undefined) ok = false;
    } else {
      const text = scalarText(raw);
      if (text === undefined || text === '') {
        report(ctx, at, `'${param.name}' is a non-empty string`);
        ok = false;
        continue;
      }
      out[param.name] = text;
    }
  }
  return ok ? out : undefined;
}

/** Numbers and booleans are written unquoted in YAML (`replicas: 3`); rules compare text. */
function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function claims(items: string[], path: FieldPath, ctx: ConditionContext): string[] | undefined {
  const out: string[] = [];
  let ok = true;
  items.forEach((item, i) => {
    if ((ALIASES as readonly string[]).includes(item)) {
      out.push(item);
      return;
    }
    const ref = normalizeRef(item, ['user', 'group']);
    if (ref) {
      out.push(ref);
      return;
    }
    const message = `Claim '${item}' is not a user or group ref (user:default/jane, group:default/team-a), $currentUser or $ownerRefs${ctx.lenient ? '; it never matches' : ''}`;
    report(ctx, [...path, i], message, ctx.lenient);
    if (ctx.lenient) out.push(item);
    else ok = false;
  });
  return ok ? out : undefined;
}

/** `{ rule, resourceType, params }`: Backstage's own form of one condition. */
function parseLeaf(
  value: Record<string, unknown>,
  path: FieldPath,
  ctx: ConditionContext,
  defaultResourceType: string | undefined,
): PermissionCondition | undefined {
  let ok = true;
  for (const key of Object.keys(value)) {
    if (!['rule', 'resourceType', 'params'].includes(key)) {
      report(
        ctx,
        [...path, key],
        `Unexpected key '${key}' in a condition: it has rule, resourceType and params${
          ['allOf', 'anyOf', 'not'].includes(key)
            ? ', and allOf/anyOf/not go in a condition of their own'
            : ''
        }`,
      );
      ok = false;
    }
  }
  const rule = value.rule;
  if (typeof rule !== 'string' || rule === '') {
    report(ctx, [...path, 'rule'], `'rule' is the name of a condition rule, e.g. IS_ENTITY_OWNER`);
    return undefined;
  }
  let resourceType = value.resourceType;
  if (resourceType === undefined && defaultResourceType && BY_RULE.has(rule)) {
    resourceType = defaultResourceType;
  }
  if (typeof resourceType !== 'string' || resourceType === '') {
    report(ctx, path, `The condition ${rule} needs 'resourceType' (e.g. catalog-entity)`);
    return undefined;
  }
  if (!ctx.known.resourceTypes.has(resourceType)) {
    const hint = suggest(resourceType, ctx.known.resourceTypes);
    report(
      ctx,
      [...path, 'resourceType'],
      `Unknown resource type '${resourceType}'${hint ? `; did you mean '${hint}'?` : ''}`,
    );
    return undefined;
  }
  const available = rulesOf(resourceType, ctx.known);
  if (!available.has(rule)) {
    const hint = suggest(rule, available.keys());
    report(
      ctx,
      [...path, 'rule'],
      available.size
        ? `Unknown condition rule '${rule}' for ${resourceType}${hint ? `; did you mean '${hint}'?` : ''} (rules: ${[...available.keys()].join(', ')})`
        : `Resource type ${resourceType} has no condition rules`,
    );
    return undefined;
  }
  const params = value.params ?? {};
  if (!isObject(params)) {
    report(ctx, [...path, 'params'], `'params' is a map of the rule's parameters`);
    return undefined;
  }
  const builtin = resourceType === CATALOG_ENTITY ? BY_RULE.get(rule) : undefined;
  if (builtin) {
    const at = (name: string): FieldPath => [...path, 'params', name];
    const checked = checkParams(builtin, params, [...path, 'params'], at, ctx, rule);
    return ok && checked ? { rule, resourceType, params: checked } : undefined;
  }
  for (const required of available.get(rule) ?? []) {
    if (params[required] === undefined) {
      report(ctx, [...path, 'params'], `${rule} needs the parameter '${required}'`);
      ok = false;
    }
  }
  return ok ? { rule, resourceType, params } : undefined;
}

/**
 * RHDH's (and Backstage's) condition JSON: one of `{rule, resourceType, params}`,
 * `{allOf: [...]}`, `{anyOf: [...]}`, `{not: ...}` at each level.
 */
export function parseCriteria(
  value: unknown,
  path: FieldPath,
  ctx: ConditionContext,
  depth = 1,
): PermissionCriteria | undefined {
  if (tooDeep(ctx, path, depth)) return undefined;
  if (!isObject(value)) {
    report(
      ctx,
      path,
      `Conditions are a map: { rule, resourceType, params } or { allOf | anyOf: [...] } or { not: ... }`,
    );
    return undefined;
  }
  const criteria = ['allOf', 'anyOf', 'not'].filter((k) => k in value);
  if ('rule' in value) {
    if (criteria.length === 0) return parseLeaf(value, path, ctx, undefined);
  }
  if (criteria.length !== 1 || Object.keys(value).length !== 1) {
    report(
      ctx,
      path,
      criteria.length > 1 || 'rule' in value
        ? `One condition per level: ${[...criteria, ...('rule' in value ? ['rule'] : [])].join(' and ')} cannot sit side by side (nest them in allOf)`
        : `Unexpected keys ${Object.keys(value)
            .filter((k) => !criteria.includes(k))
            .join(
              ', ',
            )}: a condition is { rule, resourceType, params } or { allOf | anyOf: [...] } or { not: ... }`,
    );
    return undefined;
  }
  const key = criteria[0]!;
  const at = [...path, key];
  if (key === 'not') {
    const inner = parseCriteria(value.not, at, ctx, depth + 1);
    return inner && { not: inner };
  }
  return combine(key as 'allOf' | 'anyOf', value[key], at, ctx, (v, p) =>
    parseCriteria(v, p, ctx, depth + 1),
  );
}
