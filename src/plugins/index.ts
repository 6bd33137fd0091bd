import type { AtriumConfig } from '../core/config/index.ts';
import type { Logger } from '../core/logger.ts';
import type { PluginDefinition } from '../core/plugin-api.ts';
import { auditPlugin } from './audit/server/plugin.ts';
import { authPlugin } from './auth/server/plugin.ts';
import { catalogPlugin } from './catalog/server/plugin.ts';
import { eventsPlugin } from './events/server/plugin.ts';
import { mcpPlugin } from './mcp/server/plugin.ts';
import { notificationsPlugin } from './notifications/server/plugin.ts';
import { permissionPlugin } from './permission/server/plugin.ts';
import { type ExternalPlugin, loadExternalPlugins } from './plugin-manager/server/load.ts';
import { pluginManagerPlugin } from './plugin-manager/server/plugin.ts';
import { searchPlugin } from './search/server/plugin.ts';
import { scaffolderPlugin } from './scaffolder/server/plugin.ts';
import { scorecardsDemoPlugin } from './scorecards/server/demo-seed.ts';
import { scorecardsPlugin } from './scorecards/server/plugin.ts';
import { techdocsPlugin } from './techdocs/server/plugin.ts';

/**
 * The plugins `atrium start` installs, in order (a plugin follows those it depends on): the
 * built-in ones, then the external ones `plugins:` lists (see {@link appPlugins}).
 */
export function installedPlugins(external: ExternalPlugin[] = []): PluginDefinition[] {
  // The audit log first: its recorder must exist before any other plugin records events.
  const builtins: PluginDefinition[] = [
    auditPlugin(),
    // Before the catalog: the policy is in force before the catalog's start hook ingests.
    permissionPlugin(),
    // Before the catalog: its discovery providers subscribe to verified webhook deliveries.
    eventsPlugin(),
    catalogPlugin(),
    authPlugin(),
    searchPlugin(),
    scaffolderPlugin(),
    // After the scaffolder: it contributes `notification:send` to the scaffolder's actions.
    notificationsPlugin(),
    techdocsPlugin(),
    scorecardsPlugin(),
    // Does nothing unless scorecards.demoSeed names a seed file (the demo's app-config does).
    scorecardsDemoPlugin(),
    mcpPlugin(),
    pluginManagerPlugin({ builtinIds: () => builtins.map((p) => p.id), external }),
  ];
  return [...builtins, ...external.flatMap((p) => (p.definition ? [p.definition] : []))];
}

/**
 * What `atrium start` hands to `createApp`: the built-in plugins, then those `plugins:` lists,
 * each fetched, checked and imported first (a failure throws, naming the plugin), with their
 * validated settings for `env.pluginConfig`.
 */
export async function appPlugins(
  config: AtriumConfig,
  logger?: Logger,
): Promise<{
  plugins: PluginDefinition[];
  pluginConfig: Map<string, unknown>;
}> {
  const builtinIds = installedPlugins().map((p) => p.id);
  const external = await loadExternalPlugins(config.plugins, { builtinIds, logger });
  return {
    plugins: installedPlugins(external),
    pluginConfig: new Map(external.map((p) => [p.package.manifest.id, p.pluginConfig])),
  };
}
