import { lte, major, valid } from 'semver';
import { PLUGIN_API_VERSION } from '../common/index.ts';
import type { PluginManifest } from './manifest.ts';

/**
 * Whether a plugin built against `needed` runs on a host providing `present`: the same major
 * (a major changes or removes something), and not newer (a newer minor may use what this host
 * does not have yet).
 */
export function isCompatible(needed: string, present = PLUGIN_API_VERSION): boolean {
  return (
    valid(needed) !== null &&
    valid(present) !== null &&
    major(needed) === major(present) &&
    lte(needed, present)
  );
}

/** Why the plugin cannot run here, naming it, the API version it needs and the one present. */
export function incompatibility(
  manifest: PluginManifest,
  present = PLUGIN_API_VERSION,
): string | undefined {
  if (isCompatible(manifest.apiVersion, present)) return undefined;
  const why =
    valid(manifest.apiVersion) && major(manifest.apiVersion) !== major(present)
      ? 'a different major version'
      : 'newer than this Atrium';
  return `Plugin ${manifest.id} (${manifest.name}@${manifest.version}) needs plugin API ${manifest.apiVersion}, but this Atrium provides plugin API ${present} (${why}; a plugin runs on the same major version, not newer)`;
}
