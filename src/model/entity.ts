/**
 * The entity envelope as Backstage defines it (COMPAT.md §1). These types are shared by
 * the server, the web app and the CLI, so this folder never does I/O.
 */

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue | undefined;
}

export interface EntityLink {
  url: string;
  title?: string;
  icon?: string;
  type?: string;
}

export interface EntityMeta extends JsonObject {
  name: string;
  namespace?: string;
  title?: string;
  description?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  tags?: string[];
  links?: EntityLink[] & JsonValue[];
  uid?: string;
  etag?: string;
}

export interface EntityRelation {
  type: string;
  targetRef: string;
}

export type StatusLevel = 'info' | 'warning' | 'error';

export interface EntityStatusItem {
  type: string;
  level: StatusLevel;
  message: string;
  error?: { name: string; message: string; [key: string]: unknown };
}

export interface Entity {
  apiVersion: string;
  kind: string;
  metadata: EntityMeta;
  spec?: JsonObject;
  relations?: EntityRelation[];
  status?: { items?: EntityStatusItem[] };
}

/** The parts of an entity ref once parsed; case is kept as written. */
export interface CompoundEntityRef {
  kind: string;
  namespace: string;
  name: string;
}

/**
 * One problem found in user input. `path` is the dotted field path inside the document
 * (`spec.owner`, `metadata.tags[1]`); `file` and `line` are filled in once the problem is
 * tied to a source file.
 */
export interface Problem {
  level: StatusLevel;
  message: string;
  path?: string;
  file?: string;
  line?: number;
  /** 1-based column, where it is known (YAML syntax errors, read by the CLI). */
  column?: number;
  /**
   * The offending line with a caret under the column. Set only where the reader may see the
   * file anyway (the CLI on the user's own files), never in what the server answers.
   */
  snippet?: string;
  /** Backstage's error class name for API compatibility, e.g. `InputError`. */
  name?: string;
}

export const ANNOTATION_MANAGED_BY_LOCATION = 'backstage.io/managed-by-location';
export const ANNOTATION_MANAGED_BY_ORIGIN_LOCATION = 'backstage.io/managed-by-origin-location';
export const ANNOTATION_SOURCE_LOCATION = 'backstage.io/source-location';
export const ANNOTATION_VIEW_URL = 'backstage.io/view-url';
export const ANNOTATION_EDIT_URL = 'backstage.io/edit-url';
export const ANNOTATION_ORPHAN = 'backstage.io/orphan';
export const DEFAULT_NAMESPACE = 'default';
