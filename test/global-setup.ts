import { ensureWebBuild } from '../src/cli/web-build.ts';
import { createLogger } from '../src/core/logger.ts';

/**
 * Builds the web app once, before any test file runs: end-to-end files run in parallel and
 * must not each start a build into the same folder.
 */
export default async function setup(): Promise<void> {
  await ensureWebBuild(createLogger({ level: 'warn' }));
}
