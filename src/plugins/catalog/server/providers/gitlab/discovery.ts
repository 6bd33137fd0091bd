/**
 * GitLab discovery (`catalog.providers.gitlab.<id>`, Backstage's keys): the projects of a group
 * (subgroups included) that pass the filters and have the catalog file on their branch become
 * `url` locations `<web_url>/-/blob/<branch>/<catalogFile>`. The file check is the raw file
 * request itself, conditional on its ETag: its text goes to the catalog as `prefetched`, so the
 * read that follows sends nothing, and an unchanged file costs a 304 on the next scan.
 * Webhooks (push, system hooks for projects) turn into effects on single locations.
 */
import {
  BudgetExceededError,
  RateLimitError,
  ScmHttpClient,
} from '../../../../../core/reading/scm-http.ts';
import type {
  CatalogProvider,
  CatalogProviderFactory,
  DiscoveredLocation,
  ProviderContext,
  ProviderEffect,
  ProviderError,
  ScanResult,
  WebhookEvent,
} from '../types.ts';
import { eachLimited, GitlabApi } from './api.ts';
import {
  type GitlabProject,
  type GitlabCatalogProviderConfig,
  gitlabTarget,
  locationTarget,
  type ProjectFilters,
  projectBranch,
  projectFilters,
} from './config.ts';
import { gitlabEventName, PROJECT_EVENTS, parsePush } from './events.ts';

/** File checks in flight at once during a scan. */
const CONCURRENCY = 8;

export interface GitlabDiscoveryOptions {
  /** Requests one scan may send; unlimited when absent. */
  budget?: number;
  /** Passed to the HTTP client (tests shorten the waits). */
  maxWaitMs?: number;
  backoffMs?: number;
}

export class GitlabDiscoveryProvider implements CatalogProvider {
  readonly id: string;
  readonly title: string;
  readonly frequencyMs: number | null;
  readonly initialDelayMs: number;
  readonly timeoutMs: number;
  readonly api: GitlabApi;
  private readonly filters: ProjectFilters;
  /** Project id → the target of its location, from the last scan and events since. */
  private readonly known = new Map<number, string>();

  constructor(
    readonly config: GitlabCatalogProviderConfig,
    ctx: ProviderContext,
    options: GitlabDiscoveryOptions = {},
  ) {
    this.id = `gitlab:${config.id}`;
    this.title = `GitLab discovery ${config.group ? `${config.host}/${config.group}` : config.host}`;
    this.frequencyMs = config.schedule.frequencyMs;
    this.initialDelayMs = config.schedule.initialDelayMs;
    this.timeoutMs = config.schedule.timeoutMs;
    const key =
      config.id === 'default'
        ? 'catalog.providers.gitlab'
        : `catalog.providers.gitlab.${config.id}`;
    const client = new ScmHttpClient({
      policy: ctx.policy,
      logger: ctx.logger,
      ...(options.budget !== undefined ? { budget: options.budget } : {}),
      ...(options.maxWaitMs !== undefined ? { maxWaitMs: options.maxWaitMs } : {}),
      ...(options.backoffMs !== undefined ? { backoffMs: options.backoffMs } : {}),
    });
    this.api = new GitlabApi(gitlabTarget(config, ctx.config, key), client);
    this.filters = projectFilters(config);
  }

  private listing(): {
    path: string;
    query: Record<string, string | number | boolean | undefined>;
  } {
    const { config } = this;
    const query = {
      order_by: 'id',
      sort: 'asc',
      ...(config.includeArchivedRepos ? {} : { archived: false }),
      ...(config.topics.length ? { topic: config.topics.join(',') } : {}),
      ...(config.membership ? { membership: true } : {}),
    };
    if (config.group) {
      return {
        path: `/groups/${encodeURIComponent(config.group)}/projects`,
        query: { ...query, include_subgroups: true, with_shared: false },
      };
    }
    // The whole instance: keyset pagination, which GitLab offers for /projects ordered by id.
    return { path: '/projects', query: { ...query, pagination: 'keyset' } };
  }

  async scan(signal: AbortSignal): Promise<ScanResult> {
    this.api.client.resetCost();
    const errors: ProviderError[] = [];
    const locations: DiscoveredLocation[] = [];
    const source = this.config.group || this.config.host;
    let seen = 0;
    let complete = true;
    const found = new Map<number, string>();
    const check = async (project: GitlabProject) => {
      const target = await this.locate(project, signal).catch((error: unknown) => {
        if (signal.aborted) throw error;
        if (error instanceof RateLimitError || error instanceof BudgetExceededError) throw error;
        // Unknown whether the file is there: keep what exists, remove nothing this scan.
        complete = false;
        errors.push({
          source: project.path_with_namespace,
          message: (error as Error).message,
          file: this.config.catalogFile,
        });
        return undefined;
      });
      if (!target) return;
      locations.push(target.location);
      found.set(project.id, target.location.target);
    };
    try {
      const { path, query } = this.listing();
      for await (const page of this.api.pages<GitlabProject>(path, query, signal)) {
        seen += page.length;
        const candidates = page.filter((project) => !this.filters.reject(project));
        await eachLimited(candidates, CONCURRENCY, check);
      }
    } catch (error) {
      if (signal.aborted) throw error;
      complete = false;
      errors.push({ source, message: (error as Error).message });
    }
    if (complete) this.known.clear();
    for (const [id, target] of found) this.known.set(id, target);
    // Stable order whatever the order in which the checks finished.
    locations.sort((a, b) => a.target.localeCompare(b.target));
    return {
      locations,
      repositoriesSeen: seen,
      cost: this.api.client.cost(),
      errors,
      complete,
    };
  }

  /** The location of `project` when its catalog file exists on its branch, with the file's text. */
  private async locate(
    project: GitlabProject,
    signal?: AbortSignal,
  ): Promise<{ location: DiscoveredLocation } | undefined> {
    const branch = projectBranch(this.config, project);
    const file = await this.api.rawFile(project.id, this.config.catalogFile, branch, signal);
    if (!file) return undefined;
    return {
      location: {
        type: 'url',
        target: locationTarget(project.web_url, branch, this.config.catalogFile),
        source: project.path_with_namespace,
        prefetched: { content: file.content, version: file.version },
      },
    };
  }

  async onEvent(event: WebhookEvent, signal: AbortSignal): Promise<ProviderEffect | undefined> {
    const name = gitlabEventName(event);
    if (!name) return undefined;
    const payload = event.payload;
    if (name === 'push' || name === 'repository_update') {
      const push = parsePush(payload);
      if (!push || !this.filters.inScope(push.pathWithNamespace) || !push.branch) return undefined;
      const branch = projectBranch(this.config, { default_branch: push.defaultBranch });
      if (push.branch !== branch) return undefined;
      if (!push.truncated && !push.touched.has(this.config.catalogFile)) return undefined;
      return this.evaluate(push.projectId, signal);
    }
    if (!PROJECT_EVENTS.has(name)) {
      // A group renamed or moved changes the paths of all its projects.
      if (name === 'group_rename' || name === 'group_transfer') {
        const paths = [payload.full_path, payload.old_full_path].filter(
          (p): p is string => typeof p === 'string',
        );
        const group = this.config.group;
        const touches = paths.some(
          (p) => !group || p === group || p.startsWith(`${group}/`) || group.startsWith(`${p}/`),
        );
        return touches ? { rescan: true } : undefined;
      }
      return undefined;
    }
    const projectId = Number(payload.project_id);
    const path = typeof payload.path_with_namespace === 'string' ? payload.path_with_namespace : '';
    const oldPath =
      typeof payload.old_path_with_namespace === 'string' ? payload.old_path_with_namespace : '';
    const relevant =
      this.known.has(projectId) ||
      (path && this.filters.inScope(path)) ||
      (oldPath && this.filters.inScope(oldPath));
    if (!Number.isInteger(projectId) || !relevant) return undefined;
    if (name === 'project_destroy') {
      const target = this.known.get(projectId) ?? this.guessTarget(path);
      this.known.delete(projectId);
      return target ? { remove: [{ type: 'url', target }] } : { rescan: true };
    }
    const effect = await this.evaluate(projectId, signal);
    if ((name === 'project_rename' || name === 'project_transfer') && oldPath && !effect.remove) {
      // The old location was not known here (another replica scanned): let a scan sort it out.
      if (this.filters.inScope(oldPath)) return { ...effect, rescan: true };
    }
    return effect;
  }

  /**
   * The target a project at `path` would have when the branch does not depend on the project
   * (`branch` set); undefined otherwise.
   */
  private guessTarget(path: string): string | undefined {
    if (!path || !this.config.branch) return undefined;
    return locationTarget(
      `${this.api.target.webBaseUrl}/${path}`,
      this.config.branch,
      this.config.catalogFile,
    );
  }

  /**
   * Looks at one project now: its location is upserted (with the file's text) when it passes the
   * filters and has the file, and removed otherwise; a location it had under another target
   * (renamed, transferred, default branch changed) is removed.
   */
  private async evaluate(projectId: number, signal: AbortSignal): Promise<ProviderEffect> {
    const before = this.known.get(projectId);
    const project = await this.api.get<GitlabProject>(`/projects/${projectId}`, {}, signal);
    const located =
      project && !this.filters.reject(project) ? await this.locate(project, signal) : undefined;
    const effect: ProviderEffect = {};
    const remove: { type: string; target: string }[] = [];
    if (located) {
      effect.upsert = [located.location];
      this.known.set(projectId, located.location.target);
    } else {
      this.known.delete(projectId);
      if (project && this.filters.inScope(project.path_with_namespace)) {
        // Gone from the catalog's point of view: the file, a filter, or the branch says so.
        remove.push({
          type: 'url',
          target: locationTarget(
            project.web_url,
            projectBranch(this.config, project),
            this.config.catalogFile,
          ),
        });
      }
    }
    if (before && before !== located?.location.target && !remove.some((r) => r.target === before)) {
      remove.push({ type: 'url', target: before });
    }
    if (remove.length) effect.remove = remove;
    return effect;
  }
}

/** `gitlab:<id>` for each `catalog.providers.gitlab` entry (unless `discoveryEnabled: false`). */
export const gitlabDiscoveryFactory: CatalogProviderFactory = {
  name: 'gitlab',
  create(ctx) {
    const providers = ctx.config.catalog.providers.gitlab
      .filter((config) => config.discoveryEnabled)
      .map((config) => new GitlabDiscoveryProvider(config, ctx));
    return { providers };
  },
};
