import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv } from 'ajv';
import { build, type BuildFailure, type Message, type Plugin } from 'esbuild';
import {
  backendShims,
  hostPluginApi,
  PLUGIN_API_GLOBAL,
  sharedModulesPlugin,
  webShims,
} from './plugin-shims.ts';

/**
 * `atrium plugin build [dir]`: bundles a plugin package into what `plugins:` loads —
 * dist/backend.mjs (Node, ESM) and dist/web.mjs (browser, ESM) with the package's own npm
 * dependencies inside and the host's shared modules replaced by shims — and stamps
 * `atrium.apiVersion` (the host's PLUGIN_API_VERSION) into its package.json.
 */

/** What `plugin build` accepts as an id: the rule of definePlugin. */
const PLUGIN_ID = /^[a-z][a-z0-9-]{0,62}$/;
const BACKEND_SOURCES = ['src/backend.ts', 'src/backend.tsx', 'src/backend.js', 'src/backend.mjs'];
const WEB_SOURCES = ['src/web.tsx', 'src/web.ts', 'src/web.jsx', 'src/web.js'];
export const BACKEND_OUT = 'dist/backend.mjs';
export const WEB_OUT = 'dist/web.mjs';

export interface PluginBuildResult {
  id: string;
  apiVersion: string;
  /** Paths relative to the package, of the bundles built. */
  backend?: string;
  web?: string;
}

/** A build that cannot go on: the message names the file (and line) at fault. */
export class PluginBuildError extends Error {}

interface Manifest {
  id?: unknown;
  apiVersion?: unknown;
  backend?: unknown;
  web?: unknown;
  configSchema?: unknown;
  [key: string]: unknown;
}

function readPackage(dir: string): { file: string; pkg: Record<string, unknown> } {
  const file = join(dir, 'package.json');
  if (!existsSync(file))
    throw new PluginBuildError(
      `${file}: not found; a plugin is an npm package (atrium plugin new <name> makes one)`,
    );
  let pkg: unknown;
  try {
    pkg = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new PluginBuildError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof pkg !== 'object' || pkg === null || Array.isArray(pkg))
    throw new PluginBuildError(`${file}: must hold a JSON object`);
  return { file, pkg: pkg as Record<string, unknown> };
}

function manifestOf(file: string, pkg: Record<string, unknown>): Manifest & { id: string } {
  const atrium = pkg.atrium as Manifest | undefined;
  if (typeof atrium !== 'object' || atrium === null || Array.isArray(atrium))
    throw new PluginBuildError(
      `${file}: atrium: missing; a plugin's package.json declares { "atrium": { "id": "<plugin id>" } }`,
    );
  if (typeof atrium.id !== 'string' || !PLUGIN_ID.test(atrium.id))
    throw new PluginBuildError(
      `${file}: atrium.id: must be a plugin id (lowercase letters, digits and '-', starting with a letter), got ${JSON.stringify(atrium.id)}`,
    );
  return atrium as Manifest & { id: string };
}

function checkConfigSchema(dir: string, file: string, manifest: Manifest): void {
  if (manifest.configSchema === undefined) return;
  if (typeof manifest.configSchema !== 'string')
    throw new PluginBuildError(
      `${file}: atrium.configSchema: must be a path to a JSON Schema file`,
    );
  const schemaFile = join(dir, manifest.configSchema);
  if (!existsSync(schemaFile))
    throw new PluginBuildError(`${file}: atrium.configSchema: ${schemaFile} does not exist`);
  let schema: unknown;
  try {
    schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
  } catch (error) {
    throw new PluginBuildError(`${schemaFile}: not valid JSON (${(error as Error).message})`);
  }
  try {
    new Ajv({ strict: false }).compile(schema as object);
  } catch (error) {
    throw new PluginBuildError(
      `${schemaFile}: not a valid JSON Schema: ${(error as Error).message}`,
    );
  }
}

const firstExisting = (dir: string, candidates: string[]) =>
  candidates.find((c) => existsSync(join(dir, c)));

/** esbuild's errors as `file:line:column: message` lines. */
function describeFailure(dir: string, error: unknown): Error {
  const errors = (error as Partial<BuildFailure>).errors;
  if (!Array.isArray(errors) || !errors.length) return error as Error;
  const line = (m: Message) => {
    const at = m.location
      ? `${relative(dir, resolve(dir, m.location.file))}:${m.location.line}:${m.location.column + 1}: `
      : '';
    return `${at}${m.text}`;
  };
  return new PluginBuildError(errors.map(line).join('\n'));
}

/** CSS a web entry imports, added to the page as a style element when the bundle loads. */
const cssAsStyleElement: Plugin = {
  name: 'atrium-css-style-element',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /\.css$/ }, (args) => ({
      contents: `const style = document.createElement('style');\nstyle.textContent = ${JSON.stringify(readFileSync(args.path, 'utf8'))};\ndocument.head.append(style);\n`,
      loader: 'js',
    }));
  },
};

async function buildBackend(dir: string, entry: string): Promise<void> {
  await build({
    absWorkingDir: dir,
    entryPoints: [join(dir, entry)],
    outfile: join(dir, BACKEND_OUT),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'silent',
    // Bundled CommonJS dependencies call require() for Node's own modules.
    banner: {
      js: "import { createRequire as __atriumCreateRequire } from 'node:module';\nconst require = __atriumCreateRequire(import.meta.url);",
    },
    plugins: [sharedModulesPlugin('backend', await backendShims())],
  });
}

async function buildWeb(dir: string, entry: string): Promise<void> {
  await build({
    absWorkingDir: dir,
    entryPoints: { web: join(dir, entry) },
    outdir: join(dir, 'dist'),
    outExtension: { '.js': '.mjs' },
    // Lazy imports of the plugin become files beside web.mjs, which the server serves too.
    splitting: true,
    chunkNames: 'web-chunks/[name]-[hash]',
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    minify: true,
    sourcemap: 'linked',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
    plugins: [sharedModulesPlugin('web', await webShims()), cssAsStyleElement],
  });
}

/** Imports the built backend as the host will, and checks its default export. */
async function checkBackend(dir: string, id: string, api: Record<string, unknown>): Promise<void> {
  const key = Symbol.for(PLUGIN_API_GLOBAL);
  const scope = globalThis as Record<symbol, unknown>;
  scope[key] ??= api;
  const file = join(dir, BACKEND_OUT);
  let exported: unknown;
  try {
    const url = `${pathToFileURL(file).href}?build=${statSync(file).mtimeMs}`;
    exported = ((await import(url)) as { default?: unknown }).default;
  } catch (error) {
    throw new PluginBuildError(`${BACKEND_OUT}: importing it failed: ${(error as Error).message}`);
  }
  const plugin = exported as { id?: unknown; setup?: unknown } | undefined;
  if (typeof plugin !== 'object' || plugin === null || typeof plugin.setup !== 'function')
    throw new PluginBuildError(
      `${BACKEND_OUT}: the default export must be a plugin: export default definePlugin({ id: '${id}', setup(env) { … } })`,
    );
  if (plugin.id !== id)
    throw new PluginBuildError(
      `${BACKEND_OUT}: the plugin's id is ${JSON.stringify(plugin.id)}; package.json's atrium.id says '${id}'`,
    );
}

/** Builds the plugin package in `dir`. Throws PluginBuildError naming the file at fault. */
export async function buildPlugin(dirArgument: string): Promise<PluginBuildResult> {
  const dir = resolve(dirArgument);
  const { file, pkg } = readPackage(dir);
  const manifest = manifestOf(file, pkg);
  checkConfigSchema(dir, file, manifest);
  const backend = firstExisting(dir, BACKEND_SOURCES);
  const web = firstExisting(dir, WEB_SOURCES);
  if (!backend && !web)
    throw new PluginBuildError(
      `${dir}: no entry to build: a plugin has ${BACKEND_SOURCES[0]} (server side), ${WEB_SOURCES[0]} (web side), or both`,
    );
  const api = await hostPluginApi();
  const apiVersion = api.PLUGIN_API_VERSION as string;

  rmSync(join(dir, 'dist'), { recursive: true, force: true });
  try {
    if (backend) await buildBackend(dir, backend);
    if (web) await buildWeb(dir, web);
  } catch (error) {
    throw describeFailure(dir, error);
  }
  if (backend) await checkBackend(dir, manifest.id, api);

  // The manifest says what was built, against which API; rewritten only when that changed.
  const stamped: Manifest = { ...manifest, apiVersion };
  if (backend) stamped.backend = BACKEND_OUT;
  else delete stamped.backend;
  if (web) stamped.web = WEB_OUT;
  else delete stamped.web;
  const text = `${JSON.stringify({ ...pkg, atrium: stamped }, null, 2)}\n`;
  if (text !== readFileSync(file, 'utf8')) writeFileSync(file, text);
  return {
    id: manifest.id,
    apiVersion,
    ...(backend ? { backend: BACKEND_OUT } : {}),
    ...(web ? { web: WEB_OUT } : {}),
  };
}

const size = (file: string) => `${(statSync(file).size / 1024).toFixed(1)} kB`;

/** The command: prints what it built, or the error; returns the exit code. */
export async function pluginBuildCommand(dir = '.'): Promise<number> {
  try {
    const result = await buildPlugin(dir);
    const root = resolve(dir);
    const built = [result.backend, result.web]
      .filter((f): f is string => Boolean(f))
      .map((f) => `${f} (${size(join(root, f))})`);
    process.stdout.write(
      `Built plugin ${result.id}: ${built.join(', ')}; atrium.apiVersion ${result.apiVersion}\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`atrium plugin build: ${(error as Error).message}\n`);
    return 1;
  }
}
