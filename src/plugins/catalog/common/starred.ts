/**
 * Starred entities as `GET /api/catalog/starred` answers them: shared by the routes that keep
 * them and the web app's `useStarredEntities`.
 */

/** One starred entity, with enough of it to draw a link with its kind's icon. */
export interface StarredItem {
  /** Canonical and lowercase, `component:default/orders`. */
  entityRef: string;
  /** ISO 8601 UTC. */
  starredAt: string;
  kind: string;
  namespace: string;
  name: string;
  title?: string;
  type?: string;
}

export interface StarredList {
  /** Oldest first; only entities that exist and that the caller may read. */
  items: StarredItem[];
}

/** Stars one person may keep: a list longer than this is not a list of favourites. */
export const MAX_STARRED = 1000;
