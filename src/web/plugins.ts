import { apiDocsPlugin } from '../plugins/api-docs/web/index.tsx';
import { auditPlugin } from '../plugins/audit/web/index.tsx';
import { authPlugin } from '../plugins/auth/web/index.tsx';
import { settingsTokensPlugin } from '../plugins/auth/web/settings-tokens-plugin.ts';
import { catalogPlugin } from '../plugins/catalog/web/index.tsx';
import { notificationsPlugin } from '../plugins/notifications/web/index.tsx';
import { permissionPlugin } from '../plugins/permission/web/index.tsx';
import { pluginManagerPlugin } from '../plugins/plugin-manager/web/index.tsx';
import { scaffolderPlugin } from '../plugins/scaffolder/web/index.tsx';
import { scorecardsPlugin } from '../plugins/scorecards/web/index.tsx';
import { searchPlugin } from '../plugins/search/web/index.tsx';
import { techdocsPlugin } from '../plugins/techdocs/web/index.tsx';
import type { WebPlugin } from './plugin-api.ts';

/** The web plugins installed in this app, in sidebar order. */
export const installedWebPlugins: WebPlugin[] = [
  catalogPlugin,
  authPlugin,
  apiDocsPlugin,
  searchPlugin,
  techdocsPlugin,
  scaffolderPlugin,
  scorecardsPlugin,
  auditPlugin,
  permissionPlugin,
  pluginManagerPlugin,
  settingsTokensPlugin,
  notificationsPlugin,
];
