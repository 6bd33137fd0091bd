/**
 * Telling catalog documents from the other YAML a glob over a repository reaches: API
 * definitions, plain config files. Used where files are surveyed (`atrium validate` over a
 * glob); a location's own reads stay strict, as Backstage's are.
 */

/**
 * Why a file was skipped as not being a catalog file: an API definition, YAML without
 * apiVersion and kind, or a file whose name says it is not YAML (README.md, index.js) and
 * that holds no catalog document.
 */
export type NotCatalogReason = 'api-definition' | 'no-envelope' | 'other-format';

export type DocumentClass =
  | { catalog: true }
  | { catalog: false; reason: NotCatalogReason; format?: string };

/** Top-level keys that mark a document as an API definition, with the format they name. */
const DEFINITION_KEYS: Array<[key: string, format: string]> = [
  ['openapi', 'OpenAPI'],
  ['swagger', 'Swagger'],
  ['asyncapi', 'AsyncAPI'],
];

/** API definition formats that are not YAML at all, by file extension. */
const DEFINITION_EXTENSIONS: Array<[pattern: RegExp, format: string]> = [
  [/\.(graphql|graphqls|gql)$/i, 'GraphQL'],
  [/\.proto$/i, 'Protocol Buffers'],
];

/** Whether a file's name says it holds YAML (JSON being YAML too). */
export function hasYamlName(target: string): boolean {
  return /\.(ya?ml|json)$/i.test(target.replace(/[?#].*$/, ''));
}

/** The API definition format a file's name gives away, before anything is parsed. */
export function definitionFormatOfPath(target: string): string | undefined {
  const path = target.replace(/[?#].*$/, '');
  return DEFINITION_EXTENSIONS.find(([pattern]) => pattern.test(path))?.[1];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasEnvelopeKey(value: Record<string, unknown>): boolean {
  return Object.hasOwn(value, 'apiVersion') || Object.hasOwn(value, 'kind');
}

/**
 * Whether a parsed (non-empty) document is meant as a catalog entity. A document with
 * either `apiVersion` or `kind` is, however wrong the rest is; so is a list whose items have
 * them (an entity written with "- " before each line). Anything else is not: a definition
 * format's top-level key names which, and plain data has no envelope at all.
 */
export function classifyDocument(value: unknown): DocumentClass {
  if (isRecord(value)) {
    if (hasEnvelopeKey(value)) return { catalog: true };
    const definition = DEFINITION_KEYS.find(([key]) => Object.hasOwn(value, key));
    if (definition) return { catalog: false, reason: 'api-definition', format: definition[1] };
    return { catalog: false, reason: 'no-envelope' };
  }
  if (Array.isArray(value) && value.some((item) => isRecord(item) && hasEnvelopeKey(item)))
    return { catalog: true };
  return { catalog: false, reason: 'no-envelope' };
}

/** The error for a non-entity document in a file whose other documents are entities. */
export function strayDocumentMessage(found: DocumentClass & { catalog: false }): string {
  if (found.reason === 'api-definition') {
    const article = /^[AEIOU]/.test(found.format ?? '') ? 'an' : 'a';
    return `This document is ${article} ${found.format} definition, but the other documents of this file are catalog entities; move it to a file of its own and reference it from the API entity (spec.definition: { $text: ./file.yaml })`;
  }
  return 'This document has neither apiVersion nor kind, but the other documents of this file are catalog entities; add them (e.g. "apiVersion: backstage.io/v1alpha1" and "kind: Component"), or move the document to a file of its own';
}
