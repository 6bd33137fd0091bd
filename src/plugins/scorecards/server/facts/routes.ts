import type { FastifyRequest } from 'fastify';
import {
  InputError,
  NotFoundError,
  type Permission,
  type PluginEnvironment,
  permissionDenied,
  type RouteContext,
} from '../../../../core/plugin-api.ts';
import type { Entity } from '../../../../model/entity.ts';
import { parseEntityRef, stringifyEntityRef } from '../../../../model/ref.ts';
import type { CatalogApi } from '../../../catalog/server/plugin.ts';
import type { FactObservation, FactStore, FactValue } from './fact-store.ts';
import type { FactProvider } from './provider.ts';

export const FACT_PERMISSIONS = {
  /** Decided per entity, so a policy may let owners (or a CI token) report their own facts. */
  create: {
    name: 'scorecards.fact.create',
    attributes: { action: 'create' },
    resourceType: 'catalog-entity',
  },
  read: {
    name: 'catalog.entity.read',
    attributes: { action: 'read' },
    resourceType: 'catalog-entity',
  },
} satisfies Record<string, Permission>;

/** As the scorecard rule grammar writes fact ids: `ci.coverage`, `security.critical-vulns`. */
const FACT_ID = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
export const MAX_PUSH_ITEMS = 1000;
export const MAX_FACTS_PER_ITEM = 100;
export const MAX_FACT_STRING = 1000;
/** A timestamp this far ahead of the server's clock is refused: it would shadow later pushes. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;
const NAMED_IN_ERRORS = 10;

const factsSchema = {
  type: 'object',
  minProperties: 1,
  maxProperties: MAX_FACTS_PER_ITEM,
  propertyNames: { maxLength: 200 },
} as const;
const itemProperties = {
  entityRef: { type: 'string', minLength: 1, maxLength: 600 },
  facts: factsSchema,
  timestamp: { type: 'string', minLength: 1, maxLength: 40 },
} as const;
const pushSchema = {
  type: 'object',
  properties: {
    ...itemProperties,
    items: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_PUSH_ITEMS,
      items: {
        type: 'object',
        properties: itemProperties,
        required: ['entityRef', 'facts'],
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
} as const;

interface PushItem {
  entityRef: string;
  facts: Record<string, unknown>;
  timestamp?: string;
}
type PushBody = Partial<PushItem> & { items?: PushItem[] };

export interface FactRouteDeps {
  catalog: () => CatalogApi;
  store: FactStore;
  /** The providers in use: ids they answer cannot be pushed (they would never be read). */
  providers: () => readonly FactProvider[];
  /** Told which entities' facts a push changed (the push provider's subscribers). */
  changed(refs: string[]): void;
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number') return 'a number that is not finite';
  return `a ${typeof value}`;
}

/** The prefix or id of a non-push provider that answers `fact`, if any. */
function computedBy(fact: string, providers: readonly FactProvider[]): FactProvider | undefined {
  return providers.find(
    (p) =>
      !p.facts.includes('*') &&
      p.facts.some((f) => f === fact || (f.endsWith('.') && fact.startsWith(f))),
  );
}

/** Checks the body and turns it into observations; a 400 names the item, fact and problem. */
function observationsOf(
  body: PushBody,
  providers: readonly FactProvider[],
  now: number,
): Array<FactObservation & { where: string; written: string }> {
  let items: Array<{ item: PushItem; where: string }>;
  if (body.items !== undefined) {
    if (body.entityRef !== undefined || body.facts !== undefined || body.timestamp !== undefined) {
      throw new InputError(
        'body: send either { entityRef, facts, timestamp? } or { items: [...] }, not both',
      );
    }
    items = body.items.map((item, i) => ({ item, where: `body.items[${i}]` }));
  } else {
    if (body.entityRef === undefined || body.facts === undefined) {
      throw new InputError(
        `body must have entityRef and facts (e.g. { "entityRef": "component:default/payments", "facts": { "ci.coverage": 81 } }), or items: a list of those`,
      );
    }
    items = [{ item: body as PushItem, where: 'body' }];
  }
  return items.map(({ item, where }) => {
    let entityRef: string;
    try {
      entityRef = stringifyEntityRef(parseEntityRef(item.entityRef.trim())).toLowerCase();
    } catch (error) {
      throw new InputError(
        `${where}.entityRef '${item.entityRef}' is not an entity ref like component:default/payments: ${(error as Error).message}`,
      );
    }
    const facts: Record<string, FactValue> = {};
    for (const [fact, value] of Object.entries(item.facts)) {
      const at = `${where}.facts['${fact}'] of ${entityRef}`;
      if (!FACT_ID.test(fact)) {
        throw new InputError(
          `${at}: '${fact}' is not a fact id; use letters, digits, - and _ in parts joined by dots, e.g. ci.coverage`,
        );
      }
      const owner = computedBy(fact, providers);
      if (owner) {
        throw new InputError(
          `${at}: fact '${fact}' is computed by Atrium's '${owner.id}' fact provider and cannot be pushed; report it under another id`,
        );
      }
      const ok =
        value === null ||
        typeof value === 'string' ||
        typeof value === 'boolean' ||
        (typeof value === 'number' && Number.isFinite(value));
      if (!ok) {
        throw new InputError(
          `${at}: fact '${fact}' is ${typeName(value)}; a fact must be a string, number, boolean or null (null removes it)`,
        );
      }
      if (typeof value === 'string' && value.length > MAX_FACT_STRING) {
        throw new InputError(
          `${at}: fact '${fact}' is a string of ${value.length} characters; at most ${MAX_FACT_STRING} are kept`,
        );
      }
      facts[fact] = value as FactValue;
    }
    let observedAt = new Date(now).toISOString();
    if (item.timestamp !== undefined) {
      const time = Date.parse(item.timestamp);
      if (Number.isNaN(time)) {
        throw new InputError(
          `${where}.timestamp '${item.timestamp}' is not a date and time; use ISO 8601, e.g. 2026-01-31T12:00:00Z`,
        );
      }
      if (time > now + MAX_CLOCK_SKEW_MS) {
        throw new InputError(
          `${where}.timestamp '${item.timestamp}' is in the future (the server's time is ${new Date(now).toISOString()})`,
        );
      }
      observedAt = new Date(time).toISOString();
    }
    return { entityRef, facts, observedAt, where, written: item.entityRef };
  });
}

function listed(refs: string[]): string {
  const shown = refs.slice(0, NAMED_IN_ERRORS).join(', ');
  return refs.length > NAMED_IN_ERRORS
    ? `${shown} and ${refs.length - NAMED_IN_ERRORS} more`
    : shown;
}

/**
 * The entities pushed for, when the caller may report facts on each. An entity that does not
 * exist is a 404; so is one the caller may neither report on nor read (a push must not tell
 * that it exists); one the caller may read but not report on is a 403. A token restricted to
 * the scorecards plugin needs no catalog permission for entities the policy lets it report on.
 */
async function authorizedEntities(
  deps: FactRouteDeps,
  ctx: RouteContext,
  refs: string[],
): Promise<void> {
  const found = await deps.catalog().query.byRefs(refs, undefined, undefined);
  const missing: string[] = [];
  const denied: Array<{ ref: string; reason: { message: string } }> = [];
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i]!;
    const entity = found[i] as Entity | null;
    if (!entity) {
      missing.push(ref);
      continue;
    }
    const decision = await ctx.decide(FACT_PERMISSIONS.create, { ref, resource: entity });
    if (decision.result === 'ALLOW') continue;
    const readable =
      (await ctx.decide(FACT_PERMISSIONS.read, { ref, resource: entity })).result === 'ALLOW';
    if (!readable) missing.push(ref);
    else
      denied.push({ ref, reason: decision.reason ?? { message: 'the policy does not allow it' } });
  }
  if (missing.length) {
    throw new NotFoundError(
      `No entity ${listed(missing)} in the catalog; facts can be pushed only for entities the catalog holds (nothing was stored)`,
    );
  }
  if (denied.length) {
    for (const { ref, reason } of denied.slice(0, NAMED_IN_ERRORS)) {
      ctx.audit({
        action: 'permission.denied',
        resourceRef: ref,
        outcome: 'denied',
        details: { permission: FACT_PERMISSIONS.create.name, reason },
      });
    }
    const first = denied[0]!;
    throw permissionDenied(FACT_PERMISSIONS.create.name, {
      ...first.reason,
      message: `${first.reason.message} (for ${listed(denied.map((d) => d.ref))}; nothing was stored)`,
    });
  }
}

/**
 * `POST /api/scorecards/facts`: CI jobs and scanners report facts about entities
 * (`{ entityRef, facts: { "ci.coverage": 81 }, timestamp? }` or `{ items: [...] }`), with a
 * personal access token, an external access token, or a session. The whole request is
 * checked first (types 400, unknown entities 404, permission per entity 403); then it is
 * stored in one transaction, or nothing is.
 */
export function registerFactRoutes(env: PluginEnvironment, deps: FactRouteDeps): void {
  env.route({
    method: 'POST',
    url: '/facts',
    permission: FACT_PERMISSIONS.create,
    schema: { body: pushSchema },
    async handler(request: FastifyRequest, _reply, ctx) {
      const observations = observationsOf(request.body as PushBody, deps.providers(), Date.now());
      const refs = [...new Set(observations.map((o) => o.entityRef))];
      await authorizedEntities(deps, ctx, refs);

      const outcomes = await deps.store.write(observations);
      const changed = outcomes.filter((o) => o.stored.length).map((o) => o.entityRef);
      ctx.audit({
        action: FACT_PERMISSIONS.create.name,
        ...(refs.length === 1 ? { resourceRef: refs[0] } : {}),
        outcome: 'success',
        details: {
          entities: refs.length,
          facts: [...new Set(observations.flatMap((o) => Object.keys(o.facts)))].slice(0, 50),
          ignored: outcomes.reduce((n, o) => n + o.ignored.length, 0),
        },
      });
      deps.changed(changed);
      return {
        items: outcomes.map((o) => ({
          entityRef: o.entityRef,
          stored: o.stored,
          ignored: o.ignored.map((i) => ({
            fact: i.fact,
            storedAt: i.storedAt,
            reason: `a value observed later (${i.storedAt}) is already stored; this older one was ignored`,
          })),
        })),
      };
    },
  });
}
