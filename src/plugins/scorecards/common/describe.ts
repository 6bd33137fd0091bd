/** Values as check reasons show them, and as check results store them. */

const MAX_TEXT = 60;
const MAX_STORED_TEXT = 500;
const MAX_STORED_JSON = 2000;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `"production"`, `72`, `true`, `[java, go]`, `an object`: short, for one sentence. */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(clip(value, MAX_TEXT));
    case 'number':
    case 'boolean':
      return String(value);
    case 'undefined':
      return 'missing';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        if (value.length === 0) return 'an empty list';
        if (value.length <= 5 && value.every((v) => typeof v !== 'object' || v === null)) {
          return clip(
            `[${value.map((v) => (typeof v === 'string' ? v : String(v))).join(', ')}]`,
            MAX_TEXT,
          );
        }
        return `a list of ${value.length} items`;
      }
      return 'an object';
    }
    default:
      return typeof value;
  }
}

/**
 * The value a check result keeps: JSON-safe and bounded (long text clipped, large lists and
 * objects replaced by their clipped JSON text).
 */
export function storedValue(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
      return value.length > MAX_STORED_TEXT ? clip(value, MAX_STORED_TEXT) : value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'object': {
      if (value === null) return null;
      let json: string | undefined;
      try {
        json = JSON.stringify(value);
      } catch {
        return describeValue(value);
      }
      if (json === undefined) return undefined;
      return json.length > MAX_STORED_JSON ? clip(json, MAX_STORED_JSON) : JSON.parse(json);
    }
    default:
      return undefined;
  }
}

/** "1 item", "3 items". */
export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
