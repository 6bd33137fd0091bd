import { setTimeout as delay } from 'node:timers/promises';
import { InputError } from '../../../../../core/errors.ts';
import type { JsonObject } from '../../../../../model/entity.ts';
import type { TemplateAction } from '../types.ts';

interface WaitInput extends JsonObject {
  minutes?: number;
  seconds?: number;
  milliseconds?: number;
}

export const MAX_WAIT_MS = 10 * 60 * 1000;

function describe(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 ? 1 : 0)} s` : `${ms} ms`;
}

export const debugWaitAction: TemplateAction<WaitInput> = {
  id: 'debug:wait',
  description: 'Waits for the given time (at most 10 minutes); cancelling the task ends the wait.',
  examples: [
    {
      description: 'Wait for 50 milliseconds',
      example: `steps:
  - id: wait
    action: debug:wait
    name: Waiting for 50 milliseconds
    input:
      milliseconds: 50
`,
    },
    {
      description: 'Wait for 1.5 minutes',
      example: `steps:
  - id: wait
    action: debug:wait
    name: Waiting
    input:
      minutes: 1
      seconds: 30
`,
    },
  ],
  schema: {
    input: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        minutes: { title: 'Minutes', type: 'number', minimum: 0 },
        seconds: { title: 'Seconds', type: 'number', minimum: 0 },
        milliseconds: { title: 'Milliseconds', type: 'number', minimum: 0 },
      },
    },
  },
  supportsDryRun: false,
  async handler(ctx) {
    const { minutes = 0, seconds = 0, milliseconds = 0 } = ctx.input;
    const total = minutes * 60_000 + seconds * 1000 + milliseconds;
    if (!Number.isFinite(total) || total < 0) {
      throw new InputError('debug:wait: minutes, seconds and milliseconds must be non-negative');
    }
    if (total > MAX_WAIT_MS) {
      throw new InputError(
        `debug:wait: waiting ${describe(total)} is longer than the maximum of 10 minutes`,
      );
    }
    ctx.logger.info(`Waiting ${describe(total)}`);
    const started = Date.now();
    try {
      await delay(total, undefined, { signal: ctx.signal });
    } catch (error) {
      if (!ctx.signal.aborted) throw error;
      const cancelled = new Error(
        `debug:wait cancelled after ${describe(Date.now() - started)} of ${describe(total)}`,
      );
      cancelled.name = 'AbortError';
      throw cancelled;
    }
  },
};
