import { InputError } from '../../../../../core/errors.ts';
import type { JsonObject, JsonValue } from '../../../../../model/entity.ts';
import type { TemplateAction } from '../types.ts';

const METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'UPDATE', 'DELETE', 'PUT', 'PATCH'] as const;

interface BackstageRequestInput extends JsonObject {
  path: string;
  method: (typeof METHODS)[number];
  headers?: { [name: string]: string };
  params?: { [name: string]: JsonValue };
  body?: JsonValue;
  logRequestPath?: boolean;
  continueOnBadResponse?: boolean;
  timeout?: number;
}

/** The longest a step may wait for the portal's answer (Roadie's default is one minute too). */
const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * `/catalog/entities` (Roadie's form: the first segment names the plugin, as Backstage's
 * discovery resolves it) or `/api/catalog/entities`, to the path under this portal's API.
 * Refuses what would leave `/api/` (`..` segments, an absolute URL) so a template parameter
 * cannot turn the step into a request for the web app's files or another host.
 */
export function apiPathOf(path: string): string {
  const trimmed = path.trim();
  if (/^[a-z][a-z0-9+.-]*:/i.test(trimmed) || trimmed.startsWith('//')) {
    throw new InputError(
      `input.path ${trimmed} must be a path of this portal's API such as /catalog/entities, not a URL`,
    );
  }
  const [pathname, ...query] = trimmed.split('?');
  const segments = (pathname ?? '').split('/').filter(Boolean);
  if (segments.some((s) => s === '..' || s === '.' || /%2e|%2f|%5c/i.test(s) || s.includes('\\'))) {
    throw new InputError(`input.path ${trimmed} must not contain '.', '..' or encoded separators`);
  }
  if (segments[0] === 'api') segments.shift();
  if (!segments.length) {
    throw new InputError(
      `input.path ${trimmed} names no plugin: write /<plugin>/<route>, e.g. /catalog/entities`,
    );
  }
  return `/api/${segments.join('/')}${query.length ? `?${query.join('?')}` : ''}`;
}

function withParams(url: string, params: BackstageRequestInput['params']): string {
  if (!params || !Object.keys(params).length) return url;
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === null || item === undefined) continue;
      search.append(name, typeof item === 'object' ? JSON.stringify(item) : String(item));
    }
  }
  const joined = search.toString();
  if (!joined) return url;
  return `${url}${url.includes('?') ? '&' : '?'}${joined}`;
}

function headerOf(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers))
    if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/**
 * Roadie's `http:backstage:request`: calls this portal's own API as the person who created the
 * task (their roles decide, the audit log names them). Backstage sends the user's token over
 * HTTP; Atrium makes the request in process, so no token exists that a step could print.
 */
export const httpBackstageRequestAction: TemplateAction<BackstageRequestInput> = {
  id: 'http:backstage:request',
  description:
    "Sends a request to this portal's own API (e.g. /catalog/entities) as the person who started the task, and outputs the status code, headers and body.",
  examples: [
    {
      description: 'Read the owner group of the new component from the catalog',
      example: `steps:
  - id: owner
    action: http:backstage:request
    name: Look up the owner
    input:
      method: GET
      path: /catalog/entities/by-name/group/default/\${{ parameters.owner | parseEntityRef | pick('name') }}
`,
    },
  ],
  schema: {
    input: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      required: ['path', 'method'],
      properties: {
        path: {
          title: 'Request path',
          description:
            "Path of this portal's API, starting with the plugin: /catalog/entities, /scaffolder/v2/actions (an /api prefix is accepted).",
          type: 'string',
          minLength: 1,
        },
        method: { title: 'Method', type: 'string', enum: [...METHODS] },
        headers: {
          title: 'Request headers',
          type: 'object',
          additionalProperties: { type: 'string' },
        },
        params: { title: 'Query parameters', type: 'object' },
        body: {
          title: 'Request body',
          description:
            'An object or array is sent as JSON (content-type application/json unless a header says otherwise); a string as it is.',
        },
        logRequestPath: {
          title: 'Log the request path',
          type: 'boolean',
          default: true,
        },
        continueOnBadResponse: {
          title: 'Continue on a 4xx or 5xx answer',
          description: 'Output the code and body and go on instead of failing the step.',
          type: 'boolean',
          default: false,
        },
        timeout: { title: 'Timeout (milliseconds)', type: 'number', minimum: 1, maximum: 600_000 },
      },
    },
    output: {
      type: 'object',
      properties: {
        code: { title: 'Status code, as a string (as Roadie outputs it)', type: 'string' },
        headers: { title: 'Response headers', type: 'object' },
        body: { title: 'Response body: parsed when it is JSON, text otherwise' },
      },
    },
  },
  async handler(ctx) {
    const { input } = ctx;
    if (!ctx.portalRequest) {
      throw new Error(
        'http:backstage:request needs the task runner of a running portal (it calls the API as the task creator)',
      );
    }
    const url = withParams(apiPathOf(input.path), input.params);
    const method = input.method === 'UPDATE' ? 'PUT' : input.method;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(input.headers ?? {})) {
      // The step acts as its creator; credentials in input would make it act as someone else.
      if (/^(authorization|cookie|host)$/i.test(name)) {
        ctx.logger.warn(`Header ${name} is not sent: the request is made as the task's creator`);
        continue;
      }
      headers[name] = value;
    }
    let body: string | undefined;
    if (input.body !== undefined && input.body !== null && method !== 'GET' && method !== 'HEAD') {
      if (typeof input.body === 'string') {
        body = input.body;
      } else {
        body = JSON.stringify(input.body);
        if (!headerOf(headers, 'content-type')) headers['content-type'] = 'application/json';
      }
    }
    if (input.logRequestPath !== false) ctx.logger.info(`Sending ${method} ${url}`);
    const timeoutMs = input.timeout ?? DEFAULT_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const response = await Promise.race([
      ctx.portalRequest({ method, url, headers, ...(body === undefined ? {} : { body }) }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new Error(`The portal did not answer ${method} ${url} within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    const type = response.headers['content-type'] ?? '';
    let parsed: JsonValue = response.body;
    if (/\bjson\b/i.test(type) && response.body) {
      try {
        parsed = JSON.parse(response.body) as JsonValue;
      } catch {
        parsed = response.body;
      }
    }
    if (response.status >= 400) {
      const summary = `${method} ${url} answered ${response.status}: ${
        typeof parsed === 'string' ? parsed.slice(0, 500) : JSON.stringify(parsed).slice(0, 500)
      }`;
      if (!input.continueOnBadResponse) throw new Error(summary);
      ctx.logger.warn(summary);
    } else {
      ctx.logger.info(`${method} ${url} answered ${response.status}`);
    }
    ctx.output('code', String(response.status));
    ctx.output('headers', response.headers);
    ctx.output('body', parsed);
  },
};
