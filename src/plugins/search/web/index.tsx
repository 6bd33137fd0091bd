import { definePlugin } from '../../../web/plugin-api.ts';
import { SearchBox } from './SearchBox.tsx';
import { SearchPage } from './SearchPage.tsx';
import './search.css';

/** Search across the catalog and docs: the global search box and the search page. */
export const searchPlugin = definePlugin({
  id: 'search',
  routes: [{ path: '/search', component: SearchPage }],
  sidebarItems: [{ to: '/search', label: 'Search', order: 5 }],
  searchBox: SearchBox,
});
