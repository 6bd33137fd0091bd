import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSearchParams } from 'react-router-dom';
import { usePageTitle } from '../../../web/plugin-api.ts';
import { ErrorState, formatTime, Loading, Pager } from '../../catalog/web/shared.tsx';
import type { Notification } from '../common/index.ts';
import { listNotifications, markNotifications, NOTIFICATIONS_KEY } from './api.ts';

const PAGE_SIZE = 20;
const VIEWS = { all: undefined, unread: false, read: true } as const;
type View = keyof typeof VIEWS;

/** Only http(s) URLs and in-portal paths become links (the server accepts no others either). */
function safeHref(link: string | undefined): string | undefined {
  if (!link) return undefined;
  if (link.startsWith('/') && !link.startsWith('//')) return link;
  return /^https?:\/\//i.test(link) ? link : undefined;
}

/** The caller's notifications, newest first, each with a read/unread toggle and its link. */
export function NotificationsPage() {
  usePageTitle('Notifications');
  const [params, setParams] = useSearchParams();
  const view = (params.get('view') ?? 'all') as View;
  const read = view in VIEWS ? VIEWS[view] : undefined;
  const page = Math.max(0, Number(params.get('page') ?? 0) || 0);
  const queryClient = useQueryClient();
  const list = useQuery({
    queryKey: [...NOTIFICATIONS_KEY, 'list', view, page],
    queryFn: ({ signal }) =>
      listNotifications({ offset: page * PAGE_SIZE, limit: PAGE_SIZE, read }, signal),
    placeholderData: keepPreviousData,
  });
  const mark = useMutation({
    mutationFn: ({ ids, read }: { ids: string[]; read: boolean }) => markNotifications(ids, read),
    onSettled: () => queryClient.invalidateQueries({ queryKey: NOTIFICATIONS_KEY }),
  });
  const setView = (next: string) => setParams(next === 'all' ? {} : { view: next });
  const pages = list.data ? Math.max(1, Math.ceil(list.data.totalCount / PAGE_SIZE)) : 1;
  const unreadHere = list.data?.notifications.filter((n) => !n.read).map((n) => n.id) ?? [];
  return (
    <div className="notifications-page">
      <h1>Notifications</h1>
      <div className="notifications-tools">
        <label>
          Show{' '}
          <select value={view} onChange={(e) => setView(e.target.value)}>
            <option value="all">All</option>
            <option value="unread">Unread</option>
            <option value="read">Read</option>
          </select>
        </label>
        {unreadHere.length > 0 && (
          <button
            type="button"
            disabled={mark.isPending}
            onClick={() => mark.mutate({ ids: unreadHere, read: true })}
          >
            Mark all on this page read
          </button>
        )}
      </div>
      {list.isPending ? (
        <Loading what="notifications" />
      ) : list.isError ? (
        <ErrorState error={list.error} retry={() => list.refetch()} />
      ) : list.data.notifications.length === 0 ? (
        <div className="state">No notifications{view === 'all' ? '' : ` (${view})`}.</div>
      ) : (
        <>
          <ul className="notifications-list">
            {list.data.notifications.map((n) => (
              <NotificationItem
                key={n.id}
                notification={n}
                busy={mark.isPending}
                toggle={() => mark.mutate({ ids: [n.id], read: !n.read })}
              />
            ))}
          </ul>
          <Pager
            label="Notification pages"
            page={page + 1}
            pages={pages}
            hasPrevious={page > 0}
            hasNext={page + 1 < pages}
            onPrevious={() => setParams({ ...Object.fromEntries(params), page: String(page - 1) })}
            onNext={() => setParams({ ...Object.fromEntries(params), page: String(page + 1) })}
          />
        </>
      )}
      {mark.isError && <ErrorState error={mark.error} />}
    </div>
  );
}

function NotificationItem({
  notification: n,
  busy,
  toggle,
}: {
  notification: Notification;
  busy: boolean;
  toggle(): void;
}) {
  const href = safeHref(n.payload.link);
  const external = href !== undefined && !href.startsWith('/');
  const title = href ? (
    <a href={href} {...(external ? { target: '_blank', rel: 'noopener noreferrer' } : {})}>
      {n.payload.title}
    </a>
  ) : (
    n.payload.title
  );
  return (
    <li className={n.read ? 'notification read' : 'notification unread'} data-testid="notification">
      <div className="notification-main">
        <strong className="notification-title">{title}</strong>
        {n.payload.severity && n.payload.severity !== 'normal' && (
          <span className={`badge severity-${n.payload.severity}`}>{n.payload.severity}</span>
        )}
        {n.payload.description && <p>{n.payload.description}</p>}
        <span className="muted">
          {formatTime(n.created)} · {n.origin}
          {n.payload.topic ? ` · ${n.payload.topic}` : ''}
        </span>
      </div>
      <button type="button" disabled={busy} onClick={toggle}>
        {n.read ? 'Mark unread' : 'Mark read'}
      </button>
    </li>
  );
}
