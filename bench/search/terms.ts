/**
 * Times single engine queries, term by term, on a database the search benchmark kept
 * (`run.ts --keep`), to see which terms are slow and why (no HTTP in between):
 *
 *   npx tsx bench/search/terms.ts --pg postgres://…/atrium_bench_search_… se serv kube
 *   npx tsx bench/search/terms.ts --sqlite /tmp/atrium-bench-search-sqlite-…/atrium.sqlite se
 *
 * Flags: `--kind Component` adds that filter, `--rounds 3`. Prints one line per round:
 * term, milliseconds, total (`+` when counting stopped at search.countLimit).
 */
import { parseArgs } from 'node:util';
import { openDatabase } from '../../src/core/database/database.ts';
import { createLogger } from '../../src/core/logger.ts';
import { createSearchEngine } from '../../src/plugins/search/server/engine/index.ts';

const { values: args, positionals: terms } = parseArgs({
  allowPositionals: true,
  options: {
    pg: { type: 'string' },
    sqlite: { type: 'string' },
    kind: { type: 'string' },
    rounds: { type: 'string', default: '3' },
  },
});
if (!args.pg === !args.sqlite || !terms.length) {
  process.stderr.write('usage: terms.ts (--pg URL | --sqlite FILE) [--kind K] TERM…\n');
  process.exit(2);
}
const database = await openDatabase(
  args.pg
    ? { client: 'pg', connection: args.pg }
    : { client: 'better-sqlite3', filename: args.sqlite! },
);
const engine = await createSearchEngine(database, createLogger({ level: 'error' }));
for (let round = 0; round < Number(args.rounds); round++) {
  const line: string[] = [];
  for (const term of terms) {
    const t0 = performance.now();
    const page = await engine.query({
      term,
      offset: 0,
      limit: 25,
      filters: args.kind ? { kind: [args.kind] } : undefined,
      tags: { preTag: '<b>', postTag: '</b>' },
    });
    const ms = (performance.now() - t0).toFixed(1);
    line.push(`${term}: ${ms} ms (${page.total}${page.exact ? '' : '+'})`);
  }
  console.log(line.join('  '));
}
await database.close();
