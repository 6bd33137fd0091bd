import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { NotFoundError } from '../../../core/errors.ts';
import type { Permission, PluginEnvironment } from '../../../core/plugin-api.ts';
import {
  PLUGIN_API_VERSION,
  PLUGIN_LIST_READ_PERMISSION,
  type PluginInfo,
} from '../common/index.ts';
import type { ExternalPlugin } from './load.ts';
import { buildTag, webContentType, webFile } from './web-files.ts';

export const pluginListRead: Permission = {
  name: PLUGIN_LIST_READ_PERMISSION,
  attributes: { action: 'read' },
};

const PLUGIN_ID = { type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}$' } as const;

export interface PluginRoutesOptions {
  /** Ids of the built-in plugins, in install order. */
  builtinIds: () => string[];
  external: ExternalPlugin[];
  /** Atrium's own version, shown for built-ins. */
  hostVersion: string;
}

/** Where a plugin's web bundle is served from, and the tag that busts caches when it changes. */
function webOf(plugin: ExternalPlugin) {
  const { manifest, folder, source } = plugin.package;
  if (!manifest.web) return undefined;
  // A folder can be rebuilt in place under the same version: no tag, so no long caching.
  const tag =
    source.kind === 'folder' || !plugin.package.integrity
      ? undefined
      : buildTag(manifest.version, plugin.package.integrity);
  const url = `/api/plugins/${manifest.id}/web/${encodeURIComponent(basename(manifest.web))}`;
  return {
    root: dirname(join(folder, manifest.web)),
    tag,
    url: tag ? `${url}?v=${tag}` : url,
  };
}

export function describePlugins(options: PluginRoutesOptions): PluginInfo[] {
  const builtins = options.builtinIds().map(
    (id): PluginInfo => ({
      id,
      builtin: true,
      package: 'atrium',
      version: options.hostVersion,
      source: 'built-in',
      location: null,
      integrity: null,
      apiVersion: PLUGIN_API_VERSION,
      backend: true,
      webUrl: null,
    }),
  );
  const external = options.external.map(
    (plugin): PluginInfo => ({
      id: plugin.package.manifest.id,
      builtin: false,
      package: plugin.package.manifest.name,
      version: plugin.package.manifest.version,
      source: plugin.entry.package,
      location: relative(plugin.entry.baseDir, plugin.package.folder) || '.',
      integrity: plugin.package.integrity,
      apiVersion: plugin.package.manifest.apiVersion,
      backend: plugin.definition !== undefined,
      webUrl: webOf(plugin)?.url ?? null,
    }),
  );
  return [...builtins, ...external];
}

/** `GET /api/plugins` and `GET /api/plugins/:id/web/*`. */
export function registerPluginRoutes(env: PluginEnvironment, options: PluginRoutesOptions): void {
  env.route({
    method: 'GET',
    url: '/',
    permission: pluginListRead,
    schema: { querystring: { type: 'object', properties: {}, additionalProperties: false } },
    async handler() {
      return describePlugins(options);
    },
  });

  const byId = new Map(options.external.map((p) => [p.package.manifest.id, p]));
  env.route({
    method: 'GET',
    url: '/:id/web/*',
    permission: pluginListRead,
    schema: {
      params: {
        type: 'object',
        properties: { id: PLUGIN_ID, '*': { type: 'string', maxLength: 1024 } },
        required: ['id', '*'],
        additionalProperties: false,
      },
      // `v` is the cache tag the plugin list puts on the entry file's URL.
      querystring: {
        type: 'object',
        properties: { v: { type: 'string', maxLength: 64 } },
        additionalProperties: false,
      },
    },
    async handler(request, reply) {
      const { id, '*': path } = request.params as { id: string; '*': string };
      const { v } = request.query as { v?: string };
      const plugin = byId.get(id);
      const web = plugin && webOf(plugin);
      if (!web) throw new NotFoundError(`No installed plugin '${id}' has a web bundle`);
      const file = webFile(web.root, path);
      if (!file) throw new NotFoundError(`Plugin ${id} has no web file '${path}'`);
      const info = await stat(file);
      const etag = `"${web.tag ?? 'dev'}-${info.size.toString(36)}-${Math.trunc(info.mtimeMs).toString(36)}"`;
      reply
        .header('content-type', webContentType(file))
        .header('x-content-type-options', 'nosniff')
        .header('etag', etag)
        // A URL carrying the current tag names one build for good; anything else is revalidated.
        .header(
          'cache-control',
          web.tag && v === web.tag ? 'private, max-age=31536000, immutable' : 'private, no-cache',
        );
      if (!/\.(m?js|css)$/i.test(file)) {
        // Opened directly, an SVG or other document still cannot run anything in this origin.
        reply.header(
          'content-security-policy',
          "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        );
      }
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.send(await readFile(file));
    },
  });
}
