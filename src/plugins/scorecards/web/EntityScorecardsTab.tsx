import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { stringifyEntityRef } from '../../../model/ref.ts';
import type { EntityContentProps } from '../../../web/plugin-api.ts';
import {
  type EntityCheck,
  type EntityScorecard,
  getEntityHistory,
  getEntityScorecards,
  type LevelChange,
} from './api.ts';
import { formatDay, formatValue, fullValue, rankOf, relativeDays } from './format.ts';
import { GroupStandingCard } from './GroupStandingCard.tsx';
import { parseRef } from './refs.tsx';
import { ErrorState, Loading } from '../../catalog/web/shared.tsx';
import { LevelBadge, PlainText, StatusBadge } from './ui.tsx';
import { ScrollArea } from '../../../web/plugin-api.ts';

/** The entity's name as the scorecards API addresses it. */
export function entityName(entity: EntityContentProps['entity']) {
  return {
    kind: entity.kind,
    namespace: entity.metadata.namespace ?? 'default',
    name: entity.metadata.name,
  };
}

/** React Query key of an entity's results: the explorer's level column shares it. */
export const entityResultsKey = (ref: string) => ['scorecards', 'entity', ref] as const;

/** The page of a scorecard from its ref (`scorecard:default/x` -> `/scorecards/default/x`). */
export function scorecardPagePath(ref: string): string {
  const parsed = parseRef(ref, 'scorecard');
  if (!parsed) return '/scorecards';
  return `/scorecards/${encodeURIComponent(parsed.namespace)}/${encodeURIComponent(parsed.name)}`;
}

/** The element id of a check's row, so other pages can link straight to it. */
export function checkAnchor(scorecardRef: string, checkId: string): string {
  return `check-${scorecardRef.replace(/[^a-z0-9-]+/gi, '-')}-${checkId}`;
}

/**
 * The entity page's Scorecards tab: per scorecard that scores the entity, its level, every
 * check with what was seen and how to fix it, and when the level changed.
 */
export function EntityScorecardsTab({ entity }: EntityContentProps) {
  const name = entityName(entity);
  const ref = stringifyEntityRef(entity);
  const results = useQuery({
    queryKey: entityResultsKey(ref),
    queryFn: ({ signal }) => getEntityScorecards(name, signal),
  });
  const history = useQuery({
    queryKey: ['scorecards', 'entity-history', ref],
    queryFn: ({ signal }) => getEntityHistory(name, signal),
    enabled: (results.data?.length ?? 0) > 0,
  });
  if (results.isPending) return <Loading what="scorecards" />;
  if (results.isError) return <ErrorState error={results.error} retry={() => results.refetch()} />;
  if (results.data.length === 0 && entity.kind.toLowerCase() === 'scorecard') {
    return (
      <div className="state" data-testid="scorecards-empty">
        <h2>This is a scorecard</h2>
        <p>
          Its levels, trend, teams and campaigns are on{' '}
          <Link to={scorecardPagePath(ref)}>its Scorecards page</Link>.
        </p>
      </div>
    );
  }
  // A group is not scored itself; its tab shows what it owns, rolled up.
  if (results.data.length === 0 && entity.kind.toLowerCase() === 'group') {
    return <GroupStandingCard entity={entity} />;
  }
  if (results.data.length === 0) {
    return (
      <div className="state" data-testid="scorecards-empty">
        <h2>No scorecard scores this {entity.kind.toLowerCase()}</h2>
        <p>
          Scorecards choose the entities they score with <code>spec.filter</code> (for example
          production services). <Link to="/scorecards">See every scorecard</Link>.
        </p>
      </div>
    );
  }
  return (
    <div className="sc-entity" data-testid="entity-scorecards">
      {results.data.map((item) => (
        <ScorecardResult
          key={item.scorecard.ref}
          item={item}
          history={history.data?.filter((h) => h.scorecardRef === item.scorecard.ref)}
        />
      ))}
    </div>
  );
}

function ScorecardResult({ item, history }: { item: EntityScorecard; history?: LevelChange[] }) {
  const { scorecard, level, checks } = item;
  const levels = scorecard.levels;
  const rank = rankOf(levels, level);
  const next = levels[rank];
  const blocking = next
    ? checks.filter((c) => rankOf(levels, c.level) <= rank + 1 && c.status !== 'passed')
    : [];
  const headingId = `sc-${scorecard.ref.replace(/[^a-z0-9-]+/gi, '-')}`;
  return (
    <section className="card sc-result" aria-labelledby={headingId}>
      <header className="sc-result-header">
        <h2 id={headingId}>
          <Link to={scorecardPagePath(scorecard.ref)}>{scorecard.title}</Link>
        </h2>
        <LevelBadge level={level} levels={levels} prefix="Level" />
      </header>
      <p className="muted sc-since">
        {level ? `${level}` : 'No level'} since {formatDay(item.levelSince)} (
        {relativeDays(item.levelSince)}); scored {relativeDays(item.scoredAt)}.
      </p>
      <Ladder levels={levels} rank={rank} />
      {next ? (
        <p className="sc-next">
          To reach <strong>{next}</strong>:{' '}
          {blocking.length === 1 ? '1 check to fix' : `${blocking.length} checks to fix`} (
          {blocking.map((c, i) => (
            <span key={c.id}>
              {i > 0 && ', '}
              <a href={`#${checkAnchor(scorecard.ref, c.id)}`}>{c.title}</a>
            </span>
          ))}
          ).
        </p>
      ) : (
        <p className="sc-next">Every check passes: the highest level.</p>
      )}
      <ScrollArea label={`Checks of ${scorecard.title}`}>
        <table className="sc-checks">
          <caption className="visually-hidden">Checks of {scorecard.title}</caption>
          <thead>
            <tr>
              <th scope="col">Level</th>
              <th scope="col">Check</th>
              <th scope="col">Status</th>
              <th scope="col">Value seen</th>
              <th scope="col">Why, and how to fix</th>
            </tr>
          </thead>
          <tbody>
            {checks.map((check) => (
              <CheckRow key={check.id} check={check} scorecardRef={scorecard.ref} levels={levels} />
            ))}
          </tbody>
        </table>
      </ScrollArea>
      <History history={history} levels={levels} />
    </section>
  );
}

/** The levels in order, those reached marked, so "how far to go" reads at a glance. */
function Ladder({ levels, rank }: { levels: string[]; rank: number }) {
  return (
    <ol className="sc-ladder" aria-label="Levels, lowest first">
      {levels.map((l, i) => (
        <li key={l} data-reached={i < rank || undefined}>
          <span aria-hidden="true">{i < rank ? '✓' : '○'}</span> {l}
          <span className="visually-hidden">{i < rank ? ' (reached)' : ' (not reached)'}</span>
        </li>
      ))}
    </ol>
  );
}

function CheckRow({
  check,
  scorecardRef,
  levels,
}: {
  check: EntityCheck;
  scorecardRef: string;
  levels: string[];
}) {
  const value = formatValue(check.value);
  return (
    <tr id={checkAnchor(scorecardRef, check.id)} data-status={check.status}>
      <td>
        <LevelBadge level={check.level} levels={levels} />
      </td>
      <td>
        <strong>{check.title}</strong>
        {check.description && (
          <div className="muted sc-description">
            <PlainText text={check.description} />
          </div>
        )}
      </td>
      <td>
        <StatusBadge status={check.status} />
      </td>
      <td>
        {value ? (
          <code className="sc-value" title={fullValue(check.value)}>
            {value}
          </code>
        ) : (
          <span className="muted">–</span>
        )}
      </td>
      <td>
        <div>{check.reason}</div>
        {check.status !== 'passed' && check.howToFix && (
          <div className="sc-fix" data-testid="how-to-fix">
            <strong>How to fix: </strong>
            <PlainText text={check.howToFix} />
          </div>
        )}
      </td>
    </tr>
  );
}

function History({ history, levels }: { history?: LevelChange[]; levels: string[] }) {
  if (!history) return null;
  return (
    <details className="sc-history" open={history.length > 0 && history.length <= 5}>
      <summary>
        Level history ({history.length === 1 ? '1 change' : `${history.length} changes`})
      </summary>
      {history.length === 0 ? (
        <p className="muted">The level has not changed since the entity was first scored.</p>
      ) : (
        <ol className="sc-history-list">
          {history.map((h) => (
            <li key={`${h.at}-${h.from}-${h.to}`}>
              <time dateTime={h.at}>{formatDay(h.at)}</time>:{' '}
              <LevelBadge level={h.from} levels={levels} /> →{' '}
              <LevelBadge level={h.to} levels={levels} />
            </li>
          ))}
        </ol>
      )}
    </details>
  );
}
