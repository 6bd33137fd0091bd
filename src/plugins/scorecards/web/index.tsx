import { definePlugin } from '../../../web/plugin-api.ts';
import { LevelCell, LevelFilter, useLevelColumnShown } from './catalog-level.tsx';
import { EntityScorecardsTab } from './EntityScorecardsTab.tsx';
import { GroupStandingCard } from './GroupStandingCard.tsx';
import { LEVEL_PARAM, levelCatalogFilter } from './level-filter.ts';
import { ScorecardPage } from './ScorecardPage.tsx';
import { ScorecardsPage } from './ScorecardsPage.tsx';
import './scorecards.css';

/**
 * Scorecards in the web app: the Scorecards pages, the entity page's Scorecards tab, the
 * group page's standing card, and the level column and filter of the catalog explorer.
 */
export const scorecardsPlugin = definePlugin({
  id: 'scorecards',
  routes: [
    { path: '/scorecards', component: ScorecardsPage },
    { path: '/scorecards/:namespace/:name', component: ScorecardPage },
  ],
  sidebarItems: [{ to: '/scorecards', label: 'Scorecards', order: 35 }],
  entityTabs: [
    {
      path: 'scorecards',
      title: 'Scorecards',
      order: 30,
      // Every kind: a filter may score any kind, custom ones too; the tab says when none does.
      component: EntityScorecardsTab,
    },
  ],
  entityCards: [
    { id: 'scorecard-standing', kinds: ['group'], order: 15, component: GroupStandingCard },
  ],
  catalogColumns: [
    {
      id: 'scorecard-levels',
      title: 'Levels',
      order: 50,
      component: LevelCell,
      useShown: useLevelColumnShown,
    },
  ],
  catalogFilters: [
    { param: LEVEL_PARAM, order: 50, component: LevelFilter, toFilter: levelCatalogFilter },
  ],
});
