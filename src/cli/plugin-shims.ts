import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { ROOT } from '../../bin/build.mjs';
import {
  SHARED_MODULES_GLOBAL,
  WEB_PLUGIN_API_MODULE,
  WEB_SHARED_MODULES,
} from '../plugins/plugin-manager/common/web-shared-modules.ts';

/**
 * The modules a plugin bundle takes from the host instead of bundling them: `atrium plugin
 * build` resolves these names to shims that read a global the host sets, with the named
 * exports of the host's real module, enumerated here at build time (never a list kept by hand,
 * so a new export of the API reaches plugins built afterwards).
 */

/** The server plugin API's name in a plugin's imports (src/plugins/public-api.ts in the host). */
export const PLUGIN_API_MODULE = '@atrium/plugin-api';
/** `globalThis[Symbol.for(PLUGIN_API_GLOBAL)]`: the namespace of src/plugins/public-api.ts. */
export const PLUGIN_API_GLOBAL = 'atrium.plugin-api';

/** The host's web plugin API, whose exports the web shim re-exports. */
export const WEB_PLUGIN_API_FILE = join(ROOT, 'src/web/plugin-api.ts');
/** The host's server plugin API, for the scaffold's tsconfig. */
export const PLUGIN_API_FILE = join(ROOT, 'src/plugins/public-api.ts');

/** The server API itself: its namespace (the shim's names) and PLUGIN_API_VERSION. */
export async function hostPluginApi(): Promise<Record<string, unknown>> {
  return (await import('../plugins/public-api.ts')) as unknown as Record<string, unknown>;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const RESERVED = new Set(
  'await break case catch class const continue debugger default delete do else enum export extends false finally for function if implements import in instanceof interface let new null package private protected public return static super switch this throw true try typeof var void while with yield'.split(
    ' ',
  ),
);
/** The local holding the global's module: a name no module exports. */
const HOLDER = '__atriumShared';
const PICK = '__atriumPick';

/**
 * An ES module that re-exports `names` from the object `expression` evaluates to, and as its
 * default the object's `default` (CommonJS React) or the object itself. Throws at import,
 * with `missing` as the message, when the object is absent (the bundle runs outside Atrium).
 */
export function shimSource(expression: string, names: string[], missing: string): string {
  const exported = [...new Set(names)]
    .filter((n) => IDENTIFIER.test(n) && !RESERVED.has(n) && n !== HOLDER && n !== PICK)
    .sort();
  // Pure calls, so that a minified bundle keeps only the names it uses.
  return [
    `const ${HOLDER} = ${expression};`,
    `if (${HOLDER} == null) throw new Error(${JSON.stringify(missing)});`,
    `function ${PICK}(name) { return ${HOLDER}[name]; }`,
    ...exported.map((n) => `export const ${n} = /* @__PURE__ */ ${PICK}(${JSON.stringify(n)});`),
    `export default /* @__PURE__ */ (() => (${HOLDER}.default !== undefined ? ${HOLDER}.default : ${HOLDER}))();`,
    '',
  ].join('\n');
}

const globalRead = (key: string) => `globalThis[Symbol.for(${JSON.stringify(key)})]`;

/** The backend's one shim: `@atrium/plugin-api` → the host's public-api.ts namespace. */
export async function backendShims(): Promise<Map<string, string>> {
  const names = Object.keys(await hostPluginApi());
  return new Map([
    [
      PLUGIN_API_MODULE,
      shimSource(
        globalRead(PLUGIN_API_GLOBAL),
        names,
        `${PLUGIN_API_MODULE} is provided by Atrium when it loads this plugin (globalThis[Symbol.for('${PLUGIN_API_GLOBAL}')] is not set): list the plugin under plugins: in app-config.yaml`,
      ),
    ],
  ]);
}

/** Export names of a TypeScript module, from esbuild's analysis (type-only exports are gone). */
async function moduleExportNames(file: string): Promise<string[]> {
  const { metafile } = await build({
    entryPoints: [file],
    bundle: true,
    packages: 'external',
    platform: 'browser',
    format: 'esm',
    jsx: 'automatic',
    write: false,
    metafile: true,
    outdir: join(ROOT, 'dist/.plugin-api-exports'),
    logLevel: 'silent',
  });
  return Object.values(metafile.outputs).flatMap((output) => output.exports);
}

/** The web shims: each shared module → a read of the shell's shared-modules global. */
export async function webShims(): Promise<Map<string, string>> {
  const shims = new Map<string, string>();
  for (const name of WEB_SHARED_MODULES) {
    const names =
      name === WEB_PLUGIN_API_MODULE
        ? await moduleExportNames(WEB_PLUGIN_API_FILE)
        : Object.keys(await import(name));
    shims.set(
      name,
      shimSource(
        `${globalRead(SHARED_MODULES_GLOBAL)}?.[${JSON.stringify(name)}]`,
        names,
        `${name} is provided by Atrium's web app (globalThis[Symbol.for('${SHARED_MODULES_GLOBAL}')] is not set): this bundle runs only inside Atrium`,
      ),
    );
  }
  // react-router-dom re-exports all of react-router: one router, so hooks see the shell's.
  shims.set('react-router', shims.get('react-router-dom')!);
  return shims;
}

/** Why a bare import may not be bundled on this side, or undefined when it may. */
function refusal(side: 'backend' | 'web', path: string): string | undefined {
  if (side === 'backend') {
    if (path === WEB_PLUGIN_API_MODULE)
      return `${WEB_PLUGIN_API_MODULE} is the web plugin API: import it from the web entry (src/web.tsx), and ${PLUGIN_API_MODULE} here`;
    return undefined;
  }
  if (path === PLUGIN_API_MODULE)
    return `${PLUGIN_API_MODULE} is the server plugin API: import it from the backend entry (src/backend.ts), and ${WEB_PLUGIN_API_MODULE} here`;
  const shared = WEB_SHARED_MODULES.find((name) => path.startsWith(`${name}/`));
  if (shared)
    return `'${path}' is not shared with plugins, and a second copy of ${shared} would not work with the app's: import from '${shared}' (shared: ${WEB_SHARED_MODULES.join(', ')})`;
  return undefined;
}

/** The esbuild plugin that swaps shared modules for their shims and refuses the wrong side's. */
export function sharedModulesPlugin(side: 'backend' | 'web', shims: Map<string, string>): Plugin {
  return {
    name: 'atrium-shared-modules',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^[^./]/ }, (args) => {
        if (shims.has(args.path)) return { path: args.path, namespace: 'atrium-shared' };
        const why = refusal(side, args.path);
        return why ? { errors: [{ text: why }] } : undefined;
      });
      pluginBuild.onLoad({ filter: /.*/, namespace: 'atrium-shared' }, (args) => ({
        contents: shims.get(args.path)!,
        loader: 'js',
      }));
    },
  };
}
