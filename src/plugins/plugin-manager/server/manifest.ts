import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { valid as validSemver } from 'semver';

/** The `atrium` field of a plugin package's package.json, with the package's name and version. */
export interface PluginManifest {
  /** npm package name. */
  name: string;
  version: string;
  /** The plugin id: routes under `/api/<id>`, the backend's `definePlugin` id. */
  id: string;
  /** PLUGIN_API_VERSION the plugin was built against. */
  apiVersion: string;
  /** Backend bundle (ES module), relative to the package folder. */
  backend?: string;
  /** Web bundle (ES module), relative to the package folder. */
  web?: string;
  /** JSON Schema of the plugin's `config`, relative to the package folder. */
  configSchema?: string;
}

/** Same rule as `definePlugin`'s, so a manifest id can always be a plugin id. */
const PLUGIN_ID = /^[a-z][a-z0-9-]{0,62}$/;

/**
 * Reads and checks `<folder>/package.json`. Every problem is named by file and field, all at
 * once, so one fix-and-retry is enough.
 */
export function readManifest(folder: string): PluginManifest {
  const file = join(folder, 'package.json');
  if (!existsSync(file)) {
    throw new Error(`${file} does not exist: a plugin package has a package.json at its root`);
  }
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const problems: string[] = [];
  const name = typeof pkg.name === 'string' && pkg.name ? pkg.name : undefined;
  if (!name) problems.push('name: must be the package name');
  const version =
    typeof pkg.version === 'string' && validSemver(pkg.version) ? pkg.version : undefined;
  if (!version) problems.push('version: must be a semver version such as 1.2.0');
  const atrium = pkg.atrium;
  if (!atrium || typeof atrium !== 'object' || Array.isArray(atrium)) {
    problems.push(
      'atrium: missing; a plugin package declares {id, apiVersion, backend?, web?, configSchema?} there (atrium plugin build writes it)',
    );
    throw new Error(`${file} is not an Atrium plugin package:\n  ${problems.join('\n  ')}`);
  }
  const a = atrium as Record<string, unknown>;
  const id = typeof a.id === 'string' && PLUGIN_ID.test(a.id) ? a.id : undefined;
  if (!id) {
    problems.push(
      `atrium.id: must be a plugin id (lowercase letters, digits and '-', starting with a letter), got ${JSON.stringify(a.id)}`,
    );
  }
  const apiVersion =
    typeof a.apiVersion === 'string' && validSemver(a.apiVersion) ? a.apiVersion : undefined;
  if (!apiVersion) {
    problems.push(
      `atrium.apiVersion: must be the plugin API version it was built against (semver, e.g. 1.0.0), got ${JSON.stringify(a.apiVersion)}`,
    );
  }
  const paths: Partial<Record<'backend' | 'web' | 'configSchema', string>> = {};
  for (const key of ['backend', 'web', 'configSchema'] as const) {
    const value = a[key];
    if (value === undefined) continue;
    const problem = checkInside(folder, value);
    if (problem) problems.push(`atrium.${key}: ${problem}`);
    else paths[key] = value as string;
  }
  if (a.backend === undefined && a.web === undefined) {
    problems.push('atrium: names neither a backend nor a web bundle (at least one is needed)');
  }
  if (problems.length || !name || !version || !id || !apiVersion) {
    throw new Error(`${file} is not a valid Atrium plugin package:\n  ${problems.join('\n  ')}`);
  }
  return { name, version, id, apiVersion, ...paths };
}

/** Why `value` is not a relative path to a file inside `folder`, or undefined when it is. */
function checkInside(folder: string, value: unknown): string | undefined {
  if (typeof value !== 'string' || !value) return 'must be a path relative to the package';
  if (isAbsolute(value)) return `must be relative to the package, got ${value}`;
  const full = resolve(folder, value);
  const rel = relative(folder, full);
  if (rel.startsWith('..') || isAbsolute(rel)) return `${value} is outside the package`;
  if (!existsSync(full) || !statSync(full).isFile()) {
    return `${value} does not exist in the package (was it built? atrium plugin build writes dist/)`;
  }
  return undefined;
}
