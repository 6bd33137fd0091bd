import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { usePageTitle } from '../../../web/plugin-api.ts';
import { listScorecards, type ScorecardSummary, scorecardPath } from './api.ts';
import { RefLink } from './refs.tsx';
import { ErrorState, Loading, OwnerLink } from '../../catalog/web/shared.tsx';
import { DistributionBar, Legend } from './ui.tsx';

/** React Query key of the scorecard list (several views read it). */
export const SCORECARDS_KEY = ['scorecards', 'list'] as const;

export function useScorecards() {
  return useQuery({
    queryKey: SCORECARDS_KEY,
    queryFn: ({ signal }) => listScorecards(signal),
    staleTime: 30_000,
  });
}

/** `/scorecards`: every scorecard with its level distribution and what is wrong with it. */
export function ScorecardsPage() {
  usePageTitle('Scorecards');
  const cards = useScorecards();
  return (
    <div className="page sc-page">
      <h1>Scorecards</h1>
      <p className="muted">
        Maturity levels and checks declared as <code>kind: Scorecard</code> entities and scored for
        every entity they match, whenever the entity, its facts or the scorecard change.
      </p>
      {cards.isPending ? (
        <Loading what="scorecards" />
      ) : cards.isError ? (
        <ErrorState error={cards.error} retry={() => cards.refetch()} />
      ) : cards.data.length === 0 ? (
        <div className="state">
          <h2>No scorecards yet</h2>
          <p>
            Add a catalog file with <code>kind: Scorecard</code> (see the README section
            "Scorecards"), register it like any other catalog file, and every entity its{' '}
            <code>spec.filter</code> matches is scored.
          </p>
        </div>
      ) : (
        <div className="card-grid sc-list">
          {cards.data.map((card) => (
            <ScorecardCard key={card.ref} card={card} />
          ))}
        </div>
      )}
    </div>
  );
}

function ScorecardCard({ card }: { card: ScorecardSummary }) {
  const broken = card.levels.length === 0;
  return (
    <section className="card sc-card" aria-labelledby={`sc-card-${card.ref}`}>
      <h2 id={`sc-card-${card.ref}`}>
        {broken ? card.title : <Link to={`/scorecards/${scorecardPath(card)}`}>{card.title}</Link>}
      </h2>
      {card.description && <p className="sc-card-description">{card.description}</p>}
      {card.problems && card.problems.length > 0 && (
        <div className="sc-problems" role="note" aria-label={`Problems of ${card.title}`}>
          <strong>{broken ? 'Not scored:' : 'Needs attention:'}</strong>
          <ul>
            {card.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      )}
      {!broken && (
        <>
          <p className="muted">
            {card.evaluating
              ? 'Being evaluated…'
              : `${card.matched} ${card.matched === 1 ? 'entity' : 'entities'} scored`}
            {' · '}
            {card.checks.length} {card.checks.length === 1 ? 'check' : 'checks'}
            {card.campaigns?.length
              ? ` · ${card.campaigns.length} ${card.campaigns.length === 1 ? 'campaign' : 'campaigns'}`
              : ''}
          </p>
          <DistributionBar levels={card.levels} distribution={card.distribution} label="Levels" />
          <Legend levels={card.levels} distribution={card.distribution} />
        </>
      )}
      <dl className="props sc-card-props">
        {card.owner && (
          <>
            <dt>Owner</dt>
            <dd>
              <OwnerLink owner={card.owner} />
            </dd>
          </>
        )}
        <dt>Defined in</dt>
        <dd>
          <RefLink entityRef={card.ref} title={card.name} />
        </dd>
      </dl>
    </section>
  );
}
