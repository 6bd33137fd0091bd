import { randomUUID } from 'node:crypto';
import type { Leases } from '../../../../core/database/leases.ts';
import { ConflictError, NotFoundError } from '../../../../core/errors.ts';
import type { AuditRecorder, Logger } from '../../../../core/plugin-api.ts';
import { scrubText } from '../../../../core/secret-scrub.ts';
import type {
  ProviderProblem,
  ProviderScanSummary,
  ProviderStatus,
  ProviderWebhookSummary,
} from '../../common/providers.ts';
import type { LocationStore } from '../store/location-store.ts';
import {
  applyEffectNow,
  applyHeldRemoval,
  type ReconcileDeps,
  type RemovalGuard,
  reconcileScan,
  type Tally,
} from './reconcile.ts';
import type { ProviderStatusStore } from './status-store.ts';
import type { CatalogProvider, ProviderEffect, ScanResult, WebhookEvent } from './types.ts';

export interface RunnerDeps extends ReconcileDeps {
  providers: CatalogProvider[];
  locations: LocationStore;
  statuses: ProviderStatusStore;
  leases: Leases;
  guard: () => RemovalGuard;
  logger: Logger;
  audit: AuditRecorder;
  /** A lease is held this long without renewal (ms); renewed every third of it. */
  leaseTtlMs?: number;
  /** How soon a scan asked for by an event runs (ms). */
  rescanDelayMs?: number;
}

export type ScanTrigger = ProviderScanSummary['trigger'];

/** Whether a scan was started here, and why not when it was not. */
export type ScanStart = { started: true; done: Promise<void> } | { started: false; reason: string };

/** Errors shown per provider on the status; `errorCount` has them all. */
const MAX_LISTED_ERRORS = 200;
/** A scan asked for while another replica holds the lease is tried again this often. */
const RESCAN_RETRIES = 10;

/**
 * Runs discovery providers: each one's scan at start (after its initial delay), every
 * `frequencyMs`, on demand and when an event asks; on one replica at a time (a lease in the
 * database, renewed while the scan and its reads run); aborted after the provider's timeout.
 * Applies webhook effects at once, keeps each provider's status, and holds the removal a
 * scan's guard stopped until someone confirms or dismisses it.
 */
export class ProviderRunner {
  private readonly byId: Map<string, CatalogProvider>;
  private readonly holder = `catalog-${randomUUID()}`;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly rescans = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly controllers = new Set<AbortController>();
  private stopped = false;

  constructor(private readonly deps: RunnerDeps) {
    this.byId = new Map(deps.providers.map((p) => [p.id, p]));
  }

  get providers(): CatalogProvider[] {
    return this.deps.providers;
  }

  private provider(id: string): CatalogProvider {
    const provider = this.byId.get(id);
    if (!provider) throw new NotFoundError(`No discovery provider has the id '${id}'`);
    return provider;
  }

  /** Schedules every provider's first scan and those after it. */
  start(): void {
    for (const provider of this.deps.providers)
      this.schedule(provider, provider.initialDelayMs ?? 0);
  }

  private schedule(provider: CatalogProvider, delayMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(async () => {
      this.timers.delete(provider.id);
      const start = await this.startScan(provider.id, 'schedule').catch((error) => {
        this.deps.logger.error(`Scheduled scan of ${provider.id} failed to start`, {
          error: String(error),
        });
        return undefined;
      });
      if (start?.started) await start.done;
      if (provider.frequencyMs) this.schedule(provider, provider.frequencyMs);
    }, delayMs);
    timer.unref();
    this.timers.set(provider.id, timer);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of [...this.timers.values(), ...this.rescans.values()]) clearTimeout(timer);
    this.timers.clear();
    this.rescans.clear();
    for (const controller of this.controllers)
      controller.abort(new Error('the server is stopping'));
    await Promise.allSettled([...this.running.values()]);
  }

  /**
   * Starts a scan of `id` unless this or another replica is scanning it (or, for a scheduled
   * scan, another replica finished one less than half a period ago).
   */
  async startScan(id: string, trigger: ScanTrigger): Promise<ScanStart> {
    const provider = this.provider(id);
    if (this.stopped) return { started: false, reason: 'the server is stopping' };
    if (this.running.has(id)) return { started: false, reason: 'a scan is running already' };
    if (trigger === 'schedule' && provider.frequencyMs) {
      const last = (await this.deps.statuses.get(id)).lastScan;
      const since = last ? Date.now() - Date.parse(last.finishedAt) : Number.POSITIVE_INFINITY;
      if (since < provider.frequencyMs / 2)
        return { started: false, reason: 'another replica scanned it recently' };
    }
    const ttl = this.deps.leaseTtlMs ?? 60_000;
    if (!(await this.deps.leases.tryLock(id, this.holder, ttl)))
      return { started: false, reason: 'another replica is scanning it' };
    const done = this.runScan(provider, trigger, ttl).finally(() => this.running.delete(id));
    this.running.set(id, done);
    return { started: true, done };
  }

  /** Scans now and waits for the end (for `?wait=true` and tests). */
  async scanNow(id: string, trigger: ScanTrigger = 'manual'): Promise<ScanStart> {
    const start = await this.startScan(id, trigger);
    if (start.started) await start.done;
    return start;
  }

  private async runScan(provider: CatalogProvider, trigger: ScanTrigger, ttl: number) {
    const { statuses, leases, logger } = this.deps;
    const controller = new AbortController();
    this.controllers.add(controller);
    let stopReads = false;
    // Renewed while the scan and its reads run; lost (the database was unreachable past the
    // lease, another replica took over), this replica stops.
    const heartbeat = setInterval(() => {
      leases
        .extend(provider.id, this.holder, ttl)
        .then((held) => {
          if (held) return;
          stopReads = true;
          controller.abort(new Error('the scan lease was lost to another replica'));
        })
        .catch((error) => logger.warn('Renewing a scan lease failed', { error: String(error) }));
    }, ttl / 3);
    heartbeat.unref();
    const timeout = setTimeout(
      () => controller.abort(new Error(`the scan took longer than ${provider.timeoutMs} ms`)),
      provider.timeoutMs,
    );
    timeout.unref();
    const startedAt = new Date();
    try {
      await statuses.update(provider.id, { state: 'scanning' });
      let result: ScanResult;
      try {
        result = await provider.scan(controller.signal);
      } catch (error) {
        const message = scrubText(
          controller.signal.aborted
            ? String((controller.signal.reason as Error)?.message ?? controller.signal.reason)
            : (error as Error).message,
        );
        await this.finishFailed(provider, trigger, startedAt, message);
        return;
      } finally {
        clearTimeout(timeout);
      }
      // A scan that returned after its abort may have stopped half way.
      const complete = result.complete && !controller.signal.aborted;
      const { tally, problems, pendingRemoval } = await reconcileScan(
        this.deps,
        provider.id,
        { ...result, complete },
        this.deps.guard(),
        () => stopReads || this.stopped,
      );
      const summary = this.summary(trigger, startedAt, result, complete, tally);
      const errors: ProviderProblem[] = [...result.errors, ...problems].map((e) => ({
        ...e,
        message: scrubText(e.message),
      }));
      if (!complete)
        errors.unshift({
          source: provider.id,
          message:
            'The scan could not see everything (budget, a failed page or its timeout): nothing was removed',
        });
      await statuses.update(provider.id, {
        state: pendingRemoval ? 'awaiting-confirmation' : 'idle',
        lastScan: summary,
        errors,
        pendingRemoval,
      });
      this.deps.audit.record({
        action: 'catalog.provider.scan',
        resourceRef: provider.id,
        outcome: 'success',
        details: {
          trigger,
          ...countsOf(summary),
          ...(pendingRemoval ? { removalHeld: pendingRemoval.count } : {}),
        },
      });
      logger.info(`Scanned ${provider.id}`, { ...countsOf(summary), errors: errors.length });
    } catch (error) {
      await this.finishFailed(provider, trigger, startedAt, scrubText((error as Error).message));
    } finally {
      clearInterval(heartbeat);
      clearTimeout(timeout);
      this.controllers.delete(controller);
      await leases.unlock(provider.id, this.holder).catch(() => undefined);
    }
  }

  private summary(
    trigger: ScanTrigger,
    startedAt: Date,
    result: ScanResult,
    complete: boolean,
    tally: Tally,
  ): ProviderScanSummary {
    const finishedAt = new Date();
    return {
      trigger,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      complete,
      repositoriesSeen: result.repositoriesSeen,
      locations: result.locations.length,
      ...tally,
      requests: result.cost.requests,
      notModified: result.cost.notModified,
      rateLimitRemaining: result.cost.rateLimitRemaining ?? null,
      graphqlCost: result.cost.graphqlCost ?? null,
    };
  }

  private async finishFailed(
    provider: CatalogProvider,
    trigger: ScanTrigger,
    startedAt: Date,
    message: string,
  ) {
    const finishedAt = new Date();
    const lastScan: ProviderScanSummary = {
      trigger,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      complete: false,
      repositoriesSeen: 0,
      locations: 0,
      locationsCreated: 0,
      locationsRead: 0,
      locationsUnchanged: 0,
      locationsRemoved: 0,
      entitiesAdded: 0,
      entitiesUpdated: 0,
      entitiesRemoved: 0,
      entitiesOrphaned: 0,
      requests: 0,
      notModified: 0,
      rateLimitRemaining: null,
      graphqlCost: null,
      error: message,
    };
    this.deps.logger.error(`Scan of ${provider.id} failed`, { error: message });
    this.deps.audit.record({
      action: 'catalog.provider.scan',
      resourceRef: provider.id,
      outcome: 'failure',
      details: { trigger, error: message },
    });
    await this.deps.statuses
      .update(provider.id, {
        state: 'failed',
        lastScan,
        errors: [{ source: provider.id, message: `The scan failed: ${message}` }],
      })
      .catch((error) =>
        this.deps.logger.error('Recording a failed scan failed', { error: String(error) }),
      );
  }

  /**
   * A scan soon, for an event that says "something changed" without saying what; asked again
   * while one is pending, still one scan. Retried while another replica holds the lease.
   */
  requestScan(id: string, attempt = 0): void {
    this.provider(id);
    if (this.stopped || this.rescans.has(id)) return;
    const timer = setTimeout(async () => {
      this.rescans.delete(id);
      const start = await this.startScan(id, 'event').catch(() => undefined);
      if (start && !start.started && attempt < RESCAN_RETRIES && !this.running.has(id))
        this.requestScan(id, attempt + 1);
    }, this.deps.rescanDelayMs ?? 1000);
    timer.unref();
    this.rescans.set(id, timer);
  }

  /** Applies a webhook effect to a provider's locations now, on this replica. */
  async applyEffect(id: string, effect: ProviderEffect, event?: WebhookEvent): Promise<Tally> {
    this.provider(id);
    const { tally, problems, refreshed } = await applyEffectNow(this.deps, id, effect);
    if (effect.rescan) this.requestScan(id);
    const summary: ProviderWebhookSummary = {
      at: new Date().toISOString(),
      type: event?.type ?? 'effect',
      ...(event?.deliveryId ? { deliveryId: event.deliveryId } : {}),
      upserted: effect.upsert?.length ?? 0,
      refreshed,
      removed: tally.locationsRemoved,
      rescan: Boolean(effect.rescan),
      ...(problems.length
        ? { error: problems.map((p) => `${p.source}: ${p.message}`).join('; ') }
        : {}),
    };
    await this.deps.statuses.update(id, { lastWebhook: summary });
    this.deps.audit.record({
      action: 'catalog.provider.event',
      resourceRef: id,
      outcome: problems.length ? 'failure' : 'success',
      details: {
        type: summary.type,
        ...(summary.deliveryId ? { deliveryId: summary.deliveryId } : {}),
        ...countsOf(tally),
        ...(summary.error ? { error: summary.error } : {}),
      },
    });
    return tally;
  }

  /** Hands an event to every provider that takes it, applying each one's effect. */
  async onEvent(event: WebhookEvent): Promise<void> {
    for (const provider of this.deps.providers) {
      if (!provider.onEvent) continue;
      try {
        const effect = await provider.onEvent(event, AbortSignal.timeout(provider.timeoutMs));
        if (effect) await this.applyEffect(provider.id, effect, event);
      } catch (error) {
        const message = scrubText((error as Error).message);
        this.deps.logger.error(
          `Applying a ${event.source} ${event.type} event to ${provider.id} failed`,
          {
            error: message,
            deliveryId: event.deliveryId,
          },
        );
        await this.deps.statuses
          .update(provider.id, {
            lastWebhook: {
              at: new Date().toISOString(),
              type: event.type,
              ...(event.deliveryId ? { deliveryId: event.deliveryId } : {}),
              upserted: 0,
              refreshed: 0,
              removed: 0,
              rescan: false,
              error: message,
            },
          })
          .catch(() => undefined);
      }
    }
  }

  /**
   * Removes what the guard held, re-checked against the current state. Waits for no scan: one
   * running (here or on another replica) answers 409, as its result may change the removal.
   */
  async confirmRemoval(
    id: string,
  ): Promise<{ removed: number; entitiesRemoved: number; kept: number }> {
    this.provider(id);
    const pending = (await this.deps.statuses.get(id)).pendingRemoval;
    if (!pending) throw new ConflictError(`Provider ${id} has no removal waiting for confirmation`);
    const ttl = this.deps.leaseTtlMs ?? 60_000;
    if (!(await this.deps.leases.tryLock(id, this.holder, ttl)))
      throw new ConflictError(
        `Provider ${id} is being scanned; confirm again when the scan is over`,
      );
    try {
      const { tally, problems, kept } = await applyHeldRemoval(this.deps, id, pending);
      const stored = await this.deps.statuses.get(id);
      await this.deps.statuses.update(id, {
        state: 'idle',
        pendingRemoval: null,
        errors: [...stored.errors, ...problems],
        ...(stored.lastScan
          ? {
              lastScan: {
                ...stored.lastScan,
                locationsRemoved: stored.lastScan.locationsRemoved + tally.locationsRemoved,
                entitiesRemoved: stored.lastScan.entitiesRemoved + tally.entitiesRemoved,
              },
            }
          : {}),
      });
      return { removed: tally.locationsRemoved, entitiesRemoved: tally.entitiesRemoved, kept };
    } finally {
      await this.deps.leases.unlock(id, this.holder).catch(() => undefined);
    }
  }

  /** Forgets the held removal; the next scan that finds the same holds it again. */
  async dismissRemoval(id: string): Promise<void> {
    this.provider(id);
    const stored = await this.deps.statuses.get(id);
    if (!stored.pendingRemoval)
      throw new ConflictError(`Provider ${id} has no removal waiting for confirmation`);
    await this.deps.statuses.update(id, {
      pendingRemoval: null,
      ...(stored.state === 'awaiting-confirmation' ? { state: 'idle' as const } : {}),
    });
  }

  /** Every provider's status as the health page shows it. */
  async statuses(): Promise<ProviderStatus[]> {
    const ids = this.deps.providers.map((p) => p.id);
    const [stored, counts, scanning, problems] = await Promise.all([
      this.deps.statuses.all(),
      this.deps.locations.countByProvider(),
      this.deps.leases.lockedAmong(ids),
      this.deps.locations.providerProblems(),
    ]);
    return this.deps.providers.map((provider) => {
      const status = stored.get(provider.id);
      let state = status?.state ?? 'idle';
      const errors = [...(status?.errors ?? []), ...(problems.get(provider.id) ?? [])];
      // Recorded as scanning, but nobody holds the lease: its server stopped mid-scan.
      if (state === 'scanning' && !scanning.has(provider.id)) {
        state = 'failed';
        errors.unshift({
          source: provider.id,
          message: 'The last scan was interrupted (its server stopped)',
        });
      }
      if (scanning.has(provider.id)) state = 'scanning';
      const { locations: _held, ...pendingRemoval } = status?.pendingRemoval ?? { locations: [] };
      return {
        id: provider.id,
        title: provider.title,
        state,
        frequencyMs: provider.frequencyMs,
        locations: counts.get(provider.id) ?? 0,
        lastScan: status?.lastScan ?? null,
        errors: errors.slice(0, MAX_LISTED_ERRORS),
        errorCount: errors.length,
        pendingRemoval: status?.pendingRemoval
          ? (pendingRemoval as ProviderStatus['pendingRemoval'])
          : null,
        lastWebhook: status?.lastWebhook ?? null,
      };
    });
  }
}

function countsOf(t: Tally | ProviderScanSummary) {
  return {
    locationsCreated: t.locationsCreated,
    locationsRead: t.locationsRead,
    locationsUnchanged: t.locationsUnchanged,
    locationsRemoved: t.locationsRemoved,
    entitiesAdded: t.entitiesAdded,
    entitiesUpdated: t.entitiesUpdated,
    entitiesRemoved: t.entitiesRemoved,
  };
}
