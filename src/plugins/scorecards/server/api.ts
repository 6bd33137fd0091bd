import { createServiceRef } from '../../../core/plugin-api.ts';
import type { History } from './history.ts';
import type { ScorecardRegistry } from './registry.ts';
import type { ResultsQuery } from './results-query.ts';
import type { ScoringService } from './scoring-service.ts';

/** The scorecards' services, for other plugins, the CLI's seeding and tests. */
export interface ScorecardsApi {
  scoring: ScoringService;
  history: History;
  registry: ScorecardRegistry;
  results: ResultsQuery;
  /** Entity × scorecard evaluations done since start. */
  evaluations(): number;
  /** Resolves when every queued rescoring and evaluation is done. */
  idle(): Promise<void>;
}

export const scorecardsServiceRef = createServiceRef<ScorecardsApi>('scorecards');
