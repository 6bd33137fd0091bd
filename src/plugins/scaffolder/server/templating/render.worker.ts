/**
 * A rendering worker thread: owns a SecureTemplater and renders what the server sends it
 * (see renderer.ts for the server side and render-protocol.ts for the messages). Before each
 * render (each string of a value, each skeleton file) it writes into the shared progress
 * buffer when that render started and what it is, so the server can stop this thread when a
 * render runs past `scaffolder.limits.renderTimeout` and name it in the error.
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import type { JsonValue } from '../../../../model/entity.ts';
import { LIMIT_KEYS, outputTooLarge } from './limits.ts';
import {
  type JobMessage,
  PROGRESS,
  type RenderErrorData,
  type RenderRequest,
  type RenderResult,
  type RenderWorkerData,
  type StepStatus,
  type WorkerMessage,
} from './render-protocol.ts';
import { SecureTemplater, TemplatingError } from './secure-templater.ts';

const data = workerData as RenderWorkerData;
const port = parentPort;
if (!port) throw new Error('render.worker.ts runs as a worker thread only');

const startedAt = new Float64Array(data.progress, PROGRESS.startedAt, 1);
const pathLength = new Int32Array(data.progress, PROGRESS.pathLength, 1);
const pathBytes = new Uint8Array(data.progress, PROGRESS.path, PROGRESS.bytes - PROGRESS.path);
const encoder = new TextEncoder();
/** Named when a string is rendered without a path of its own (a whole `if` condition). */
let basePath = '';

function mark(path: string): void {
  const { written } = encoder.encodeInto(path || basePath, pathBytes);
  Atomics.store(pathLength, 0, written);
}

function startItem(path: string): void {
  startedAt[0] = Date.now();
  mark(path);
}

const create = () => new SecureTemplater({ integrations: data.integrations, onString: mark });
let templater = create();

/** Throws when `text` is past `renderOutputBytes` (UTF-8 bytes; cheap when clearly below). */
function checkSize(text: string, path: string): void {
  const limit = data.outputBytes;
  if (text.length * 3 <= limit) return;
  if (text.length > limit || Buffer.byteLength(text) > limit) {
    throw Object.assign(new TemplatingError(path, outputTooLarge(limit)), {
      limit: LIMIT_KEYS.renderOutputBytes,
    });
  }
}

function withStatus(scope: Record<string, unknown>, status: StepStatus | undefined) {
  if (!status) return scope;
  return { ...scope, always: () => true, failure: () => status.failed };
}

function run(request: RenderRequest): RenderResult {
  switch (request.op) {
    case 'value': {
      basePath = request.path;
      startItem(request.path);
      const scope = withStatus(request.scope, request.status);
      const value: JsonValue | undefined = request.strict
        ? templater.renderValueStrict(request.value, scope, request.path)
        : templater.renderValue(request.value, scope, request.path);
      if (value !== null && typeof value === 'object')
        checkSize(JSON.stringify(value), request.path);
      else if (typeof value === 'string') checkSize(value, request.path);
      return { op: 'value', value };
    }
    case 'truthy': {
      basePath = request.path;
      startItem(request.path);
      const scope = withStatus(request.scope, request.status);
      return { op: 'truthy', value: templater.isTruthy(request.condition, scope) };
    }
    case 'skeleton': {
      const out: string[] = [];
      for (const file of request.files) {
        basePath = file.name;
        startItem(file.name);
        const text = templater.renderSkeleton(file.text, request.values, {
          ...request.options,
          name: file.name,
        });
        checkSize(text, file.name);
        out.push(text);
      }
      return { op: 'skeleton', value: out };
    }
    case 'check': {
      const value = request.items.map((item) => {
        basePath = item.path;
        startItem(item.path);
        return templater.checkTemplate(item.value, item.path);
      });
      return { op: 'check', value };
    }
  }
}

function errorData(error: unknown): RenderErrorData {
  if (error instanceof TemplatingError) {
    const limit = (error as { limit?: unknown }).limit;
    return {
      name: error.name,
      message: error.message,
      path: error.path,
      detail: error.detail,
      ...(typeof limit === 'string' ? { limit } : {}),
    };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  return { name: e.name, message: e.message };
}

port.on('message', ({ id, request }: JobMessage) => {
  let message: WorkerMessage;
  try {
    message = { type: 'done', id, result: run(request) };
  } catch (error) {
    message = { type: 'failed', id, error: errorData(error) };
  }
  port.postMessage(message);
  // Compiled templates are cached; a long-lived worker that rendered many distinct texts
  // starts afresh before its cache could take the heap it is allowed.
  if (getHeapStatistics().used_heap_size > data.memoryMb * 1024 * 1024 * 0.5) {
    templater = create();
  }
});

port.postMessage({ type: 'ready' } satisfies WorkerMessage);
