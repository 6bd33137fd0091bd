import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InputError } from '../../../../core/errors.ts';
import {
  type EventStream,
  type Identity,
  openEventStream,
  type PluginEnvironment,
} from '../../../../core/plugin-api.ts';
import { parseEntityRef, stringifyEntityRef } from '../../../../model/ref.ts';
import { type StoredEventRow, toHistoryItem } from '../history/event-rows.ts';
import { type Predicate, parseFilterParams } from '../query/predicate.ts';
import { and, type Deps, P, readFilter, strict, strings } from './shared.ts';

const HEARTBEAT_MS = 15_000;
const MAX_EVENT_ID = 2 ** 53 - 1;

const eventId = { type: 'string', pattern: '^[0-9]{1,15}$' } as const;
const entityRefParam = { type: 'string', minLength: 1, maxLength: 1024 } as const;
const kindParam = { type: 'string', minLength: 1, maxLength: 64 } as const;

/**
 * The catalog's entity history: pages of past changes, and a live stream of new ones.
 *
 * Who reads what: `catalog.entity.read` decides, entity by entity, with the same conditional
 * filter as the entity lists. An entity that no longer exists matches no condition, so its
 * history (its deletion included) is shown only to callers whose read permission is
 * unconditional.
 */
export function registerHistoryRoutes(env: PluginEnvironment, deps: Deps) {
  const { history, query } = deps;

  env.route({
    method: 'GET',
    url: '/history',
    permission: P.read,
    schema: {
      querystring: strict({
        entityRef: entityRefParam,
        kind: kindParam,
        since: { type: 'string', minLength: 1, maxLength: 64 },
        cursor: eventId,
        limit: { type: 'integer', minimum: 1, maximum: 500 },
        // Catalog filters (`relations.ownedBy=group:default/a`): the history of the entities
        // that match them now, e.g. what changed in what a team owns.
        filter: strings,
      }),
    },
    async handler(request: FastifyRequest, _reply, ctx) {
      const q = request.query as {
        filter?: string[];
        entityRef?: string;
        kind?: string;
        since?: string;
        cursor?: string;
        limit?: number;
      };
      const filter = and(parseFilterParams(q.filter), await readFilter(ctx, deps));
      const page = await history.store.page({
        entityRef: q.entityRef === undefined ? undefined : canonicalRef(q.entityRef),
        kind: q.kind?.toLowerCase(),
        ...parseSince(q.since),
        beforeId: q.cursor === undefined ? undefined : Number(q.cursor),
        limit: q.limit ?? 50,
        // Readable entities only, in the same query: pages stay full.
        readableRefs: filter ? (query.refsMatching(filter) as never) : undefined,
      });
      const last = page.rows.at(-1);
      return {
        items: page.rows.map(toHistoryItem),
        ...(page.hasMore && last ? { nextCursor: String(last.id) } : {}),
      };
    },
  });

  env.route({
    method: 'GET',
    url: '/events',
    permission: P.read,
    schema: {
      querystring: strict({
        after: { type: 'integer', minimum: 0, maximum: MAX_EVENT_ID },
        entityRef: entityRefParam,
        kind: kindParam,
      }),
      headers: { type: 'object', properties: { 'last-event-id': eventId } },
    },
    async handler(request: FastifyRequest, reply: FastifyReply, ctx) {
      const q = request.query as { after?: number; entityRef?: string; kind?: string };
      const entityRef = q.entityRef === undefined ? undefined : canonicalRef(q.entityRef);
      const kind = q.kind?.toLowerCase();
      // Decided once, when the stream opens, like a list read when it is asked.
      const filter = await readFilter(ctx, deps);
      // A reconnecting EventSource sends the last id it received and repeats the URL it was
      // opened with: the header wins over `after`.
      const header = request.headers['last-event-id'];
      const resume = typeof header === 'string' ? Number(header) : q.after;
      const { min, max } = await history.store.bounds();
      // Events pruned meanwhile are gone: no point in waiting at that gap.
      const start = resume === undefined ? max : Math.max(resume, min - 1);

      // Refused before the response is taken over, so a caller over its cap gets a 429.
      const subscription = history.streams.subscribe(callerOf(ctx.identity, request), start, max);
      const closed = new AbortController();
      reply.raw.on('close', () => closed.abort());
      history.shutdown.addEventListener('abort', () => closed.abort(), {
        once: true,
        signal: closed.signal,
      });
      const visible = async (rows: StoredEventRow[]) => {
        const wanted = rows.filter(
          (r) => (!entityRef || r.entity_ref === entityRef) && (!kind || r.kind === kind),
        );
        return filter ? readableRows(wanted, filter) : wanted;
      };
      const readableRows = async (rows: StoredEventRow[], where: Predicate) => {
        if (!rows.length) return rows;
        const refs = await query.matchingRefs([...new Set(rows.map((r) => r.entity_ref))], where);
        return rows.filter((r) => refs.has(r.entity_ref));
      };

      let heartbeat: NodeJS.Timeout | undefined;
      let stream: EventStream | undefined;
      try {
        stream = openEventStream(reply);
        const open = stream;
        heartbeat = setInterval(() => open.comment('heartbeat'), HEARTBEAT_MS);
        while (!closed.signal.aborted) {
          // The process's one poller reads new events; this stream only filters and writes.
          const rows = await subscription.next(closed.signal);
          for (const row of await visible(rows)) {
            stream.send(row.action, toHistoryItem(row), row.id);
          }
          await drained(reply.raw, closed.signal);
        }
      } catch (error) {
        env.logger.warn('Catalog event stream failed', { error: String(error) });
      } finally {
        subscription.close();
        clearInterval(heartbeat);
        stream?.end();
      }
    },
  });
}

/**
 * Whose cap a stream counts against: the signed-in user or token; for the guest (everyone in
 * development), the address it comes from, so two developers do not share one cap.
 */
function callerOf(identity: Identity, request: FastifyRequest): string {
  return identity.isGuest ? `${identity.userEntityRef} at ${request.ip}` : identity.userEntityRef;
}

/** Waits while the client reads slower than events come, so a slow reader costs no memory. */
async function drained(raw: ServerResponse, signal: AbortSignal): Promise<void> {
  if (!raw.writableNeedDrain || signal.aborted) return;
  await once(raw, 'drain', { signal }).catch(() => undefined);
}

function canonicalRef(ref: string): string {
  try {
    return stringifyEntityRef(parseEntityRef(ref));
  } catch (error) {
    throw new InputError(`entityRef: ${(error as Error).message}`);
  }
}

/** `since`: an event id (events after it) or an ISO 8601 time (events at or after it). */
export function parseSince(since: string | undefined): { afterId?: number; sinceTime?: string } {
  if (since === undefined) return {};
  if (/^[0-9]{1,15}$/.test(since)) return { afterId: Number(since) };
  const time = Date.parse(since);
  if (/^\d{4}-\d{2}-\d{2}/.test(since) && !Number.isNaN(time))
    return { sinceTime: new Date(time).toISOString() };
  throw new InputError(
    `since must be an event id or an ISO 8601 time such as 2026-01-31T12:00:00Z, got '${since}'`,
  );
}
