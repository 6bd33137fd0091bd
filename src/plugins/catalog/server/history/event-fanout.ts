import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { AtriumError } from '../../../../core/errors.ts';
import type { Logger } from '../../../../core/plugin-api.ts';
import type { Wakeup } from './catalog-history.ts';
import type { StoredEventRow } from './event-rows.ts';
import { GapHold } from './gap-hold.ts';
import type { HistoryStore } from './history-store.ts';

/** Events read per query of the table; a poller behind by more reads again at once. */
export const FANOUT_BATCH = 500;
/** The table is re-read this often, for events committed by other replicas… */
const POLL_MS = 400;
/** …and this often while delivery waits at a gap in the ids. */
const HOLD_POLL_MS = 200;
/**
 * Events queued for one stream that reads slower than events come. Past it the stream's queue
 * is dropped and the stream reads the table from where it stands, at its own pace: a slow
 * reader costs no memory.
 */
const MAX_QUEUED = 2 * FANOUT_BATCH;

/** 429: a caller (or the server) has as many event streams open as it may. */
export class TooManyStreamsError extends AtriumError {
  override readonly statusCode = 429;
}

export interface StreamLimits {
  /** `catalog.history.maxStreamsPerCaller` */
  perCaller: number;
  /** `catalog.history.maxStreams` */
  total: number;
}

/**
 * One open stream's place in the event table. It starts behind or at the poller's position
 * and reads the table itself until it has caught up (a resumed stream); from then on the
 * poller hands it every new event.
 */
export class EventSubscription {
  /** The last id queued for or handed to the stream: where it stands. */
  cursor: number;
  /** The last id handed to the stream by {@link next}. */
  private handed: number;
  /** Caught up with the poller, which now queues events for it. */
  live = false;
  private queue: StoredEventRow[] = [];
  private wake: (() => void) | undefined;

  constructor(
    private readonly fanout: HistoryFanout,
    readonly caller: string,
    start: number,
  ) {
    this.cursor = start;
    this.handed = start;
  }

  /**
   * The next events for the stream, oldest first, once there are any; empty when `signal`
   * aborts. A stream calls it again only once it has written what it got.
   */
  async next(signal: AbortSignal): Promise<StoredEventRow[]> {
    while (!signal.aborted && !this.fanout.stopping) {
      if (this.queue.length) {
        const rows = this.queue;
        this.queue = [];
        this.handed = rows.at(-1)!.id;
        return rows;
      }
      if (!this.live) {
        const rows = await this.fanout.catchUp(this);
        if (rows.length) {
          this.handed = rows.at(-1)!.id;
          return rows;
        }
        continue;
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        this.wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
    return [];
  }

  /** From the poller: events after the cursor. */
  push(rows: StoredEventRow[]): void {
    if (this.queue.length + rows.length > MAX_QUEUED) {
      this.queue = [];
      this.cursor = this.handed;
      this.live = false;
    } else {
      this.queue.push(...rows);
      this.cursor = rows.at(-1)!.id;
    }
    this.wake?.();
  }

  /** From the stream's catch-up read: it stands at `cursor` now. */
  moveTo(cursor: number): void {
    this.cursor = Math.max(this.cursor, cursor);
    this.handed = this.cursor;
  }

  close(): void {
    this.fanout.unsubscribe(this);
    this.wake?.();
  }
}

/**
 * One reader of the event table per process for every open `GET /api/catalog/events`: it polls
 * while at least one stream is open, reads each new event once and hands it to every stream
 * (each then keeps what its caller may read). Streams are capped per caller and in all.
 */
export class HistoryFanout {
  private readonly subscriptions = new Set<EventSubscription>();
  private readonly perCaller = new Map<string, number>();
  /** The poller's position; defined while it runs. */
  private head: GapHold | undefined;
  private running = false;
  private pause: AbortController | undefined;
  private readonly pollMs: number;
  private readonly holdPollMs: number;

  constructor(
    private readonly store: HistoryStore,
    private readonly wakeup: Wakeup,
    private readonly limits: StreamLimits,
    private readonly shutdown: AbortSignal,
    private readonly logger: Logger,
    options: { pollMs?: number; holdPollMs?: number } = {},
  ) {
    this.pollMs = options.pollMs ?? POLL_MS;
    this.holdPollMs = options.holdPollMs ?? HOLD_POLL_MS;
    shutdown.addEventListener('abort', () => {
      this.pause?.abort();
      for (const subscription of this.subscriptions) subscription.close();
    });
  }

  get stopping(): boolean {
    return this.shutdown.aborted;
  }

  /** Whether the poller runs (while any stream is open). */
  get polling(): boolean {
    return this.running;
  }

  get open(): number {
    return this.subscriptions.size;
  }

  /**
   * A place for a new stream of `caller` that has delivered up to `start`; `latest` is the
   * newest event id now, where a poller that is not running yet starts.
   * @throws TooManyStreamsError past `catalog.history.maxStreamsPerCaller` or `maxStreams`
   */
  subscribe(caller: string, start: number, latest: number): EventSubscription {
    const mine = this.perCaller.get(caller) ?? 0;
    if (mine >= this.limits.perCaller) {
      throw new TooManyStreamsError(
        `${caller} already has ${mine} catalog event streams open, the most catalog.history.maxStreamsPerCaller allows: close one (e.g. another browser tab), or raise catalog.history.maxStreamsPerCaller`,
      );
    }
    if (this.subscriptions.size >= this.limits.total) {
      throw new TooManyStreamsError(
        `This server has ${this.subscriptions.size} catalog event streams open, the most catalog.history.maxStreams allows: try again later, or raise catalog.history.maxStreams`,
      );
    }
    const subscription = new EventSubscription(this, caller, start);
    this.subscriptions.add(subscription);
    this.perCaller.set(caller, mine + 1);
    if (!this.running) {
      this.head = new GapHold(latest);
      this.running = true;
      void this.poll();
    }
    return subscription;
  }

  unsubscribe(subscription: EventSubscription): void {
    if (!this.subscriptions.delete(subscription)) return;
    const left = (this.perCaller.get(subscription.caller) ?? 1) - 1;
    if (left) this.perCaller.set(subscription.caller, left);
    else this.perCaller.delete(subscription.caller);
    if (!this.subscriptions.size) this.pause?.abort();
  }

  /**
   * A stream behind the poller reads the table itself, up to where the poller stands; once it
   * is there it goes live (in the same turn of the event loop, so no event falls between).
   */
  async catchUp(subscription: EventSubscription): Promise<StoredEventRow[]> {
    const head = this.head?.cursor ?? subscription.cursor;
    if (subscription.cursor >= head) {
      subscription.live = true;
      return [];
    }
    const rows = await this.store.after(subscription.cursor, FANOUT_BATCH);
    const upToHead = rows.filter((r) => r.id <= head);
    const readAll = rows.length < FANOUT_BATCH || upToHead.length < rows.length;
    subscription.moveTo(readAll ? head : rows.at(-1)!.id);
    return upToHead;
  }

  private async poll(): Promise<void> {
    try {
      while (this.subscriptions.size && !this.shutdown.aborted) {
        const head = this.head!;
        const seen = this.wakeup.version();
        let full = false;
        try {
          const rows = await this.store.after(head.cursor, FANOUT_BATCH);
          const ready = head.take(rows, Date.now());
          if (ready.length) this.fanOut(ready);
          full = rows.length === FANOUT_BATCH && !head.holding;
        } catch (error) {
          this.logger.warn('Reading new catalog history events failed', { error: String(error) });
        }
        if (full) {
          // Far behind: read on, but let requests in between batches.
          await yieldToLoop();
          continue;
        }
        this.pause = new AbortController();
        await this.wakeup.wait(
          head.holding ? this.holdPollMs : this.pollMs,
          this.pause.signal,
          seen,
        );
      }
    } finally {
      this.running = false;
      this.head = undefined;
      this.pause = undefined;
    }
  }

  private fanOut(rows: StoredEventRow[]): void {
    for (const subscription of this.subscriptions) {
      if (!subscription.live) continue;
      const first = rows.findIndex((r) => r.id > subscription.cursor);
      if (first >= 0) subscription.push(first ? rows.slice(first) : rows);
    }
  }
}
