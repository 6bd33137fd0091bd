import { useQuery } from '@tanstack/react-query';
import { Bell } from 'lucide-react';
import { Link } from 'react-router-dom';
import { NOTIFICATIONS_KEY, notificationStatus } from './api.ts';

/** Notifications arriving while a page stays open show up within this time. */
const POLL_MS = 30_000;

/** Past this the badge says "99+"; the link's name keeps the exact count. */
const SHOWN_MAX = 99;

/** The bell in the top bar: a link to the notifications page with the unread count. */
export function NotificationsBell() {
  const status = useQuery({
    queryKey: [...NOTIFICATIONS_KEY, 'status'],
    queryFn: ({ signal }) => notificationStatus(signal),
    refetchInterval: POLL_MS,
    // A caller who may not read notifications (or a failed request) sees a plain bell.
    retry: false,
  });
  const unread = status.data?.unread;
  const counted =
    unread === undefined
      ? undefined
      : unread === 1
        ? '1 unread notification'
        : `${unread} unread notifications`;
  // The name starts with the word a person would say ("Notifications") and holds the badge's
  // number, so voice control finds it by either (WCAG 2.5.3).
  const name = counted ? `Notifications, ${counted}` : 'Notifications';
  return (
    <Link to="/notifications" className="notifications-bell" title={name} aria-label={name}>
      <Bell size={18} aria-hidden />
      {unread ? (
        <span className="notifications-count" data-testid="notifications-unread" aria-hidden="true">
          {unread > SHOWN_MAX ? `${SHOWN_MAX}+` : unread}
        </span>
      ) : null}
    </Link>
  );
}
