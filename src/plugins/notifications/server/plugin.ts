import {
  createServiceRef,
  definePlugin,
  extend,
  type PluginDefinition,
} from '../../../core/plugin-api.ts';
import { scaffolderActionsExtensionPoint } from '../../scaffolder/server/plugin.ts';
import { notificationsMigrations } from './migrations.ts';
import { notificationPermissions, registerNotificationRoutes } from './routes.ts';
import { createSendNotificationAction } from './send-action.ts';
import { NotificationStore } from './store.ts';

export interface NotificationsApi {
  store: NotificationStore;
}
export const notificationsServiceRef = createServiceRef<NotificationsApi>('notifications');

/**
 * Per-user notifications, with Backstage's API at `/api/notifications`, and the template
 * action `notification:send` contributed to the scaffolder.
 */
export function notificationsPlugin(): PluginDefinition {
  let store: NotificationStore | undefined;
  const storeOf = () => {
    if (!store) throw new Error('The notifications plugin is not set up');
    return store;
  };
  return definePlugin({
    id: 'notifications',
    migrations: notificationsMigrations,
    dependsOn: ['catalog'],
    extensions: [extend(scaffolderActionsExtensionPoint, createSendNotificationAction(storeOf))],
    setup(env) {
      store = new NotificationStore(env.database);
      env.permissions(Object.values(notificationPermissions));
      registerNotificationRoutes(env, store);
      env.provide(notificationsServiceRef, { store });
    },
  });
}
