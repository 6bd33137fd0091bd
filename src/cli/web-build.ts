import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, scanSources } from '../../bin/build.mjs';
import type { Logger } from '../core/logger.ts';

// ROOT comes from bin/: this file runs from src/cli (tsx, tests) and from dist/server/cli.
export const WEB_DIST = join(ROOT, 'dist/web');
const WEB_CONFIG = join(ROOT, 'src/web/vite.config.ts');

/** Newest modification time of the sources the web bundle is built from. */
function newestSource(): number {
  const roots = [WEB_CONFIG, join(ROOT, 'src/web'), join(ROOT, 'src/model')];
  for (const plugin of readdirSync(join(ROOT, 'src/plugins'), { withFileTypes: true })) {
    if (!plugin.isDirectory()) continue;
    for (const side of ['web', 'common']) roots.push(join(ROOT, 'src/plugins', plugin.name, side));
  }
  return scanSources(roots).newest;
}

/** Builds the web app when it is missing or older than its sources, so `npm start` is enough. */
export async function ensureWebBuild(logger: Logger): Promise<void> {
  if (!existsSync(WEB_CONFIG)) return;
  const index = join(WEB_DIST, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestSource()) return;
  logger.info(
    existsSync(index)
      ? 'Web app sources changed; rebuilding'
      : 'Building the web app (first start)',
  );
  const started = Date.now();
  await new Promise<void>((done, fail) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', WEB_CONFIG],
      {
        cwd: ROOT,
        // A test runner's NODE_ENV=test would otherwise give React's development build.
        env: { ...process.env, NODE_ENV: 'production' },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    child.on('error', fail);
    child.on('exit', (code) =>
      code === 0
        ? done()
        : fail(new Error(`Building the web app failed (vite exited with ${code})`)),
    );
  });
  logger.info(`Web app built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
