import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScmHttpClient } from '../../../../core/reading/scm-http.ts';
import { gitlabFileRequest } from '../providers/gitlab/file-url.ts';
import { FileReader, type SourceFile, UrlReader } from './readers.ts';

async function readAll(reader: FileReader, target: string, roots?: string[]) {
  const result = await reader.read(target, roots ? { roots } : {});
  const files: SourceFile[] = [];
  for await (const file of result.files) files.push(file);
  return { files, problems: result.problems };
}

describe('FileReader limits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atrium-reader-'));
  for (let i = 0; i < 30; i++) {
    mkdirSync(join(dir, `d${i}`));
    for (let j = 0; j < 5; j++) writeFileSync(join(dir, `d${i}`, `f${j}.txt`), 'x');
  }

  it('stops a crawl that visits far more entries than it may match, naming the limit', async () => {
    const reader = new FileReader(() => ({ globFiles: 2, globBytes: 1 << 20 }));
    const started = performance.now();
    const { files, problems } = await readAll(reader, join(dir, '**', 'nothing.yaml'));
    expect(performance.now() - started).toBeLessThan(5000);
    expect(files).toEqual([]);
    expect(problems[0]?.message).toMatch(
      /searches more than 40 directory entries \(limit catalog\.limits\.globFiles/,
    );
  });

  it('reads a glob within its limits, one file at a time', async () => {
    const reader = new FileReader(() => ({ globFiles: 200, globBytes: 1 << 20 }));
    const result = await reader.read(join(dir, 'd1', '*.txt'));
    expect(Array.isArray(result.files)).toBe(false);
    const { files, problems } = await readAll(reader, join(dir, 'd1', '*.txt'), [dir]);
    expect(problems).toEqual([]);
    expect(files.map((f) => f.content)).toEqual(['x', 'x', 'x', 'x', 'x']);
  });
});

describe('UrlReader', () => {
  const yaml = 'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: api-read }\n';

  /** A GitLab-like host: the API answers with an ETag and 304 when it matches; the HTML page never should be asked. */
  async function gitlabLike() {
    const requests: Array<{ url: string; token?: string; ifNoneMatch?: string }> = [];
    const server = createServer((request, response) => {
      const token = request.headers['private-token'] as string | undefined;
      const ifNoneMatch = request.headers['if-none-match'] as string | undefined;
      requests.push({ url: request.url ?? '', token, ifNoneMatch });
      if (request.url?.startsWith('/api/v4/projects/acme%2Fweb/repository/files/')) {
        if (ifNoneMatch === '"v1"') return response.writeHead(304, { etag: '"v1"' }).end();
        return response.writeHead(200, { etag: '"v1"', 'content-type': 'text/plain' }).end(yaml);
      }
      response.writeHead(200, { 'content-type': 'text/html' }).end('<html>not the file</html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { host, requests, close: () => new Promise((r) => server.close(r)) };
  }

  it('reads a blob URL on an integration host through its API, with the token and ETags', async () => {
    const site = await gitlabLike();
    try {
      const integrations = {
        gitlab: [{ host: site.host, apiBaseUrl: `http://${site.host}/api/v4`, token: 'glpat-x' }],
      };
      const policy = () => ({ allow: [], integrations });
      const client = new ScmHttpClient({ policy });
      const reader = new UrlReader(policy, 5000, {
        blobResolvers: () => [(target) => gitlabFileRequest(target, integrations)],
        scmClient: () => client,
      });
      const target = `http://${site.host}/acme/web/-/blob/main/catalog-info.yaml`;
      for (let i = 0; i < 2; i++) {
        const result = await reader.read(target);
        expect(result.problems).toEqual([]);
        expect([...(result.files as SourceFile[])].map((f) => f.content)).toEqual([yaml]);
      }
      expect(site.requests).toEqual([
        {
          url: '/api/v4/projects/acme%2Fweb/repository/files/catalog-info.yaml/raw?ref=main',
          token: 'glpat-x',
        },
        {
          url: '/api/v4/projects/acme%2Fweb/repository/files/catalog-info.yaml/raw?ref=main',
          token: 'glpat-x',
          ifNoneMatch: '"v1"',
        },
      ]);
      expect(client.cost()).toMatchObject({ requests: 2, notModified: 1 });

      // Not a blob URL: the plain fetch, as before.
      const page = await reader.read(`http://${site.host}/acme/web/catalog-info.yaml`);
      expect([...(page.files as SourceFile[])][0]?.content).toContain('not the file');
    } finally {
      await site.close();
    }
  });

  it('takes a prefetched file instead of requesting it', async () => {
    const reader = new UrlReader(() => ({ allow: [] }), 5000, {
      prefetched: { get: (t) => (t === 'https://nowhere.invalid/x.yaml' ? yaml : undefined) },
    });
    const result = await reader.read('https://nowhere.invalid/x.yaml');
    expect(result.problems).toEqual([]);
    expect([...(result.files as SourceFile[])].map((f) => f.content)).toEqual([yaml]);
  });
});
