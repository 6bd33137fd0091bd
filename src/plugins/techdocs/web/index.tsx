import { definePlugin } from '../../../web/plugin-api.ts';
import { DocsIndexPage } from './DocsIndexPage.tsx';
import { DocsTab } from './DocsTab.tsx';
import { ReaderPage } from './ReaderPage.tsx';

/** TechDocs: the Docs section, the docs reader and the entity page's Docs tab. */
export const techdocsPlugin = definePlugin({
  id: 'techdocs',
  routes: [
    { path: '/docs', component: DocsIndexPage },
    { path: '/docs/:namespace/:kind/:name/*', component: ReaderPage },
  ],
  sidebarItems: [{ to: '/docs', label: 'Docs', order: 30 }],
  entityTabs: [{ path: 'docs', title: 'Docs', order: 15, component: DocsTab }],
});
