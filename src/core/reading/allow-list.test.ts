import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type RecordingServer,
  startRecordingServer,
} from '../../../test/helpers/recording-server.ts';
import {
  allowListFetch,
  assertAllowedUrl,
  fetchAllowed,
  hostMatches,
  isAllowedUrl,
  isUrlAllowed,
} from './allow-list.ts';

const url = (href: string) => new URL(href);

describe('hostMatches and isUrlAllowed (backend.reading.allow)', () => {
  it('matches exact hosts, with a port (that port only) or without (any port)', () => {
    expect(hostMatches('example.com', url('https://example.com/x'))).toBe(true);
    expect(hostMatches('example.com', url('http://EXAMPLE.com:8080/x'))).toBe(true);
    expect(hostMatches('example.com:8080', url('http://example.com:8080/x'))).toBe(true);
    expect(hostMatches('example.com:8080', url('http://example.com:8081/x'))).toBe(false);
    expect(hostMatches('example.com:8080', url('http://example.com/x'))).toBe(false);
    // A default port written out matches a URL that names none.
    expect(hostMatches('example.com:443', url('https://example.com/x'))).toBe(true);
    expect(hostMatches('example.com', url('https://example.com.evil.test/x'))).toBe(false);
    expect(hostMatches('example.com', url('https://evil-example.com/x'))).toBe(false);
    expect(hostMatches('127.0.0.1:7007', url('http://127.0.0.1:7007/'))).toBe(true);
    expect(hostMatches('[::1]', url('http://[::1]:9/'))).toBe(true);
  });

  it('matches *.example.com on subdomains only', () => {
    expect(hostMatches('*.example.com', url('https://a.example.com/'))).toBe(true);
    expect(hostMatches('*.example.com', url('https://a.b.example.com:8443/'))).toBe(true);
    expect(hostMatches('*.example.com', url('https://example.com/'))).toBe(false);
    expect(hostMatches('*.example.com', url('https://badexample.com/'))).toBe(false);
    expect(hostMatches('*.example.com:8443', url('https://a.example.com/'))).toBe(false);
  });

  it('restricts to path prefixes when given', () => {
    const allow = [{ host: 'example.com', paths: ['/docs/'] }];
    expect(isUrlAllowed(url('https://example.com/docs/a.yaml'), allow)).toBe(true);
    expect(isUrlAllowed(url('https://example.com/other/a.yaml'), allow)).toBe(false);
    // Dot segments are resolved before the prefix is compared.
    expect(isUrlAllowed(url('https://example.com/docs/../other/a.yaml'), allow)).toBe(false);
    expect(isUrlAllowed(url('https://example.com/docs/%2e%2e/other/a.yaml'), allow)).toBe(false);
  });

  it('allows configured integration hosts and their API hosts, and per-use hosts', () => {
    const policy = {
      allow: [],
      integrations: {
        github: [{ host: 'ghe.example', apiBaseUrl: 'https://api.ghe.example/v3' }],
        gitlab: [{ host: 'gitlab.example:8443' }],
      },
    };
    expect(isAllowedUrl(url('https://ghe.example/o/r'), policy)).toBe(true);
    expect(isAllowedUrl(url('https://api.ghe.example/v3/user'), policy)).toBe(true);
    expect(isAllowedUrl(url('https://gitlab.example:8443/g/r'), policy)).toBe(true);
    expect(isAllowedUrl(url('https://gitlab.example/g/r'), policy)).toBe(false);
    expect(isAllowedUrl(url('https://github.com/o/r'), policy)).toBe(false);
    expect(isAllowedUrl(url('https://github.com/o/r'), { ...policy, hosts: ['github.com'] })).toBe(
      true,
    );
  });

  it('names the host and the key to add it to', () => {
    expect(() => assertAllowedUrl(url('http://127.0.0.1:9/x'), { allow: [] })).toThrow(
      'Reading http://127.0.0.1:9/x is not allowed: add 127.0.0.1:9 to backend.reading.allow or configure it under integrations in app-config.yaml',
    );
  });
});

describe('fetchAllowed', () => {
  let allowed: RecordingServer;
  let other: RecordingServer;
  let internal: RecordingServer;
  beforeAll(async () => {
    internal = await startRecordingServer();
    // `other` is allowed too, but another origin: credentials must not follow a redirect there.
    other = await startRecordingServer((request, response) => {
      if (request.url === '/to-internal') {
        response.writeHead(307, { location: `${internal.base}/secret` }).end();
      } else response.writeHead(200).end(`${request.method} ${request.url}`);
    });
    allowed = await startRecordingServer((request, response) => {
      const redirects: Record<string, [number, string]> = {
        '/same': [301, '/final'],
        '/other': [302, `${other.base}/landing`],
        '/see-other': [303, `${other.base}/after-post`],
        '/internal': [302, `${internal.base}/admin`],
        '/twice': [302, `${other.base}/to-internal`],
        '/file': [302, 'file:///etc/passwd'],
        '/loop': [302, '/loop'],
      };
      const hop = redirects[request.url ?? ''];
      if (hop) response.writeHead(hop[0], { location: hop[1] }).end();
      else response.writeHead(200).end(`${request.method} ${request.url}`);
    });
  });
  afterAll(async () => {
    await Promise.all([allowed.close(), other.close(), internal.close()]);
  });

  const policy = () => ({ allow: [{ host: allowed.host }, { host: other.host }] });

  it('refuses a URL outside the list before sending anything', async () => {
    await expect(fetchAllowed(`${internal.base}/x`, {}, { policy: policy() })).rejects.toThrow(
      `Reading ${internal.base}/x is not allowed: add ${internal.host} to backend.reading.allow`,
    );
    await expect(fetchAllowed('file:///etc/passwd', {}, { policy: policy() })).rejects.toThrow(
      'only http and https URLs can be read',
    );
    expect(internal.requests).toEqual([]);
  });

  it('follows redirects between allowed hosts, checking every hop', async () => {
    const same = await fetchAllowed(`${allowed.base}/same`, {}, { policy: policy() });
    expect(await same.text()).toBe('GET /final');
    for (const path of ['/internal', '/twice']) {
      await expect(
        fetchAllowed(`${allowed.base}${path}`, {}, { policy: policy() }),
      ).rejects.toThrow(/is not allowed: add 127\.0\.0\.1:\d+ to backend\.reading\.allow/);
    }
    await expect(fetchAllowed(`${allowed.base}/file`, {}, { policy: policy() })).rejects.toThrow(
      /redirects to file: URL/,
    );
    await expect(fetchAllowed(`${allowed.base}/loop`, {}, { policy: policy() })).rejects.toThrow(
      /too many redirects/,
    );
    expect(internal.requests).toEqual([]);
  });

  it('drops credentials when a redirect leaves the origin, and turns a 303 into a GET', async () => {
    other.requests.length = 0;
    const headers = { authorization: 'Bearer s3cret', 'private-token': 'glpat', accept: 'x/y' };
    await (await fetchAllowed(`${allowed.base}/other`, { headers }, { policy: policy() })).text();
    expect(allowed.requests.at(-1)?.headers.authorization).toBe('Bearer s3cret');
    const landed = other.requests.at(-1)!;
    expect(landed.url).toBe('/landing');
    expect(landed.headers.authorization).toBeUndefined();
    expect(landed.headers['private-token']).toBeUndefined();
    expect(landed.headers.accept).toBe('x/y');

    const posted = await fetchAllowed(
      `${allowed.base}/see-other`,
      { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } },
      { policy: policy() },
    );
    expect(await posted.text()).toBe('GET /after-post');
  });

  it('serves as the fetch of HTTP clients, Request objects included', async () => {
    const clientFetch = allowListFetch(policy());
    expect(await (await clientFetch(`${allowed.base}/same`)).text()).toBe('GET /final');
    const request = new Request(`${allowed.base}/same`, { method: 'PUT', body: 'x' });
    expect((await clientFetch(request)).status).toBe(200);
    await expect(clientFetch(new Request(`${internal.base}/x`))).rejects.toThrow(/not allowed/);
    expect(internal.requests).toEqual([]);
  });
});
