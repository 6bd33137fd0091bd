import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { definePlugin, type PluginDefinition } from '../../../core/plugin-api.ts';
import type { ExternalPlugin } from './load.ts';
import { registerPluginRoutes } from './routes.ts';

/**
 * The plugin manager: what is installed, built-in and external (`GET /api/plugins`), and the
 * external plugins' web bundles, served from their installed packages (so the shell loads them
 * from this origin and the strict Content-Security-Policy holds).
 */
export function pluginManagerPlugin(options: {
  /** Ids of the built-in plugins (this one included), read when the list is asked for. */
  builtinIds: () => string[];
  external: ExternalPlugin[];
}): PluginDefinition {
  return definePlugin({
    id: 'plugins',
    setup(env) {
      registerPluginRoutes(env, { ...options, hostVersion: hostVersion() });
    },
  });
}

let cachedVersion: string | undefined;

/** Atrium's version from its package.json (found upwards: src/ and dist/server/ differ in depth). */
export function hostVersion(): string {
  cachedVersion ??= findHostVersion();
  return cachedVersion;
}

function findHostVersion(): string {
  for (let dir = import.meta.dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'atrium' && pkg.version) return pkg.version;
  }
  return '0.0.0';
}
