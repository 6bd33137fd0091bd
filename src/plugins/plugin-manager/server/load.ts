import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type { PluginEntryConfig } from '../../../core/config/index.ts';
import type { Logger } from '../../../core/logger.ts';
import type { PluginDefinition, PluginEnvironment } from '../../../core/plugin-api.ts';
import * as publicApi from '../../public-api.ts';
import { incompatibility } from './compatibility.ts';
import { type InstalledPackage, installPackage } from './packages.ts';
import { validatePluginConfig } from './plugin-config.ts';

/** Where a backend bundle finds `@atrium/plugin-api` (see src/plugins/public-api.ts). */
export const PLUGIN_API_GLOBAL = Symbol.for('atrium.plugin-api');

/** An external plugin, fetched, checked and (when it has a backend) imported. */
export interface ExternalPlugin {
  entry: PluginEntryConfig;
  package: InstalledPackage;
  /** Its backend's plugin, named on setup errors; absent for a web-only package. */
  definition?: PluginDefinition;
  /** `env.pluginConfig`: its validated config. */
  pluginConfig?: unknown;
}

/** Names a plugin the way every refusal does: id, package and version, and its entry. */
export function describePlugin(entry: PluginEntryConfig, pkg?: InstalledPackage): string {
  if (!pkg) return `${entry.key} (${entry.package})`;
  const m = pkg.manifest;
  return `${m.id} (package ${m.name}@${m.version}, ${entry.key}: ${entry.package})`;
}

/**
 * Makes every enabled `plugins:` entry ready, in order: fetch, manifest, API compatibility, id
 * not taken, config valid, backend imported and shaped as a plugin. The first failure throws,
 * naming the plugin, before any database or port is opened.
 */
export async function loadExternalPlugins(
  entries: PluginEntryConfig[],
  options: { builtinIds: string[]; logger?: Logger },
): Promise<ExternalPlugin[]> {
  const loaded: ExternalPlugin[] = [];
  const taken = new Map(options.builtinIds.map((id) => [id, `the built-in plugin '${id}'`]));
  for (const entry of entries) {
    if (!entry.enabled) continue;
    let pkg: InstalledPackage | undefined;
    try {
      pkg = await installPackage(entry.package, {
        baseDir: entry.baseDir,
        integrity: entry.integrity,
      });
      if (!pkg) throw new Error('not fetched');
      const problem = incompatibility(pkg.manifest);
      if (problem) throw new Error(problem);
      const id = pkg.manifest.id;
      const holder = taken.get(id);
      if (holder) throw new Error(`the plugin id '${id}' is already taken by ${holder}`);
      taken.set(id, describePlugin(entry, pkg));
      const pluginConfig = validatePluginConfig(entry, pkg);
      const definition = pkg.manifest.backend ? await importBackend(entry, pkg) : undefined;
      loaded.push({ entry, package: pkg, definition, pluginConfig });
      options.logger?.info(`Plugin ${describePlugin(entry, pkg)} is ready`, {
        folder: pkg.folder,
        integrity: pkg.integrity,
      });
    } catch (error) {
      throw new PluginLoadError(entry, pkg, error);
    }
  }
  return loaded;
}

export class PluginLoadError extends Error {
  constructor(entry: PluginEntryConfig, pkg: InstalledPackage | undefined, cause: unknown) {
    const message = cause instanceof Error ? cause.message : String(cause);
    super(`Cannot load plugin ${describePlugin(entry, pkg)}: ${message}`, { cause });
    this.name = 'PluginLoadError';
  }
}

async function importBackend(
  entry: PluginEntryConfig,
  pkg: InstalledPackage,
): Promise<PluginDefinition> {
  const { manifest } = pkg;
  (globalThis as Record<symbol, unknown>)[PLUGIN_API_GLOBAL] = publicApi;
  const file = join(pkg.folder, manifest.backend!);
  let module: { default?: unknown };
  try {
    // The integrity (or the path) in the URL: a new build of a plugin is a new module, not the
    // one cached from an earlier load in this process.
    const url = pathToFileURL(file);
    url.search = `?v=${encodeURIComponent(pkg.integrity ?? manifest.version)}`;
    module = await import(url.href);
  } catch (error) {
    throw new Error(`its backend ${manifest.backend} failed to load: ${(error as Error).message}`);
  }
  const plugin = module.default as Partial<PluginDefinition> | undefined;
  if (!plugin || typeof plugin !== 'object' || typeof plugin.setup !== 'function') {
    throw new Error(
      `its backend ${manifest.backend} must export default definePlugin({ id, setup, … }) from @atrium/plugin-api`,
    );
  }
  if (plugin.id !== manifest.id) {
    throw new Error(
      `its backend's plugin id is '${String(plugin.id)}', but package.json says atrium.id '${manifest.id}'`,
    );
  }
  const definition = plugin as PluginDefinition;
  const who = describePlugin(entry, pkg);
  return {
    ...definition,
    async setup(env: PluginEnvironment) {
      try {
        await definition.setup(env);
      } catch (error) {
        throw new Error(
          `Plugin ${who} failed to set up: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
    },
  };
}
