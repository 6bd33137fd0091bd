import { NotFoundError } from '../../../../core/errors.ts';
import { scrubText } from '../../../../core/secret-scrub.ts';
import type { ProviderProblem } from '../../common/providers.ts';
import type { CatalogService } from '../catalog-service.ts';
import type { LocationRow, LocationStore } from '../store/location-store.ts';
import type { PrefetchStore } from './prefetch.ts';
import type { HeldLocation, StoredPendingRemoval } from './status-store.ts';
import type { DiscoveredLocation, ProviderEffect, ScanResult } from './types.ts';

/** `catalog.removalGuard`. */
export interface RemovalGuard {
  maxShare: number;
  minCount: number;
}

/** What reconciling changed, in locations and in entities. */
export interface Tally {
  locationsCreated: number;
  locationsRead: number;
  locationsUnchanged: number;
  locationsRemoved: number;
  entitiesAdded: number;
  entitiesUpdated: number;
  entitiesRemoved: number;
  entitiesOrphaned: number;
}

export function emptyTally(): Tally {
  return {
    locationsCreated: 0,
    locationsRead: 0,
    locationsUnchanged: 0,
    locationsRemoved: 0,
    entitiesAdded: 0,
    entitiesUpdated: 0,
    entitiesRemoved: 0,
    entitiesOrphaned: 0,
  };
}

export interface ReconcileDeps {
  service: CatalogService;
  locations: LocationStore;
  prefetch: PrefetchStore;
}

/** Sources listed on the status of a held removal; the count has them all. */
const MAX_LISTED_SOURCES = 200;

const keyOf = (l: { type: string; target: string }) => `${l.type}:${l.target}`;

/**
 * Whether removing `removing` of `total` locations at once needs a person's confirmation:
 * more than `minCount` of them, and more than `maxShare` of the whole.
 */
export function guardTrips(removing: number, total: number, guard: RemovalGuard): boolean {
  if (removing <= guard.minCount || total === 0) return false;
  return removing / total > guard.maxShare;
}

/**
 * Makes a provider's locations what its scan listed: removes those no longer listed (only
 * when the scan was complete, and only within the guard; first, so that a repository renamed
 * hands its entities to the new location without a conflict), creates the missing ones and
 * reads them, reads those whose prefetched version changed or is unknown, and leaves the rest.
 */
export async function reconcileScan(
  deps: ReconcileDeps,
  providerId: string,
  result: ScanResult,
  guard: RemovalGuard,
  shouldStop: () => boolean = () => false,
): Promise<{
  tally: Tally;
  problems: ProviderProblem[];
  pendingRemoval: StoredPendingRemoval | null;
}> {
  const tally = emptyTally();
  const problems: ProviderProblem[] = [];
  const owned = new Map(
    (await deps.locations.listByProvider(providerId)).map((row) => [keyOf(row), row]),
  );
  const wanted = new Map<string, DiscoveredLocation>();
  for (const location of result.locations) wanted.set(keyOf(location), location);

  let pendingRemoval: StoredPendingRemoval | null = null;
  if (result.complete) {
    const gone = [...owned.values()].filter((row) => !wanted.has(keyOf(row)));
    if (guardTrips(gone.length, owned.size, guard)) {
      const held: HeldLocation[] = gone.map((row) => ({
        id: row.id,
        type: row.type,
        target: row.target,
        source: row.provider_source ?? row.target,
      }));
      pendingRemoval = {
        count: gone.length,
        total: owned.size,
        share: gone.length / owned.size,
        sources: [...new Set(held.map((h) => h.source))].slice(0, MAX_LISTED_SOURCES),
        detectedAt: new Date().toISOString(),
        locations: held,
      };
    } else {
      for (const row of gone) {
        if (shouldStop()) break;
        await removeOwned(deps, row, tally, problems);
      }
    }
  }

  for (const location of wanted.values()) {
    if (shouldStop()) break;
    await upsertAndRead(deps, providerId, location, tally, problems, owned.get(keyOf(location)));
  }
  return { tally, problems, pendingRemoval };
}

/**
 * Applies what a webhook event means at once: removals (not guarded: one event, one
 * repository), then creations and reads, then re-reads. `rescan` is the runner's business.
 */
export async function applyEffectNow(
  deps: ReconcileDeps,
  providerId: string,
  effect: ProviderEffect,
): Promise<{ tally: Tally; problems: ProviderProblem[]; refreshed: number }> {
  const tally = emptyTally();
  const problems: ProviderProblem[] = [];
  for (const gone of effect.remove ?? []) {
    const row = await deps.locations.find(gone.type, gone.target);
    if (row && row.origin === 'provider' && row.provider_id === providerId)
      await removeOwned(deps, row, tally, problems);
  }
  for (const location of effect.upsert ?? []) {
    const row = await deps.locations.find(location.type, location.target);
    await upsertAndRead(deps, providerId, location, tally, problems, row);
  }
  let refreshed = 0;
  for (const wanted of effect.refresh ?? []) {
    const row = await deps.locations.find(wanted.type, wanted.target);
    if (row?.origin !== 'provider' || row.provider_id !== providerId) continue;
    await readOwned(deps, row, undefined, tally, problems);
    refreshed++;
  }
  return { tally, problems, refreshed };
}

/**
 * Removes what a held removal recorded, re-checked against the current state: a location
 * since read again (a webhook or a scan saw its repository) or no longer this provider's stays.
 */
export async function applyHeldRemoval(
  deps: ReconcileDeps,
  providerId: string,
  pending: StoredPendingRemoval,
): Promise<{ tally: Tally; problems: ProviderProblem[]; kept: number }> {
  const tally = emptyTally();
  const problems: ProviderProblem[] = [];
  let kept = 0;
  for (const held of pending.locations) {
    const row = await deps.locations.get(held.id);
    const stillGone =
      row &&
      row.origin === 'provider' &&
      row.provider_id === providerId &&
      (row.last_read_at ?? '') <= pending.detectedAt;
    if (!stillGone) {
      if (row) kept++;
      continue;
    }
    await removeOwned(deps, row, tally, problems);
  }
  return { tally, problems, kept };
}

async function upsertAndRead(
  deps: ReconcileDeps,
  providerId: string,
  location: DiscoveredLocation,
  tally: Tally,
  problems: ProviderProblem[],
  existing: LocationRow | undefined,
): Promise<void> {
  let row = existing;
  if (row && (row.origin !== 'provider' || row.provider_id !== providerId)) {
    problems.push({
      source: location.source,
      file: scrubText(location.target),
      message: `${location.type}:${scrubText(location.target)} is already registered ${
        row.origin === 'provider' ? `by provider ${row.provider_id}` : `(origin ${row.origin})`
      }; that registration keeps it`,
    });
    return;
  }
  if (row && location.prefetched && location.prefetched.version === row.provider_version) {
    tally.locationsUnchanged++;
    return;
  }
  if (!row) {
    row = await deps.locations.create({
      type: location.type,
      target: location.target,
      origin: 'provider',
      provider: { id: providerId, source: location.source },
    });
    // Two replicas applying one event race on the unique (type, target): the stored row wins.
    if (row.provider_id !== providerId)
      return upsertAndRead(deps, providerId, location, tally, problems, row);
    tally.locationsCreated++;
  }
  await readOwned(deps, row, location.prefetched, tally, problems, location.source);
}

async function readOwned(
  deps: ReconcileDeps,
  row: LocationRow,
  prefetched: DiscoveredLocation['prefetched'],
  tally: Tally,
  problems: ProviderProblem[],
  source = row.provider_source ?? row.target,
): Promise<void> {
  try {
    const read = () => deps.service.refreshLocation(row.id);
    const summary = prefetched
      ? await deps.prefetch.during(row.target, prefetched.content, read)
      : await read();
    // A read without the scan's text fetched whatever is current: its version is unknown.
    await deps.locations.setProviderVersion(row.id, prefetched?.version ?? null);
    tally.locationsRead++;
    tally.entitiesAdded += summary.inserted;
    tally.entitiesUpdated += summary.updated;
    tally.entitiesRemoved += summary.deleted;
    tally.entitiesOrphaned += summary.orphaned;
  } catch (error) {
    if (error instanceof NotFoundError) return; // removed meanwhile (a user, another replica)
    problems.push({
      source,
      file: scrubText(row.target),
      message: `Reading failed: ${scrubText((error as Error).message)}`,
    });
  }
}

async function removeOwned(
  deps: ReconcileDeps,
  row: LocationRow,
  tally: Tally,
  problems: ProviderProblem[],
): Promise<void> {
  try {
    tally.entitiesRemoved += await deps.service.removeLocation(row.id, { deleteEntities: true });
    tally.locationsRemoved++;
  } catch (error) {
    if (error instanceof NotFoundError) return;
    problems.push({
      source: row.provider_source ?? row.target,
      file: scrubText(row.target),
      message: `Removing failed: ${scrubText((error as Error).message)}`,
    });
  }
}
