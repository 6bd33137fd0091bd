import { dirname, resolve, sep } from 'node:path';
import type { Entity } from '../model/entity.ts';

/** Steps that copy content from next to the template: a folder, or one file (`:file`). */
const FOLDER_ACTIONS = new Set(['fetch:template', 'fetch:plain']);
const FILE_ACTIONS = new Set(['fetch:template:file', 'fetch:plain:file']);

export interface SkeletonPaths {
  folders: string[];
  files: string[];
}

/**
 * Where a Template's skeletons lie: the `url` of its fetch steps, relative to the template
 * file. Those files hold `${{ values.x }}` and `{% if %}` to be rendered, so they are input to
 * the scaffolder, not catalog files. URLs, templated urls and a folder holding the template
 * itself (`url: ./`, ambiguous) are left out, so that nothing is skipped on a guess.
 */
export function skeletonPaths(template: Entity, templateFile: string): SkeletonPaths {
  const out: SkeletonPaths = { folders: [], files: [] };
  const steps = template.spec?.steps;
  if (!Array.isArray(steps)) return out;
  const base = dirname(templateFile);
  for (const step of steps) {
    if (!step || typeof step !== 'object') continue;
    const { action, input } = step as { action?: unknown; input?: { url?: unknown } };
    const url = input && typeof input === 'object' ? input.url : undefined;
    if (typeof action !== 'string' || typeof url !== 'string') continue;
    if (url.includes('${{') || /^[a-z][a-z0-9+.-]*:/i.test(url)) continue;
    const path = resolve(base, url);
    if (FOLDER_ACTIONS.has(action)) {
      if (!isBelow(templateFile, path)) out.folders.push(path);
    } else if (FILE_ACTIONS.has(action)) {
      if (path !== templateFile) out.files.push(path);
    }
  }
  return out;
}

export function isBelow(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}
