import type { Database } from '../../../../core/database/database.ts';
import type { Logger } from '../../../../core/logger.ts';
import type { EngineOptions, SearchEngine } from './engine.ts';
import { PgSearchEngine } from './pg-engine.ts';
import { SqliteSearchEngine } from './sqlite-engine.ts';

export type { EngineHit, EngineOptions, EnginePage, EngineQuery, SearchEngine } from './engine.ts';

/** The engine for the configured database (tables from ../migrations.ts must exist). */
export async function createSearchEngine(
  database: Database,
  logger: Logger,
  options: EngineOptions = {},
): Promise<SearchEngine & { hasType(type: string): Promise<boolean> }> {
  if (database.dialect === 'pg') {
    const engine = new PgSearchEngine(database, logger, options);
    await engine.init();
    return engine;
  }
  const engine = new SqliteSearchEngine(database, logger, options);
  await engine.init();
  return engine;
}
