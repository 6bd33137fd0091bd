import { useQueries } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { stringifyEntityRef } from '../../../model/ref.ts';
import type { EntityContentProps } from '../../../web/plugin-api.ts';
import { getRollup, type RollupItem, type ScorecardSummary, scorecardPath } from './api.ts';
import { describeDistribution } from './format.ts';
import { RefLink } from './refs.tsx';
import { useScorecards } from './ScorecardsPage.tsx';
import { ErrorState, Loading } from '../../catalog/web/shared.tsx';
import { DistributionBar, LevelBadge, RateBar } from './ui.tsx';

/** Entities listed as holding the team back, per scorecard. */
const HOLDING_BACK = 3;

/**
 * A card on group pages: the group's standing on every scorecard, rolled up through the
 * groups below it (a department sees its teams' entities), and what holds it back.
 */
export function GroupStandingCard({ entity }: EntityContentProps) {
  const group = stringifyEntityRef(entity);
  const cards = useScorecards();
  const scored = (cards.data ?? []).filter((c) => c.levels.length > 0 && c.matched > 0);
  const rollups = useQueries({
    queries: scored.map((card) => ({
      queryKey: ['scorecards', 'rollup', card.ref, 'owner', group],
      queryFn: ({ signal }: { signal: AbortSignal }) =>
        getRollup(card, { by: 'owner', group }, signal),
    })),
  });
  // Every owner's roll-up (the Scorecards page's "Teams ranked"), for the group's place in it.
  const everyone = useQueries({
    queries: scored.map((card) => ({
      queryKey: ['scorecards', 'rollup', card.ref, 'owner', undefined],
      queryFn: ({ signal }: { signal: AbortSignal }) => getRollup(card, { by: 'owner' }, signal),
    })),
  });
  const rows = scored
    .map((card, i) => {
      const all = everyone[i]?.data;
      const place = all ? all.findIndex((r) => r.ref === group) + 1 : 0;
      return {
        card,
        query: rollups[i]!,
        item: rollups[i]?.data?.find((r) => r.ref === group),
        rank: place > 0 && all ? { place, of: all.length } : undefined,
      };
    })
    .filter((r) => r.query.isPending || r.query.isError || r.item);
  return (
    <section className="card sc-group-card" aria-labelledby="sc-group-standing">
      <h2 id="sc-group-standing">Scorecards</h2>
      {cards.isPending || rollups.some((q) => q.isPending) ? (
        <Loading what="scorecards" />
      ) : cards.isError ? (
        <ErrorState error={cards.error} retry={() => cards.refetch()} />
      ) : rows.length === 0 ? (
        <p className="muted" data-testid="group-standing-empty">
          No entity this group or the groups below it own is scored.{' '}
          <Link to="/scorecards">See every scorecard</Link>.
        </p>
      ) : (
        <ul className="sc-standing" data-testid="group-standing">
          {rows.map(({ card, query, item, rank }) => (
            <li key={card.ref}>
              {query.isError ? (
                <ErrorState error={query.error} retry={() => query.refetch()} />
              ) : (
                item && <Standing card={card} group={group} item={item} rank={rank} />
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Standing({
  card,
  group,
  item,
  rank,
}: {
  card: ScorecardSummary;
  group: string;
  item: RollupItem;
  rank?: { place: number; of: number };
}) {
  const titles = new Map(card.checks.map((c) => [c.id, c.title]));
  const held = item.holdingBack.filter((h) => h.failing.length > 0).slice(0, HOLDING_BACK);
  return (
    <div className="sc-standing-item">
      <h3>
        <Link to={`/scorecards/${scorecardPath(card)}?group=${encodeURIComponent(group)}`}>
          {card.title}
        </Link>
      </h3>
      <p className="muted">
        {item.total} {item.total === 1 ? 'entity' : 'entities'}, with the groups below it
        {rank ? ` · #${rank.place} of ${rank.of} owners by checks passing` : ''}
      </p>
      <DistributionBar levels={card.levels} distribution={item.distribution} label="Levels" />
      <p className="sc-standing-levels">{describeDistribution(card.levels, item.distribution)}</p>
      <p>
        Checks passing: <RateBar rate={item.passRate} label={`${card.title}: checks passing`} />
      </p>
      {held.length > 0 && (
        <>
          <p className="sc-standing-label">Holding it back:</p>
          <ul className="plain sc-holding">
            {held.map((h) => (
              <li key={h.entityRef}>
                <RefLink entityRef={h.entityRef} />{' '}
                <LevelBadge level={h.level} levels={card.levels} />{' '}
                <span className="muted">
                  needs {h.failing.map((id) => titles.get(id) ?? id).join(', ')}
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
