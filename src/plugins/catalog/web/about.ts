/**
 * What the About card derives from an entity's annotations: where its source lives, where to
 * view and edit its catalog file, and where its docs are. How a location annotation reads to a
 * person (a `file:` target is the server's own path: shown relative, never whole) is the
 * shell's `displayLocation`, re-exported here for the catalog's pages.
 */
import {
  ANNOTATION_EDIT_URL,
  ANNOTATION_MANAGED_BY_LOCATION,
  ANNOTATION_SOURCE_LOCATION,
  ANNOTATION_VIEW_URL,
  type Entity,
} from '../../../model/entity.ts';
import { parseEntityRef } from '../../../model/ref.ts';

export {
  displayLocation,
  displayLocationRef,
  displayMessage,
  displayPath,
  isLocationAnnotation,
  LOCATION_ANNOTATIONS,
  locationBase,
  locationDirectory,
  withDisplayedLocations,
} from '../../../web/plugin-api.ts';

const TECHDOCS_REF = 'backstage.io/techdocs-ref';
const TECHDOCS_ENTITY = 'backstage.io/techdocs-entity';

/** A `url:` location's URL, or undefined for other types. */
function urlOf(value: string | undefined): string | undefined {
  const target = value?.startsWith('url:') ? value.slice('url:'.length) : undefined;
  return target && /^https?:\/\//i.test(target) ? target : undefined;
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
