import type { DocsTriplet, SiteMetadata } from '../../common/index.ts';

/**
 * Where built docs sites live, one per entity, under the lowercased triplet
 * `<namespace>/<kind>/<name>/<site files>` (Backstage's publisher layout, so a folder
 * published by Backstage's techdocs-cli can be served as it is).
 *
 * An object-storage implementation (S3, GCS, Azure Blob) plugs in by implementing this
 * interface with keys `<bucketRootPath>/<namespace>/<kind>/<name>/<file>`: `publish` uploads
 * every file of the site, writes `techdocs_metadata.json` LAST (readers see either the old
 * site or the new one), then deletes the keys listed in the previous metadata's `files` that
 * the new site no longer has; `readFile` is a GET of one key (keys are never interpreted as
 * paths, so there is nothing to escape); `listSites` lists `*\/techdocs_metadata.json`.
 * The server plugin only talks to this interface.
 */
export interface DocsStorage {
  /** Replaces the entity's site with the built site in `siteDir` (must hold techdocs_metadata.json). */
  publish(triplet: DocsTriplet, siteDir: string): Promise<void>;
  /** The site's techdocs_metadata.json, or undefined when nothing is published. */
  getMetadata(triplet: DocsTriplet): Promise<SiteMetadata | undefined>;
  /**
   * One file of the site, `relPath` relative to the site root ('/' separated). Undefined when
   * it does not exist, is not a regular file, or leaves the site (`..`, absolute, symlink).
   */
  readFile(triplet: DocsTriplet, relPath: string): Promise<Buffer | undefined>;
  /** Every published site (lowercased triplets). */
  listSites(): Promise<DocsTriplet[]>;
  /** Deletes the entity's site; no error when there is none. */
  remove(triplet: DocsTriplet): Promise<void>;
}
