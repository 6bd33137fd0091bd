import type { PluginDefinition } from '../core/plugin-api.ts';
import { catalogPlugin } from './catalog/server/plugin.ts';
import { searchPlugin } from './search/server/plugin.ts';
import { scaffolderPlugin } from './scaffolder/server/plugin.ts';
import { techdocsPlugin } from './techdocs/server/plugin.ts';

/** The plugins `atrium start` installs, in order (a plugin follows those it depends on). */
export function installedPlugins(): PluginDefinition[] {
  return [catalogPlugin(), searchPlugin(), scaffolderPlugin(), techdocsPlugin()];
}
