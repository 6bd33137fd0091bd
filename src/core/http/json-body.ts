import type { FastifyInstance } from 'fastify';
import { checkDataLimits, type DataLimits } from '../../model/data-limits.ts';
import { InputError } from '../errors.ts';

/**
 * The JSON body parser of every route. V8's JSON.parse does not recurse, so a 100,000-deep
 * body parses fine and then overflows the stack of the first schema check, copy or
 * serialisation that does: the depth is checked here, once, and answered with a 400 that
 * names the limit. Backstage's client sends `Content-Type: application/json` on every call,
 * DELETE included, so an empty body is only an error where a body is expected.
 */
export function registerJsonBodyParser(server: FastifyInstance, limits: () => DataLimits): void {
  server.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = String(body);
    if (text.trim() === '') {
      if (request.method === 'POST' || request.method === 'PUT' || request.method === 'PATCH') {
        done(new InputError('Empty request body'), undefined);
      } else {
        done(null, undefined);
      }
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      done(new InputError(`Malformed JSON body: ${(error as Error).message}`), undefined);
      return;
    }
    const broken = checkDataLimits(value, limits());
    if (broken) {
      done(new InputError(`The request body is ${broken.message}`), undefined);
      return;
    }
    done(null, value);
  });
}
