import { TemplatingError } from './secure-templater.ts';

/** The rendering bounds (`scaffolder.limits.*` in config, normalized). */
export interface RenderLimits {
  /** Longest one render may take, ms. */
  renderTimeoutMs: number;
  /** Total render time of one task, ms; null for no total. */
  taskRenderTimeMs: number | null;
  /** Largest output of one render, UTF-8 bytes. */
  renderOutputBytes: number;
  /** Heap of each worker, MB. */
  workerMemoryMb: number;
  /** Worker threads. */
  renderWorkers: number;
}

export const DEFAULT_RENDER_LIMITS: RenderLimits = {
  renderTimeoutMs: 5_000,
  taskRenderTimeMs: 60_000,
  renderOutputBytes: 10 * 1024 * 1024,
  workerMemoryMb: 256,
  renderWorkers: 2,
};

/** The config key of each limit, as error messages name it. */
export const LIMIT_KEYS = {
  renderTimeout: 'scaffolder.limits.renderTimeout',
  taskRenderTime: 'scaffolder.limits.taskRenderTime',
  renderOutputBytes: 'scaffolder.limits.renderOutputBytes',
  workerMemoryMb: 'scaffolder.limits.workerMemoryMb',
} as const;

/** A render stopped by one of the limits; `limit` is its config key. */
export class TemplateLimitError extends TemplatingError {
  readonly limit: string;
  constructor(path: string, detail: string, limit: string) {
    super(path, detail);
    this.limit = limit;
  }
}

/** `2 s`, `500 ms`, `1.5 s`, `2 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000 || ms % 60_000 !== 0) return `${Number((ms / 1000).toFixed(3))} s`;
  return `${ms / 60_000} min`;
}

/** `10 MiB`, `512 KiB`, `1000 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Number((bytes / (1024 * 1024)).toFixed(2))} MiB`;
  if (bytes >= 1024) return `${Number((bytes / 1024).toFixed(2))} KiB`;
  return `${bytes} bytes`;
}

/** The detail of an error for output past `renderOutputBytes`. */
export function outputTooLarge(limit: number): string {
  return `the rendered output is larger than ${LIMIT_KEYS.renderOutputBytes} (${formatBytes(limit)})`;
}
