import type { PluginDefinition } from '../core/plugin-api.ts';
import { auditPlugin } from './audit/server/plugin.ts';
import { authPlugin } from './auth/server/plugin.ts';
import { catalogPlugin } from './catalog/server/plugin.ts';
import { permissionPlugin } from './permission/server/plugin.ts';
import { searchPlugin } from './search/server/plugin.ts';
import { scaffolderPlugin } from './scaffolder/server/plugin.ts';
import { scorecardsDemoPlugin } from './scorecards/server/demo-seed.ts';
import { scorecardsPlugin } from './scorecards/server/plugin.ts';
import { techdocsPlugin } from './techdocs/server/plugin.ts';

/** The plugins `atrium start` installs, in order (a plugin follows those it depends on). */
export function installedPlugins(): PluginDefinition[] {
  // The audit log first: its recorder must exist before any other plugin records events.
  return [
    auditPlugin(),
    // Before the catalog: the policy is in force before the catalog's start hook ingests.
    permissionPlugin(),
    catalogPlugin(),
    authPlugin(),
    searchPlugin(),
    scaffolderPlugin(),
    techdocsPlugin(),
    scorecardsPlugin(),
    // Does nothing unless scorecards.demoSeed names a seed file (the demo's app-config does).
    scorecardsDemoPlugin(),
  ];
}
