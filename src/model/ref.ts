/**
 * Entity refs (`[<kind>:][<namespace>/]<name>`) and location refs (`<type>:<target>`),
 * parsed and printed exactly as Backstage's catalog-model does (COMPAT.md §3.1, §4).
 */
import { type CompoundEntityRef, DEFAULT_NAMESPACE, type Entity } from './entity.ts';

/** Where a ref that omits parts of itself is resolved. */
export interface EntityRefContext {
  /** Kind assumed when the ref has no `kind:` part. Without it such a ref is an error. */
  defaultKind?: string;
  /** Namespace assumed when the ref has no `namespace/` part; `default` if not given. */
  defaultNamespace?: string;
}

/** The object form of a ref accepted by {@link parseEntityRef}. */
export interface EntityRefObject {
  kind?: string;
  namespace?: string;
  name: string;
}

function parseRefString(ref: string): { kind?: string; namespace?: string; name: string } {
  let colon = ref.indexOf(':');
  const slash = ref.indexOf('/');
  // A `/` before the first `:` means the colon belongs to the name (`ns/a:b`).
  if (slash !== -1 && slash < colon) colon = -1;
  const kind = colon === -1 ? undefined : ref.slice(0, colon);
  const namespace = slash === -1 ? undefined : ref.slice(colon + 1, slash);
  const name = ref.slice(Math.max(colon + 1, slash + 1));
  if (kind === '' || namespace === '' || name === '') {
    throw new TypeError(
      `Entity reference "${ref}" was not on the form [<kind>:][<namespace>/]<name>`,
    );
  }
  return { kind, namespace, name };
}

/**
 * Parses an entity ref. Case is kept as written; use {@link stringifyEntityRef} for the
 * canonical lowercase form. Throws a `TypeError` for a malformed string and an `Error`
 * when the kind is missing and `context.defaultKind` is not given.
 */
export function parseEntityRef(
  ref: string | EntityRefObject,
  context?: EntityRefContext,
): CompoundEntityRef {
  if (!ref) {
    throw new Error('Entity reference must not be empty');
  }
  const defaultKind = context?.defaultKind;
  const defaultNamespace = context?.defaultNamespace || DEFAULT_NAMESPACE;
  let kind: string | undefined;
  let namespace: string | undefined;
  let name: string | undefined;
  if (typeof ref === 'string') {
    const parsed = parseRefString(ref);
    kind = parsed.kind ?? defaultKind;
    namespace = parsed.namespace ?? defaultNamespace;
    name = parsed.name;
  } else {
    kind = ref.kind ?? defaultKind;
    namespace = ref.namespace ?? defaultNamespace;
    name = ref.name;
  }
  if (!kind) {
    throw new Error(
      `Entity reference ${JSON.stringify(ref)} had missing or empty kind (e.g. did not start with "component:" or similar)`,
    );
  }
  if (!namespace) {
    throw new Error(`Entity reference ${JSON.stringify(ref)} had missing or empty namespace`);
  }
  if (!name) {
    throw new Error(`Entity reference ${JSON.stringify(ref)} had missing or empty name`);
  }
  return { kind, namespace, name };
}

/**
 * The canonical ref `kind:namespace/name`, all lowercase. Accepts a parsed ref (namespace
 * optional, defaulting to `default`) or an entity (its `metadata.namespace`, else `default`).
 */
export function stringifyEntityRef(
  ref: CompoundEntityRef | EntityRefObject | Pick<Entity, 'kind' | 'metadata'>,
): string {
  let kind: string | undefined;
  let namespace: string | undefined;
  let name: string;
  if ('metadata' in ref) {
    kind = ref.kind;
    namespace = ref.metadata.namespace;
    name = ref.metadata.name;
  } else {
    kind = ref.kind;
    namespace = ref.namespace;
    name = ref.name;
  }
  if (!kind) {
    throw new TypeError(`Entity reference ${JSON.stringify(ref)} has no kind`);
  }
  return `${kind.toLowerCase()}:${(namespace || DEFAULT_NAMESPACE).toLowerCase()}/${name.toLowerCase()}`;
}

/** The `{kind, namespace, name}` of an entity, namespace defaulted; case kept. */
export function getCompoundEntityRef(entity: Pick<Entity, 'kind' | 'metadata'>): CompoundEntityRef {
  return {
    kind: entity.kind,
    namespace: entity.metadata.namespace || DEFAULT_NAMESPACE,
    name: entity.metadata.name,
  };
}

/** A location ref split into its parts, e.g. `{ type: 'url', target: 'https://…' }`. */
export interface LocationRef {
  type: string;
  target: string;
}

/**
 * Matches a `javascript:` URL the way browsers do: leading control characters and spaces
 * are skipped and tabs/newlines may appear inside the scheme name.
 */
const SCRIPT_PROTOCOL = new RegExp(
  `^[\\u0000-\\u001F ]*${[...'javascript'].join('[\\r\\n\\t]*')}[\\r\\n\\t]*:`,
  'i',
);

/** Whether a URL would run script when followed (a `javascript:` URL in any disguise). */
export function isScriptUrl(value: string): boolean {
  return SCRIPT_PROTOCOL.test(value);
}

/**
 * Parses a location ref `<type>:<target>`, split at the first `:`; both parts are trimmed
 * and must be non-empty. Throws a `TypeError` saying what was expected.
 */
export function parseLocationRef(ref: string): LocationRef {
  if (typeof ref !== 'string') {
    throw new TypeError(`Unable to parse location ref '${ref}', unexpected argument ${typeof ref}`);
  }
  const split = ref.indexOf(':');
  const type = split < 0 ? '' : ref.slice(0, split).trim();
  const target = split < 0 ? '' : ref.slice(split + 1).trim();
  if (!type || !target) {
    throw new TypeError(
      `Unable to parse location ref '${ref}', expected '<type>:<target>', e.g. 'url:https://host/path'`,
    );
  }
  if (type === 'http' || type === 'https') {
    throw new TypeError(
      `Invalid location ref '${ref}', please prefix it with 'url:', e.g. 'url:${ref}'`,
    );
  }
  if (isScriptUrl(target)) {
    throw new TypeError(`Invalid location ref '${ref}', target is a javascript: URL`);
  }
  return { type, target };
}

/** Prints a location ref as `<type>:<target>`; rejects empty parts and `javascript:` targets. */
export function stringifyLocationRef(ref: LocationRef): string {
  const { type, target } = ref;
  if (!type) {
    throw new TypeError('Unable to stringify location ref, empty type');
  }
  if (!target) {
    throw new TypeError('Unable to stringify location ref, empty target');
  }
  if (isScriptUrl(target)) {
    throw new TypeError(`Invalid location ref '${type}:${target}', target is a javascript: URL`);
  }
  return `${type}:${target}`;
}
