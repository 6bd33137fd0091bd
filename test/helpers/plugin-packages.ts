/**
 * Tiny external plugin packages for tests of the loader: hand-written ES modules that take
 * `definePlugin` from `globalThis[Symbol.for('atrium.plugin-api')]`, as a bundle made by
 * `atrium plugin build` does, packed into real tarballs by `npm pack`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PluginPackageOptions {
  id: string;
  /** npm name; default `@test/atrium-plugin-<id>`. */
  name?: string;
  version?: string;
  apiVersion?: string;
  /**
   * The backend module's text; default: {@link helloBackend}. `null` for a web-only package.
   */
  backend?: string | null;
  /** Web files by path under dist/ (the first is the entry); default a one-line module. */
  web?: Record<string, string> | null;
  /** JSON Schema of the plugin's config. */
  configSchema?: object;
  /** Overrides of the `atrium` field, written as they are (for broken manifests). */
  atrium?: Record<string, unknown>;
}

/**
 * A backend with `GET /greeting` (its own read permission; answers who called and the plugin's
 * config), `POST /notes` and `DELETE /notes/:id` (create and delete permissions), and checks
 * that the API it was handed is the host's (`instanceof` across the boundary).
 */
export function helloBackend(id: string, setupExtra = ''): string {
  return `const api = globalThis[Symbol.for('atrium.plugin-api')];
if (!api) throw new Error('the host did not provide @atrium/plugin-api');
const { definePlugin, NotFoundError } = api;
const noQuery = { type: 'object', properties: {}, additionalProperties: false };
export default definePlugin({
  id: ${JSON.stringify(id)},
  async setup(env) {
    ${setupExtra}
    env.route({
      method: 'GET',
      url: '/greeting',
      permission: { name: '${id}.greeting.read', attributes: { action: 'read' } },
      schema: { querystring: noQuery },
      async handler(_request, _reply, ctx) {
        return {
          hello: ctx.identity.userEntityRef,
          config: env.pluginConfig ?? null,
          apiVersion: api.PLUGIN_API_VERSION,
          sharedErrors: new NotFoundError('x') instanceof api.AtriumError,
        };
      },
    });
    env.route({
      method: 'POST',
      url: '/notes',
      permission: { name: '${id}.note.create', attributes: { action: 'create' } },
      schema: { body: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } },
      async handler(request, reply) {
        reply.code(201);
        return { text: request.body.text };
      },
    });
    env.route({
      method: 'DELETE',
      url: '/notes/:id',
      permission: { name: '${id}.note.delete', attributes: { action: 'delete' } },
      schema: { params: { type: 'object', properties: { id: { type: 'string' } } } },
      async handler(_request, reply) {
        reply.code(204);
      },
    });
  },
});
`;
}

/** Writes a plugin package folder `<parent>/<id>` and returns it. */
export function makePluginPackage(parent: string, options: PluginPackageOptions): string {
  const folder = join(parent, options.id);
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(folder, path)), { recursive: true });
    writeFileSync(join(folder, path), text);
  };
  const atrium: Record<string, unknown> = {
    id: options.id,
    apiVersion: options.apiVersion ?? '1.0.0',
  };
  if (options.backend !== null) {
    write('dist/backend.mjs', options.backend ?? helloBackend(options.id));
    atrium.backend = 'dist/backend.mjs';
  }
  const web =
    options.web === undefined
      ? {
          'web.mjs': `import { label } from './chunk.mjs';\nexport default { id: ${JSON.stringify(options.id)}, label };\n`,
          'chunk.mjs': `export const label = 'from ${options.id}';\n`,
        }
      : options.web;
  if (web) {
    for (const [path, text] of Object.entries(web)) write(`dist/${path}`, text);
    atrium.web = `dist/${Object.keys(web)[0]}`;
  }
  if (options.configSchema) {
    write('config.schema.json', JSON.stringify(options.configSchema, null, 2));
    atrium.configSchema = 'config.schema.json';
  }
  write(
    'package.json',
    JSON.stringify(
      {
        name: options.name ?? `@test/atrium-plugin-${options.id}`,
        version: options.version ?? '1.0.0',
        type: 'module',
        files: ['dist', 'config.schema.json'],
        atrium: { ...atrium, ...options.atrium },
      },
      null,
      2,
    ),
  );
  return folder;
}

/** `npm pack` of a folder into `into`: the tarball's path and npm's own integrity for it. */
export async function npmPack(
  folder: string,
  into: string,
): Promise<{ file: string; integrity: string }> {
  mkdirSync(into, { recursive: true });
  const { stdout } = await run(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', into],
    { cwd: folder },
  );
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; integrity: string }>;
  return { file: join(into, packed!.filename), integrity: packed!.integrity };
}
