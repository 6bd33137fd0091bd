import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { lazyRouteValidators } from './lazy-validators.ts';

let server: FastifyInstance | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function create(): FastifyInstance {
  server = Fastify({
    // The host's ajv options (src/core/app.ts).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
    schemaController: lazyRouteValidators(),
  });
  return server;
}

describe('lazyRouteValidators', () => {
  it('validates, coerces and fills defaults as fastify’s own compiler does', async () => {
    const app = create();
    app.post(
      '/things/:id',
      {
        schema: {
          params: { type: 'object', properties: { id: { type: 'integer' } } },
          querystring: {
            type: 'object',
            properties: {
              tag: { type: 'array', items: { type: 'string' } },
              limit: { type: 'integer', default: 20 },
            },
          },
          headers: {
            type: 'object',
            properties: { 'X-Thing-Token': { type: 'string', minLength: 3 } },
            required: ['X-Thing-Token'],
          },
          body: {
            type: 'object',
            required: ['name'],
            properties: { name: { type: 'string', minLength: 1 }, size: { type: 'number' } },
          },
        },
      },
      async (request) => ({ params: request.params, query: request.query, body: request.body }),
    );
    const ok = await app.inject({
      method: 'POST',
      url: '/things/7?tag=a',
      headers: { 'x-thing-token': 'abc' },
      payload: { name: 'n', size: '2' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({
      params: { id: 7 },
      query: { tag: ['a'], limit: 20 },
      body: { name: 'n', size: 2 },
    });

    const bad = await app.inject({
      method: 'POST',
      url: '/things/x',
      headers: { 'x-thing-token': 'abc' },
      payload: { name: 'n' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toBe('params/id must be integer');

    // Header names are case-insensitive, so the schema's are lower-cased, as fastify does.
    const noToken = await app.inject({ method: 'POST', url: '/things/1', payload: { name: 'n' } });
    expect(noToken.statusCode).toBe(400);
    expect(noToken.json().message).toBe("headers must have required property 'x-thing-token'");

    // Every error, not just the first (allErrors), from the last call.
    const body = await app.inject({
      method: 'POST',
      url: '/things/1',
      headers: { 'x-thing-token': 'abc' },
      payload: { name: '', size: 'big' },
    });
    expect(body.statusCode).toBe(400);
    expect(body.json().message).toBe(
      'body/name must NOT have fewer than 1 characters, body/size must be number',
    );
  });

  it('compiles a route’s schema at its first request, not while the server gets ready', async () => {
    const app = create();
    // Valid against the meta-schema, but ajv cannot compile it (the reference resolves nowhere).
    app.get(
      '/later',
      { schema: { querystring: { $ref: 'https://nowhere.invalid/schema.json' } } },
      async () => 'unreachable',
    );
    app.get('/other', async () => 'fine');
    await app.ready();
    expect((await app.inject({ url: '/other' })).body).toBe('fine');
    const later = await app.inject({ url: '/later' });
    expect(later.statusCode).toBe(500);
    expect(later.body).toContain("can't resolve reference https://nowhere.invalid/schema.json");
  });

  it('still refuses a malformed schema at start, naming the route', async () => {
    const app = create();
    app.get(
      '/broken',
      { schema: { querystring: { type: 'object', properties: { n: { type: 'nope' } } } } },
      async () => 'unreachable',
    );
    await expect(app.ready()).rejects.toThrow(
      /Failed building the validation schema for GET: \/broken, due to error schema is invalid: data\/properties\/n\/type must be equal to one of the allowed values/,
    );
  });
});
