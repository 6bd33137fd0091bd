import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PluginEntryConfig } from '../../../core/config/index.ts';
import {
  createSchemaAjv,
  toValidationErrors,
} from '../../scaffolder/server/validation/json-schema.ts';
import type { InstalledPackage } from './packages.ts';

/**
 * A `plugins:` entry's `config`, checked against the JSON Schema the package declares, with the
 * schema's defaults filled in: what the plugin gets as `env.pluginConfig`. Errors name the key
 * as written in the config and the plugin: `plugins[2].config.channel: must be string (plugin
 * links-oncall)`.
 */
export function validatePluginConfig(entry: PluginEntryConfig, pkg: InstalledPackage): unknown {
  const { manifest } = pkg;
  const root = `${entry.key}.config`;
  if (!manifest.configSchema) {
    if (entry.config === undefined) return undefined;
    throw new Error(
      `${root}: plugin ${manifest.id} (${manifest.name}@${manifest.version}) declares no configSchema in its package.json, so it takes no config`,
    );
  }
  const file = join(pkg.folder, manifest.configSchema);
  let schema: unknown;
  try {
    schema = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(
      `Plugin ${manifest.id} (${manifest.name}@${manifest.version}): its configSchema ${file} is not valid JSON: ${(error as Error).message}`,
    );
  }
  let validate: ReturnType<ReturnType<typeof createSchemaAjv>['compile']>;
  try {
    validate = createSchemaAjv({ useDefaults: true }).compile(schema as object);
  } catch (error) {
    throw new Error(
      `Plugin ${manifest.id} (${manifest.name}@${manifest.version}): its configSchema ${file} is not a valid JSON Schema: ${(error as Error).message}`,
    );
  }
  const value = structuredClone(entry.config ?? {});
  if (validate(value)) return value;
  const lines = toValidationErrors(validate.errors, root).map((e) => {
    const field = e.field ?? root;
    return `${field}: ${e.message.slice(field.length).trim()} (plugin ${manifest.id})`;
  });
  throw new Error(lines.join('\n'));
}
