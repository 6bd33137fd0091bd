import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useIdentity } from '../../../web/plugin-api.ts';
import { queryEntities } from '../../catalog/web/api.ts';
import { entityPath, Pager, QueryView } from '../../catalog/web/shared.tsx';

const PAGE = 10;

function OwnedList({ refs }: { refs: string[] }) {
  const [cursor, setCursor] = useState<string>();
  const [page, setPage] = useState(1);
  // Any of the refs: one filter, the same key repeated, is an "in" in Backstage's syntax.
  const filter = refs.map((ref) => `relations.ownedBy=${ref}`).join(',');
  const owned = useQuery({
    queryKey: ['owned-by-you', filter, cursor],
    queryFn: ({ signal }) =>
      queryEntities(
        {
          filter,
          orderField: 'metadata.name,asc',
          cursor,
          limit: PAGE,
          fields: [
            'kind',
            'metadata.name',
            'metadata.namespace',
            'metadata.title',
            'spec.type',
            'spec.owner',
          ],
        },
        signal,
      ),
    placeholderData: keepPreviousData,
  });
  return (
    <QueryView query={owned} what="what you own">
      {(data) =>
        data.items.length === 0 ? (
          <p className="muted">
            Nothing in the catalog is owned by you or your groups yet: set <code>spec.owner</code>{' '}
            to one of them.
          </p>
        ) : (
          <>
            <p className="muted">
              You and your groups own {data.totalItems}{' '}
              {data.totalItems === 1 ? 'entity' : 'entities'}
            </p>
            <ul className="plain" data-testid="owned-by-you" aria-busy={owned.isFetching}>
              {data.items.map((e) => (
                <li key={`${e.kind}:${e.metadata.namespace}/${e.metadata.name}`}>
                  <Link to={entityPath(e)}>{e.metadata.title ?? e.metadata.name}</Link>{' '}
                  <span className="muted">
                    {e.kind}
                    {typeof e.spec?.type === 'string' ? ` · ${e.spec.type}` : ''}
                  </span>
                </li>
              ))}
            </ul>
            {data.totalItems > PAGE && (
              <Pager
                label="Pages of what you own"
                page={page}
                pages={Math.ceil(data.totalItems / PAGE)}
                hasPrevious={Boolean(data.pageInfo.prevCursor)}
                hasNext={Boolean(data.pageInfo.nextCursor)}
                busy={owned.isFetching}
                onPrevious={() => {
                  setCursor(data.pageInfo.prevCursor);
                  setPage((p) => Math.max(1, p - 1));
                }}
                onNext={() => {
                  setCursor(data.pageInfo.nextCursor);
                  setPage((p) => p + 1);
                }}
              />
            )}
          </>
        )
      }
    </QueryView>
  );
}

/**
 * "Owned by you": what the signed-in user owns, directly or through any of their groups
 * (parent groups included). Not shown to the plain guest, who owns nothing.
 */
export function OwnedByYouCard() {
  const identity = useIdentity();
  if (identity.isGuest && identity.ownershipEntityRefs.length <= 1) return null;
  return (
    <section className="card" aria-labelledby="owned-by-you-title">
      <h2 id="owned-by-you-title">Owned by you</h2>
      <OwnedList key={identity.userEntityRef} refs={identity.ownershipEntityRefs} />
    </section>
  );
}
