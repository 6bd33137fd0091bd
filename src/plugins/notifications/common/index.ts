/** Types shared by the notifications API and its web pages (shaped as Backstage's). */

export const NOTIFICATION_SEVERITIES = ['critical', 'high', 'normal', 'low'] as const;
export type NotificationSeverity = (typeof NOTIFICATION_SEVERITIES)[number];

/** Largest page `GET /api/notifications/notifications` answers. */
export const MAX_NOTIFICATIONS_PAGE = 200;
export const DEFAULT_NOTIFICATIONS_PAGE = 20;

export const NOTIFICATION_READ_PERMISSION = 'notifications.read';
export const NOTIFICATION_UPDATE_PERMISSION = 'notifications.update';

export interface NotificationPayload {
  title: string;
  description?: string;
  link?: string;
  severity?: NotificationSeverity;
  topic?: string;
  scope?: string;
}

/** One notification as Backstage's notifications backend returns it. */
export interface Notification {
  id: string;
  /** The recipient's user ref. */
  user: string;
  /** ISO 8601. */
  created: string;
  /** When the recipient marked it read (ISO 8601), null while unread. */
  read: string | null;
  /** Who sent it, e.g. `plugin:scaffolder`. */
  origin: string;
  payload: NotificationPayload;
}

export interface NotificationsPage {
  notifications: Notification[];
  totalCount: number;
}

export interface NotificationStatus {
  unread: number;
  read: number;
}
