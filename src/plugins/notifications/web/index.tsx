import { definePlugin } from '../../../web/plugin-api.ts';
import { NotificationsBell } from './NotificationsBell.tsx';
import { NotificationsPage } from './NotificationsPage.tsx';
import './notifications.css';

/** The caller's notifications: a bell with the unread count in the top bar, and their page. */
export const notificationsPlugin = definePlugin({
  id: 'notifications',
  routes: [{ path: '/notifications', component: NotificationsPage }],
  // After the signed-in user's menu, which pushes itself to the right.
  topBarItems: [{ id: 'notifications', order: 110, component: NotificationsBell }],
});
