import { definePlugin } from '../../../web/plugin-api.ts';
import { POLICY_READ_PERMISSION } from '../../permission/common/index.ts';
import { PluginsPage } from './PluginsPage.tsx';
import './plugins.css';

/**
 * Administration → Plugins, listed beside Access control for those who may read the policy
 * (the page itself shows to anyone who may list plugins, as `atrium plugin list` does).
 */
export const pluginManagerPlugin = definePlugin({
  id: 'plugins',
  routes: [{ path: '/admin/plugins', component: PluginsPage }],
  sidebarItems: [
    { to: '/admin/plugins', label: 'Plugins', order: 96, permission: POLICY_READ_PERMISSION },
  ],
});
