/** Longest stretch of scoring (or writing results) between two turns of the event loop. */
const SLICE_MS = 10;

/**
 * Lets other work run when scoring has held the thread for {@link SLICE_MS}: a batch of
 * 1,000 entities × several scorecards must not delay HTTP answers by much more than that
 * (one unit of work, an entity's scoring or a transaction of 50 entities' results, may run
 * past it). One slicer is shared by the steps of a batch, so their time adds up.
 */
export class TimeSlicer {
  private started = performance.now();
  async tick(): Promise<void> {
    if (performance.now() - this.started < SLICE_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.started = performance.now();
  }
}
