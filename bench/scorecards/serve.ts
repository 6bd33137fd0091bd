/**
 * `atrium start` for the scorecards benchmark when it profiles a phase: the same app from
 * the TypeScript sources, where SIGUSR2 starts and stops the CPU profiler. Run through tsx by
 * bench/scorecards/run.ts (`node --import <tsx loader> bench/scorecards/serve.ts --config <file>`).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createApp } from '../../src/core/app.ts';
import { loadConfig } from '../../src/core/config/index.ts';
import { createLogger } from '../../src/core/logger.ts';
import { installedPlugins } from '../../src/plugins/index.ts';

const { values } = parseArgs({ options: { config: { type: 'string', multiple: true } } });
const logger = createLogger();
const { config } = await loadConfig({
  configPaths: values.config,
  cwd: process.cwd(),
  env: process.env,
});
const app = await createApp({
  config,
  plugins: installedPlugins(),
  logger,
  cwd: process.cwd(),
});
let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(1), 10_000).unref();
  await app.stop();
  process.exit(0);
};
/**
 * With ATRIUM_BENCH_PROFILE_DIR set, SIGUSR2 starts the CPU profiler and the next SIGUSR2
 * writes `<n>.cpuprofile` there: the benchmark profiles one phase, not the whole run.
 */
const profileDir = process.env.ATRIUM_BENCH_PROFILE_DIR;
if (profileDir) {
  const session = new Session();
  session.connect();
  let running = false;
  let count = 0;
  process.on('SIGUSR2', async () => {
    if (!running) {
      running = true;
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 1000 });
      await session.post('Profiler.start');
      return;
    }
    running = false;
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(join(profileDir, `${++count}.cpuprofile`), JSON.stringify(profile));
    writeFileSync(join(profileDir, `${count}.done`), '');
  });
}
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
logger.info(`Atrium (benchmark entry) is ready at ${await app.start()}`);
