/**
 * Entity history as the API answers it (`GET /api/catalog/history`, the `data:` of
 * `GET /api/catalog/events`): shared by the server that records it and the History tab.
 */

/** What happened to an entity. */
export type EntityChangeAction = 'created' | 'updated' | 'orphaned' | 'deleted';

/** Why entities changed. */
export type EntityChangeCause =
  /**
   * Reading a location, or removing it: the location's id, its type and target, and where
   * it was registered (`config`, `api`, or `provider:<id>`).
   */
  | {
      type: 'location';
      location: { id: string; type?: string; target?: string; origin?: string };
    }
  /**
   * A direct deletion by uid (`DELETE /entities/by-uid/:uid`, the delete action): `actor` is
   * the caller's user ref; the request itself is audited there.
   */
  | { type: 'delete'; actor?: string }
  /** An entity provider's own write (discovery, webhooks), by the provider's id. */
  | { type: 'provider'; provider: string };

/** One value that changed between two versions of an entity. */
export interface DiffEntry {
  /** Dotted path of the value (`spec.owner`, `metadata.annotations.backstage.io/orphan`). */
  path: string;
  /** Absent when the value was added. */
  before?: unknown;
  /** Absent when the value was removed. */
  after?: unknown;
  /**
   * The sides whose value's JSON was too long to keep (over 2 KB): such a value is the start
   * of its JSON text, not the value itself.
   */
  truncated?: Array<'before' | 'after'>;
}

/** What an update changed; `omitted` counts the entries left out past the first 200. */
export interface EntityDiff {
  changes: DiffEntry[];
  omitted?: number;
}

/** One recorded change of one entity. */
export interface HistoryItem {
  /** The event id: orders events, and is what a stream resumes from. */
  id: number;
  createdAt: string;
  /** Lowercased. */
  entityRef: string;
  kind: string;
  action: EntityChangeAction;
  /** For updates. */
  diff: EntityDiff | null;
  cause: EntityChangeCause;
}

export interface HistoryPage {
  items: HistoryItem[];
  /** Pass as `cursor` for the next (older) page; absent on the last. */
  nextCursor?: string;
}
