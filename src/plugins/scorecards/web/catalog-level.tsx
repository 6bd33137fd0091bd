/**
 * Scorecard levels in the catalog explorer, contributed through the web plugin API
 * (`catalogColumns`, `catalogFilters`): the catalog knows nothing about scorecards. The
 * filter's value syntax is in level-filter.ts.
 */
import { useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router-dom';
import { stringifyEntityRef } from '../../../model/ref.ts';
import type { CatalogCellProps, CatalogFilterProps } from '../../../web/plugin-api.ts';
import { type EntityScorecard, getEntityScorecards } from './api.ts';
import { entityResultsKey } from './EntityScorecardsTab.tsx';
import { NO_LEVEL } from './format.ts';
import {
  LEVEL_PARAM,
  levelFilterValue,
  parseLevelFilterValue,
  scorecardKey,
} from './level-filter.ts';
import { useScorecards } from './ScorecardsPage.tsx';
import { LevelBadge } from './ui.tsx';

/** The explorer's "Level" filter: a level of one scorecard, grouped by scorecard. */
export function LevelFilter({ value, onChange }: CatalogFilterProps) {
  const cards = useScorecards();
  const scored = (cards.data ?? []).filter((c) => c.levels.length > 0);
  // Without scorecards there is nothing to filter by: no control at all.
  if (!scored.length && !value) return null;
  const known = scored.some((c) =>
    [...c.levels, NO_LEVEL].some((l) => levelFilterValue(c, l) === value),
  );
  return (
    <label>
      Level
      <select
        name={LEVEL_PARAM}
        className="sc-level-select"
        value={value}
        onChange={(e) => onChange(e.target.value)}
      >
        <option value="">All</option>
        {value && !known && <option value={value}>{value}</option>}
        {scored.map((card) => (
          <optgroup key={card.ref} label={card.title}>
            {[...card.levels].reverse().map((level) => (
              <option key={level} value={levelFilterValue(card, level)}>
                {card.title}: {level}
              </option>
            ))}
            <option value={levelFilterValue(card, NO_LEVEL)}>{card.title}: no level</option>
          </optgroup>
        ))}
      </select>
    </label>
  );
}

/** Whether the explorer shows the level column: only when some scorecard exists. */
export function useLevelColumnShown(): boolean {
  const cards = useScorecards();
  return (cards.data ?? []).some((c) => c.levels.length > 0);
}

/**
 * One row's levels: every scorecard that scores the entity, or only the one the level filter
 * names. Each row asks for its entity's results (cached, and shared with the entity tab).
 */
export function LevelCell({ entity }: CatalogCellProps) {
  const [params] = useSearchParams();
  const ref = stringifyEntityRef({
    kind: entity.kind,
    metadata: { name: entity.metadata.name, namespace: entity.metadata.namespace },
  });
  const results = useQuery({
    queryKey: entityResultsKey(ref),
    queryFn: ({ signal }) =>
      getEntityScorecards(
        {
          kind: entity.kind,
          namespace: entity.metadata.namespace ?? 'default',
          name: entity.metadata.name,
        },
        signal,
      ),
    staleTime: 30_000,
  });
  const filtered = parseLevelFilterValue(params.get(LEVEL_PARAM) ?? '');
  const items: EntityScorecard[] = (results.data ?? []).filter(
    (item) =>
      !filtered || scorecardKey(refParts(item.scorecard.ref)) === filtered.scorecard.toLowerCase(),
  );
  if (results.isError) return <span className="muted">?</span>;
  return (
    <ul className="plain sc-level-cell">
      {items.map((item) => (
        <li key={item.scorecard.ref}>
          <LevelBadge
            level={item.level}
            levels={item.scorecard.levels}
            prefix={item.scorecard.title}
          />
          {!filtered && <span className="muted sc-level-card">{item.scorecard.title}</span>}
        </li>
      ))}
    </ul>
  );
}

function refParts(ref: string): { namespace: string; name: string } {
  const slash = ref.indexOf('/');
  const colon = ref.indexOf(':');
  return { namespace: ref.slice(colon + 1, slash), name: ref.slice(slash + 1) };
}
