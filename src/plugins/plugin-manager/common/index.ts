/**
 * What the plugin manager's server and web sides share: the plugin API version and the shape
 * of `GET /api/plugins`.
 */

/**
 * The version of the stable server plugin API (`src/plugins/public-api.ts`, semver). A plugin
 * built against another major, or a newer minor or patch, is refused at start.
 */
export const PLUGIN_API_VERSION = '1.1.0';

/** One plugin as `GET /api/plugins` lists it (the answer is an array of these). */
export interface PluginInfo {
  id: string;
  /** Compiled into Atrium (catalog, scaffolder, …) rather than listed under `plugins:`. */
  builtin: boolean;
  /** npm package name (`atrium` for built-ins). */
  package: string;
  version: string;
  /** The `plugins:` entry's `package` as written; `built-in` for built-ins. */
  source: string;
  /** Where the package is, relative to the app's working directory; null for built-ins. */
  location: string | null;
  /** The tarball's SRI hash (`sha512-…`); null for folders and built-ins. */
  integrity: string | null;
  /** Plugin API version it was built against. */
  apiVersion: string;
  /** Whether it has a backend part (routes, extensions). */
  backend: boolean;
  /** URL (path on this server) of its web bundle, to `import()`; null when it has none. */
  webUrl: string | null;
}

/** Reading the plugin list and loading plugins' web bundles; open to every signed-in user. */
export const PLUGIN_LIST_READ_PERMISSION = 'plugins.list.read';
