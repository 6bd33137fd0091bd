import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { NOTIFICATIONS_KEY, notificationStatus } from './api.ts';

/** Notifications arriving while a page stays open show up within this time. */
const POLL_MS = 30_000;

/** The bell in the top bar: a link to the notifications page with the unread count. */
export function NotificationsBell() {
  const status = useQuery({
    queryKey: [...NOTIFICATIONS_KEY, 'status'],
    queryFn: ({ signal }) => notificationStatus(signal),
    refetchInterval: POLL_MS,
    // A caller who may not read notifications (or a failed request) sees a plain bell.
    retry: false,
  });
  const unread = status.data?.unread ?? 0;
  const label = unread === 1 ? '1 unread notification' : `${unread} unread notifications`;
  return (
    <Link
      to="/notifications"
      className="notifications-bell"
      title={label}
      aria-label={`Notifications, ${label}`}
    >
      <span aria-hidden="true">🔔</span>
      {unread > 0 && (
        <span className="notifications-count" data-testid="notifications-unread" aria-hidden="true">
          {unread}
        </span>
      )}
    </Link>
  );
}
