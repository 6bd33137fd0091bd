import { useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router-dom';
import type { Entity } from '../../../model/entity.ts';
import { fetchJson, queryString, usePageTitle, ScrollArea } from '../../../web/plugin-api.ts';
import { TITLE_OR_NAME } from '../../catalog/common/fields.ts';
import { EntityRefLink, entityPath, OwnerLink, QueryView } from '../../catalog/web/shared.tsx';

interface Page {
  items: Entity[];
  totalItems: number;
  pageInfo: { nextCursor?: string; prevCursor?: string };
}

const FIELDS =
  'kind,metadata.name,metadata.namespace,metadata.title,metadata.description,spec.type,spec.lifecycle,spec.owner,relations';

function refsOf(entity: Entity, type: string): string[] {
  return (entity.relations ?? []).filter((r) => r.type === type).map((r) => r.targetRef);
}

/** Every API with its type, lifecycle, owner, providers and consumers, a page at a time. */
export function ApisPage() {
  usePageTitle('APIs');
  const [params, setParams] = useSearchParams();
  const cursor = params.get('cursor') ?? undefined;
  const apis = useQuery({
    queryKey: ['apis', cursor],
    queryFn: ({ signal }) =>
      fetchJson<Page>(
        `/api/catalog/entities/by-query${queryString(
          cursor
            ? { cursor, limit: 50, fields: FIELDS }
            : { filter: 'kind=api', orderField: `${TITLE_OR_NAME},asc`, limit: 50, fields: FIELDS },
        )}`,
        { signal },
      ),
  });
  const go = (next?: string) => setParams(next ? { cursor: next } : {});
  return (
    <div className="page">
      <h1>APIs</h1>
      <QueryView query={apis} what="APIs">
        {(page) =>
          page.totalItems === 0 ? (
            <div className="state">
              No API entities yet. Describe one with <code>kind: API</code> in a catalog file and{' '}
              <Link to="/catalog-health">register it</Link>.
            </div>
          ) : (
            <>
              <p className="muted">{page.totalItems} APIs</p>
              <ScrollArea label="APIs">
                <table>
                  <thead>
                    <tr>
                      <th>Name</th>
                      <th>Type</th>
                      <th>Lifecycle</th>
                      <th>Owner</th>
                      <th>Provided by</th>
                      <th>Consumed by</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((api) => (
                      <tr key={`${api.metadata.namespace}/${api.metadata.name}`}>
                        <td>
                          <Link to={`${entityPath(api)}/definition`}>
                            {api.metadata.title ?? api.metadata.name}
                          </Link>
                          {api.metadata.description && (
                            <div className="muted">{api.metadata.description}</div>
                          )}
                        </td>
                        <td>{String(api.spec?.type ?? '')}</td>
                        <td>{String(api.spec?.lifecycle ?? '')}</td>
                        <td>
                          {typeof api.spec?.owner === 'string' && (
                            <OwnerLink owner={api.spec.owner} namespace={api.metadata.namespace} />
                          )}
                        </td>
                        <td>
                          <RefList refs={refsOf(api, 'apiProvidedBy')} />
                        </td>
                        <td>
                          <RefList refs={refsOf(api, 'apiConsumedBy')} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </ScrollArea>
              <nav className="pager" aria-label="Pages of APIs">
                <button
                  type="button"
                  disabled={!page.pageInfo.prevCursor}
                  onClick={() => go(page.pageInfo.prevCursor)}
                >
                  Previous
                </button>
                <button
                  type="button"
                  disabled={!page.pageInfo.nextCursor}
                  onClick={() => go(page.pageInfo.nextCursor)}
                >
                  Next
                </button>
              </nav>
            </>
          )
        }
      </QueryView>
    </div>
  );
}

function RefList({ refs }: { refs: string[] }) {
  if (!refs.length) return <span className="muted">none</span>;
  return (
    <ul className="plain">
      {refs.map((ref) => (
        <li key={ref}>
          <EntityRefLink entityRef={ref} />
        </li>
      ))}
    </ul>
  );
}
