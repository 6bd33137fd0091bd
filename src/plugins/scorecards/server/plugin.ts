import { definePlugin, extend, type PluginDefinition } from '../../../core/plugin-api.ts';
import {
  catalogServiceRef,
  kindsExtensionPoint,
  queryFieldsExtensionPoint,
} from '../../catalog/server/plugin.ts';
import { scorecardKind } from '../common/kind.ts';
import { type ScorecardsApi, scorecardsServiceRef } from './api.ts';
import { BatchScorer } from './batch-scorer.ts';
import { builtinFactProviders } from './facts/index.ts';
import { factMigrations } from './facts/migrations.ts';
import { type FactProvider, factProvidersExtensionPoint } from './facts/provider.ts';
import { GroupTreeCache } from './group-tree.ts';
import { History } from './history.ts';
import { scorecardMigrations } from './migrations.ts';
import { scorecardQueryField } from './query-field.ts';
import { ScorecardRegistry } from './registry.ts';
import { ResultsQuery } from './results-query.ts';
import { ResultsStore } from './results-store.ts';
import { scorecardsActions } from './actions.ts';
import { registerScorecardRoutes, SCORECARD_PERMISSIONS, type ScorecardRoutes } from './routes.ts';
import { ScoringService } from './scoring-service.ts';

export { scorecardsServiceRef, type ScorecardsApi } from './api.ts';

/**
 * Scorecards: `kind: Scorecard` entities declare levels and checks; every matching entity is
 * scored when it, its facts or the scorecard change, results are kept with their history and
 * rolled up by owner (through the group hierarchy), system and domain. API under
 * /api/scorecards (README, "Scorecards"). Installed last: it reads every other plugin's
 * services and changes.
 */
export function scorecardsPlugin(): PluginDefinition {
  let routes: ScorecardRoutes | undefined;
  return definePlugin({
    id: 'scorecards',
    dependsOn: ['catalog'],
    migrations: [...scorecardMigrations, ...factMigrations],
    extensionPoints: [factProvidersExtensionPoint],
    extensions: [
      extend(kindsExtensionPoint, scorecardKind),
      extend(queryFieldsExtensionPoint, scorecardQueryField),
      ...scorecardsActions(() => routes),
    ],
    async setup(env) {
      const { database, logger, config } = env;
      const catalog = env.use(catalogServiceRef);
      // Built-in providers first, then contributed ones; the push provider answers what no
      // other does (see gather-facts.ts).
      let providers: FactProvider[] = [];
      const builtin = builtinFactProviders(env, {
        catalog: () => catalog,
        providers: () => providers,
      });
      providers = [...builtin.providers, ...env.extensions(factProvidersExtensionPoint)];
      const registry = new ScorecardRegistry(database.reader, logger);
      const store = new ResultsStore(database);
      const results = new ResultsQuery(database.reader, () => catalog);
      const scorer = new BatchScorer({
        catalog,
        db: database.reader,
        providers: () => providers,
        logger,
      });
      const history = new History({
        database,
        registry,
        store,
        results,
        historyDays: config.scorecards.historyDays,
        logger,
      });
      const scoring = new ScoringService({
        catalog,
        db: database.reader,
        registry,
        scorer,
        store,
        logger,
        onEvaluated: (card) => history.snapshot(card),
      });
      const groups = new GroupTreeCache(database.reader, () => catalog.store.generation());
      env.permissions([SCORECARD_PERMISSIONS.evaluate]);
      routes = registerScorecardRoutes(env, {
        catalog: () => catalog,
        registry,
        results,
        store,
        scoring,
        history,
        groups,
        historyDays: config.scorecards.historyDays,
      });
      const api: ScorecardsApi = {
        scoring,
        history,
        registry,
        results,
        evaluations: () => scorer.evaluations,
        idle: () => scoring.idle(),
      };
      env.provide(scorecardsServiceRef, api);

      // Subscribed now, before the catalog's first read at start: what it changes is scored.
      const unsubscribe = catalog.service.onEntitiesChanged((event) =>
        scoring.onCatalogChange(event),
      );
      const unsubscribers: Array<() => void> = [];
      for (const provider of providers) {
        const off = provider.subscribe?.((refs) => {
          void scoring.rescore(
            refs.map((r) => r.toLowerCase()),
            { neighbours: false },
          );
        });
        if (off) unsubscribers.push(off);
      }

      env.onStart(async () => {
        for (const provider of providers) await provider.start?.();
        // Scorecards changed since their last full evaluation (or never evaluated, or scored
        // by an older version of the scorer) are evaluated now; results of scorecards gone
        // from the catalog go.
        const [changed, states, cards] = await Promise.all([
          scoring.changedScorecards(),
          store.states(),
          registry.all(),
        ]);
        const gone = [...states.keys()].filter((ref) => !cards.has(ref));
        if (gone.length) void scoring.remove(gone);
        if (changed.length) void scoring.evaluate(changed);
        history.start();
      });
      env.onStop(async () => {
        unsubscribe();
        for (const off of unsubscribers) off();
        await scoring.stop();
        await history.stop();
        for (const provider of providers) await provider.stop?.();
      });
    },
  });
}
