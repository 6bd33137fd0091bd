/**
 * Wakes up readers of a task's events (SSE, long-poll) as soon as this process stores one.
 * Events stored by another replica are found by the readers' periodic re-read instead.
 *
 * A reader takes `version(taskId)` before it queries, and passes it to `wait`: an event
 * stored between the query and the wait then ends the wait at once instead of being missed.
 */
export class EventHub {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly versions = new Map<string, number>();
  private counter = 0;

  version(taskId: string): number {
    return this.versions.get(taskId) ?? 0;
  }

  notify(taskId: string): void {
    // Only the order matters; a forgotten task's version restarting at 0 merely wakes a
    // reader once for nothing.
    this.versions.delete(taskId);
    this.versions.set(taskId, ++this.counter);
    if (this.versions.size > 10_000) {
      const oldest = this.versions.keys().next().value;
      if (oldest !== undefined) this.versions.delete(oldest);
    }
    const set = this.waiters.get(taskId);
    if (!set) return;
    this.waiters.delete(taskId);
    for (const wake of set) wake();
  }

  /** Resolves on the next event of `taskId` (or at once if one came after `seen`), after `ms`, or on abort. */
  wait(taskId: string, ms: number, signal?: AbortSignal, seen?: number): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted || (seen !== undefined && this.version(taskId) !== seen))
        return resolve();
      let set = this.waiters.get(taskId);
      if (!set) {
        set = new Set();
        this.waiters.set(taskId, set);
      }
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        const current = this.waiters.get(taskId);
        current?.delete(done);
        if (current?.size === 0) this.waiters.delete(taskId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      set.add(done);
    });
  }
}
