import { definePlugin } from '../../../web/plugin-api.ts';
import { SettingsTokensPage } from './settings-tokens-page.tsx';
import './settings-tokens.css';

/** Settings → Tokens: create, list and revoke personal access tokens. */
export const settingsTokensPlugin = definePlugin({
  id: 'settings-tokens',
  routes: [
    { path: '/settings', component: SettingsTokensPage },
    { path: '/settings/tokens', component: SettingsTokensPage },
  ],
  sidebarItems: [{ to: '/settings/tokens', label: 'Settings', order: 100 }],
});
