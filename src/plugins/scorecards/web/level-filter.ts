/**
 * The catalog explorer's level filter. Its `level` parameter is `<scorecard>:<level>`, the
 * scorecard written as its name (namespace `default`) or `<namespace>/<name>`, the level as
 * a level name or `none`: `/catalog?level=production-readiness:Gold`. It becomes the catalog
 * API filter `scorecard.production-readiness.level=Gold` (the scorecards server plugin's
 * `catalog.query-fields` key). Pure: unit-tested.
 */

/** The explorer's URL parameter for the level filter. */
export const LEVEL_PARAM = 'level';

/** `production-readiness`, or `team-x/readiness` outside the default namespace. */
export function scorecardKey(card: { namespace: string; name: string }): string {
  return card.namespace.toLowerCase() === 'default' ? card.name : `${card.namespace}/${card.name}`;
}

export function levelFilterValue(card: { namespace: string; name: string }, level: string): string {
  return `${scorecardKey(card)}:${level}`;
}

/** `production-readiness:Gold` -> its parts; undefined when it is not of that form. */
export function parseLevelFilterValue(
  value: string,
): { scorecard: string; level: string } | undefined {
  const at = value.lastIndexOf(':');
  if (at <= 0 || at === value.length - 1) return undefined;
  const scorecard = value.slice(0, at).trim();
  const level = value.slice(at + 1).trim();
  // The catalog's filter syntax separates conditions with ',' and values with '='.
  if (!scorecard || !level || /[,=]/.test(scorecard + level)) return undefined;
  return { scorecard, level };
}

/** The catalog API filter of a level filter value: `scorecard.<name>.level=<level>`. */
export function levelCatalogFilter(value: string): string | undefined {
  const parsed = parseLevelFilterValue(value);
  return parsed ? `scorecard.${parsed.scorecard}.level=${parsed.level}` : undefined;
}

/** The explorer listing the entities of a scorecard at one level (`none` for no level). */
export function catalogLevelHref(card: { namespace: string; name: string }, level: string): string {
  return `/catalog?${LEVEL_PARAM}=${encodeURIComponent(levelFilterValue(card, level))}`;
}
