import { fetchJson, queryString } from '../../../web/plugin-api.ts';
import type { Notification, NotificationsPage, NotificationStatus } from '../common/index.ts';

/** Every notifications query shares this prefix, so a change refetches the bell and the list. */
export const NOTIFICATIONS_KEY = ['notifications'] as const;

export function listNotifications(
  filter: { offset: number; limit: number; read?: boolean },
  signal?: AbortSignal,
): Promise<NotificationsPage> {
  const { read, ...rest } = filter;
  return fetchJson(
    `/api/notifications/notifications${queryString({ ...rest, read: read === undefined ? undefined : String(read) })}`,
    { signal },
  );
}

export function notificationStatus(signal?: AbortSignal): Promise<NotificationStatus> {
  return fetchJson('/api/notifications/status', { signal });
}

export function markNotifications(ids: string[], read: boolean): Promise<Notification[]> {
  return fetchJson('/api/notifications/notifications/update', {
    method: 'POST',
    body: { ids, read },
  });
}
