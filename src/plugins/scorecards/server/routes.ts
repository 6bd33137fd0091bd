import type { FastifyRequest } from 'fastify';
import { InputError, NotFoundError } from '../../../core/errors.ts';
import type { Permission, PluginEnvironment, RouteContext } from '../../../core/plugin-api.ts';
import { parseEntityRef, stringifyEntityRef } from '../../../model/ref.ts';
import type { CatalogApi } from '../../catalog/server/plugin.ts';
import type { Predicate } from '../../catalog/server/query/predicate.ts';
import { decodeChecks } from './checks-codec.ts';
import type { GroupTreeCache } from './group-tree.ts';
import { type History, ownerKey } from './history.ts';
import type { LoadedScorecard, ScorecardRegistry } from './registry.ts';
import {
  decodeCursor,
  encodeCursor,
  type ResultCondition,
  type ResultsQuery,
  statusCondition,
} from './results-query.ts';
import type { ResultsStore } from './results-store.ts';
import { computeRollup, distributionOf, type RollupItem } from './rollups.ts';
import type { ScoringService } from './scoring-service.ts';

export const SCORECARD_PERMISSIONS = {
  /** Results are about entities: reading them is reading the entities, as with docs. */
  read: {
    name: 'catalog.entity.read',
    attributes: { action: 'read' },
    resourceType: 'catalog-entity',
  },
  /** A full evaluation on demand; decided on the Scorecard entity (owners may be allowed). */
  evaluate: {
    name: 'scorecards.evaluate',
    attributes: { action: 'update' },
    resourceType: 'catalog-entity',
  },
} satisfies Record<string, Permission>;

const P = SCORECARD_PERMISSIONS;

export const DEFAULT_RESULTS_LIMIT = 50;
export const MAX_RESULTS_LIMIT = 500;
const MAX_HISTORY = 1000;
export const DEFAULT_ROLLUP_LIMIT = 100;
const MAX_ROLLUP_LIMIT = 5000;
const CAMPAIGN_MISSING = 50;
const ANSWER_CACHE_SIZE = 200;

/**
 * Answers that aggregate every result of a scorecard (roll-ups, trends, campaigns), kept
 * until results, the catalog (ownership, groups, what a caller may read) or the day change.
 */
class AnswerCache {
  private readonly entries = new Map<string, { stamp: string; value: unknown }>();

  async get<T>(key: string, stamp: string, compute: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    // Answers are only serialised, never changed, so the cached object itself is returned.
    if (hit?.stamp === stamp) return hit.value as T;
    const value = await compute();
    if (this.entries.size >= ANSWER_CACHE_SIZE)
      this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { stamp, value });
    return value;
  }
}

export interface RouteDeps {
  catalog: () => CatalogApi;
  registry: ScorecardRegistry;
  results: ResultsQuery;
  store: ResultsStore;
  scoring: ScoringService;
  history: History;
  groups: GroupTreeCache;
  historyDays: number;
}

const segment = { type: 'string', minLength: 1, maxLength: 253, pattern: '^[^/\\\\]+$' } as const;
const refParam = { type: 'string', minLength: 1, maxLength: 600 } as const;
const strict = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const cardParams = strict({ namespace: segment, name: segment }, ['namespace', 'name']);
const entityParams = strict({ namespace: segment, kind: segment, name: segment }, [
  'namespace',
  'kind',
  'name',
]);
const noQuery = strict({});

type CardParams = { namespace: string; name: string };
type EntityParams = { namespace: string; kind: string; name: string };

/** A ref from a query parameter, completed with a default kind, lowercased; 400 if malformed. */
export function refFromQuery(value: string, parameter: string, defaultKind: string): string {
  try {
    return stringifyEntityRef(parseEntityRef(value.trim(), { defaultKind }));
  } catch (error) {
    throw new InputError(`querystring.${parameter}: ${(error as Error).message}`);
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** What the caller may read, as the catalog's predicate and as a condition on results. */
async function access(deps: RouteDeps, ctx: RouteContext) {
  const readable = await deps.catalog().readFilter(ctx);
  return { readable, condition: deps.results.readable(readable) };
}

/** The scorecard the route names, or a 404 (also when the caller may not read it). */
async function scorecardOr404(
  deps: RouteDeps,
  params: CardParams,
  readable: Predicate | undefined,
): Promise<LoadedScorecard> {
  const ref = `scorecard:${params.namespace}/${params.name}`.toLowerCase();
  const loaded = await deps.registry.get(ref);
  const visible =
    loaded && (!readable || (await deps.catalog().query.matchingRefs([ref], readable)).has(ref));
  if (!loaded || !visible) {
    throw new NotFoundError(
      `No scorecard named '${params.name}' found in namespace '${params.namespace}'`,
    );
  }
  return loaded;
}

/** The entity the route names, or a 404 (also when the caller may not read it). */
async function entityOr404(deps: RouteDeps, ctx: RouteContext, p: EntityParams) {
  const ref = `${p.kind}:${p.namespace}/${p.name}`.toLowerCase();
  const { store } = deps.catalog();
  const notFound = () =>
    new NotFoundError(
      `No entity named '${p.name}' found, with kind '${p.kind}' in namespace '${p.namespace}'`,
    );
  const row = await store.rowByRef(ref);
  if (!row) throw notFound();
  const [entity] = await store.assemble([row]);
  if (!entity) throw notFound();
  if ((await ctx.decide(P.read, { ref, resource: entity })).result !== 'ALLOW') throw notFound();
  return { ref, entity };
}

/** Scorecards the caller may read (their Scorecard entities), by ref. */
async function visibleScorecards(deps: RouteDeps, readable: Predicate | undefined) {
  const cards = await deps.registry.all();
  if (!readable) return cards;
  const allowed = await deps.catalog().query.matchingRefs([...cards.keys()], readable);
  return new Map([...cards].filter(([ref]) => allowed.has(ref)));
}

/**
 * Owners whose aggregated history the caller may see: all of them for a caller who may read
 * every entity; otherwise those all of whose scored entities the caller may read now (a
 * daily aggregate cannot be filtered entity by entity).
 */
async function ownersShown(
  deps: RouteDeps,
  card: string,
  condition: ResultCondition | undefined,
): Promise<((owner: string) => boolean) | undefined> {
  if (!condition) return undefined;
  const [all, mine] = await Promise.all([
    deps.results.countsByOwner(card, []),
    deps.results.countsByOwner(card, [condition]),
  ]);
  const shown = new Set([...mine].filter(([owner, n]) => all.get(owner) === n).map(([o]) => o));
  return (owner) => shown.has(owner);
}

function checkInfo(loaded: LoadedScorecard) {
  return loaded.card.spec.checks.map((c) => ({
    id: c.id,
    title: c.title ?? c.id,
    level: c.level,
    ...(c.description ? { description: c.description } : {}),
    ...(c.howToFix ? { howToFix: c.howToFix } : {}),
  }));
}

function scorecardSummary(loaded: LoadedScorecard) {
  const { card } = loaded;
  return {
    ref: card.ref,
    namespace: card.namespace,
    name: card.name,
    title: card.title,
    ...(card.description ? { description: card.description } : {}),
    ...(card.spec.owner ? { owner: card.spec.owner } : {}),
    levels: card.spec.levels,
  };
}

export interface ScorecardRoutes {
  /** An entity's results on every scorecard the caller may read; 404 for an unreadable entity. */
  entityResults(
    ctx: RouteContext,
    p: { namespace: string; kind: string; name: string },
  ): Promise<{ items: object[] }>;
}

export function registerScorecardRoutes(env: PluginEnvironment, deps: RouteDeps): ScorecardRoutes {
  const answers = new AnswerCache();
  // A scorecard's answers are stale when its results change, not when another's do.
  const stampOf = async (scorecard: string) => {
    const [results, catalog] = await Promise.all([
      deps.store.generation(scorecard),
      deps.catalog().store.generation(),
    ]);
    return `${results}/${catalog}/${deps.history.today()}`;
  };
  /**
   * When a result was last scored: an unchanged result is not written again by a full
   * evaluation, which confirms it as of its start.
   */
  const scoredAt = (row: { scored_at: string }, evaluatedAt: string | null | undefined) =>
    evaluatedAt && evaluatedAt > row.scored_at ? evaluatedAt : row.scored_at;

  env.route({
    method: 'GET',
    url: '/scorecards',
    permission: P.read,
    schema: { querystring: noQuery },
    async handler(_request, _reply, ctx) {
      const { readable, condition } = await access(deps, ctx);
      const cards = await visibleScorecards(deps, readable);
      const refs = [...cards.keys()];
      const [mine, all] = await Promise.all([
        deps.results.distributions(refs, [condition]),
        condition ? deps.results.distributions(refs, []) : undefined,
      ]);
      const items = [...cards.values()].map((loaded) => {
        const ref = loaded.card.ref;
        const byRank = mine.get(ref);
        const matched = [...(byRank?.values() ?? [])].reduce((a, b) => a + b, 0);
        const everyone = [...((all ?? mine).get(ref)?.values() ?? [])].reduce((a, b) => a + b, 0);
        const evaluating = deps.scoring.evaluating(ref);
        const problems: string[] = [];
        if (!evaluating && everyone === 0)
          problems.push(
            'filter matches no entity: check spec.filter (kinds and values are compared case-insensitively)',
          );
        return {
          ...scorecardSummary(loaded),
          checks: checkInfo(loaded),
          campaigns: (loaded.card.spec.campaigns ?? []).map((c) => ({
            id: c.id,
            title: c.title ?? c.id,
            level: c.level,
            deadline: c.deadline,
          })),
          matched,
          distribution: distributionOf(loaded.card.spec.levels, byRank),
          ...(evaluating ? { evaluating: true } : {}),
          ...(problems.length ? { problems } : {}),
        };
      });
      // Stored scorecards that do not compile are not scored; they are listed with why.
      const broken = [...deps.registry.problems()].filter(([ref]) => !cards.has(ref) && !readable);
      for (const [ref, problems] of broken) {
        const { namespace, name } = parseEntityRef(ref);
        items.push({
          ref,
          namespace,
          name,
          title: name,
          levels: [],
          checks: [],
          campaigns: [],
          matched: 0,
          distribution: { none: 0 },
          problems,
        });
      }
      return { items };
    },
  });

  env.route({
    method: 'GET',
    url: '/scorecards/:namespace/:name/results',
    permission: P.read,
    schema: {
      params: cardParams,
      querystring: strict({
        owner: refParam,
        system: refParam,
        domain: refParam,
        level: { type: 'string', minLength: 1, maxLength: 200 },
        check: { type: 'string', minLength: 1, maxLength: 200 },
        status: { type: 'string', enum: ['passed', 'failed', 'unknown'] },
        limit: { type: 'integer', minimum: 1, maximum: MAX_RESULTS_LIMIT },
        cursor: { type: 'string', minLength: 1, maxLength: 2000 },
      }),
    },
    async handler(request: FastifyRequest, _reply, ctx) {
      const q = request.query as {
        owner?: string;
        system?: string;
        domain?: string;
        level?: string;
        check?: string;
        status?: 'passed' | 'failed' | 'unknown';
        limit?: number;
        cursor?: string;
      };
      const { readable, condition } = await access(deps, ctx);
      const loaded = await scorecardOr404(deps, request.params as CardParams, readable);
      const { card } = loaded;
      const conditions: Array<ResultCondition | undefined> = [condition];
      if (q.owner) {
        const owner = refFromQuery(q.owner, 'owner', 'group');
        const owners = (await deps.groups.get()).descendants(owner);
        conditions.push((eb) => eb('owner_ref', 'in', owners));
      }
      if (q.system) {
        const system = refFromQuery(q.system, 'system', 'system');
        conditions.push((eb) => eb('system_ref', '=', system));
      }
      if (q.domain) {
        const domain = refFromQuery(q.domain, 'domain', 'domain');
        conditions.push((eb) => eb('domain_ref', '=', domain));
      }
      if (q.level) {
        const wanted = q.level.toLowerCase();
        const rank =
          wanted === 'none'
            ? 0
            : card.spec.levels.findIndex((l) => l.toLowerCase() === wanted) + 1 || undefined;
        if (rank === undefined) {
          throw new InputError(
            `querystring.level: '${q.level}' is not a level of ${card.ref} (levels: ${card.spec.levels.join(', ')}, or none)`,
          );
        }
        conditions.push((eb) => eb('rank', '=', rank));
      }
      if (q.check !== undefined) {
        const index = loaded.checkIndex.get(q.check);
        if (index === undefined) {
          throw new InputError(
            `querystring.check: '${q.check}' is not a check of ${card.ref} (checks: ${[...loaded.checkIndex.keys()].join(', ')})`,
          );
        }
        conditions.push(statusCondition(index, q.status ?? 'failed'));
      } else if (q.status) {
        conditions.push(statusCondition(undefined, q.status));
      }
      const limit = q.limit ?? DEFAULT_RESULTS_LIMIT;
      const after = q.cursor ? decodeCursor(q.cursor) : undefined;
      const [page, states] = await Promise.all([
        deps.results.page(card.ref, conditions, limit, after),
        deps.store.states(),
      ]);
      const evaluatedAt = states.get(card.ref)?.evaluated_at;
      const summaries = await deps.results.summaries(page.rows.map((r) => r.entity_ref));
      const items = page.rows.map((row) => {
        const summary = summaries.get(row.entity_ref);
        return {
          entityRef: row.entity_ref,
          title: summary?.title ?? parseEntityRef(row.entity_ref).name,
          kind: summary?.kind ?? parseEntityRef(row.entity_ref).kind,
          ...(row.owner_ref ? { owner: row.owner_ref } : {}),
          ...(row.system_ref ? { system: row.system_ref } : {}),
          level: row.level,
          rank: Number(row.rank),
          passed: Number(row.passed),
          failed: Number(row.failed),
          unknown: Number(row.unknown),
          levelSince: row.level_since,
          scoredAt: scoredAt(row, evaluatedAt),
        };
      });
      const last = page.rows[page.rows.length - 1];
      return {
        items,
        totalItems: page.total,
        ...(page.hasMore && last
          ? { nextCursor: encodeCursor({ rank: Number(last.rank), ref: last.entity_ref }) }
          : {}),
      };
    },
  });

  env.route({
    method: 'GET',
    url: '/scorecards/:namespace/:name/rollup',
    permission: P.read,
    schema: {
      params: cardParams,
      querystring: strict({
        by: { type: 'string', enum: ['owner', 'system', 'domain'] },
        group: refParam,
        limit: { type: 'integer', minimum: 1, maximum: MAX_ROLLUP_LIMIT },
      }),
    },
    async handler(request: FastifyRequest, _reply, ctx) {
      const q = request.query as {
        by?: 'owner' | 'system' | 'domain';
        group?: string;
        limit?: number;
      };
      const by = q.by ?? 'owner';
      const { readable, condition } = await access(deps, ctx);
      const loaded = await scorecardOr404(deps, request.params as CardParams, readable);
      const group = q.group ? refFromQuery(q.group, 'group', 'group') : undefined;
      const catalog = deps.catalog();
      const key = JSON.stringify([
        'rollup',
        loaded.hash,
        by,
        group ?? null,
        q.limit ?? DEFAULT_ROLLUP_LIMIT,
        readable ?? null,
      ]);
      return answers.get(key, await stampOf(loaded.card.ref), async () => {
        const tree = await deps.groups.get();
        const within = group ? new Set(tree.descendants(group)) : undefined;
        const conditions: Array<ResultCondition | undefined> = [condition];
        if (within) conditions.push((eb) => eb('owner_ref', 'in', [...within]));
        const rollup = await computeRollup(
          deps.results,
          loaded,
          by,
          conditions,
          tree,
          by === 'owner' ? within : undefined,
        );
        // Items are entities too (groups, systems, domains): those the caller may not read
        // are not named; owners missing from the catalog are named as written.
        const refs = rollup.totals.map((i) => i.ref);
        const [existing, allowed] = readable
          ? await Promise.all([
              deps.results.existing(refs),
              catalog.query.matchingRefs(refs, readable),
            ])
          : [undefined, undefined];
        const sorted = rollup.totals
          .filter((i) => !allowed || allowed.has(i.ref) || !existing?.has(i.ref))
          .sort(
            (a, b) =>
              Number(b.ref === group) - Number(a.ref === group) ||
              b.passRate - a.passRate ||
              (a.ref < b.ref ? -1 : 1),
          );
        // At 100,000 entities there are thousands of owners: the best first, up to `limit`,
        // and only those are worked out in full.
        const page = rollup.details(
          sorted.slice(0, q.limit ?? DEFAULT_ROLLUP_LIMIT).map((i) => i.ref),
        );
        const summaries = await deps.results.summaries(page.map((i) => i.ref));
        const items: RollupItem[] = page.map((i) => ({
          ...i,
          title: summaries.get(i.ref)?.title ?? parseEntityRef(i.ref).name,
        }));
        return { by, items, totalItems: sorted.length };
      });
    },
  });

  env.route({
    method: 'GET',
    url: '/scorecards/:namespace/:name/trend',
    permission: P.read,
    schema: {
      params: cardParams,
      querystring: strict({
        days: { type: 'integer', minimum: 1, maximum: 3650 },
        owner: refParam,
      }),
    },
    async handler(request: FastifyRequest, _reply, ctx) {
      const q = request.query as { days?: number; owner?: string };
      const days = q.days ?? 90;
      if (days > deps.historyDays) {
        throw new InputError(
          `querystring.days: at most ${deps.historyDays} days of history are kept (scorecards.historyDays)`,
        );
      }
      const { readable, condition } = await access(deps, ctx);
      const loaded = await scorecardOr404(deps, request.params as CardParams, readable);
      const { card } = loaded;
      const key = JSON.stringify(['trend', loaded.hash, days, q.owner ?? null, readable ?? null]);
      return answers.get(key, await stampOf(loaded.card.ref), async () => {
        const owners = q.owner
          ? new Set((await deps.groups.get()).descendants(refFromQuery(q.owner, 'owner', 'group')))
          : undefined;
        const shown = await ownersShown(deps, card.ref, condition);
        const keep = (owner: string) => (!owners || owners.has(owner)) && (!shown || shown(owner));
        const today = deps.history.today();
        const stored = (await deps.history.days(card.ref, deps.history.fromDay(days))).filter(
          (d) => d.day !== today,
        );
        // Today is computed from the current results, so the chart ends where the lists are.
        const live = await deps.results.aggregate(
          card.ref,
          'owner_ref',
          card.spec.checks.length,
          [],
        );
        const todays = {
          day: today,
          levels: live.map((r) => ({
            owner: ownerKey(r.group),
            level: r.rank ? (card.spec.levels[r.rank - 1] ?? null) : null,
            count: r.count,
          })),
          checks: live.flatMap((r) =>
            card.spec.checks.map((c, i) => ({
              owner: ownerKey(r.group),
              check: c.id,
              passed: r.passed[i] ?? 0,
              failed: r.failed[i] ?? 0,
              unknown: r.unknown[i] ?? 0,
            })),
          ),
        };
        const out = [...stored, todays].map((d) => {
          const distribution: Record<string, number> = {};
          for (const level of card.spec.levels) distribution[level] = 0;
          distribution.none = 0;
          for (const l of d.levels) {
            if (!keep(l.owner)) continue;
            const key = l.level ?? 'none';
            distribution[key] = (distribution[key] ?? 0) + l.count;
          }
          const sums = new Map<string, { passed: number; all: number }>();
          for (const c of d.checks) {
            if (!keep(c.owner)) continue;
            const s = sums.get(c.check) ?? { passed: 0, all: 0 };
            s.passed += c.passed;
            s.all += c.passed + c.failed + c.unknown;
            sums.set(c.check, s);
          }
          const checks: Record<string, number> = {};
          for (const [id, s] of sums) if (s.all) checks[id] = round(s.passed / s.all);
          return { day: d.day, distribution, checks };
        });
        return { days: out, ...(shown ? { partial: true } : {}) };
      });
    },
  });

  env.route({
    method: 'GET',
    url: '/scorecards/:namespace/:name/campaigns',
    permission: P.read,
    schema: { params: cardParams, querystring: noQuery },
    async handler(request: FastifyRequest, _reply, ctx) {
      const { readable, condition } = await access(deps, ctx);
      const loaded = await scorecardOr404(deps, request.params as CardParams, readable);
      const { card } = loaded;
      const key = JSON.stringify(['campaigns', loaded.hash, readable ?? null]);
      return answers.get(key, await stampOf(loaded.card.ref), async () => {
        const shown = await ownersShown(deps, card.ref, condition);
        const fromDay = deps.history.fromDay(deps.historyDays);
        const today = deps.history.today();
        const items = [];
        for (const campaign of card.spec.campaigns ?? []) {
          const target = loaded.rankOf.get(campaign.level) ?? Number.MAX_SAFE_INTEGER;
          const counts = await deps.history.campaignCounts(card.ref, campaign.id, target, [
            condition,
          ]);
          const total = counts.reduce((n, c) => n + c.total, 0);
          const reached = counts.reduce((n, c) => n + c.reached, 0);
          const missing = await deps.results.page(
            card.ref,
            [
              condition,
              (eb) => eb('campaigns', 'like', `%,${campaign.id},%`),
              (eb) => eb('rank', '<', target),
            ],
            CAMPAIGN_MISSING,
            undefined,
          );
          const perDay = new Map<string, { total: number; reached: number }>();
          for (const row of await deps.history.campaignDays(card.ref, campaign.id, fromDay)) {
            if (row.day === today || (shown && !shown(row.owner))) continue;
            const d = perDay.get(row.day) ?? { total: 0, reached: 0 };
            d.total += row.total;
            d.reached += row.reached;
            perDay.set(row.day, d);
          }
          perDay.set(today, { total, reached });
          items.push({
            id: campaign.id,
            title: campaign.title ?? campaign.id,
            level: campaign.level,
            deadline: campaign.deadline,
            ...(campaign.filter ? { filter: campaign.filter } : {}),
            total,
            reached,
            missing: missing.rows.map((r) => r.entity_ref),
            progress: [...perDay]
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([day, d]) => ({ day, ...d })),
          });
        }
        return { items };
      });
    },
  });

  env.route({
    method: 'POST',
    url: '/scorecards/:namespace/:name/evaluate',
    // Decided again on the Scorecard entity in the handler, so a policy may allow its owners.
    permission: P.evaluate,
    schema: { params: cardParams, querystring: strict({ wait: { type: 'boolean' } }) },
    async handler(request: FastifyRequest, reply, ctx) {
      const q = request.query as { wait?: boolean };
      const { readable } = await access(deps, ctx);
      const loaded = await scorecardOr404(deps, request.params as CardParams, readable);
      const ref = loaded.card.ref;
      await ctx.require(P.evaluate, { ref, resource: loaded.entity });
      const done = deps.scoring.evaluate([ref]);
      ctx.audit({ action: P.evaluate.name, resourceRef: ref, outcome: 'success' });
      if (q.wait) {
        await done;
        return { scorecardRef: ref, status: 'evaluated' };
      }
      reply.code(202);
      return { scorecardRef: ref, status: 'queued' };
    },
  });

  /** An entity's results on every scorecard the caller may read (also the get-scorecard-results action). */
  const entityResults = async (ctx: RouteContext, p: EntityParams) => {
    const { ref } = await entityOr404(deps, ctx, p);
    const { readable } = await access(deps, ctx);
    const [rows, cards, states] = await Promise.all([
      deps.results.ofEntity(ref),
      visibleScorecards(deps, readable),
      deps.store.states(),
    ]);
    const items = [];
    for (const row of rows) {
      const loaded = cards.get(row.scorecard_ref);
      if (!loaded) continue;
      const results = new Map(decodeChecks(row.checks_json).map((c) => [c.id, c]));
      items.push({
        scorecard: {
          ref: loaded.card.ref,
          title: loaded.card.title,
          levels: loaded.card.spec.levels,
        },
        level: row.level,
        rank: Number(row.rank),
        scoredAt: scoredAt(row, states.get(row.scorecard_ref)?.evaluated_at),
        levelSince: row.level_since,
        checks: checkInfo(loaded).map((check) => {
          const result = results.get(check.id);
          return {
            ...check,
            status: result?.status ?? 'unknown',
            ...(result && 'value' in result ? { value: result.value } : {}),
            reason: result?.reason ?? 'not scored yet with this version of the scorecard',
          };
        }),
      });
    }
    return { items };
  };

  env.route({
    method: 'GET',
    url: '/entities/:namespace/:kind/:name',
    permission: P.read,
    schema: { params: entityParams, querystring: noQuery },
    async handler(request: FastifyRequest, _reply, ctx) {
      return entityResults(ctx, request.params as EntityParams);
    },
  });

  env.route({
    method: 'GET',
    url: '/entities/:namespace/:kind/:name/history',
    permission: P.read,
    schema: {
      params: entityParams,
      querystring: strict({
        scorecard: refParam,
        limit: { type: 'integer', minimum: 1, maximum: MAX_HISTORY },
      }),
    },
    async handler(request: FastifyRequest, _reply, ctx) {
      const q = request.query as { scorecard?: string; limit?: number };
      const { ref } = await entityOr404(deps, ctx, request.params as EntityParams);
      const { readable } = await access(deps, ctx);
      const scorecard = q.scorecard
        ? refFromQuery(q.scorecard, 'scorecard', 'scorecard')
        : undefined;
      const cards = await visibleScorecards(deps, readable);
      if (scorecard && !cards.has(scorecard)) {
        throw new NotFoundError(`No scorecard ${scorecard} found`);
      }
      const rows = await deps.results.history(ref, scorecard, q.limit ?? 100);
      return {
        items: rows
          .filter((r) => cards.has(r.scorecard_ref))
          .map((r) => ({
            at: r.at,
            scorecardRef: r.scorecard_ref,
            from: r.from_level,
            to: r.to_level,
          })),
      };
    },
  });
  return { entityResults };
}
