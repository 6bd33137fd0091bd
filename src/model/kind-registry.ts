/**
 * The set of kinds the catalog accepts: the built-in ones plus kinds declared in config.
 * Each definition's spec schema is compiled once, here, so validation never compiles.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import * as ajvFormatsModule from 'ajv-formats';
import { BUILTIN_KINDS } from './builtin-kinds.ts';
import type { KindDefinition, RefField } from './kind-definition.ts';
import { formatPath } from './path.ts';
import { isValidApiVersion, isValidKind } from './validators.ts';

// ajv-formats is CommonJS; depending on the loader its function is the default export or
// the module itself.
type FormatsPlugin = (ajv: Ajv) => Ajv;
const addFormats: FormatsPlugin = (() => {
  const mod = ajvFormatsModule as unknown as { default?: unknown };
  const candidate = typeof mod.default === 'function' ? mod.default : mod;
  const inner = (candidate as { default?: unknown }).default;
  return (typeof candidate === 'function' ? candidate : inner) as FormatsPlugin;
})();

/** A ref field with its path split into keys below `spec`. */
export interface CompiledRefField extends RefField {
  /** Keys below `spec`, e.g. `['owner']` for `spec.owner`. */
  keys: string[];
  /** The field's path as written in problems (see `formatPath`). */
  problemPath: string;
}

/** A kind definition together with what validation needs, prepared once. */
export interface CompiledKind {
  definition: KindDefinition;
  /** The ajv validator of `spec` (with `allErrors`, `verbose`). */
  validateSpec: ValidateFunction;
  refFields: CompiledRefField[];
  /** Keys below `spec` of each sorted array. */
  sortedArrays: string[][];
}

/** Thrown by {@link KindRegistry}'s constructor; `problems` lists every defect found. */
export class KindDefinitionError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid kind definitions:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'KindDefinitionError';
    this.problems = problems;
  }
}

const RELATION_TYPE = /^\w+$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Splits `spec.a.b` into `['a', 'b']`, or returns undefined when not a valid spec path. */
function specPathKeys(path: unknown): string[] | undefined {
  if (typeof path !== 'string' || !path.startsWith('spec.')) return undefined;
  const keys = path.slice(5).split('.');
  return keys.every((k) => k.length > 0) ? keys : undefined;
}

function ajvErrorsText(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '<schema>'} ${e.message}`).join('; ');
}

export class KindRegistry {
  private readonly byKind = new Map<string, Map<string, CompiledKind>>();
  private readonly byLowerKind = new Map<string, string>();
  private readonly definitions: KindDefinition[] = [];
  private readonly ajv: Ajv;

  /**
   * @param definitions every kind to accept, built-ins included (see
   *   {@link createKindRegistry}). Throws a {@link KindDefinitionError} listing all problems
   *   if a definition is malformed.
   */
  constructor(definitions: readonly KindDefinition[]) {
    this.ajv = new Ajv({
      allErrors: true,
      verbose: true,
      allowUnionTypes: true,
      // Unknown keywords and formats are errors (they are usually typos); type/tuple
      // strictness would reject ordinary hand-written schemas.
      strictSchema: true,
      strictTypes: false,
      strictTuples: false,
      strictRequired: false,
      logger: false,
    });
    addFormats(this.ajv);

    const problems: string[] = [];
    definitions.forEach((def, index) => {
      const label =
        isPlainObject(def) && typeof def.kind === 'string'
          ? `kind "${def.kind}"`
          : `kind definition #${index + 1}`;
      const compiled = this.compile(def, label, problems);
      if (!compiled) return;
      const lower = def.kind.toLowerCase();
      const sameCase = this.byLowerKind.get(lower);
      if (sameCase !== undefined && sameCase !== def.kind) {
        problems.push(
          `${label}: kind "${def.kind}" differs only by case from kind "${sameCase}"; entity refs are case-insensitive, so the two could not be told apart`,
        );
        return;
      }
      this.byLowerKind.set(lower, def.kind);
      let versions = this.byKind.get(def.kind);
      if (!versions) {
        versions = new Map();
        this.byKind.set(def.kind, versions);
      }
      let added = false;
      for (const apiVersion of def.apiVersions) {
        if (versions.has(apiVersion)) {
          problems.push(
            `${label}: kind "${def.kind}" with apiVersion "${apiVersion}" is already defined; each kind and apiVersion pair may be defined only once`,
          );
        } else {
          versions.set(apiVersion, compiled);
          added = true;
        }
      }
      if (added) this.definitions.push(def);
    });
    if (problems.length > 0) throw new KindDefinitionError(problems);
  }

  private compile(
    def: KindDefinition,
    label: string,
    problems: string[],
  ): CompiledKind | undefined {
    const before = problems.length;
    if (!isPlainObject(def)) {
      problems.push(`${label}: a kind definition must be an object`);
      return undefined;
    }
    if (!isValidKind(def.kind)) {
      problems.push(
        `${label}: kind ${JSON.stringify(def.kind)} is not valid; expected 1-63 characters [a-zA-Z0-9] starting with a letter, e.g. "Service"`,
      );
    }
    if (!Array.isArray(def.apiVersions) || def.apiVersions.length === 0) {
      problems.push(`${label}: apiVersions must be a non-empty list, e.g. ["example.com/v1"]`);
    } else {
      for (const v of def.apiVersions) {
        if (!isValidApiVersion(v)) {
          problems.push(
            `${label}: apiVersion ${JSON.stringify(v)} is not valid; expected [<dns-subdomain>/]<version>, e.g. "example.com/v1alpha1"`,
          );
        }
      }
    }
    if (typeof def.specRequired !== 'boolean') {
      problems.push(`${label}: specRequired must be true or false`);
    }
    let validateSpec: ValidateFunction | undefined;
    if (!isPlainObject(def.specSchema)) {
      problems.push(`${label}: specSchema must be a JSON Schema object, e.g. { type: object }`);
    } else {
      try {
        validateSpec = this.ajv.compile(def.specSchema);
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        const extra = ajvErrorsText(this.ajv.errors);
        problems.push(
          `${label}: specSchema is not a valid JSON Schema (draft-07): ${detail}${extra && !detail.includes(extra) ? ` (${extra})` : ''}`,
        );
      }
    }
    const refFields: CompiledRefField[] = [];
    if (!Array.isArray(def.refFields)) {
      problems.push(`${label}: refFields must be a list (may be empty)`);
    } else {
      def.refFields.forEach((field, i) => {
        const where = `${label}: refFields[${i}]`;
        if (!isPlainObject(field)) {
          problems.push(`${where} must be an object { path, defaultKind?, relation, reverse }`);
          return;
        }
        const keys = specPathKeys(field.path);
        if (!keys) {
          problems.push(
            `${where}: path ${JSON.stringify(field.path)} must be a dotted path starting with "spec.", e.g. "spec.owner"`,
          );
        }
        if (field.defaultKind !== undefined && !isValidKind(field.defaultKind)) {
          problems.push(
            `${where}: defaultKind ${JSON.stringify(field.defaultKind)} is not a valid kind name`,
          );
        }
        for (const key of ['relation', 'reverse'] as const) {
          if (typeof field[key] !== 'string' || !RELATION_TYPE.test(field[key])) {
            problems.push(
              `${where}: ${key} ${JSON.stringify(field[key])} must be a relation type of letters, digits and _ (e.g. "ownedBy")`,
            );
          }
        }
        if (keys) refFields.push({ ...field, keys, problemPath: formatPath(['spec', ...keys]) });
      });
    }
    const sortedArrays: string[][] = [];
    if (def.sortedArrays !== undefined) {
      if (!Array.isArray(def.sortedArrays)) {
        problems.push(`${label}: sortedArrays must be a list of paths like "spec.members"`);
      } else {
        for (const path of def.sortedArrays) {
          const keys = specPathKeys(path);
          if (keys) sortedArrays.push(keys);
          else {
            problems.push(
              `${label}: sortedArrays entry ${JSON.stringify(path)} must be a dotted path starting with "spec.", e.g. "spec.members"`,
            );
          }
        }
      }
    }
    if (def.validate !== undefined && typeof def.validate !== 'function') {
      problems.push(`${label}: validate must be a function returning { path, message }[]`);
    }
    if (problems.length > before || !validateSpec) return undefined;
    return { definition: def, validateSpec, refFields, sortedArrays };
  }

  /** The definition for this exact kind and apiVersion (both case-sensitive), if any. */
  get(kind: string, apiVersion: string): KindDefinition | undefined {
    return this.byKind.get(kind)?.get(apiVersion)?.definition;
  }

  /** Like {@link get}, with the compiled spec validator and parsed paths. */
  getCompiled(kind: string, apiVersion: string): CompiledKind | undefined {
    return this.byKind.get(kind)?.get(apiVersion);
  }

  /** Whether any apiVersion of this kind (case-sensitive) is known. */
  has(kind: string): boolean {
    return this.byKind.has(kind);
  }

  /** All definitions, in registration order. */
  list(): KindDefinition[] {
    return [...this.definitions];
  }

  /** Known kind names, in registration order. */
  kinds(): string[] {
    return [...this.byKind.keys()];
  }

  /** The apiVersions accepted for a kind (case-sensitive); empty if the kind is unknown. */
  apiVersionsOf(kind: string): string[] {
    return [...(this.byKind.get(kind)?.keys() ?? [])];
  }

  /** The known kind spelled like `kind` ignoring case (`component` → `Component`), if any. */
  kindIgnoringCase(kind: string): string | undefined {
    return this.byLowerKind.get(kind.toLowerCase());
  }
}

/** A registry of the built-in kinds followed by `custom` ones. */
export function createKindRegistry(custom: readonly KindDefinition[] = []): KindRegistry {
  return new KindRegistry([...BUILTIN_KINDS, ...custom]);
}
