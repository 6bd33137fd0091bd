/**
 * Entity validation with Backstage's rules (COMPAT.md §1, §2, §3): envelope, metadata field
 * formats, per-kind spec schema and entity refs. Unlike Backstage, which stops at the first
 * failure, every problem in the document is reported, each with its field path and a
 * message that says what would be valid.
 */
import type { ErrorObject } from 'ajv';
import {
  ANNOTATION_EDIT_URL,
  ANNOTATION_VIEW_URL,
  DEFAULT_NAMESPACE,
  type Entity,
  type JsonObject,
  type JsonValue,
  type Problem,
} from './entity.ts';
import type { KindDefinition } from './kind-definition.ts';
import type { CompiledKind, CompiledRefField, KindRegistry } from './kind-registry.ts';
import { appendPath, formatPath, type PathSegment } from './path.ts';
import { isScriptUrl, parseEntityRef } from './ref.ts';
import {
  isNonEmptyString,
  isValidAnnotationKey,
  isValidApiVersion,
  isValidDnsLabel,
  isValidDnsSubdomain,
  isValidEntityName,
  isValidKind,
  isValidLabelKey,
  isValidLabelValue,
  isValidTag,
  isValidUrl,
} from './validators.ts';

/** What `view-url`/`edit-url` annotations holding a `javascript:` URL are replaced with. */
export const REJECTED_ANNOTATION_URL =
  'https://backstage.io/annotation-rejected-for-security-reasons';

export interface ValidationResult {
  /** The normalized entity (a deep copy), present only when there are no problems. */
  entity?: Entity;
  /** Every problem found; empty when the entity is valid. All are `level: 'error'`. */
  problems: Problem[];
}

const FORMAT_DOC =
  'To learn more about catalog file format, visit: https://github.com/backstage/backstage/blob/master/docs/architecture-decisions/adr002-default-catalog-file-format.md';

const NAME_RULE =
  'a string that is sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters in total';
const DNS_LABEL_RULE =
  'a string that is sequences of [a-z0-9] separated by [-], at most 63 characters in total';
const TAG_RULE =
  'a string that is sequences of [a-z0-9:+#] separated by [-], at most 63 characters in total';
const KIND_RULE =
  'a string that is a sequence of [a-zA-Z][a-z0-9A-Z], at most 63 characters in total';
const KEY_RULE =
  '[<prefix>/]<name> where the optional prefix is a lowercase DNS name like "example.com" and the name is sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters';
const API_VERSION_RULE =
  '[<prefix>/]<version> with at most one "/", where the optional prefix is a lowercase DNS name and the version is 1-63 characters [a-zA-Z0-9], e.g. "backstage.io/v1alpha1"';

const ROOT_KEYS = new Set(['apiVersion', 'kind', 'metadata', 'spec']);

/** Paths whose subtrees Backstage leaves out of its case-insensitive key check. */
const UNTRACKED_KEYS = new Set([
  'attachments',
  'relations',
  'status',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'metadata.etag',
]);

// ---------------------------------------------------------------------------------------
// Describing values and expectations in messages.

function truncate(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return truncate(JSON.stringify(value));
    case 'number':
      return `the number ${value}`;
    case 'boolean':
      return `the boolean ${value}`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  null: 'null',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeItems(items: unknown): string | undefined {
  if (!isRecord(items) || typeof items.type !== 'string') return undefined;
  if (items.type === 'string') {
    return typeof items.minLength === 'number' && items.minLength >= 1
      ? 'non-empty strings'
      : 'strings';
  }
  const word = TYPE_WORDS[items.type];
  return word ? `${word.replace(/^an? /, '')}s` : undefined;
}

/** "a non-empty string", "a list of non-empty strings", "one of "a", "b"", … */
function describeSchema(schema: unknown): string {
  if (!isRecord(schema)) return 'a value';
  const type = schema.type;
  if (Array.isArray(schema.enum)) {
    return `one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`;
  }
  if (Array.isArray(type)) return type.map((t) => TYPE_WORDS[String(t)] ?? String(t)).join(' or ');
  if (type === 'string') {
    return typeof schema.minLength === 'number' && schema.minLength >= 1
      ? 'a non-empty string'
      : 'a string';
  }
  if (type === 'array') {
    const items = describeItems(schema.items);
    return items ? `a list of ${items}` : 'a list';
  }
  if (typeof type === 'string') return TYPE_WORDS[type] ?? type;
  return 'a value';
}

/** "a non-empty string (an entity ref to the owner, …)" */
function expectation(schema: unknown): string {
  const base = describeSchema(schema);
  const description = isRecord(schema) ? schema.description : undefined;
  if (typeof description !== 'string' || !description) return base;
  return base === 'a value' ? description : `${base} (${description})`;
}

/** "; it should be an entity ref to the owner, …" or "" */
function purpose(schema: unknown): string {
  const description = isRecord(schema) ? schema.description : undefined;
  return typeof description === 'string' && description ? `; it should be ${description}` : '';
}

// ---------------------------------------------------------------------------------------
// Hints that say why a value broke a format rule.

const ALNUM = /[A-Za-z0-9]/;

function nameHint(value: string): string {
  if (value.length > 63) return `it is ${value.length} characters long`;
  const bad = /[^-A-Za-z0-9_.]/.exec(value);
  if (bad) return `${JSON.stringify(bad[0])} is not allowed`;
  if (!ALNUM.test(value[0] ?? '')) return 'it must start with a letter or digit';
  return 'it must end with a letter or digit';
}

function dnsLabelHint(value: string): string {
  if (value.length > 63) return `it is ${value.length} characters long`;
  if (/[A-Z]/.test(value) && isValidDnsLabel(value.toLowerCase())) {
    return `it must be lowercase, e.g. ${JSON.stringify(value.toLowerCase())}`;
  }
  const bad = /[^-a-z0-9]/.exec(value);
  if (bad) return `${JSON.stringify(bad[0])} is not allowed`;
  return 'it must start and end with a letter or digit';
}

function tagHint(value: string): string {
  if (value.length > 63) return `it is ${value.length} characters long`;
  if (/[A-Z]/.test(value) && isValidTag(value.toLowerCase())) {
    return `tags are lowercase, e.g. ${JSON.stringify(value.toLowerCase())}`;
  }
  const bad = /[^-a-z0-9:+#]/.exec(value);
  if (bad) return `${JSON.stringify(bad[0])} is not allowed`;
  return 'dashes must be single and between other characters';
}

function keyHint(value: string): string {
  const parts = value.split('/');
  if (parts.length > 2) return 'it has more than one "/"';
  if (parts.length === 2) {
    const [prefix = '', name = ''] = parts;
    if (!prefix) return 'the prefix before "/" is empty';
    if (prefix.length > 253) return 'the prefix is longer than 253 characters';
    if (/[A-Z]/.test(prefix) && isValidDnsSubdomain(prefix.toLowerCase())) {
      return `the prefix must be lowercase, e.g. ${JSON.stringify(`${prefix.toLowerCase()}/${name}`)}`;
    }
    for (const label of prefix.split('.')) {
      if (!isValidDnsLabel(label)) {
        return `the prefix ${JSON.stringify(prefix)} is not a lowercase DNS name (${dnsLabelHint(label)})`;
      }
    }
    return `the name ${JSON.stringify(name)} is not valid (${name ? nameHint(name) : 'it is empty'})`;
  }
  return value ? nameHint(value) : 'it is empty';
}

function apiVersionHint(value: string): string {
  const parts = value.split('/');
  if (parts.length > 2) return 'it has more than one "/"';
  const version = parts.length === 2 ? (parts[1] ?? '') : value;
  if (parts.length === 2 && !parts[0]) return 'the prefix before "/" is empty';
  if (/[^a-zA-Z0-9]/.test(version)) {
    return `the version ${JSON.stringify(version)} may only contain [a-zA-Z0-9]`;
  }
  if (parts.length === 2)
    return `the prefix ${JSON.stringify(parts[0])} is not a lowercase DNS name`;
  return `the version is ${version.length} characters long`;
}

// ---------------------------------------------------------------------------------------
// Deep copy with JSON-safety checks, and Backstage's check for keys that differ only by case.

/**
 * Backstage flattens the stored entity into dotted leaf keys (array items share their
 * array's key; each string item also adds `<key>.<item>`, once per case-insensitive
 * spelling) and refuses an entity where two distinct keys are equal ignoring case
 * (COMPAT.md §1.5). This is that exact check; it only runs when the cheap screen in
 * {@link Copier} finds two spellings of one word.
 */
function findCaseCollisions(entity: JsonObject): Problem[] {
  const problems: Problem[] = [];
  const leafKeys = new Map<string, string>();
  const itemKeys = new Set<string>();
  const reported = new Set<string>();
  const segments: PathSegment[] = [];

  const leaf = (flat: string) => {
    const lower = flat.toLowerCase();
    const previous = leafKeys.get(lower);
    if (previous === undefined) {
      leafKeys.set(lower, flat);
    } else if (previous !== flat && !reported.has(lower)) {
      reported.add(lower);
      problems.push(
        problem(
          formatPath(segments),
          `Entity has duplicate keys that vary only in casing, "${previous}" and "${flat}"; keys are compared case-insensitively, so rename or remove one of them`,
        ),
      );
    }
  };

  const visit = (value: JsonValue | undefined, flat: string): void => {
    if (UNTRACKED_KEYS.has(flat)) return;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        segments.push(i);
        visit(item, flat);
        if (typeof item === 'string') {
          const itemFlat = `${flat}.${item}`;
          const itemLower = itemFlat.toLowerCase();
          if (!itemKeys.has(itemLower)) {
            itemKeys.add(itemLower);
            leaf(itemFlat);
          }
        }
        segments.pop();
      }
    } else if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value)) {
        segments.push(key);
        visit(value[key], flat ? `${flat}.${key}` : key);
        segments.pop();
      }
    } else {
      leaf(flat);
    }
  };

  visit(entity, '');
  return problems;
}

/** Reused across calls (validation is synchronous): the words of the current document. */
const words: string[] = [];

/**
 * Whether two different spellings of one word occur in `words`, or lowercasing changes a
 * word's length. Only words with an uppercase letter can have another spelling, and those
 * are few, so this compares them against same-length words instead of building a map.
 */
function hasCaseVariants(list: string[]): boolean {
  const mixed: string[] = [];
  for (const word of list) {
    const lower = word.toLowerCase();
    if (lower === word) continue;
    if (lower.length !== word.length) return true;
    mixed.push(word);
  }
  if (mixed.length === 0) return false;
  if (mixed.length * list.length > 20_000) {
    const seen = new Map<string, string>();
    for (const word of list) {
      const lower = word.toLowerCase();
      const previous = seen.get(lower);
      if (previous === undefined) seen.set(lower, word);
      else if (previous !== word) return true;
    }
    return false;
  }
  for (const word of mixed) {
    const lower = word.toLowerCase();
    for (const other of list) {
      if (other.length === word.length && other !== word && other.toLowerCase() === lower) {
        return true;
      }
    }
  }
  return false;
}

class Copier {
  /** Problems found while copying; their paths are skipped by later checks. */
  readonly problems: Problem[] = [];
  readonly badPaths = new Set<string>();
  private readonly segments: PathSegment[] = [];

  constructor() {
    words.length = 0;
  }

  /**
   * Whether two different spellings of one word occur among the keys and array string
   * items (split at dots), or lowercasing changes a word's length. A case collision in
   * Backstage's flattened keys is impossible otherwise, so the exact check can be skipped.
   */
  caseSuspect(): boolean {
    return hasCaseVariants(words);
  }

  private report(message: string): void {
    const path = formatPath(this.segments);
    this.badPaths.add(path);
    this.problems.push(problem(path, message));
  }

  private word(text: string): void {
    let dot = text.indexOf('.');
    if (dot === -1) {
      words.push(text);
      return;
    }
    let start = 0;
    for (;;) {
      words.push(text.slice(start, dot));
      start = dot + 1;
      dot = text.indexOf('.', start);
      if (dot === -1) {
        words.push(text.slice(start));
        return;
      }
    }
  }

  copy(value: unknown): JsonValue {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'number':
        if (!Number.isFinite(value)) {
          this.report(
            `"${formatPath(this.segments)}" is ${value}, which JSON cannot represent; quote it to keep it as text`,
          );
          return null;
        }
        return value;
      case 'object': {
        if (value === null) return null;
        if (Array.isArray(value)) return this.copyArray(value);
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          const what =
            value instanceof Date
              ? 'a date'
              : `a ${proto?.constructor?.name ?? 'non-plain'} object`;
          this.report(
            `"${formatPath(this.segments)}" is ${what}, not plain JSON data; quote the value in YAML to keep it as text`,
          );
          return value instanceof Date && !Number.isNaN(value.getTime()) ? value.toJSON() : null;
        }
        const out: JsonObject = {};
        const source = value as Record<string, unknown>;
        for (const key of Object.keys(source)) {
          const child = source[key];
          if (child === undefined) continue;
          this.word(key);
          this.segments.push(key);
          const copied = this.copy(child);
          this.segments.pop();
          if (key === '__proto__') {
            Object.defineProperty(out, key, {
              value: copied,
              enumerable: true,
              writable: true,
              configurable: true,
            });
          } else {
            out[key] = copied;
          }
        }
        return out;
      }
      default:
        this.report(
          `"${formatPath(this.segments)}" is a ${typeof value}, which is not JSON data (strings, numbers, booleans, null, lists and objects)`,
        );
        return null;
    }
  }

  private copyArray(value: unknown[]): JsonValue[] {
    const out: JsonValue[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (typeof item === 'string') {
        this.word(item);
        out[i] = item;
        continue;
      }
      this.segments.push(i);
      if (item === undefined) {
        this.report(`"${formatPath(this.segments)}" is empty (undefined), which is not JSON data`);
        out[i] = null;
      } else {
        out[i] = this.copy(item);
      }
      this.segments.pop();
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------

function problem(path: string, message: string): Problem {
  return { level: 'error', name: 'InputError', path, message };
}

function formatError(field: string, rule: string, value: string, hint: string): string {
  return `"${field}" is not valid; expected ${rule} but found ${truncate(JSON.stringify(value))} (${hint}). ${FORMAT_DOC}`;
}

/** Collects problems; paths already reported as non-JSON values are not reported again. */
class Problems {
  readonly list: Problem[] = [];
  readonly paths = new Set<string>();
  constructor(private readonly skip: Set<string>) {}

  add(path: string, message: string): void {
    if (this.skip.has(path)) return;
    this.paths.add(path);
    this.list.push(problem(path, message));
  }
}

function checkRequiredString(
  problems: Problems,
  path: string,
  value: unknown,
  what: string,
  example: string,
): value is string {
  if (value === undefined) {
    problems.add(
      path,
      `Malformed envelope, <root> must have required property '${path}'; add it, e.g. "${path}: ${example}"`,
    );
    return false;
  }
  if (typeof value !== 'string') {
    problems.add(
      path,
      `"${path}" must be ${what} (e.g. "${example}") but found ${describeValue(value)}`,
    );
    return false;
  }
  if (value === '') {
    problems.add(path, `"${path}" must not be empty; expected ${what}, e.g. "${example}"`);
    return false;
  }
  return true;
}

/** A string with `minLength: 1` as in the EntityMeta schema (optional field). */
function checkOptionalString(
  problems: Problems,
  path: string,
  value: unknown,
  nonEmpty: boolean,
): value is string | undefined {
  if (value === undefined) return true;
  if (typeof value !== 'string') {
    problems.add(
      path,
      `"${path}" must be ${nonEmpty ? 'a non-empty string' : 'a string'} but found ${describeValue(value)}`,
    );
    return false;
  }
  if (nonEmpty && value === '') {
    problems.add(path, `"${path}" must not be empty; remove it or give it a value`);
    return false;
  }
  return true;
}

function checkStringMap(
  problems: Problems,
  path: string,
  value: unknown,
  what: 'label' | 'annotation',
): void {
  if (value === undefined) return;
  if (!isRecord(value)) {
    problems.add(
      path,
      `"${path}" must be an object mapping ${what} keys to string values but found ${describeValue(value)}`,
    );
    return;
  }
  for (const key of Object.keys(value)) {
    if (!(what === 'label' ? isValidLabelKey(key) : isValidAnnotationKey(key))) {
      problems.add(
        appendPath(path, key),
        `${what === 'label' ? 'Label' : 'Annotation'} key ${truncate(JSON.stringify(key))} in "${path}" is not valid; expected ${KEY_RULE} (${keyHint(key)}). ${FORMAT_DOC}`,
      );
    }
    const v = value[key];
    if (typeof v !== 'string') {
      const keyPath = appendPath(path, key);
      problems.add(
        keyPath,
        `"${keyPath}" must be a string but found ${describeValue(v)}; quote the value in YAML (e.g. "${String(v)}")`,
      );
    } else if (what === 'label' && !isValidLabelValue(v)) {
      problems.add(
        appendPath(path, key),
        `Value of label ${truncate(JSON.stringify(key))} in "${path}" is not valid; expected "" or ${NAME_RULE} but found ${truncate(JSON.stringify(v))} (${nameHint(v)}). ${FORMAT_DOC}`,
      );
    }
  }
}

function checkMetadata(problems: Problems, metadata: unknown): void {
  if (metadata === undefined) {
    problems.add(
      'metadata',
      `Malformed envelope, <root> must have required property 'metadata'; add a metadata object with at least a name, e.g. "metadata: { name: my-service }"`,
    );
    return;
  }
  if (!isRecord(metadata)) {
    problems.add(
      'metadata',
      `"metadata" must be an object with at least a name but found ${describeValue(metadata)}`,
    );
    return;
  }
  const { name, namespace, title, description, labels, annotations, tags, links, uid, etag } =
    metadata;
  if (name === undefined) {
    problems.add(
      'metadata.name',
      `"metadata.name" is required; expected ${NAME_RULE}, e.g. "my-service"`,
    );
  } else if (typeof name !== 'string') {
    problems.add(
      'metadata.name',
      `"metadata.name" must be ${NAME_RULE} but found ${describeValue(name)}`,
    );
  } else if (!isValidEntityName(name)) {
    problems.add(
      'metadata.name',
      formatError('metadata.name', NAME_RULE, name, name ? nameHint(name) : 'it is empty'),
    );
  }
  if (namespace !== undefined) {
    if (typeof namespace !== 'string') {
      problems.add(
        'metadata.namespace',
        `"metadata.namespace" must be ${DNS_LABEL_RULE} but found ${describeValue(namespace)}`,
      );
    } else if (!isValidDnsLabel(namespace)) {
      problems.add(
        'metadata.namespace',
        namespace === ''
          ? `"metadata.namespace" must not be empty; remove it to use "default", or expected ${DNS_LABEL_RULE}`
          : formatError('metadata.namespace', DNS_LABEL_RULE, namespace, dnsLabelHint(namespace)),
      );
    }
  }
  checkOptionalString(problems, 'metadata.title', title, true);
  checkOptionalString(problems, 'metadata.description', description, false);
  checkOptionalString(problems, 'metadata.uid', uid, true);
  checkOptionalString(problems, 'metadata.etag', etag, true);
  checkStringMap(problems, 'metadata.labels', labels, 'label');
  checkStringMap(problems, 'metadata.annotations', annotations, 'annotation');

  if (tags !== undefined) {
    if (!Array.isArray(tags)) {
      problems.add(
        'metadata.tags',
        `"metadata.tags" must be a list of tags (e.g. [java, data]) but found ${describeValue(tags)}`,
      );
    } else {
      for (let i = 0; i < tags.length; i++) {
        const tag = tags[i];
        const path = `metadata.tags[${i}]`;
        if (typeof tag !== 'string') {
          problems.add(
            path,
            `"${path}" must be a string (${TAG_RULE}) but found ${describeValue(tag)}`,
          );
        } else if (!isValidTag(tag)) {
          problems.add(path, formatError(path, TAG_RULE, tag, tag ? tagHint(tag) : 'it is empty'));
        }
      }
    }
  }

  if (links !== undefined) {
    if (!Array.isArray(links)) {
      problems.add(
        'metadata.links',
        `"metadata.links" must be a list of links, each { url, title?, icon?, type? }, but found ${describeValue(links)}`,
      );
    } else {
      for (let i = 0; i < links.length; i++) {
        const link = links[i];
        const path = `metadata.links[${i}]`;
        if (!isRecord(link)) {
          problems.add(
            path,
            `"${path}" must be an object { url, title?, icon?, type? } but found ${describeValue(link)}`,
          );
          continue;
        }
        const url = link.url;
        if (url === undefined) {
          problems.add(
            `${path}.url`,
            `"${path}.url" is required; expected an absolute URL, e.g. "https://example.com/dashboard"`,
          );
        } else if (!isValidUrl(url)) {
          problems.add(
            `${path}.url`,
            `"${path}.url" is not valid; expected a string that is a valid absolute url (e.g. "https://example.com/dashboard") but found ${describeValue(url)}`,
          );
        }
        for (const key of ['title', 'icon', 'type'] as const) {
          const v = link[key];
          if (v === undefined) continue;
          // Backstage requires title and icon to have a non-blank character; type only
          // needs to be non-empty.
          const ok = key === 'type' ? typeof v === 'string' && v !== '' : isNonEmptyString(v);
          if (!ok) {
            problems.add(
              `${path}.${key}`,
              `"${path}.${key}" must be a non-empty string but found ${describeValue(v)}; remove it or give it a value`,
            );
          }
        }
      }
    }
  }
}

function pointerSegments(pointer: string, root: unknown): PathSegment[] {
  if (!pointer) return [];
  const segments: PathSegment[] = [];
  let current: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.includes('~') ? raw.replace(/~1/g, '/').replace(/~0/g, '~') : raw;
    if (Array.isArray(current)) {
      const index = Number(key);
      segments.push(index);
      current = current[index];
    } else {
      segments.push(key);
      current = isRecord(current) ? current[key] : undefined;
    }
  }
  return segments;
}

function checkSpecSchema(problems: Problems, spec: JsonObject, compiled: CompiledKind): void {
  const validate = compiled.validateSpec;
  if (validate(spec)) return;
  const errors = validate.errors ?? [];
  const kind = compiled.definition.kind;

  // A failed oneOf/anyOf explains itself; drop the per-branch errors under it.
  const alternatives = errors
    .filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf')
    .map((e) => `${e.schemaPath}/`);
  const relevant = errors.filter(
    (e) => e.keyword !== 'if' && !alternatives.some((prefix) => e.schemaPath.startsWith(prefix)),
  );

  for (const error of relevant) {
    const base = ['spec', ...pointerSegments(error.instancePath, spec)];
    const path = formatPath(base);
    const e = error as ErrorObject & { parentSchema?: unknown; data?: unknown };
    switch (error.keyword) {
      case 'required': {
        const missing = String((error.params as { missingProperty?: string }).missingProperty);
        const missingPath = appendPath(path, missing);
        const properties = isRecord(e.parentSchema) ? e.parentSchema.properties : undefined;
        const schema = isRecord(properties) ? properties[missing] : undefined;
        const forKind = base.length === 1 ? ` for kind ${kind}` : '';
        problems.add(
          missingPath,
          `"${missingPath}" is required${forKind}; expected ${expectation(schema)}`,
        );
        break;
      }
      case 'type':
        problems.add(
          path,
          `"${path}" must be ${describeSchema(e.parentSchema)} but found ${describeValue(e.data)}${purpose(e.parentSchema)}`,
        );
        break;
      case 'minLength': {
        const limit = Number((error.params as { limit?: number }).limit);
        problems.add(
          path,
          limit === 1
            ? `"${path}" must not be empty${purpose(e.parentSchema)}`
            : `"${path}" must be at least ${limit} characters long${purpose(e.parentSchema)}`,
        );
        break;
      }
      case 'enum':
        problems.add(
          path,
          `"${path}" must be ${describeSchema(e.parentSchema)} but found ${describeValue(e.data)}`,
        );
        break;
      case 'additionalProperties': {
        const extra = String((error.params as { additionalProperty?: string }).additionalProperty);
        const extraPath = appendPath(path, extra);
        const properties = isRecord(e.parentSchema) ? e.parentSchema.properties : undefined;
        const allowed = isRecord(properties) ? Object.keys(properties) : [];
        problems.add(
          extraPath,
          `"${extraPath}" is not an allowed field${allowed.length ? `; allowed fields are ${allowed.join(', ')}` : ''}`,
        );
        break;
      }
      case 'oneOf':
      case 'anyOf':
        problems.add(
          path,
          `"${path}" is not valid; expected ${expectation(e.parentSchema)}, but found ${describeValue(e.data)}`,
        );
        break;
      default:
        problems.add(
          path,
          `"${path}" ${error.message ?? 'is not valid'} but found ${describeValue(e.data)}${purpose(e.parentSchema)}`,
        );
    }
  }
}

function refExample(field: CompiledRefField, value: string): string {
  const kinds =
    field.keys.at(-1) === 'dependsOn' || field.keys.at(-1) === 'dependencyOf'
      ? ['component', 'resource']
      : ['component'];
  return kinds.map((k) => JSON.stringify(`${k}:${value}`)).join(' or ');
}

/** Whether `parseEntityRef(ref, { defaultKind, defaultNamespace })` would succeed. */
function isParsableRef(ref: string, hasDefaultKind: boolean): boolean {
  if (ref === '') return false;
  let colon = ref.indexOf(':');
  const slash = ref.indexOf('/');
  if (slash !== -1 && slash < colon) colon = -1;
  if (colon === 0 || slash === colon + 1) return false;
  if (Math.max(colon, slash) === ref.length - 1) return false;
  return colon !== -1 || hasDefaultKind;
}

function checkRefs(
  problems: Problems,
  spec: JsonObject,
  compiled: CompiledKind,
  namespace: string,
): void {
  for (const field of compiled.refFields) {
    let value: unknown = spec;
    for (const key of field.keys) value = isRecord(value) ? value[key] : undefined;
    if (value === undefined || value === null) continue;
    const fieldPath = field.problemPath;
    const isList = Array.isArray(value);
    const items: unknown[] = Array.isArray(value) ? value : [value];
    const hasDefaultKind = field.defaultKind !== undefined;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (typeof item === 'string' && isParsableRef(item, hasDefaultKind)) continue;
      const path = isList ? `${fieldPath}[${i}]` : fieldPath;
      // The spec schema may already have said what is wrong here.
      if (problems.paths.has(fieldPath) || problems.paths.has(path)) continue;
      if (typeof item !== 'string') {
        problems.add(
          path,
          `"${path}" must be an entity ref string like "[<kind>:][<namespace>/]<name>" but found ${describeValue(item)}`,
        );
        continue;
      }
      let message = `Entity reference "${item}" was not on the form [<kind>:][<namespace>/]<name>`;
      try {
        parseEntityRef(item, { defaultKind: field.defaultKind, defaultNamespace: namespace });
      } catch (error) {
        message = error instanceof Error ? error.message : String(error);
      }
      const hint =
        !hasDefaultKind && message.includes('missing or empty kind')
          ? `; "${fieldPath}" has no default kind, so each ref must name its kind, e.g. ${refExample(field, item)}`
          : '; expected [<kind>:][<namespace>/]<name> with no empty part';
      problems.add(path, `"${path}": ${message}${hint}`);
    }
  }
}

/** The kind's own checks; a path the schema already reported, or one below it, is skipped. */
function checkKindRules(problems: Problems, entity: JsonObject, definition: KindDefinition): void {
  if (!definition.validate) return;
  const reported = [...problems.paths];
  let found: { path: string; message: string }[];
  try {
    found = definition.validate(entity as unknown as Entity);
  } catch (error) {
    problems.add(
      'spec',
      `The ${definition.kind} could not be checked: ${(error as Error).message}`,
    );
    return;
  }
  for (const { path, message } of found) {
    const covered = reported.some(
      (p) => p === path || path.startsWith(`${p}.`) || path.startsWith(`${p}[`),
    );
    if (!covered) problems.add(path, message);
  }
}

function entityRefText(kind: unknown, namespace: unknown, name: unknown): string {
  const part = (v: unknown, fallback: string) =>
    typeof v === 'string' && v ? v.toLowerCase() : fallback;
  return `${part(kind, '<kind>')}:${part(namespace, DEFAULT_NAMESPACE)}/${part(name, '<name>')}`;
}

/**
 * "Component, API (apiVersion "backstage.io/v1alpha1" or "backstage.io/v1beta1"); Template
 * (apiVersion "scaffolder.backstage.io/v1beta3")": kinds grouped by their apiVersions.
 */
function describeKinds(registry: KindRegistry): string {
  const groups = new Map<string, string[]>();
  for (const kind of registry.kinds()) {
    const versions = registry
      .apiVersionsOf(kind)
      .map((v) => `"${v}"`)
      .join(' or ');
    const group = groups.get(versions);
    if (group) group.push(kind);
    else groups.set(versions, [kind]);
  }
  return [...groups]
    .map(([versions, kinds]) => `${kinds.join(', ')} (apiVersion ${versions})`)
    .join('; ');
}

function quoteList(values: string[]): string {
  return values.map((v) => `"${v}"`).join(' or ');
}

/**
 * Validates one raw document (as parsed from YAML or JSON) against Backstage's rules and
 * the kinds in `registry`. Returns every problem found and, when there are none, a
 * normalized deep copy: namespace defaulted to `default`, the kind's sorted arrays sorted,
 * `javascript:` view-url/edit-url annotations replaced by {@link REJECTED_ANNOTATION_URL}.
 */
export function validateEntity(raw: unknown, registry: KindRegistry): ValidationResult {
  if (
    !isRecord(raw) ||
    (Object.getPrototypeOf(raw) !== Object.prototype && Object.getPrototypeOf(raw) !== null)
  ) {
    return {
      problems: [
        problem(
          '',
          `An entity must be an object (a YAML mapping with apiVersion, kind, metadata and spec) but found ${describeValue(raw)}`,
        ),
      ],
    };
  }

  const copier = new Copier();
  const entity = copier.copy(raw) as JsonObject;
  if (copier.caseSuspect()) copier.problems.push(...findCaseCollisions(entity));
  const problems = new Problems(copier.badPaths);

  for (const key of Object.keys(entity)) {
    if (ROOT_KEYS.has(key)) continue;
    if (key === 'relations' || key === 'status') {
      problems.add(
        key,
        `Unknown field ${key}; "${key}" is computed by the catalog and must not be written in the entity file, remove it`,
      );
    } else {
      problems.add(
        appendPath('', key),
        `Malformed envelope, <root> must NOT have additional properties: found "${key}", but the only allowed root fields are apiVersion, kind, metadata and spec (did you mean to put it under metadata or spec?)`,
      );
    }
  }

  const { apiVersion, kind, metadata, spec } = entity;
  let apiVersionOk = checkRequiredString(
    problems,
    'apiVersion',
    apiVersion,
    'a string',
    'backstage.io/v1alpha1',
  );
  if (apiVersionOk && typeof apiVersion === 'string' && !isValidApiVersion(apiVersion)) {
    apiVersionOk = false;
    const text: string = apiVersion;
    problems.add(
      'apiVersion',
      formatError('apiVersion', API_VERSION_RULE, text, apiVersionHint(text)),
    );
  }
  let kindOk = checkRequiredString(problems, 'kind', kind, 'a string', 'Component');
  if (kindOk && typeof kind === 'string' && !isValidKind(kind)) {
    kindOk = false;
    const text: string = kind;
    problems.add(
      'kind',
      formatError(
        'kind',
        KIND_RULE,
        text,
        text.length > 63
          ? `it is ${text.length} characters long`
          : 'it must start with a letter and contain only letters and digits',
      ),
    );
  }

  checkMetadata(problems, metadata);
  const meta = isRecord(metadata) ? metadata : undefined;
  const namespace =
    typeof meta?.namespace === 'string' && meta.namespace ? meta.namespace : DEFAULT_NAMESPACE;

  let specOk = true;
  if (spec !== undefined && !isRecord(spec)) {
    specOk = false;
    problems.add('spec', `"spec" must be an object but found ${describeValue(spec)}`);
  }

  let compiled: CompiledKind | undefined;
  if (apiVersionOk && kindOk) {
    const kindName = kind as string;
    const version = apiVersion as string;
    compiled = registry.getCompiled(kindName, version);
    if (!compiled) {
      const prefix = `No processor recognized the entity ${entityRefText(kind, namespace, meta?.name)} as valid, possibly caused by a foreign kind or apiVersion`;
      const versions = registry.apiVersionsOf(kindName);
      if (versions.length > 0) {
        problems.add(
          'apiVersion',
          `${prefix}: kind ${kindName} accepts apiVersion ${quoteList(versions)} but found "${version}"`,
        );
      } else {
        const sameIgnoringCase = registry.kindIgnoringCase(kindName);
        const hint = sameIgnoringCase
          ? ` (kinds are case-sensitive: did you mean "${sameIgnoringCase}"?)`
          : '';
        problems.add(
          'kind',
          `${prefix}: kind "${kindName}" is not known${hint}; known kinds are ${describeKinds(registry)}`,
        );
      }
    }
  }

  if (compiled && specOk) {
    const definition = compiled.definition;
    if (spec === undefined) {
      if (definition.specRequired) {
        const required =
          isRecord(definition.specSchema) && Array.isArray(definition.specSchema.required)
            ? (definition.specSchema.required as string[])
            : [];
        problems.add(
          'spec',
          `"spec" is required for kind ${definition.kind}${required.length ? `; it must have ${required.join(', ')}` : '; it may be an empty object {}'}`,
        );
      }
    } else {
      checkSpecSchema(problems, spec as JsonObject, compiled);
      checkRefs(problems, spec as JsonObject, compiled, namespace);
      checkKindRules(problems, entity, definition);
    }
  }

  const all = problems.list.concat(copier.problems);
  if (all.length > 0) return { problems: all };

  // Normalize the copy.
  const result = entity as unknown as Entity;
  if (!result.metadata.namespace) {
    result.metadata = { namespace: DEFAULT_NAMESPACE, ...result.metadata };
  }
  const annotations = result.metadata.annotations;
  if (annotations) {
    for (const key of [ANNOTATION_VIEW_URL, ANNOTATION_EDIT_URL]) {
      const value = annotations[key];
      if (typeof value === 'string' && isScriptUrl(value))
        annotations[key] = REJECTED_ANNOTATION_URL;
    }
  }
  if (compiled && result.spec) {
    for (const keys of compiled.sortedArrays) {
      let value: unknown = result.spec;
      for (const key of keys) value = isRecord(value) ? value[key] : undefined;
      if (Array.isArray(value) && value.every((item) => typeof item === 'string')) value.sort();
    }
  }
  return { entity: result, problems: [] };
}
