import type { BuildLogLine } from '../../common/api-types.ts';

export interface SyncOutcome {
  updated: boolean;
}

/**
 * One sync of one entity in this process. Later callers for the same entity join it: they
 * get the lines logged so far, then the rest as they come, and the same outcome.
 */
export class RunningSync {
  readonly lines: BuildLogLine[] = [];
  private readonly listeners = new Set<(line: BuildLogLine) => void>();
  outcome!: Promise<SyncOutcome>;
  /** Builds whatever the source hash says (a rebuild someone asked for). */
  forced = false;
  /** Past checking: a build is running (or waiting for another server's). */
  building = false;

  log(level: BuildLogLine['level'], message: string): void {
    const line = { level, message };
    this.lines.push(line);
    for (const listener of this.listeners) listener(line);
  }

  /** Replays the lines so far into `listener`, then keeps it informed; returns the unsubscribe. */
  follow(listener: (line: BuildLogLine) => void): () => void {
    for (const line of this.lines) listener(line);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** The syncs running in this process, by lowercased entity ref. */
export class RunningSyncs {
  private readonly byRef = new Map<string, RunningSync>();

  get(entityRef: string): RunningSync | undefined {
    return this.byRef.get(entityRef);
  }

  /** Runs `work` unless a sync of the entity is running; either way returns the running one. */
  join(entityRef: string, work: (sync: RunningSync) => Promise<SyncOutcome>): RunningSync {
    const existing = this.byRef.get(entityRef);
    if (existing) return existing;
    const sync = new RunningSync();
    this.byRef.set(entityRef, sync);
    sync.outcome = (async () => {
      try {
        return await work(sync);
      } finally {
        this.byRef.delete(entityRef);
      }
    })();
    // A sync nobody awaits (every client went away) must not become an unhandled rejection.
    sync.outcome.catch(() => undefined);
    return sync;
  }

  /** Resolves when every sync running now has ended, however it ended. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.byRef.values()].map((s) => s.outcome));
  }
}
