import { fetchJson, queryString } from '../../../web/plugin-api.ts';
import type { HistoryPage } from '../common/history.ts';

/** One page of an entity's history, newest first; `cursor` is the previous page's `nextCursor`. */
export function getEntityHistory(
  entityRef: string,
  cursor: string | undefined,
  signal?: AbortSignal,
): Promise<HistoryPage> {
  return fetchJson(`/api/catalog/history${queryString({ entityRef, cursor, limit: 20 })}`, {
    signal,
  });
}

/** The live stream of this entity's changes (server-sent events; the session cookie signs in). */
export function entityEventsUrl(entityRef: string): string {
  return `/api/catalog/events${queryString({ entityRef })}`;
}
