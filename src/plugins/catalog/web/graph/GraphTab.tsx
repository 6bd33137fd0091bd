import { lazy, Suspense } from 'react';
import type { EntityContentProps } from '../../../../web/plugin-api.ts';
import { Loading } from '../shared.tsx';

// React Flow and the layout load only when the Graph tab is opened.
const GraphView = lazy(() => import('./GraphView.tsx'));

/** The entity page's Graph tab: the dependency graph around the entity. */
export function GraphTab(props: EntityContentProps) {
  return (
    <Suspense fallback={<Loading what="the graph viewer" />}>
      <GraphView {...props} />
    </Suspense>
  );
}
