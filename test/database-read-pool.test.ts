import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.ts';

/**
 * On SQLite (the default) reads run on worker threads (backend.database.readWorkers), so a
 * long read does not stop the server from answering.
 */
describe('a long read on SQLite does not block the server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({});
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers HTTP, catalog reads included, while a read of seconds runs', async () => {
    const { reader } = server.app.database;
    // Both read workers running, so that starting one is not part of what is measured.
    await Promise.all([sql`select 1`.execute(reader), sql`select 1`.execute(reader)]);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const busy = performance.eventLoopUtilization();
    let slowDone = false;
    const started = performance.now();
    const slow = sql<{
      n: number;
    }>`with recursive c(x) as (select 1 union all select x + 1 from c where x < 10000000) select count(*) as n from c`
      .execute(reader)
      .finally(() => {
        slowDone = true;
      });
    // No database at all: answered by this thread alone.
    const missing = await fetch(`${server.url}/api/no-such-plugin/x`);
    expect(missing.status).toBe(404);
    // The catalog reads on the other worker.
    const list = await fetch(`${server.url}/api/catalog/entities?limit=1`);
    expect(list.status).toBe(200);
    const answeredAfter = performance.now() - started;
    expect(slowDone).toBe(false);
    expect((await slow).rows[0]!.n).toBe(10_000_000);
    const slowTook = performance.now() - started;
    const utilization = performance.eventLoopUtilization(busy).utilization;
    // One more turn of the loop: a timer that a blocked loop made late is recorded now.
    await new Promise((resolve) => setTimeout(resolve, 30));
    delay.disable();
    expect(answeredAfter).toBeLessThan(slowTook);
    // The event loop stayed mostly idle through the seconds of the read, its timers late by
    // scheduling noise only (see src/core/database/sqlite-worker-pool.test.ts).
    expect(utilization).toBeLessThan(0.3);
    expect(delay.max / 1e6).toBeLessThan(500);
  });
});
