/**
 * Evaluates user expressions (JSONata, regular expressions from template input) for the
 * Roadie actions, one job per thread: the server terminates this thread when the job runs
 * past `scaffolder.limits.renderTimeout`, so not even a regular expression that backtracks
 * for hours can hold the server (see bounded-eval.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import jsonata from 'jsonata';
import type { BoundedJob, BoundedReply } from './bounded-eval.ts';

const port = parentPort;
if (!port) throw new Error('bounded-eval.worker.ts runs as a worker thread only');

function reply(message: BoundedReply): void {
  port!.postMessage(message);
}

function describe(error: unknown): { message: string; code?: string; position?: number } {
  const e = error as { message?: unknown; code?: unknown; position?: unknown };
  return {
    message: typeof e?.message === 'string' ? e.message : String(error),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(typeof e?.position === 'number' ? { position: e.position } : {}),
  };
}

async function run(job: BoundedJob): Promise<unknown> {
  if (job.kind === 'jsonata') {
    let expression: jsonata.Expression;
    try {
      expression = jsonata(job.expression, { timeout: job.timeoutMs });
    } catch (error) {
      throw Object.assign(describe(error), { syntax: true });
    }
    return expression.evaluate(job.data);
  }
  const pattern = new RegExp(job.pattern, 'g');
  return job.texts.map((text) => text.replaceAll(pattern, job.replacement));
}

const job = workerData as BoundedJob;
reply({ type: 'started' });
run(job).then(
  (result) => {
    // Plain JSON: JSONata sequences and functions become what JSON makes of them.
    const json = result === undefined ? undefined : JSON.stringify(result);
    if (json !== undefined && json.length > job.outputBytes) {
      reply({ type: 'too-large' });
      return;
    }
    reply({ type: 'done', json });
  },
  (error: unknown) => {
    reply({
      type: 'failed',
      error: describe(error),
      syntax: Boolean((error as { syntax?: boolean })?.syntax),
    });
  },
);
