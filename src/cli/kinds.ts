import type { AtriumConfig } from '../core/config/index.ts';
import { toKindDefinitions } from '../core/config/index.ts';
import { createKindRegistry, type KindDefinition, type KindRegistry } from '../model/index.ts';
import { scorecardKind } from '../plugins/scorecards/common/kind.ts';

/**
 * Kinds that built-in plugins contribute to the catalog (through `catalog.kinds`). The CLI
 * starts no plugins, so it lists them here to accept the same files as the server.
 */
export const PLUGIN_KINDS: readonly KindDefinition[] = [scorecardKind];

/** The kinds a CLI command accepts: built-in, plugin-contributed and configured ones. */
export function cliKindRegistry(config: AtriumConfig): KindRegistry {
  return createKindRegistry([...toKindDefinitions(config.catalog.kinds), ...PLUGIN_KINDS]);
}
