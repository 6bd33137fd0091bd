import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.ts';
import { hideInternalError, makeErrorHandler } from './error-handler.ts';

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ json: true, write: (line) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe('internal errors', () => {
  it('are logged with their stack under an id, and answered with the id only', () => {
    const { logger, lines } = capturingLogger();
    const message = hideInternalError(logger, 'Tool failed', { tool: 't' }, new Error('/etc/x'));
    const id = /^An internal error occurred logId=([a-z0-9]+)$/.exec(message)?.[1];
    expect(id).toBeTruthy();
    expect(message).not.toContain('/etc/x');
    expect(lines).toEqual([
      expect.objectContaining({
        message: 'Tool failed',
        logId: id,
        tool: 't',
        error: expect.stringContaining('Error: /etc/x'),
      }),
    ]);
  });

  it('reach an HTTP caller as a 500 with the id, never the message or stack', async () => {
    const { logger, lines } = capturingLogger();
    const app = Fastify();
    app.setErrorHandler(makeErrorHandler(logger));
    app.get('/boom', async () => {
      throw new Error('secret path /srv/data');
    });
    const response = await app.inject({ method: 'GET', url: '/boom' });
    await app.close();
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret path');
    const id = /logId=([a-z0-9]+)/.exec(response.json().error.message)?.[1];
    expect(lines).toEqual([
      expect.objectContaining({ message: 'Request failed', logId: id, url: '/boom' }),
    ]);
  });
});
