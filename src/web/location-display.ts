/**
 * How the server's own file paths read in the web app. A `file:` location target is a path on
 * the server: it is shown relative to the directory of a location (`file:./services/a.yaml`),
 * or as the file's base name, never whole, so the server's layout does not reach the page.
 * Every page that shows a location or a server file path (the entity page's About card,
 * Ingestion status, History and Raw tabs, the health page, the audit log) goes through here;
 * the catalog REST API keeps sending the annotations as Backstage does.
 */
import {
  ANNOTATION_MANAGED_BY_LOCATION,
  ANNOTATION_MANAGED_BY_ORIGIN_LOCATION,
  ANNOTATION_SOURCE_LOCATION,
} from '../model/entity.ts';

/** Annotations whose value is a location reference (`type:target`). */
export const LOCATION_ANNOTATIONS: readonly string[] = [
  ANNOTATION_MANAGED_BY_LOCATION,
  ANNOTATION_MANAGED_BY_ORIGIN_LOCATION,
  ANNOTATION_SOURCE_LOCATION,
];

/** `type:target` split at the first colon; undefined without one. */
function splitLocation(value: string): { type: string; target: string } | undefined {
  const colon = value.indexOf(':');
  if (colon <= 0) return undefined;
  return { type: value.slice(0, colon), target: value.slice(colon + 1) };
}

/** A server path with forward slashes (a Windows server writes backslashes). */
const slashes = (path: string) => path.replace(/\\/g, '/');

function directoryOf(path: string): string {
  const p = slashes(path);
  return p.endsWith('/') ? p.replace(/\/+$/, '') : p.slice(0, p.lastIndexOf('/'));
}

function baseName(path: string): string {
  const p = slashes(path);
  const trailing = p.endsWith('/');
  const parts = p.split('/').filter(Boolean);
  const last = parts.at(-1) ?? '';
  return trailing && last ? `${last}/` : last;
}

/**
 * The directory `file:` locations of this entity are shown relative to: that of the location
 * it was registered through (the origin), else that of the file it was read from.
 */
export function locationBase(annotations: Record<string, string>): string | undefined {
  for (const key of [ANNOTATION_MANAGED_BY_ORIGIN_LOCATION, ANNOTATION_MANAGED_BY_LOCATION]) {
    const base = locationDirectory(annotations[key] ?? '');
    if (base) return base;
  }
  return undefined;
}

/** The directory of a `file:` location reference (`file:/srv/x/a.yaml` gives `/srv/x`). */
export function locationDirectory(value: string): string | undefined {
  const parsed = splitLocation(value);
  return parsed?.type === 'file' && parsed.target ? directoryOf(parsed.target) : undefined;
}

/**
 * A location reference as a person should read it. `file:` targets under `base` become
 * `file:./relative/path`; any other `file:` target (or one with no base) its base name only;
 * other types are shown as written.
 */
export function displayLocation(value: string, base: string | undefined): string {
  const parsed = splitLocation(value);
  if (parsed?.type !== 'file') return value;
  const target = slashes(parsed.target);
  if (base) {
    const root = base.endsWith('/') ? base : `${base}/`;
    if (target === base || target === root) return 'file:./';
    if (target.startsWith(root)) return `file:./${target.slice(root.length)}`;
  }
  return `file:${baseName(target)}`;
}

/**
 * A registered location named on its own (the health page, the audit log), with no entity to
 * be relative to: a `file:` one from the folder above its own, so that two catalog-info.yaml
 * read apart by the folder that holds them (`file:./examples/catalog-info.yaml`).
 */
export function displayLocationRef(type: string, target: string): string {
  const value = `${type}:${target}`;
  const base = locationDirectory(value);
  return displayLocation(value, base ? locationDirectory(`file:${base}`) : undefined);
}

/** A server file path (a problem's file) as `displayLocation` shows it, without `file:`. */
export function displayPath(path: string, base: string | undefined): string {
  return displayLocation(`file:${path}`, base).slice('file:'.length);
}

/** Whether a value is an absolute path on a server (`/srv/x`, `C:\x`), not a ref or a URL. */
export function isServerPath(value: string): boolean {
  return /^(?:\/(?!\/)|[A-Za-z]:[\\/])/.test(value);
}

/**
 * A server message (a read error) with the paths under `base` it names made relative to it,
 * as `displayLocation` shows them.
 */
export function displayMessage(message: string, base: string | undefined): string {
  if (!base) return message;
  const root = base.endsWith('/') ? base : `${base}/`;
  // A Windows server writes its paths with backslashes; `base` has forward slashes.
  return message.split(root).join('./').split(root.replace(/\//g, '\\')).join('./');
}

/** Whether an annotation's value is shown through `displayLocation`. */
export function isLocationAnnotation(key: string): boolean {
  return LOCATION_ANNOTATIONS.includes(key);
}

/**
 * The entity with its location annotations as `displayLocation` shows them (the Raw tab):
 * everything else exactly as the catalog API sends it.
 */
export function withDisplayedLocations<
  T extends { metadata: { annotations?: Record<string, string> } },
>(entity: T): T {
  const annotations = entity.metadata.annotations;
  if (!annotations || !LOCATION_ANNOTATIONS.some((key) => key in annotations)) return entity;
  const base = locationBase(annotations);
  const shown: Record<string, string> = {};
  for (const [key, value] of Object.entries(annotations))
    shown[key] = isLocationAnnotation(key) ? displayLocation(value, base) : value;
  return { ...entity, metadata: { ...entity.metadata, annotations: shown } };
}
