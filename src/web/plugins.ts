import { apiDocsPlugin } from '../plugins/api-docs/web/index.tsx';
import { catalogPlugin } from '../plugins/catalog/web/index.tsx';
import type { WebPlugin } from './plugin-api.ts';

/** The web plugins installed in this app, in sidebar order. */
export const installedWebPlugins: WebPlugin[] = [catalogPlugin, apiDocsPlugin];
