/**
 * What a GitLab webhook delivery says, for the GitLab providers: project webhooks and group
 * webhooks (`push`, member and subgroup events) and system hooks (`project_*`, `group_*`,
 * `user_*`, `repository_update`) carry the event in `event_name` or `object_kind`.
 */
import type { WebhookEvent } from '../types.ts';

/** `push`, `project_destroy`, `user_add_to_group`, …; undefined for another source. */
export function gitlabEventName(event: WebhookEvent): string | undefined {
  if (event.source !== 'gitlab') return undefined;
  const { event_name: eventName, object_kind: objectKind } = event.payload;
  if (typeof eventName === 'string' && eventName) return eventName;
  if (typeof objectKind === 'string' && objectKind) return objectKind;
  return event.type || undefined;
}

/** Project events of system hooks that change which projects (and locations) exist. */
export const PROJECT_EVENTS = new Set([
  'project_create',
  'project_destroy',
  'project_rename',
  'project_transfer',
  'project_update',
]);

/** Group, user and membership events that change the organisation data. */
export const ORG_EVENTS = new Set([
  'group_create',
  'group_destroy',
  'group_rename',
  'subgroup_create',
  'subgroup_destroy',
  'user_create',
  'user_destroy',
  'user_rename',
  'user_add_to_group',
  'user_remove_from_group',
  'user_update_for_group',
  'user_access_request_to_group',
]);

export interface GitlabPush {
  projectId: number;
  pathWithNamespace: string;
  webUrl?: string;
  defaultBranch?: string;
  /** The branch pushed to (`refs/heads/<branch>`); undefined for tags. */
  branch?: string;
  /** Files added, modified or removed by the commits the payload lists. */
  touched: Set<string>;
  /** GitLab lists at most 20 commits: when more were pushed, `touched` is incomplete. */
  truncated: boolean;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}

/** The parts of a `push` (or `repository_update`) payload the discovery provider needs. */
export function parsePush(payload: Record<string, unknown>): GitlabPush | undefined {
  const project = (payload.project ?? {}) as Record<string, unknown>;
  const projectId = Number(payload.project_id ?? project.id);
  const pathWithNamespace = text(project.path_with_namespace);
  if (!Number.isInteger(projectId) || !pathWithNamespace) return undefined;
  const refs: string[] = [];
  if (typeof payload.ref === 'string') refs.push(payload.ref);
  // repository_update (system hook) lists its refs under `changes`.
  for (const change of (payload.changes as Array<Record<string, unknown>> | undefined) ?? []) {
    if (typeof change?.ref === 'string') refs.push(change.ref);
  }
  const branchRef = refs.find((ref) => ref.startsWith('refs/heads/'));
  const commits = (payload.commits as Array<Record<string, unknown>> | undefined) ?? [];
  const touched = new Set<string>();
  for (const commit of commits) {
    for (const key of ['added', 'modified', 'removed']) {
      for (const file of (commit?.[key] as unknown[] | undefined) ?? []) {
        if (typeof file === 'string') touched.add(file.replace(/^\/+/, ''));
      }
    }
  }
  const total = Number(payload.total_commits_count ?? commits.length);
  return {
    projectId,
    pathWithNamespace,
    ...(text(project.web_url) ? { webUrl: text(project.web_url) } : {}),
    ...(text(project.default_branch) ? { defaultBranch: text(project.default_branch) } : {}),
    ...(branchRef ? { branch: branchRef.slice('refs/heads/'.length) } : {}),
    touched,
    // A system hook's repository_update has no file list at all.
    truncated: total > commits.length || payload.event_name === 'repository_update',
  };
}

/**
 * The group full paths a group or subgroup event is about. Member events carry only the
 * group's own path (`group_path`), which says nothing about where it is: they are matched by id.
 */
export function eventGroupPaths(payload: Record<string, unknown>): string[] {
  return [payload.full_path, payload.old_full_path, payload.parent_full_path].filter(
    (p): p is string => typeof p === 'string' && p !== '',
  );
}
