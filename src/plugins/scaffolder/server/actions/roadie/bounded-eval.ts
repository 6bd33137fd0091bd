import { InputError } from '../../../../../core/errors.ts';
import { startWorker } from '../../../../../core/worker-threads.ts';
import type { JsonValue } from '../../../../../model/entity.ts';
import {
  DEFAULT_RENDER_LIMITS,
  formatBytes,
  formatDuration,
  LIMIT_KEYS,
  type RenderLimits,
  TemplateLimitError,
} from '../../templating/limits.ts';
import type { ActionContext, ActionDeps } from '../types.ts';

/** What the worker evaluates: a JSONata expression over data, or a regex replace over texts. */
export type BoundedJob = { outputBytes: number; timeoutMs: number } & (
  | { kind: 'jsonata'; expression: string; data: unknown }
  | { kind: 'regex-replace'; pattern: string; replacement: string; texts: string[] }
);

export type BoundedReply =
  | { type: 'started' }
  | { type: 'done'; json: string | undefined }
  | { type: 'too-large' }
  | {
      type: 'failed';
      error: { message: string; code?: string; position?: number };
      syntax: boolean;
    };

/** Longest wait for a worker to load (tsx in development is slow); not the evaluation bound. */
const STARTUP_MS = 30_000;

/** The `scaffolder.limits.*` that bound user expressions, as rendering is bounded. */
export function boundedLimits(deps: Pick<ActionDeps, 'config'>): RenderLimits {
  return { ...DEFAULT_RENDER_LIMITS, ...deps.config.scaffolder?.limits };
}

/**
 * Runs `job` in a worker thread of its own under the rendering limits: past
 * `scaffolder.limits.renderTimeout` the thread is terminated (a JSONata loop or a regular
 * expression that backtracks forever stops there, the server never waits on it), past
 * `workerMemoryMb` it dies, and a result larger than `renderOutputBytes` is refused. Errors
 * name `field` (the action input that held the expression).
 */
export function runBounded(
  job:
    | { kind: 'jsonata'; expression: string; data: unknown }
    | { kind: 'regex-replace'; pattern: string; replacement: string; texts: string[] },
  options: {
    limits: RenderLimits;
    ctx: Pick<ActionContext, 'signal'>;
    field: string;
    what: string;
  },
): Promise<JsonValue | undefined> {
  const { limits, ctx, field, what } = options;
  const data: BoundedJob = {
    ...job,
    outputBytes: limits.renderOutputBytes,
    timeoutMs: limits.renderTimeoutMs,
  };
  ctx.signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const worker = startWorker(import.meta.url, './bounded-eval.worker.ts', {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: limits.workerMemoryMb },
      name: 'atrium-bounded-eval',
    });
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      void worker.terminate().catch(() => {});
      settle();
    };
    const onAbort = () => finish(() => reject(ctx.signal.reason));
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(
      () => finish(() => reject(new Error(`${field}: the ${what} worker did not start`))),
      STARTUP_MS,
    );
    worker.on('message', (message: BoundedReply) => {
      if (message.type === 'started') {
        clearTimeout(timer);
        timer = setTimeout(
          () =>
            finish(() =>
              reject(
                new TemplateLimitError(
                  field,
                  `${what} took longer than ${LIMIT_KEYS.renderTimeout} (${formatDuration(limits.renderTimeoutMs)})`,
                  LIMIT_KEYS.renderTimeout,
                ),
              ),
            ),
          limits.renderTimeoutMs,
        );
      } else if (message.type === 'done') {
        finish(() =>
          resolve(message.json === undefined ? undefined : (JSON.parse(message.json) as JsonValue)),
        );
      } else if (message.type === 'too-large') {
        finish(() =>
          reject(
            new TemplateLimitError(
              field,
              `the result of the ${what} is larger than ${LIMIT_KEYS.renderOutputBytes} (${formatBytes(limits.renderOutputBytes)})`,
              LIMIT_KEYS.renderOutputBytes,
            ),
          ),
        );
      } else {
        finish(() => reject(failure(message, job.kind, field, what, limits)));
      }
    });
    worker.on('error', (error: Error & { code?: string }) => {
      finish(() =>
        reject(
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new TemplateLimitError(
                field,
                `${what} needed more memory than ${LIMIT_KEYS.workerMemoryMb} (${limits.workerMemoryMb} MB)`,
                LIMIT_KEYS.workerMemoryMb,
              )
            : new Error(`${field}: the ${what} worker failed: ${error.message}`),
        ),
      );
    });
    worker.on('exit', (code) => {
      finish(() => reject(new Error(`${field}: the ${what} worker exited with code ${code}`)));
    });
  });
}

function failure(
  message: Extract<BoundedReply, { type: 'failed' }>,
  kind: BoundedJob['kind'],
  field: string,
  what: string,
  limits: RenderLimits,
): Error {
  const { error } = message;
  if (error.code === 'D1012') {
    return new TemplateLimitError(
      field,
      `${what} took longer than ${LIMIT_KEYS.renderTimeout} (${formatDuration(limits.renderTimeoutMs)})`,
      LIMIT_KEYS.renderTimeout,
    );
  }
  const where = error.position !== undefined ? ` (at character ${error.position})` : '';
  if (kind === 'regex-replace') return new InputError(`${field}: ${what} failed: ${error.message}`);
  return new InputError(
    message.syntax
      ? `${field}: not a valid JSONata expression: ${error.message}${where}`
      : `${field}: JSONata failed to evaluate the expression: ${error.message}${where}`,
  );
}
