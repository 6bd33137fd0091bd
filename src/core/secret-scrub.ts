/**
 * Keeps secrets out of records that outlive a request (the audit log): values stored under a
 * key named like a secret are dropped, and URLs lose their password and secret-named query
 * parameters. This works on names, not on values: it cannot recognise a token pasted into a
 * free-text field, which is why callers put only what they mean to keep into audit details.
 *
 * The scaffolder's task-log scrubbers (SecretMasker, LogScrubber) do another job: they know
 * the task's secret values and its file system, and rewrite text that contains them.
 */

// Compared after lowercasing and removing `-`, `_` and `.`, so `client_secret`,
// `Client-Secret` and `clientSecret` are one name.
const EXACT = new Set([
  'code',
  'authcode',
  'nonce',
  'codeverifier',
  'bearer',
  'jwt',
  'pass',
  'pwd',
  'otp',
  'salt',
  'signature',
]);
const SUFFIXES = [
  'token',
  'tokens',
  'secret',
  'secrets',
  'password',
  'passwords',
  'passwd',
  'passphrase',
  'apikey',
  'apikeys',
  'privatekey',
  'credentials',
  'credential',
  'assertion',
];
const ANYWHERE = ['authorization', 'cookie', 'secret', 'password', 'session'];

/** Whether a key names something secret (`token`, `clientSecret`, `Authorization`, `code`…). */
export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_.\s]/g, '');
  if (EXACT.has(k)) return true;
  if (SUFFIXES.some((s) => k.endsWith(s))) return true;
  return ANYWHERE.some((s) => k.includes(s));
}

/** `scheme://user:password@host/...` or a query string with a secret-named parameter. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;

/**
 * A URL without its password and without query parameters named like secrets
 * (`?token=…`, `&client_secret=…`); text that is not a URL is returned as it is.
 */
function scrubUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  let changed = false;
  if (url.password) {
    url.password = '';
    changed = true;
  }
  if (url.username && /^[A-Za-z0-9_-]{20,}$/.test(url.username)) {
    // `https://<token>@host/...`: a token used as the user name.
    url.username = '';
    changed = true;
  }
  for (const name of [...url.searchParams.keys()]) {
    if (isSecretKey(name)) {
      url.searchParams.delete(name);
      changed = true;
    }
  }
  for (const name of [...new URLSearchParams(url.hash.slice(1)).keys()]) {
    // OAuth implicit and hybrid flows put tokens in the fragment.
    if (isSecretKey(name)) {
      url.hash = '';
      changed = true;
      break;
    }
  }
  return changed ? url.toString() : text;
}

/** Text with every URL in it scrubbed (see {@link scrubUrl}). */
export function scrubText(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_IN_TEXT, (match) => scrubUrl(match));
}

/**
 * A deep copy of a JSON-like value without keys named like secrets (case-insensitive, at any
 * depth), with URLs in strings scrubbed. Values that JSON cannot hold (functions, symbols)
 * are dropped; cycles are cut.
 */
export function scrubSecrets<T>(value: T): T {
  return walk(value, new WeakSet()) as T;
}

function walk(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') {
    return typeof value === 'function' || typeof value === 'symbol' ? undefined : value;
  }
  if (seen.has(value)) return undefined;
  seen.add(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => walk(v, seen) ?? null);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (isSecretKey(key)) continue;
    const scrubbed = walk(v, seen);
    if (scrubbed !== undefined) out[key] = scrubbed;
  }
  return out;
}
