import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, posix, relative, resolve, sep } from 'node:path';
import { formatGitUrl, parseGitUrl } from '../../../../core/reading/tree.ts';
import { InputError, NotFoundError } from '../../../../core/errors.ts';
import {
  ANNOTATION_MANAGED_BY_LOCATION,
  ANNOTATION_SOURCE_LOCATION,
  type Entity,
} from '../../../../model/entity.ts';
import { parseLocationRef } from '../../../../model/ref.ts';
import type { EntityQuery } from '../../../catalog/server/query/entity-query.ts';

export const ANNOTATION_TECHDOCS_REF = 'backstage.io/techdocs-ref';

/**
 * Every entity with a techdocs-ref, with `fields` only, a page at a time (in entity ref
 * order, read on the catalog's read connections): builds at start go through them as they
 * come rather than waiting for a list of all of them.
 */
export async function* documentedEntities(
  query: EntityQuery,
  fields?: string[],
): AsyncGenerator<Entity[]> {
  yield* query.listAll({
    filter: { [`metadata.annotations.${ANNOTATION_TECHDOCS_REF}`]: { $exists: true } },
    ...(fields ? { fields } : {}),
  }) as AsyncGenerator<Entity[]>;
}

/** Every entity with a techdocs-ref (the Docs section), with `fields` only. */
export async function listDocumentedEntities(
  query: EntityQuery,
  fields?: string[],
): Promise<Entity[]> {
  const entities: Entity[] = [];
  for await (const page of documentedEntities(query, fields)) entities.push(...page);
  return entities;
}

/**
 * Where an entity's docs source is, as the metadata route reports it (`locationMetadata`):
 * `dir` is a folder on this machine, `url` a tree that is read over the network.
 */
export type DocsSource =
  | { type: 'dir'; target: string /** The folder the source must stay inside. */; root: string }
  | { type: 'url'; target: string };

/** The entity's `backstage.io/techdocs-ref`, or a 404 that says what is missing. */
export function techdocsRefOf(entity: Entity): string {
  const ref = entity.metadata.annotations?.[ANNOTATION_TECHDOCS_REF];
  if (typeof ref !== 'string' || ref.trim() === '') {
    throw new NotFoundError(
      `No ${ANNOTATION_TECHDOCS_REF} annotation provided in entity: ${entity.metadata.name}`,
    );
  }
  return ref;
}

export function hasTechdocsRef(entity: Entity): boolean {
  const ref = entity.metadata.annotations?.[ANNOTATION_TECHDOCS_REF];
  return typeof ref === 'string' && ref.trim() !== '';
}

function describe(entity: Entity): string {
  return `${entity.kind}:${entity.metadata.namespace ?? 'default'}/${entity.metadata.name}`;
}

/**
 * Resolves `backstage.io/techdocs-ref` (COMPAT.md §7): `dir:<path>` is relative to the folder
 * of the entity's source location (else its managed-by location) and must stay inside it;
 * `url:<url>` names a tree to read. Anything else is an InputError naming the annotation.
 * Pure apart from path resolution: the folder's existence is checked when it is read.
 */
export function resolveDocsRef(entity: Entity): DocsSource {
  const value = techdocsRefOf(entity);
  const where = `annotation ${ANNOTATION_TECHDOCS_REF} of ${describe(entity)}`;
  let ref: { type: string; target: string };
  try {
    ref = parseLocationRef(value);
  } catch (error) {
    throw new InputError(`Invalid ${where}: ${(error as Error).message}`);
  }
  if (ref.type === 'url') return { type: 'url', target: checkUrl(ref.target, where) };
  if (ref.type !== 'dir') {
    throw new InputError(
      `Invalid ${where}: type '${ref.type}' in '${value}' is not supported; use 'dir:<path>' (relative to the catalog file) or 'url:<URL of a folder>'`,
    );
  }
  const annotations = entity.metadata.annotations ?? {};
  const locationValue =
    annotations[ANNOTATION_SOURCE_LOCATION] ?? annotations[ANNOTATION_MANAGED_BY_LOCATION];
  const locationName = annotations[ANNOTATION_SOURCE_LOCATION]
    ? ANNOTATION_SOURCE_LOCATION
    : ANNOTATION_MANAGED_BY_LOCATION;
  if (!locationValue) {
    throw new InputError(
      `Cannot resolve ${where} ('${value}'): the entity has neither ${ANNOTATION_SOURCE_LOCATION} nor ${ANNOTATION_MANAGED_BY_LOCATION}, so there is no folder to resolve '${ref.target}' against`,
    );
  }
  let location: { type: string; target: string };
  try {
    location = parseLocationRef(locationValue);
  } catch (error) {
    throw new InputError(
      `Cannot resolve ${where}: ${locationName} is invalid: ${(error as Error).message}`,
    );
  }
  if (location.type === 'file') {
    // A source-location names a folder (trailing '/'); a managed-by-location names a file.
    const root =
      location.target.endsWith('/') || location.target.endsWith(sep)
        ? resolve(location.target)
        : dirname(resolve(location.target));
    if (isAbsolute(ref.target)) {
      throw new InputError(
        `Invalid ${where}: '${value}' is an absolute path; write it relative to ${root}`,
      );
    }
    const target = resolve(root, ref.target);
    if (!isInside(root, target)) {
      throw new InputError(
        `Invalid ${where}: '${value}' resolves to ${target}, outside the folder of the catalog file (${root})`,
      );
    }
    return { type: 'dir', target, root };
  }
  if (location.type === 'url') {
    const base = checkUrl(location.target, `${locationName} of ${describe(entity)}`);
    if (/^[a-z][a-z0-9+.-]*:|^[\\/]/i.test(ref.target)) {
      throw new InputError(`Invalid ${where}: '${ref.target}' is not a relative path`);
    }
    const git = parseGitUrl(base);
    if (git) {
      // The folder of the catalog file inside its repository, then the relative path.
      const folder = git.kind === 'blob' ? posix.dirname(git.path) : git.path;
      const joined = posix.normalize(posix.join(folder || '.', ref.target));
      if (joined === '..' || joined.startsWith('../')) {
        throw new InputError(
          `Invalid ${where}: '${value}' leads outside the repository ${git.repoUrl}`,
        );
      }
      const path = joined === '.' || joined === './' ? '' : joined.replace(/\/+$/, '');
      return { type: 'url', target: formatGitUrl(git, 'tree', path) };
    }
    const path = ref.target.endsWith('/') ? ref.target : `${ref.target}/`;
    return { type: 'url', target: checkUrl(new URL(path, base).toString(), where) };
  }
  throw new InputError(
    `Cannot resolve ${where} ('${value}'): its ${locationName} has type '${location.type}'; 'dir:' works for 'file' and 'url' locations only`,
  );
}

function checkUrl(value: string, where: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(`Invalid ${where}: '${value}' is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(`Invalid ${where}: '${value}' must be an http(s) URL`);
  }
  return url.toString();
}

export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * The real folder of a `dir` source, after following symbolic links: a link that leaves the
 * catalog file's folder is refused like a `..` path.
 */
export async function realDocsDir(source: Extract<DocsSource, { type: 'dir' }>): Promise<string> {
  let real: string;
  try {
    real = await realpath(source.target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotFoundError(`The docs folder ${source.target} does not exist`);
    }
    throw error;
  }
  const root = await realpath(source.root).catch(() => source.root);
  if (!isInside(root, real)) {
    throw new InputError(
      `The docs folder ${source.target} is a link to ${real}, outside the folder of the catalog file (${root})`,
    );
  }
  return real;
}
