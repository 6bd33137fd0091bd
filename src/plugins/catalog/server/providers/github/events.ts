/**
 * What a GitHub webhook means for a discovery provider's locations (Backstage's GitHub provider
 * handles the same events): a push to the branch read that touches catalog files refreshes,
 * adds or removes them; `repository` events add, remove or move a repository's locations.
 * With a glob catalog path a deleted repository's files cannot be listed any more, so those
 * events ask for a scan instead.
 */
import type { DiscoveredLocation, ProviderEffect, WebhookEvent } from '../types.ts';
import {
  blobUrl,
  branchOf,
  filterReason,
  type GithubProviderSettings,
  isCatalogFile,
  type RepositoryFacts,
} from './config.ts';

/** What the provider looks up while mapping an event (each lookup costs one request). */
export interface GithubEventLookup {
  /** The locations `repo` has now (its catalog file(s) on the branch read). */
  locations(repo: RepositoryFacts, signal: AbortSignal): Promise<DiscoveredLocation[]>;
  /** Whether the provider reads `owner`'s repositories (its organization, or an app installation's). */
  owns(owner: string): boolean;
}

type Data = Record<string, unknown>;

const obj = (value: unknown): Data =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Data) : {};
const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value ? value : undefined;

/** The filters' view of a webhook's `repository` object. */
export function factsFromPayload(repository: Data): RepositoryFacts | undefined {
  const name = str(repository.name);
  const url = str(repository.html_url);
  if (!name || !url) return undefined;
  return {
    name,
    url,
    isArchived: repository.archived === true,
    isFork: repository.fork === true,
    visibility: str(repository.visibility) ?? (repository.private === true ? 'private' : 'public'),
    topics: Array.isArray(repository.topics) ? repository.topics.map(String) : [],
    defaultBranch: str(repository.default_branch),
  };
}

function ownerOf(repository: Data): string | undefined {
  return str(obj(repository.owner).login);
}

/** `https://host/owner/name` with another owner and/or name. */
function repoUrlWith(url: string, owner: string | undefined, name: string): string {
  const parsed = new URL(url);
  const parts = parsed.pathname.replace(/\/+$/, '').split('/');
  if (owner) parts[parts.length - 2] = owner;
  parts[parts.length - 1] = name;
  parsed.pathname = parts.join('/');
  return parsed.href.replace(/\/+$/, '');
}

export async function githubEventEffect(
  event: WebhookEvent,
  settings: GithubProviderSettings,
  lookup: GithubEventLookup,
  signal: AbortSignal,
): Promise<ProviderEffect | undefined> {
  if (event.source !== 'github') return undefined;
  const { config } = settings;
  const payload = event.payload;
  const repository = obj(payload.repository);
  const facts = factsFromPayload(repository);
  if (!facts) return undefined;
  let host: string;
  try {
    host = new URL(facts.url).host.toLowerCase();
  } catch {
    return undefined;
  }
  if (host !== config.host.toLowerCase()) return undefined;
  const owner = ownerOf(repository) ?? str(obj(payload.organization).login) ?? '';
  const ours = owner !== '' && lookup.owns(owner);

  /** The targets `repo` would have at `url` (undefined with a glob: not knowable). */
  const targetsAt = (repo: RepositoryFacts): ProviderEffect['remove'] | undefined =>
    settings.glob
      ? undefined
      : [
          {
            type: 'url',
            target: blobUrl(repo.url, branchOf(settings, repo), settings.catalogPath),
          },
        ];
  const removeAll = (repo: RepositoryFacts): ProviderEffect => {
    const remove = targetsAt(repo);
    return remove ? { remove } : { rescan: true };
  };
  /** Re-evaluates `repo` as it is now: its locations if it passes the filters, else none. */
  const evaluate = async (repo: RepositoryFacts): Promise<ProviderEffect> => {
    if (filterReason(repo, config.filters)) return removeAll(repo);
    const upsert = await lookup.locations(repo, signal);
    const gone = settings.glob
      ? []
      : (targetsAt(repo) ?? []).filter((t) => !upsert.some((l) => l.target === t.target));
    return {
      ...(upsert.length ? { upsert } : {}),
      ...(gone.length ? { remove: gone } : {}),
    };
  };

  if (event.type === 'push') {
    if (!ours) return undefined;
    const branch = branchOf(settings, facts);
    if (payload.ref !== `refs/heads/${branch}`) return undefined;
    if (filterReason(facts, config.filters)) return undefined;
    if (payload.deleted === true) return removeAll(facts);
    const commits = Array.isArray(payload.commits) ? payload.commits.map(obj) : [];
    // Files in the order of the commits: the last commit touching a file decides its state.
    const state = new Map<string, 'present' | 'removed'>();
    const modified = new Set<string>();
    for (const commit of commits) {
      for (const path of (commit.added as string[] | undefined) ?? []) state.set(path, 'present');
      for (const path of (commit.modified as string[] | undefined) ?? []) {
        state.set(path, 'present');
        modified.add(path);
      }
      for (const path of (commit.removed as string[] | undefined) ?? []) state.set(path, 'removed');
    }
    // The list may be cut short (2,048 commits) or leave out what a force push or a new branch undid.
    const uncertain = payload.forced === true || payload.created === true || commits.length >= 2048;
    const touched = [...state.keys()].filter((path) => isCatalogFile(settings, path));
    if (!touched.length && !uncertain) {
      // Other files may be read by a catalog file (a Location's targets): read those again too.
      const others = [...modified].map((path) => ({
        type: 'url',
        target: blobUrl(facts.url, branch, path),
      }));
      return others.length ? { refresh: others } : undefined;
    }
    if (!settings.glob) return evaluate(facts);
    if (uncertain) return { rescan: true };
    const upsert: DiscoveredLocation[] = [];
    const remove: NonNullable<ProviderEffect['remove']> = [];
    for (const path of touched) {
      const target = blobUrl(facts.url, branch, path);
      if (state.get(path) === 'removed') remove.push({ type: 'url', target });
      else
        upsert.push({
          type: 'url',
          target,
          source: `${config.organization ?? owner}/${facts.name}`,
        });
    }
    return { ...(upsert.length ? { upsert } : {}), ...(remove.length ? { remove } : {}) };
  }

  if (event.type !== 'repository') return undefined;
  const action = str(payload.action);
  const changes = obj(payload.changes);

  if (action === 'transferred') {
    const from = obj(obj(changes.owner).from);
    const oldOwner = str(obj(from.organization).login) ?? str(obj(from.user).login);
    const effect: ProviderEffect = {};
    if (oldOwner && lookup.owns(oldOwner)) {
      const old = { ...facts, url: repoUrlWith(facts.url, oldOwner, facts.name) };
      Object.assign(effect, removeAll(old));
    }
    if (ours) {
      const now = await evaluate(facts);
      effect.upsert = now.upsert;
      effect.remove = [...(effect.remove ?? []), ...(now.remove ?? [])];
      if (now.rescan) effect.rescan = true;
    }
    return compact(effect);
  }

  if (!ours) return undefined;
  switch (action) {
    case 'deleted':
      return removeAll(facts);
    case 'archived':
      return config.filters.allowArchived ? evaluate(facts) : removeAll(facts);
    case 'renamed': {
      const from = str(obj(obj(changes.repository).name).from);
      const effect: ProviderEffect = {};
      if (from)
        Object.assign(
          effect,
          removeAll({ ...facts, url: repoUrlWith(facts.url, undefined, from) }),
        );
      const now = await evaluate(facts);
      effect.upsert = now.upsert;
      effect.remove = [...(effect.remove ?? []), ...(now.remove ?? [])];
      if (now.rescan) effect.rescan = true;
      return compact(effect);
    }
    case 'created':
      return filterReason(facts, config.filters) ? undefined : compact(await evaluate(facts));
    case 'unarchived':
    case 'publicized':
    case 'privatized':
    case 'edited':
      return compact(await evaluate(facts));
    default:
      return undefined;
  }
}

/** Drops empty lists; undefined when nothing is left to do. */
function compact(effect: ProviderEffect): ProviderEffect | undefined {
  const out: ProviderEffect = {};
  if (effect.upsert?.length) out.upsert = effect.upsert;
  if (effect.refresh?.length) out.refresh = effect.refresh;
  if (effect.remove?.length) out.remove = effect.remove;
  if (effect.rescan) out.rescan = true;
  return Object.keys(out).length ? out : undefined;
}
