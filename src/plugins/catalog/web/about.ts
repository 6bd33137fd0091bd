/**
 * What the About card derives from an entity's annotations: where its source lives, where to
 * view and edit its catalog file, where its docs are, and how a location annotation reads to
 * a person. A `file:` location is the server's own path: it is shown relative to the
 * directory of the location the entity came from, or as the file's base name, never whole.
 */
import {
  ANNOTATION_EDIT_URL,
  ANNOTATION_MANAGED_BY_LOCATION,
  ANNOTATION_MANAGED_BY_ORIGIN_LOCATION,
  ANNOTATION_SOURCE_LOCATION,
  ANNOTATION_VIEW_URL,
  type Entity,
} from '../../../model/entity.ts';
import { parseEntityRef } from '../../../model/ref.ts';

const TECHDOCS_REF = 'backstage.io/techdocs-ref';
const TECHDOCS_ENTITY = 'backstage.io/techdocs-entity';

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
 * A location annotation as a person should read it. `file:` targets under `base` become
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

/** A server file path (a problem's file) as `displayLocation` shows it, without `file:`. */
export function displayPath(path: string, base: string | undefined): string {
  return displayLocation(`file:${path}`, base).slice('file:'.length);
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

/** A `url:` location's URL, or undefined for other types. */
function urlOf(value: string | undefined): string | undefined {
  const parsed = splitLocation(value ?? '');
  return parsed?.type === 'url' && /^https?:\/\//i.test(parsed.target) ? parsed.target : undefined;
}

/** The edit page of a file's view URL on GitHub or GitLab; undefined where it cannot be told. */
export function editUrlOf(viewUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(viewUrl);
  } catch {
    return undefined;
  }
  // GitLab (any host): /group/project/-/blob/<ref>/<path>
  if (url.pathname.includes('/-/blob/')) {
    url.pathname = url.pathname.replace('/-/blob/', '/-/edit/');
    return url.toString();
  }
  // GitHub and GitHub Enterprise: /owner/repo/blob/<ref>/<path>
  if (/github/i.test(url.hostname)) {
    const parts = url.pathname.split('/');
    if (parts[3] === 'blob') {
      parts[3] = 'edit';
      url.pathname = parts.join('/');
      return url.toString();
    }
  }
  return undefined;
}

export interface SourceLinks {
  /** The source repository or directory (a web page). */
  repository?: { url: string; label: string };
  /** The entity's catalog file, to read. */
  viewUrl?: string;
  /** The entity's catalog file, to edit. */
  editUrl?: string;
}

function repositoryLabel(url: string): string {
  try {
    const parsed = new URL(url);
    const path = parsed.pathname.replace(/\/(?:-\/)?tree\/.*$/, '').replace(/\/+$/, '');
    return `${parsed.host}${path}`;
  } catch {
    return url;
  }
}

/**
 * Where an entity's source lives and its catalog file can be viewed and edited: the view and
 * edit annotations when set, else what a `url:` location it was read from implies.
 */
export function sourceLinks(annotations: Record<string, string>): SourceLinks {
  const links: SourceLinks = {};
  const source = urlOf(annotations[ANNOTATION_SOURCE_LOCATION]);
  const githubSlug = annotations['github.com/project-slug'];
  const gitlabSlug = annotations['gitlab.com/project-slug'];
  if (source) links.repository = { url: source, label: repositoryLabel(source) };
  else if (githubSlug)
    links.repository = {
      url: `https://github.com/${githubSlug}`,
      label: `github.com/${githubSlug}`,
    };
  else if (gitlabSlug)
    links.repository = {
      url: `https://gitlab.com/${gitlabSlug}`,
      label: `gitlab.com/${gitlabSlug}`,
    };
  links.viewUrl =
    annotations[ANNOTATION_VIEW_URL] || urlOf(annotations[ANNOTATION_MANAGED_BY_LOCATION]);
  links.editUrl =
    annotations[ANNOTATION_EDIT_URL] || (links.viewUrl ? editUrlOf(links.viewUrl) : undefined);
  return links;
}

/**
 * The docs reader path of an entity with docs (`backstage.io/techdocs-ref`), or of the entity
 * its `backstage.io/techdocs-entity` names; undefined without docs.
 */
export function docsPath(entity: Pick<Entity, 'kind' | 'metadata'>): string | undefined {
  const annotations = entity.metadata.annotations ?? {};
  const namespace = entity.metadata.namespace ?? 'default';
  let triplet: { kind: string; namespace: string; name: string } | undefined;
  const borrowed = annotations[TECHDOCS_ENTITY];
  if (borrowed) {
    try {
      triplet = parseEntityRef(borrowed, { defaultNamespace: namespace });
    } catch {
      return undefined;
    }
  } else if (annotations[TECHDOCS_REF]) {
    triplet = { kind: entity.kind, namespace, name: entity.metadata.name };
  }
  if (!triplet) return undefined;
  const { kind, namespace: ns, name } = triplet;
  return `/docs/${[ns, kind, name].map((s) => encodeURIComponent(s.toLowerCase())).join('/')}`;
}
