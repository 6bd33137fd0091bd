/**
 * Field-format predicates with exactly Backstage's rules (catalog-model `makeValidator()`,
 * COMPAT.md §1.2). Regexes are compiled once; every predicate accepts `unknown`.
 */

const OBJECT_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_LABEL = /^[a-z0-9]+(?:-+[a-z0-9]+)*$/;
const KIND = /^[a-zA-Z][a-z0-9A-Z]*$/;
const API_VERSION_SUFFIX = /^[a-z0-9A-Z]+$/;
const TAG = /^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$/;

/** 1–63 chars of `[-A-Za-z0-9_.]`, starting and ending with a letter or digit. */
export function isValidEntityName(value: unknown): value is string {
  return (
    typeof value === 'string' && value.length >= 1 && value.length <= 63 && OBJECT_NAME.test(value)
  );
}

/** A DNS label: 1–63 chars of `[a-z0-9]` separated by dashes. */
export function isValidDnsLabel(value: unknown): value is string {
  return (
    typeof value === 'string' && value.length >= 1 && value.length <= 63 && DNS_LABEL.test(value)
  );
}

/** A namespace is a DNS label (lowercase only). */
export const isValidNamespace = isValidDnsLabel;

/** A DNS subdomain: 1–253 chars of `.`-separated DNS labels. */
export function isValidDnsSubdomain(value: unknown): value is string {
  if (typeof value !== 'string' || value.length < 1 || value.length > 253) return false;
  let start = 0;
  for (;;) {
    const dot = value.indexOf('.', start);
    const part = dot === -1 ? value.slice(start) : value.slice(start, dot);
    if (!isValidDnsLabel(part)) return false;
    if (dot === -1) return true;
    start = dot + 1;
  }
}

/** 1–63 chars, a letter then letters and digits (e.g. `Component`). */
export function isValidKind(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= 63 && KIND.test(value);
}

/**
 * `<prefix>/<suffix>` or `<suffix>` with at most one `/`: checks each part.
 */
function isValidPrefixAndOrSuffix(
  value: unknown,
  isValidPrefix: (v: string) => boolean,
  isValidSuffix: (v: string) => boolean,
): value is string {
  if (typeof value !== 'string') return false;
  const slash = value.indexOf('/');
  if (slash === -1) return isValidSuffix(value);
  if (value.indexOf('/', slash + 1) !== -1) return false;
  return isValidPrefix(value.slice(0, slash)) && isValidSuffix(value.slice(slash + 1));
}

function isValidApiVersionSuffix(value: string): boolean {
  return value.length >= 1 && value.length <= 63 && API_VERSION_SUFFIX.test(value);
}

/** `[<dns-subdomain>/]<1–63 alphanumerics>`, e.g. `backstage.io/v1alpha1`. */
export function isValidApiVersion(value: unknown): value is string {
  return isValidPrefixAndOrSuffix(value, isValidDnsSubdomain, isValidApiVersionSuffix);
}

/** `[<dns-subdomain>/]<name>` where name follows the entity name rule. */
export function isValidLabelKey(value: unknown): value is string {
  return isValidPrefixAndOrSuffix(value, isValidDnsSubdomain, isValidEntityName);
}

/** Same rule as label keys. */
export const isValidAnnotationKey = isValidLabelKey;

/** `""` or a string following the entity name rule. */
export function isValidLabelValue(value: unknown): value is string {
  return value === '' || isValidEntityName(value);
}

/** Any string. */
export function isValidAnnotationValue(value: unknown): value is string {
  return typeof value === 'string';
}

/** 1–63 chars of `[a-z0-9:+#]` separated by single dashes (`c++`, `lang:java`). */
export function isValidTag(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= 63 && TAG.test(value);
}

const canParse = (URL as unknown as { canParse?: (url: string) => boolean }).canParse?.bind(URL);

/** Parses as an absolute URL (`new URL(value)` succeeds; `mailto:` passes, `/x` fails). */
export function isValidUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  if (canParse) return canParse(value);
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** A string with a non-whitespace character. */
export function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length >= 1;
}
