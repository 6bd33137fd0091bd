import type { Logger } from '../../../../core/plugin-api.ts';

/**
 * Runs `task` now and then every `intervalMs`, never twice at once; `stop()` waits for a run
 * in progress. Failures are logged (once per message) and the next run tries again.
 */
export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private lastError: string | undefined;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly task: () => Promise<void>,
  ) {}

  start(delayMs = 0): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(delayMs);
  }

  /** Runs the task now (after a run in progress), e.g. when something asked for fresh data. */
  async runNow(): Promise<void> {
    if (this.running) await this.running;
    await this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(async () => {
      await this.run();
      this.schedule(this.intervalMs);
    }, delayMs);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        await this.task();
        this.lastError = undefined;
      } catch (error) {
        const message = (error as Error).message;
        if (message !== this.lastError) {
          this.lastError = message;
          this.logger.warn(`Updating ${this.name} failed; trying again later`, { error: message });
        }
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }
}
