import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { definePlugin } from '../../../web/plugin-api.ts';
import { entityFacets } from './api.ts';
import { EntityPage } from './EntityPage.tsx';
import {
  AboutCard,
  DomainSystemsCard,
  GroupHierarchyCard,
  MembersCard,
  OwnedEntitiesCard,
  RawTab,
  RelationsCard,
  StatusTab,
  SystemPartsCard,
  UserGroupsCard,
} from './entity-content.tsx';
import { ExplorerPage } from './ExplorerPage.tsx';
import { GraphTab } from './graph/GraphTab.tsx';
import { HealthPage } from './HealthPage.tsx';
import { HistoryTab } from './HistoryTab.tsx';
import {
  AreaChangesCard,
  QuickLinksCard,
  RecentlyChangedCard,
  RecentlyVisitedCard,
  StarredCard,
  YourTeamCard,
} from './home-cards.tsx';
import { QueryView } from './shared.tsx';
import { VisitRecorder } from './visits.ts';

function KindCountsCard() {
  const kinds = useQuery({
    queryKey: ['facets', 'kind', ''],
    queryFn: ({ signal }) => entityFacets('kind', undefined, signal),
  });
  return (
    <section className="card" aria-labelledby="kinds-title">
      <h2 id="kinds-title">The catalog by kind</h2>
      <QueryView query={kinds} what="counts">
        {(facets) =>
          facets.length === 0 ? (
            <p>
              The catalog is empty. <Link to="/catalog-health">Register a component</Link> or add a
              location to <code>app-config.yaml</code>.
            </p>
          ) : (
            <ul className="plain" data-testid="kind-counts">
              {facets.map((f) => (
                <li key={f.value}>
                  <Link to={`/catalog?kind=${encodeURIComponent(f.value.toLowerCase())}`}>
                    {f.value}
                  </Link>
                  : {f.count}
                </li>
              ))}
            </ul>
          )
        }
      </QueryView>
    </section>
  );
}

/** The catalog's pages, registered through the public web plugin API. */
export const catalogPlugin = definePlugin({
  id: 'catalog',
  routes: [
    { path: '/catalog', component: ExplorerPage },
    { path: '/catalog/:namespace/:kind/:name', component: EntityPage },
    { path: '/catalog/:namespace/:kind/:name/:tab', component: EntityPage },
    { path: '/catalog-health', component: HealthPage },
  ],
  sidebarItems: [
    { to: '/catalog', label: 'Catalog', order: 10 },
    { to: '/catalog-health', label: 'Catalog health', order: 90 },
  ],
  entityTabs: [
    { path: 'relations', title: 'Relations', order: 10, component: RelationsCard },
    { path: 'graph', title: 'Graph', order: 20, component: GraphTab },
    { path: 'history', title: 'History', order: 70, component: HistoryTab },
    { path: 'status', title: 'Ingestion status', order: 80, component: StatusTab },
    { path: 'raw', title: 'Raw', order: 90, component: RawTab },
  ],
  entityCards: [
    { id: 'about', order: 0, component: AboutCard },
    { id: 'group-hierarchy', kinds: ['group'], order: 10, component: GroupHierarchyCard },
    { id: 'members', kinds: ['group'], order: 11, component: MembersCard },
    { id: 'user-groups', kinds: ['user'], order: 10, component: UserGroupsCard },
    { id: 'owned', kinds: ['group', 'user'], order: 20, component: OwnedEntitiesCard },
    { id: 'system-parts', kinds: ['system'], order: 10, component: SystemPartsCard },
    { id: 'domain-systems', kinds: ['domain'], order: 10, component: DomainSystemsCard },
    { id: 'relations', order: 50, component: RelationsCard },
  ],
  homeCards: [
    { id: 'quick-links', order: 1, component: QuickLinksCard },
    { id: 'team', order: 5, component: YourTeamCard },
    { id: 'starred', order: 6, component: StarredCard },
    { id: 'recently-visited', order: 7, component: RecentlyVisitedCard },
    { id: 'area-changes', order: 7.5, component: AreaChangesCard },
    { id: 'recently-changed', order: 8, component: RecentlyChangedCard },
    { id: 'kind-counts', order: 10, component: KindCountsCard },
  ],
  // Draws nothing: notes the entity pages shown, for "Recently visited".
  topBarItems: [{ id: 'visit-recorder', order: 0, component: VisitRecorder }],
});
