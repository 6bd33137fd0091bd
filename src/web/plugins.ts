import { apiDocsPlugin } from '../plugins/api-docs/web/index.tsx';
import { catalogPlugin } from '../plugins/catalog/web/index.tsx';
import { scaffolderPlugin } from '../plugins/scaffolder/web/index.tsx';
import { searchPlugin } from '../plugins/search/web/index.tsx';
import { techdocsPlugin } from '../plugins/techdocs/web/index.tsx';
import type { WebPlugin } from './plugin-api.ts';

/** The web plugins installed in this app, in sidebar order. */
export const installedWebPlugins: WebPlugin[] = [
  catalogPlugin,
  apiDocsPlugin,
  searchPlugin,
  techdocsPlugin,
  scaffolderPlugin,
];
