import { ensureServerBuild } from '../bin/build.mjs';
import { ensureWebBuild } from '../src/cli/web-build.ts';
import { createLogger } from '../src/core/logger.ts';

/**
 * Builds the web app and the server (dist/server, what bin/atrium.mjs runs) once, before any
 * test file runs: end-to-end files run in parallel and must not each start a build into the
 * same folder.
 */
export default async function setup(): Promise<void> {
  await ensureWebBuild(createLogger({ level: 'warn' }));
  try {
    await ensureServerBuild({ log: () => {} });
  } catch (error) {
    // Tests that run bin/atrium.mjs report it; the others need no build.
    process.stderr.write(`Building the server failed: ${(error as Error).message}\n`);
  }
}
