import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { stringifyEntityRef } from '../../../model/ref.ts';
import type { EntityContentProps } from '../../../web/plugin-api.ts';
import type { DiffEntry, EntityChangeCause, HistoryItem } from '../common/history.ts';
import { displayLocation, isLocationAnnotation, locationBase } from './about.ts';
import { entityEventsUrl, getEntityHistory } from './history-api.ts';
import { EntityRefLink, ErrorState, formatTime, Loading } from './shared.tsx';
import './history.css';

/**
 * The entity's changes, newest first: when, what (created, updated, orphaned, deleted), why
 * (the location read or the person who deleted it) and, for updates, each value before and
 * after. Everything is shown as text. New changes appear as the live stream reports them.
 */
export function HistoryTab({ entity }: EntityContentProps) {
  const entityRef = stringifyEntityRef(entity);
  const queryKey = ['entity-history', entityRef];
  const history = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam, signal }) => getEntityHistory(entityRef, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor,
  });
  const client = useQueryClient();
  useEffect(() => {
    const source = new EventSource(entityEventsUrl(entityRef));
    // The page's header and other tabs show the entity too: they follow the change.
    const reload = () => {
      void client.invalidateQueries({ queryKey: ['entity-history', entityRef] });
      void client.invalidateQueries({ queryKey: ['entity'] });
      void client.invalidateQueries({ queryKey: ['entity-status'] });
    };
    for (const action of ['created', 'updated', 'orphaned', 'deleted'])
      source.addEventListener(action, reload);
    return () => source.close();
  }, [client, entityRef]);

  if (history.isPending) return <Loading what="history" />;
  if (history.isError) return <ErrorState error={history.error} retry={() => history.refetch()} />;
  const items = history.data.pages.flatMap((p) => p.items);
  // Server paths read as the About card shows them: relative to the entity's location.
  const base = locationBase(entity.metadata.annotations ?? {});
  return (
    <section className="card" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      {items.length === 0 ? (
        <p className="muted">No changes recorded (older ones may have passed their retention).</p>
      ) : (
        <ol className="history-list" data-testid="history-list">
          {items.map((item) => (
            <HistoryEntry key={item.id} item={item} base={base} />
          ))}
        </ol>
      )}
      {history.hasNextPage && (
        <button
          type="button"
          disabled={history.isFetchingNextPage}
          onClick={() => history.fetchNextPage()}
        >
          {history.isFetchingNextPage ? 'Loading…' : 'Show older'}
        </button>
      )}
    </section>
  );
}

function HistoryEntry({ item, base }: { item: HistoryItem; base: string | undefined }) {
  return (
    <li className="history-item" data-testid="history-item" data-action={item.action}>
      <div className="history-head">
        <time dateTime={item.createdAt}>{formatTime(item.createdAt)}</time>
        <span className={`badge history-action history-action-${item.action}`}>{item.action}</span>
        <span className="muted">
          <Cause cause={item.cause} base={base} />
        </span>
      </div>
      {item.diff && item.diff.changes.length > 0 && (
        <table className="history-diff">
          <thead>
            <tr>
              <th>Field</th>
              <th>Before</th>
              <th>After</th>
            </tr>
          </thead>
          <tbody>
            {item.diff.changes.map((change) => (
              <tr key={change.path}>
                <td>
                  <code>{change.path}</code>
                </td>
                <td>
                  <Value entry={change} side="before" base={base} />
                </td>
                <td>
                  <Value entry={change} side="after" base={base} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {item.diff?.omitted ? (
        <p className="muted">…and {item.diff.omitted} more changed values, not recorded.</p>
      ) : null}
    </li>
  );
}

function Cause({ cause, base }: { cause: EntityChangeCause; base: string | undefined }) {
  switch (cause.type) {
    case 'location': {
      const { type, target, origin } = cause.location;
      const where =
        type && target
          ? displayLocation(`${type}:${target}`, base)
          : `location ${cause.location.id}`;
      return (
        <>
          read from {where}
          {origin ? ` (${originLabel(origin)})` : ''}
        </>
      );
    }
    case 'delete':
      return cause.actor ? (
        <>
          deleted by <EntityRefLink entityRef={cause.actor} />
        </>
      ) : (
        <>deleted through the API</>
      );
    case 'provider':
      return <>by provider {cause.provider}</>;
    default:
      return <>unknown cause</>;
  }
}

function originLabel(origin: string): string {
  if (origin === 'config') return 'registered in config';
  if (origin === 'api') return 'registered through the API';
  if (origin.startsWith('provider:')) return `discovered by ${origin.slice('provider:'.length)}`;
  return origin;
}

/** The annotation a diff path names (`metadata.annotations.<key>`), if it does. */
const ANNOTATION_PATH = 'metadata.annotations.';

function Value({
  entry,
  side,
  base,
}: {
  entry: DiffEntry;
  side: 'before' | 'after';
  base: string | undefined;
}) {
  if (!(side in entry)) return <span className="muted">(none)</span>;
  const value = entry[side];
  const location =
    typeof value === 'string' &&
    entry.path.startsWith(ANNOTATION_PATH) &&
    isLocationAnnotation(entry.path.slice(ANNOTATION_PATH.length));
  const text =
    typeof value === 'string'
      ? location
        ? displayLocation(value, base)
        : value
      : JSON.stringify(value, null, 2);
  return (
    <pre>
      {text}
      {entry.truncated?.includes(side) ? '… (cut: too long to keep)' : ''}
    </pre>
  );
}
