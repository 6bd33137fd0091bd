import type { Entity, JsonObject } from './entity.ts';

/**
 * A spec field holding entity refs, and the pair of relations each ref produces:
 * `relation` on the entity that holds the field, `reverse` on the entity it points at.
 */
export interface RefField {
  /** Dotted path inside the entity, e.g. `spec.owner` or `spec.providesApis`. */
  path: string;
  /** Kind assumed when the ref omits one; absent means the ref must name its kind. */
  defaultKind?: string;
  relation: string;
  reverse: string;
}

/**
 * Everything Atrium knows about one kind. Built-in kinds and kinds declared in
 * `catalog.kinds` config are both described this way, so both validate and relate alike.
 */
export interface KindDefinition {
  /** Matched case-sensitively, as Backstage does. */
  kind: string;
  apiVersions: string[];
  /** JSON Schema (draft-07) for `spec`. */
  specSchema: JsonObject;
  /** Whether an entity of this kind must have a `spec` object. */
  specRequired: boolean;
  refFields: RefField[];
  /**
   * Dotted paths (starting with `spec.`, like `refFields[].path`) of spec arrays that are
   * returned sorted (Backstage's preprocessor sorts these), e.g. `spec.providesApis`.
   */
  sortedArrays?: string[];
  /**
   * Checks beyond the spec schema (e.g. a Scorecard's rules), run after it. Each problem's
   * `path` is a field path like `spec.checks[2].rule.gte`, which ingestion turns into a line.
   * Must not throw; problems at a path the schema already reported are dropped.
   */
  validate?(entity: Entity): { path: string; message: string }[];
}
