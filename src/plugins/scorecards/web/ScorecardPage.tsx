import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link, useLocation, useParams } from 'react-router-dom';
import {
  explainError,
  fetchJson,
  usePageTitle,
  usePermissions,
  useQueryParams,
  ScrollArea,
} from '../../../web/plugin-api.ts';
import type { CheckStatus } from '../common/types.ts';
import {
  type Campaign,
  getCampaigns,
  getResults,
  getRollup,
  getTrend,
  type RollupBy,
  type ScorecardSummary,
  scorecardPath,
} from './api.ts';
import { catalogLevelHref } from './level-filter.ts';
import { progressLine } from './chart.ts';
import { formatDay, levelLabel, NO_LEVEL, percent, relativeDays } from './format.ts';
import { RefLink } from './refs.tsx';
import { useScorecards } from './ScorecardsPage.tsx';
import { TrendChart } from './TrendChart.tsx';
import { ErrorState, Loading, OwnerLink } from '../../catalog/web/shared.tsx';
import { DistributionBar, LevelBadge, Legend, RateBar } from './ui.tsx';

const TREND_DAYS = [30, 90, 365];
const RESULTS_PAGE = 20;
/** Roll-up rows shown before "Show all". */
const ROLLUP_ROWS = 15;
/** Entities named per roll-up row as holding it back (the API gives up to five). */
const HOLDING_BACK_SHOWN = 2;

/** `/scorecards/:namespace/:name`: one scorecard's standing, trend, teams and campaigns. */
export function ScorecardPage() {
  const { namespace = 'default', name = '' } = useParams();
  const cards = useScorecards();
  const card = cards.data?.find(
    (c) =>
      c.namespace.toLowerCase() === namespace.toLowerCase() &&
      c.name.toLowerCase() === name.toLowerCase(),
  );
  usePageTitle(card ? `${card.title} · Scorecards` : 'Scorecards');
  if (cards.isPending) return <Loading what="the scorecard" />;
  if (cards.isError) return <ErrorState error={cards.error} retry={() => cards.refetch()} />;
  if (!card || card.levels.length === 0) {
    return (
      <div className="page">
        <p className="sc-crumbs">
          <Link to="/scorecards">Scorecards</Link>
        </p>
        <h1>{card ? card.title : 'No such scorecard'}</h1>
        {card?.problems ? (
          <div className="sc-problems" role="note">
            <strong>This scorecard is not scored:</strong>
            <ul>
              {card.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          </div>
        ) : (
          <p>
            There is no scorecard named <code>{name}</code> in namespace <code>{namespace}</code>{' '}
            that you may read. <Link to="/scorecards">See every scorecard</Link>.
          </p>
        )}
      </div>
    );
  }
  return <ScorecardDetail card={card} />;
}

function ScorecardDetail({ card }: { card: ScorecardSummary }) {
  return (
    <div className="page sc-page" data-testid="scorecard-page">
      <p className="sc-crumbs">
        <Link to="/scorecards">Scorecards</Link>
      </p>
      <header className="sc-detail-header">
        <h1>{card.title}</h1>
        <Evaluate card={card} />
      </header>
      {card.description && <p>{card.description}</p>}
      <dl className="props sc-detail-props">
        {card.owner && (
          <>
            <dt>Owner</dt>
            <dd>
              <OwnerLink owner={card.owner} />
            </dd>
          </>
        )}
        <dt>Levels</dt>
        <dd>
          {card.levels.map((l) => (
            <LevelBadge key={l} level={l} levels={card.levels} />
          ))}
        </dd>
        <dt>Defined in</dt>
        <dd>
          <RefLink entityRef={card.ref} title={card.ref} />
        </dd>
      </dl>
      {card.problems && card.problems.length > 0 && (
        <div className="sc-problems" role="note">
          <strong>Needs attention:</strong>
          <ul>
            {card.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      )}
      <div className="sc-grid">
        <section className="card" aria-labelledby="sc-levels">
          <h2 id="sc-levels">Levels now</h2>
          <p className="muted">
            {card.evaluating
              ? 'Being evaluated…'
              : `${card.matched} ${card.matched === 1 ? 'entity' : 'entities'} scored.`}{' '}
            Open a level in the catalog:
          </p>
          <DistributionBar levels={card.levels} distribution={card.distribution} label="Levels" />
          <Legend
            levels={card.levels}
            distribution={card.distribution}
            link={(key) => <Link to={catalogLevelHref(card, key)}>{levelLabel(key)}</Link>}
          />
        </section>
        <TrendSection card={card} />
      </div>
      <ChecksSection card={card} />
      <RollupSection card={card} />
      <CampaignsSection card={card} />
      <ResultsSection card={card} />
    </div>
  );
}

/** "Evaluate now" for those allowed (`scorecards.evaluate` on the Scorecard entity). */
function Evaluate({ card }: { card: ScorecardSummary }) {
  const client = useQueryClient();
  const answers = usePermissions([{ permission: 'scorecards.evaluate', resourceRef: card.ref }]);
  const run = useMutation({
    mutationFn: () =>
      fetchJson(`/api/scorecards/scorecards/${scorecardPath(card)}/evaluate?wait=true`, {
        method: 'POST',
      }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['scorecards'] }),
  });
  if (answers?.[0]?.result !== 'ALLOW') return null;
  return (
    <div className="sc-evaluate">
      <button type="button" onClick={() => run.mutate()} disabled={run.isPending}>
        {run.isPending ? 'Evaluating…' : 'Evaluate now'}
      </button>
      {run.isError && (
        <span role="alert" className="level-error">
          {explainError(run.error)}
        </span>
      )}
      {run.isSuccess && <span role="status">Evaluated.</span>}
    </div>
  );
}

function TrendSection({ card }: { card: ScorecardSummary }) {
  const [params, update] = useQueryParams();
  const days = Number(params.get('days')) || 90;
  const trend = useQuery({
    queryKey: ['scorecards', 'trend', card.ref, days],
    queryFn: ({ signal }) => getTrend(card, { days }, signal),
    placeholderData: keepPreviousData,
  });
  return (
    <section className="card sc-trend-card" aria-labelledby="sc-trend">
      <div className="sc-section-head">
        <h2 id="sc-trend">Trend</h2>
        <label>
          Period{' '}
          <select
            name="days"
            value={days}
            onChange={(e) =>
              update(
                { days: e.target.value === '90' ? undefined : e.target.value },
                { replace: true },
              )
            }
          >
            {TREND_DAYS.map((d) => (
              <option key={d} value={d}>
                Last {d} days
              </option>
            ))}
          </select>
        </label>
      </div>
      {trend.isPending ? (
        <Loading what="the trend" />
      ) : trend.isError ? (
        <ErrorState error={trend.error} retry={() => trend.refetch()} />
      ) : (
        <>
          <TrendChart
            days={trend.data.days}
            levels={card.levels}
            title={`${card.title}: entities per level, last ${days} days`}
          />
          {trend.data.days.length <= 1 && (
            <p className="muted">
              History starts today: a snapshot is kept every day, so the trend grows from here.
            </p>
          )}
          {trend.data.partial && (
            <p className="muted">
              Teams with entities you may not read are left out of the history.
            </p>
          )}
        </>
      )}
    </section>
  );
}

function ChecksSection({ card }: { card: ScorecardSummary }) {
  // Today's pass rates come with the trend's last day (computed from the current results).
  const trend = useQuery({
    queryKey: ['scorecards', 'trend', card.ref, 30],
    queryFn: ({ signal }) => getTrend(card, { days: 30 }, signal),
  });
  const today = trend.data?.days[trend.data.days.length - 1]?.checks;
  const weekAgo = trend.data?.days[trend.data.days.length - 8]?.checks;
  return (
    <section className="card sc-section" aria-labelledby="sc-checks">
      <h2 id="sc-checks">Pass rate per check</h2>
      <ScrollArea label="Pass rate per check">
        <table>
          <thead>
            <tr>
              <th scope="col">Level</th>
              <th scope="col">Check</th>
              <th scope="col">Passing now</th>
              <th scope="col">A week ago</th>
              <th scope="col">
                <span className="visually-hidden">Entities</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {card.checks.map((check) => (
              <tr key={check.id}>
                <td>
                  <LevelBadge level={check.level} levels={card.levels} />
                </td>
                <td>
                  <strong>{check.title}</strong>
                  {check.description && <div className="muted">{check.description}</div>}
                </td>
                <td>
                  {today?.[check.id] !== undefined ? (
                    <RateBar rate={today[check.id]!} label={`${check.title}: pass rate`} />
                  ) : (
                    <span className="muted">–</span>
                  )}
                </td>
                <td>{weekAgo?.[check.id] !== undefined ? percent(weekAgo[check.id]!) : '–'}</td>
                <td>
                  {today?.[check.id] !== 1 && (
                    <Link
                      to={`?check=${encodeURIComponent(check.id)}&status=failed#sc-results`}
                      aria-label={`Entities failing ${check.title}`}
                    >
                      Entities failing
                    </Link>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollArea>
    </section>
  );
}

function RollupSection({ card }: { card: ScorecardSummary }) {
  const [params, update] = useQueryParams();
  const by = (
    ['owner', 'system', 'domain'].includes(params.get('by') ?? '') ? params.get('by') : 'owner'
  ) as RollupBy;
  const group = params.get('group') ?? undefined;
  const showAll = params.get('teams') === 'all';
  const rollup = useQuery({
    queryKey: ['scorecards', 'rollup', card.ref, by, group],
    queryFn: ({ signal }) =>
      getRollup(card, { by, group: by === 'owner' ? group : undefined }, signal),
    placeholderData: keepPreviousData,
  });
  const items = rollup.data ?? [];
  const shown = showAll ? items : items.slice(0, ROLLUP_ROWS);
  const heading =
    by === 'owner' ? 'Teams ranked' : by === 'system' ? 'Systems ranked' : 'Domains ranked';
  return (
    <section className="card sc-section" aria-labelledby="sc-rollup">
      <div className="sc-section-head">
        <h2 id="sc-rollup">{heading}</h2>
        <label>
          By{' '}
          <select
            name="by"
            value={by}
            onChange={(e) =>
              update(
                { by: e.target.value === 'owner' ? undefined : e.target.value, teams: undefined },
                { replace: true },
              )
            }
          >
            <option value="owner">Owner (through the group hierarchy)</option>
            <option value="system">System</option>
            <option value="domain">Domain</option>
          </select>
        </label>
      </div>
      {by === 'owner' && group && (
        <p>
          Within <RefLink entityRef={group} defaultKind="group" /> and the groups below it.{' '}
          <Link to="?">Show every group</Link>
        </p>
      )}
      {by === 'owner' && (
        <p className="muted">
          A group counts what it owns and what every group below it owns, so a department sees its
          teams.
        </p>
      )}
      {rollup.isPending ? (
        <Loading what="the roll-up" />
      ) : rollup.isError ? (
        <ErrorState error={rollup.error} retry={() => rollup.refetch()} />
      ) : items.length === 0 ? (
        <p className="muted">No scored entity has {by === 'owner' ? 'an owner' : `a ${by}`}.</p>
      ) : (
        <>
          <ScrollArea label={heading}>
            <table data-testid="rollup">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">
                    {by === 'owner' ? 'Owner' : by === 'system' ? 'System' : 'Domain'}
                  </th>
                  <th scope="col">Entities</th>
                  <th scope="col">Levels</th>
                  <th scope="col">Checks passing</th>
                  <th scope="col">Holding it back</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((item, i) => (
                  <tr key={item.ref}>
                    <td>{i + 1}</td>
                    <td>
                      <RefLink entityRef={item.ref} title={item.title} />
                      {by === 'owner' && item.ref.startsWith('group:') && item.ref !== group && (
                        <>
                          {' '}
                          <Link
                            className="sc-within"
                            to={`?group=${encodeURIComponent(item.ref)}`}
                            title={`Only ${item.title} and the groups below it`}
                          >
                            only this group
                          </Link>
                        </>
                      )}
                    </td>
                    <td>{item.total}</td>
                    <td className="sc-bar-cell">
                      <DistributionBar
                        levels={card.levels}
                        distribution={item.distribution}
                        label={item.title}
                      />
                    </td>
                    <td>
                      <RateBar rate={item.passRate} label={`${item.title}: checks passing`} />
                    </td>
                    <td>
                      <HoldingBack
                        card={card}
                        items={item.holdingBack}
                        below={
                          item.total -
                          (item.distribution[card.levels[card.levels.length - 1]!] ?? 0)
                        }
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollArea>
          {items.length > shown.length && (
            <button type="button" onClick={() => update({ teams: 'all' }, { replace: true })}>
              Show all {items.length}
            </button>
          )}
        </>
      )}
    </section>
  );
}

function HoldingBack({
  card,
  items,
  below,
}: {
  card: ScorecardSummary;
  items: Array<{ entityRef: string; level: string | null; failing: string[] }>;
  /** How many of its entities are below the highest level (the API names the lowest five). */
  below: number;
}) {
  const titles = new Map(card.checks.map((c) => [c.id, c.title]));
  const held = items.filter((h) => h.failing.length > 0);
  if (!held.length) return <span className="muted">Nothing: all at the highest level</span>;
  const shown = held.slice(0, HOLDING_BACK_SHOWN);
  return (
    <ul className="plain sc-holding">
      {shown.map((h) => (
        <li key={h.entityRef}>
          <RefLink entityRef={h.entityRef} /> <LevelBadge level={h.level} levels={card.levels} />{' '}
          <span className="muted">
            needs {h.failing.map((id) => titles.get(id) ?? id).join(', ')}
          </span>
        </li>
      ))}
      {below > shown.length && (
        <li className="muted sc-more">and {below - shown.length} more below the highest level</li>
      )}
    </ul>
  );
}

function CampaignsSection({ card }: { card: ScorecardSummary }) {
  const campaigns = useQuery({
    queryKey: ['scorecards', 'campaigns', card.ref],
    queryFn: ({ signal }) => getCampaigns(card, signal),
    enabled: (card.campaigns?.length ?? 0) > 0,
  });
  if (!card.campaigns?.length) return null;
  return (
    <section className="sc-section" aria-labelledby="sc-campaigns">
      <h2 id="sc-campaigns">Campaigns</h2>
      {campaigns.isPending ? (
        <Loading what="campaigns" />
      ) : campaigns.isError ? (
        <ErrorState error={campaigns.error} retry={() => campaigns.refetch()} />
      ) : (
        <div className="card-grid sc-campaigns">
          {campaigns.data.map((c) => (
            <CampaignCard key={c.id} card={card} campaign={c} />
          ))}
        </div>
      )}
    </section>
  );
}

function CampaignCard({ card, campaign }: { card: ScorecardSummary; campaign: Campaign }) {
  const share = campaign.total ? campaign.reached / campaign.total : 1;
  const line = progressLine(campaign.progress);
  const overdue = campaign.deadline < new Date().toISOString().slice(0, 10);
  const done = campaign.reached >= campaign.total;
  const id = `sc-campaign-${campaign.id}`;
  return (
    <article className="card sc-campaign" aria-labelledby={id} data-testid="campaign">
      <h3 id={id}>{campaign.title}</h3>
      <p>
        Target <LevelBadge level={campaign.level} levels={card.levels} /> by{' '}
        <time dateTime={campaign.deadline}>{formatDay(campaign.deadline)}</time>{' '}
        <span className={overdue && !done ? 'level-error' : 'muted'}>
          ({overdue ? `${done ? 'ended' : 'overdue'}, ` : ''}
          {relativeDays(campaign.deadline)})
        </span>
      </p>
      <div className="sc-campaign-progress">
        <meter
          min={0}
          max={1}
          value={share}
          aria-label={`${campaign.title}: ${campaign.reached} of ${campaign.total} reached`}
        />
        <span>
          <strong>
            {campaign.reached} of {campaign.total}
          </strong>{' '}
          reached ({percent(share)})
        </span>
      </div>
      {campaign.progress.length > 1 && (
        <svg
          className="sc-sparkline"
          viewBox="0 0 160 36"
          preserveAspectRatio="none"
          role="img"
          aria-label={`Progress from ${formatDay(campaign.progress[0]!.day)}: ${campaign.progress[0]!.reached} of ${campaign.progress[0]!.total} then, ${campaign.reached} of ${campaign.total} now`}
        >
          <path className="sc-sparkline-line" d={line.path} vectorEffect="non-scaling-stroke" />
        </svg>
      )}
      {campaign.missing.length > 0 ? (
        <details open={campaign.missing.length <= 6}>
          <summary>
            Still missing ({campaign.total - campaign.reached}
            {campaign.total - campaign.reached > campaign.missing.length
              ? `, first ${campaign.missing.length} shown`
              : ''}
            )
          </summary>
          <ul className="plain sc-missing">
            {campaign.missing.map((ref) => (
              <li key={ref}>
                <RefLink entityRef={ref} />
              </li>
            ))}
          </ul>
        </details>
      ) : (
        <p className="muted">Every entity in the campaign has reached {campaign.level}.</p>
      )}
    </article>
  );
}

function ResultsSection({ card }: { card: ScorecardSummary }) {
  const [params, update] = useQueryParams();
  const level = params.get('level') ?? undefined;
  const check = params.get('check') ?? undefined;
  const statusParam = params.get('status');
  const status = (
    ['passed', 'failed', 'unknown'].includes(statusParam ?? '') ? statusParam : undefined
  ) as CheckStatus | undefined;
  const cursor = params.get('cursor') ?? undefined;
  const results = useQuery({
    queryKey: ['scorecards', 'results', card.ref, level, check, status, cursor],
    queryFn: ({ signal }) =>
      getResults(card, { level, check, status, cursor, limit: RESULTS_PAGE }, signal),
    placeholderData: keepPreviousData,
  });
  const set = (changes: Record<string, string | undefined>) =>
    update({ ...changes, cursor: undefined }, { replace: true });
  // "Entities failing" links here from the checks table: bring the list into view.
  const { hash } = useLocation();
  const loaded = Boolean(results.data);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new check or status from the link scrolls again
  useEffect(() => {
    if (hash === '#sc-results' && loaded) document.getElementById('sc-results')?.scrollIntoView();
  }, [hash, loaded, check, status]);
  return (
    <section className="card sc-section" aria-labelledby="sc-results-title" id="sc-results">
      <h2 id="sc-results-title">Entities</h2>
      <form
        className="filters"
        aria-label="Filter the entities"
        onSubmit={(e) => e.preventDefault()}
      >
        <label>
          Level
          <select
            name="level"
            value={level ?? ''}
            onChange={(e) => set({ level: e.target.value || undefined })}
          >
            <option value="">All</option>
            {[...card.levels].reverse().map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
            <option value={NO_LEVEL}>No level</option>
          </select>
        </label>
        <label>
          Check
          <select
            name="check"
            value={check ?? ''}
            onChange={(e) => set({ check: e.target.value || undefined })}
          >
            <option value="">Any</option>
            {card.checks.map((c) => (
              <option key={c.id} value={c.id}>
                {c.title}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select
            name="status"
            value={status ?? ''}
            onChange={(e) => set({ status: e.target.value || undefined })}
          >
            <option value="">{check ? 'Failed' : 'Any'}</option>
            <option value="passed">Passed</option>
            <option value="failed">Failed</option>
            <option value="unknown">Unknown</option>
          </select>
        </label>
      </form>
      {results.isPending ? (
        <Loading what="results" />
      ) : results.isError ? (
        <ErrorState error={results.error} retry={() => results.refetch()} />
      ) : results.data.items.length === 0 ? (
        <p className="muted">No entity matches these filters.</p>
      ) : (
        <>
          <p className="muted" aria-live="polite" data-testid="results-total">
            {results.data.totalItems} {results.data.totalItems === 1 ? 'entity' : 'entities'},
            lowest level first
          </p>
          <ScrollArea label="Results per entity">
            <table aria-busy={results.isFetching}>
              <thead>
                <tr>
                  <th scope="col">Entity</th>
                  <th scope="col">Owner</th>
                  <th scope="col">Level</th>
                  <th scope="col">Checks</th>
                  <th scope="col">Level since</th>
                </tr>
              </thead>
              <tbody>
                {results.data.items.map((r) => (
                  <tr key={r.entityRef}>
                    <td>
                      <RefLink entityRef={`${r.entityRef}`} title={r.title} />
                    </td>
                    <td>
                      {r.owner ? <OwnerLink owner={r.owner} /> : <span className="muted">–</span>}
                    </td>
                    <td>
                      <LevelBadge level={r.level} levels={card.levels} />
                    </td>
                    <td>
                      <span className="sc-counts">
                        <span className="sc-status-passed">{r.passed} passed</span>
                        {r.failed > 0 && (
                          <span className="sc-status-failed">{r.failed} failed</span>
                        )}
                        {r.unknown > 0 && (
                          <span className="sc-status-unknown">{r.unknown} unknown</span>
                        )}
                      </span>
                    </td>
                    <td>{formatDay(r.levelSince)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollArea>
          <nav className="pager" aria-label="Entity pages">
            <button type="button" disabled={!cursor} onClick={() => set({})}>
              ← First page
            </button>
            <button
              type="button"
              disabled={!results.data.nextCursor}
              onClick={() => update({ cursor: results.data.nextCursor }, { replace: true })}
            >
              Next →
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
