import type { Permission } from '../../../../../core/plugin-api.ts';
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InputError, NotAllowedError } from '../../../../../core/errors.ts';
import type { Entity, JsonObject } from '../../../../../model/entity.ts';
import { stringifyEntityRef } from '../../../../../model/ref.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';

interface RegisterInput extends JsonObject {
  catalogInfoUrl?: string;
  repoContentsUrl?: string;
  catalogInfoPath?: string;
  optional?: boolean;
}

interface CatalogLocation {
  type: 'url' | 'file';
  target: string;
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** A `file:` URL or an absolute path as a local path; undefined for anything else. */
function localPath(value: string): string | undefined {
  if (value.startsWith('file:')) {
    try {
      return fileURLToPath(value);
    } catch (error) {
      throw new InputError(`'${value}' is not a valid file URL: ${(error as Error).message}`);
    }
  }
  return isAbsolute(value) ? resolve(value) : undefined;
}

/**
 * Where the catalog reads the descriptor: an http(s) URL becomes a `url` location; a `file:`
 * URL or an absolute path (what publish:git gives for a local repository) a `file` location.
 */
const LOCATION_CREATE: Permission = {
  name: 'catalog.location.create',
  attributes: { action: 'create' },
};

export function toCatalogLocation(catalogInfoUrl: string, field: string): CatalogLocation {
  if (/^https?:\/\//i.test(catalogInfoUrl)) return { type: 'url', target: catalogInfoUrl };
  const path = localPath(catalogInfoUrl);
  if (path) return { type: 'file', target: path };
  throw new InputError(
    `${field}: '${catalogInfoUrl}' is neither an http(s) URL, a file: URL nor an absolute path`,
  );
}

/** `repoContentsUrl` + `catalogInfoPath`, where `/x` means the root of the repository contents. */
export function joinContentsUrl(repoContentsUrl: string, catalogInfoPath: string): string {
  const relativePath = catalogInfoPath.replace(/^\/+/, '');
  if (/^https?:\/\//i.test(repoContentsUrl)) {
    const base = new URL(repoContentsUrl);
    const basePath = base.pathname.replace(/\/+$/, '');
    const url = new URL(base);
    url.pathname = `${basePath}/${relativePath}`;
    if (!url.pathname.startsWith(`${basePath}/`)) {
      throw new InputError(
        `catalogInfoPath: '${catalogInfoPath}' leads outside the repository contents ${repoContentsUrl}`,
      );
    }
    return url.toString();
  }
  const dir = localPath(repoContentsUrl);
  if (!dir) {
    throw new InputError(
      `repoContentsUrl: '${repoContentsUrl}' is neither an http(s) URL, a file: URL nor an absolute path`,
    );
  }
  const path = resolve(dir, relativePath);
  if (!isInside(dir, path) || path === dir) {
    throw new InputError(
      `catalogInfoPath: '${catalogInfoPath}' leads outside the repository contents ${repoContentsUrl}`,
    );
  }
  return repoContentsUrl.startsWith('file:') ? pathToFileURL(path).href : path;
}

/** Backstage's choice: the first non-generated Component, else any non-generated entity. */
export function pickEntityRef(entities: Entity[]): string | undefined {
  const named = entities.filter((e) => !e.metadata.name.startsWith('generated-'));
  const entity = named.find((e) => e.kind === 'Component') ?? named[0] ?? entities[0];
  return entity ? stringifyEntityRef(entity) : undefined;
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

export function createCatalogRegisterAction(deps: ActionDeps): TemplateAction<RegisterInput> {
  return {
    id: 'catalog:register',
    description:
      'Registers a catalog descriptor file (http(s) URL, or a local file for repositories published to disk) as a catalog location; its entities are in the catalog when the step ends.',
    examples: [
      {
        description: 'Register the catalog-info.yaml of the repository just published',
        example: `steps:
  - id: register
    action: catalog:register
    name: Register
    input:
      repoContentsUrl: \${{ steps['publish'].output.repoContentsUrl }}
      catalogInfoPath: /catalog-info.yaml
`,
      },
      {
        description: 'Register a descriptor by URL, tolerating failure',
        example: `steps:
  - id: register
    action: catalog:register
    name: Register
    input:
      catalogInfoUrl: https://github.com/acme/service/blob/main/catalog-info.yaml
      optional: true
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        anyOf: [
          {
            type: 'object',
            required: ['catalogInfoUrl'],
            properties: {
              catalogInfoUrl: {
                title: 'Catalog Info URL',
                description:
                  'URL of the descriptor file (http(s); or a file: URL / absolute path when file locations are allowed)',
                type: 'string',
              },
              optional: {
                title: 'Optional',
                description: 'Do not fail the step if registration fails',
                type: 'boolean',
              },
            },
          },
          {
            type: 'object',
            required: ['repoContentsUrl'],
            properties: {
              repoContentsUrl: {
                title: 'Repository Contents URL',
                description: 'Where the repository contents are (output of a publish step)',
                type: 'string',
              },
              catalogInfoPath: {
                title: 'Fetch URL',
                description: 'Path of the descriptor inside the repository',
                type: 'string',
                default: '/catalog-info.yaml',
              },
              optional: {
                title: 'Optional',
                description: 'Do not fail the step if registration fails',
                type: 'boolean',
              },
            },
          },
        ],
      },
      output: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['catalogInfoUrl'],
        properties: {
          entityRef: { type: 'string', description: 'Ref of the main entity registered' },
          catalogInfoUrl: { type: 'string', description: 'The descriptor registered' },
        },
      },
    },
    supportsDryRun: false,
    async handler(ctx) {
      const { input } = ctx;
      const optional = input.optional ?? false;
      let catalogInfoUrl: string;
      let location: CatalogLocation;
      if (input.catalogInfoUrl) {
        catalogInfoUrl = input.catalogInfoUrl;
        location = toCatalogLocation(catalogInfoUrl, 'catalogInfoUrl');
      } else if (input.repoContentsUrl) {
        catalogInfoUrl = joinContentsUrl(
          input.repoContentsUrl,
          input.catalogInfoPath ?? '/catalog-info.yaml',
        );
        location = toCatalogLocation(catalogInfoUrl, 'repoContentsUrl');
      } else {
        throw new InputError('catalog:register needs catalogInfoUrl or repoContentsUrl');
      }
      if (location.type === 'file') {
        if (!deps.config.catalog.locationTypes.includes('file')) {
          throw new InputError(
            `catalog:register: ${catalogInfoUrl} is a local file, and catalog.locationTypes in app-config.yaml does not allow 'file' locations`,
          );
        }
        // The workspace is deleted with the task; a location there would break on next refresh.
        if (isInside(realOrSelf(ctx.workspacePath), realOrSelf(location.target))) {
          throw new InputError(
            `catalog:register: ${catalogInfoUrl} is inside the task workspace, which is deleted when the task ends; publish the files first and register the published copy`,
          );
        }
      }

      ctx.logger.info(`Registering ${location.type}:${location.target} in the catalog`);
      try {
        // As through the API: a read-only catalog takes no new locations.
        if (deps.config.catalog.readonly) {
          throw new NotAllowedError('This catalog is read-only (catalog.readonly: true)');
        }
        // As through the API: the task's creator needs catalog.location.create.
        await ctx.authorize?.(LOCATION_CREATE);
        await deps.catalog.service.addLocation(location);
      } catch (error) {
        if (!optional) throw error;
        ctx.logger.warn(`Registering ${catalogInfoUrl} failed: ${(error as Error).message}`);
      }
      try {
        // Re-reads the file without storing, to name what was registered (as Backstage does).
        const result = await deps.catalog.service.addLocation(location, { dryRun: true });
        const entityRef = pickEntityRef(result.entities);
        if (entityRef) {
          ctx.logger.info(`Registered ${entityRef}`);
          ctx.output('entityRef', entityRef);
        }
      } catch (error) {
        if (!optional) throw error;
        ctx.logger.warn(`Reading ${catalogInfoUrl} failed: ${(error as Error).message}`);
      }
      ctx.output('catalogInfoUrl', catalogInfoUrl);
    },
  };
}
