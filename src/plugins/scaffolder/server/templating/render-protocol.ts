/**
 * Messages between the server and a rendering worker (render.worker.ts). Everything that
 * crosses is plain JSON data (structured clone): values, scopes, skeleton texts and options.
 */
import type { JsonValue } from '../../../../model/entity.ts';
import type { ScmIntegrationsConfig } from './repo-url.ts';
import type { SkeletonOptions } from './secure-templater.ts';

/** What a worker is started with (`workerData`). */
export interface RenderWorkerData {
  integrations: ScmIntegrationsConfig | undefined;
  /** `scaffolder.limits.renderOutputBytes`. */
  outputBytes: number;
  /** `scaffolder.limits.workerMemoryMb`: the worker drops its template cache near it. */
  memoryMb: number;
  /** Progress the worker writes and the server reads (see {@link RenderProgress}). */
  progress: SharedArrayBuffer;
}

/**
 * Layout of the shared progress buffer: what the worker renders right now, so the server can
 * stop it when it takes too long and name it in the error, without a message per item.
 */
export const PROGRESS = {
  /** Float64 at byte 0: Date.now() when the current render (item) started. */
  startedAt: 0,
  /** Int32 at byte 8: length in bytes of the path that follows. */
  pathLength: 8,
  /** UTF-8 bytes of the path (cut to fit) from byte 16. */
  path: 16,
  bytes: 1024,
} as const;

/** `failed` present: the scope gets Backstage's `always()` and `failure()` step functions. */
export interface StepStatus {
  failed: boolean;
}

export type RenderRequest =
  | {
      op: 'value';
      value: JsonValue | undefined;
      scope: Record<string, unknown>;
      path: string;
      strict: boolean;
      status?: StepStatus;
    }
  | {
      op: 'truthy';
      condition: unknown;
      scope: Record<string, unknown>;
      path: string;
      status?: StepStatus;
    }
  | {
      op: 'skeleton';
      /** Texts (contents or file names) and the names errors give them. */
      files: Array<{ text: string; name: string }>;
      values: Record<string, unknown>;
      options: Omit<SkeletonOptions, 'name'>;
    }
  | { op: 'check'; items: Array<{ value: unknown; path: string }> };

export type RenderResult =
  | { op: 'value'; value: JsonValue | undefined }
  | { op: 'truthy'; value: boolean }
  | { op: 'skeleton'; value: string[] }
  | { op: 'check'; value: Array<Array<{ path: string; message: string }>> };

/** An error as it crosses back; TemplatingErrors keep their path and detail. */
export interface RenderErrorData {
  name: string;
  message: string;
  path?: string;
  detail?: string;
  /** Set for a limit the worker itself enforces (`scaffolder.limits.renderOutputBytes`). */
  limit?: string;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'done'; id: number; result: RenderResult }
  | { type: 'failed'; id: number; error: RenderErrorData };

export interface JobMessage {
  id: number;
  request: RenderRequest;
}
