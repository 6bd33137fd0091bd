import type { FastifyReply } from 'fastify';

/** A Server-Sent Events response that a route writes to until it calls `end`. */
export interface EventStream {
  /**
   * Writes `event: <event>\ndata: <JSON>\n\n`, after `id: <id>` when given (what a client
   * sends back as `Last-Event-ID` to resume); does nothing once the client has gone.
   */
  send(event: string, data: unknown, id?: string | number): void;
  /** Writes a comment line, which keeps proxies from closing a quiet stream. */
  comment(text: string): void;
  end(): void;
}

/**
 * Takes the response over from Fastify and starts a `text/event-stream` answer (the framing
 * Backstage's scaffolder and TechDocs clients read). Buffering proxies are told not to hold
 * events back.
 */
export function openEventStream(reply: FastifyReply): EventStream {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-content-type-options': 'nosniff',
  });
  raw.flushHeaders?.();
  const open = () => !raw.writableEnded && !raw.destroyed;
  return {
    send(event, data, id) {
      if (!open()) return;
      const prefix = id === undefined ? '' : `id: ${String(id).replace(/[\r\n]/g, '')}\n`;
      raw.write(`${prefix}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    comment(text) {
      if (open()) raw.write(`: ${text}\n\n`);
    },
    end() {
      if (!raw.writableEnded) raw.end();
    },
  };
}
