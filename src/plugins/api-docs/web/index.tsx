import { definePlugin } from '../../../web/plugin-api.ts';
import { ApisPage } from './ApisPage.tsx';
import { DefinitionTab } from './DefinitionTab.tsx';

/** API documentation: a Definition tab on API entities and a page listing every API. */
export const apiDocsPlugin = definePlugin({
  id: 'api-docs',
  routes: [{ path: '/apis', component: ApisPage }],
  sidebarItems: [{ to: '/apis', label: 'APIs', order: 20 }],
  entityTabs: [
    { path: 'definition', title: 'Definition', kinds: ['api'], order: 5, component: DefinitionTab },
  ],
});
