/**
 * The modules the web app shares with external plugins' bundles, and the global that holds
 * them. The shell (src/web/shared-modules.ts) fills the global; `atrium plugin build`
 * (src/cli/plugin-shims.ts) turns a plugin's imports of these names into reads of it, so a
 * plugin uses the shell's one React (hooks work) and never bundles a second copy.
 */

/** `globalThis[Symbol.for(SHARED_MODULES_GLOBAL)]`: name → module namespace. */
export const SHARED_MODULES_GLOBAL = 'atrium.shared-modules';

/** The web plugin API's name in a plugin's imports (src/web/plugin-api.ts in the host). */
export const WEB_PLUGIN_API_MODULE = '@atrium/web-plugin-api';

/** Every shared module name, exactly as a plugin imports it. */
export const WEB_SHARED_MODULES = [
  'react',
  'react/jsx-runtime',
  'react-dom',
  'react-router-dom',
  '@tanstack/react-query',
  WEB_PLUGIN_API_MODULE,
] as const;

export type WebSharedModuleName = (typeof WEB_SHARED_MODULES)[number];
