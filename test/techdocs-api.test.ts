/**
 * The techdocs REST API on a real server per engine: on-demand builds streamed as
 * Server-Sent Events, the metadata and static routes, build status, the Docs list, bad
 * annotations, docs read from a git repository over HTTP, and docs pages in search.
 */
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../src/core/app.ts';
import { loadConfig } from '../src/core/config/index.ts';
import { createLogger } from '../src/core/logger.ts';
import { installedPlugins } from '../src/plugins/index.ts';
import { ENGINES, freshDatabase, startTestServer, type TestServer } from './helpers/server.ts';
import { serveDirectory } from './helpers/serve-files.ts';

const ROOT = resolve(import.meta.dirname, '..');
/** Backstage's own TechDocs example (read only: builds write to the publish folder). */
const BACKSTAGE_DOCUMENTED = fileURLToPath(
  new URL(
    './fixtures/backstage/backstage-examples/plugins/techdocs-backend/examples/documented-component/catalog-info.yaml',
    import.meta.url,
  ),
);
const API = '/api/techdocs';

/** A 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

interface SseEvent {
  event: string;
  data: unknown;
}

/** Reads a whole Server-Sent Events answer (the sync stream ends after finish or error). */
async function sse(url: string): Promise<{ status: number; type: string; events: SseEvent[] }> {
  const response = await fetch(url);
  const text = await response.text();
  const events: SseEvent[] = [];
  for (const block of text.split('\n\n')) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length) events.push({ event, data: JSON.parse(data.join('\n')) });
  }
  return { status: response.status, type: response.headers.get('content-type') ?? '', events };
}

function logLines(events: SseEvent[]): string[] {
  return events.filter((e) => e.event === 'log').map((e) => e.data as string);
}

function last(events: SseEvent[]): SseEvent {
  return events[events.length - 1]!;
}

/** GET with the path sent exactly as written (fetch would normalise `..`). */
function rawGet(
  base: string,
  path: string,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const url = new URL(base);
  return new Promise((done, fail) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => done({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', fail);
    req.end();
  });
}

function git(cwd: string, ...args: string[]) {
  execFileSync('git', args, {
    cwd,
    stdio: 'pipe',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
      GIT_CONFIG_NOSYSTEM: '1',
    },
  });
}

/** A git repository with docs, published for git's dumb HTTP protocol under `<served>/org/`. */
function makeDocsRepo(served: string, catalogUrl: (base: string) => string) {
  const work = join(served, '..', 'work-repo');
  mkdirSync(join(work, 'docs'), { recursive: true });
  writeFileSync(
    join(work, 'mkdocs.yml'),
    'site_name: Remote Docs\nnav:\n  - Home: index.md\n  - Deploy: deploy.md\n',
  );
  writeFileSync(
    join(work, 'docs/index.md'),
    '# Remote docs\n\nRead from a git repository over HTTP.\n',
  );
  writeFileSync(
    join(work, 'docs/deploy.md'),
    '# Deploying\n\n## Rollback\n\nTo roll back a zephyrine deployment, redeploy the previous tag.\n',
  );
  git(work, 'init', '--quiet', '--initial-branch=main');
  git(work, 'add', '.');
  git(work, 'commit', '--quiet', '-m', 'docs');
  mkdirSync(join(served, 'org'), { recursive: true });
  git(served, 'clone', '--quiet', '--bare', work, join(served, 'org/remote-docs.git'));
  git(join(served, 'org/remote-docs.git'), 'update-server-info');
  // What the catalog reads for the url location (a single file, GitHub-style blob URL).
  mkdirSync(join(served, 'org/remote-docs/blob/main'), { recursive: true });
  return (base: string) => {
    writeFileSync(
      join(served, 'org/remote-docs/blob/main/catalog-info.yaml'),
      stringify({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: 'remote-docs',
          annotations: { 'backstage.io/techdocs-ref': 'dir:.' },
        },
        spec: { type: 'service', lifecycle: 'production', owner: 'team-booking' },
      }),
    );
    return catalogUrl(base);
  };
}

function extraEntities(remoteTree: string): string {
  const component = (name: string, annotations: Record<string, string> | undefined) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, ...(annotations ? { annotations } : {}) },
    spec: { type: 'service', lifecycle: 'experimental', owner: 'team-booking' },
  });
  return [
    component('no-docs', undefined),
    component('old-style-ref', { 'backstage.io/techdocs-ref': 'github:org/repo' }),
    component('escaping-ref', { 'backstage.io/techdocs-ref': 'dir:../../..' }),
    component('missing-folder', { 'backstage.io/techdocs-ref': 'dir:./not-there' }),
    component('url-ref', { 'backstage.io/techdocs-ref': `url:${remoteTree}` }),
    component('broken-build', { 'backstage.io/techdocs-ref': 'dir:.' }),
  ]
    .map((d) => stringify(d))
    .join('---\n');
}

describe.each(ENGINES)('techdocs API on %s', (engine) => {
  let server: TestServer;
  let dir: string;
  let examples: string;
  let publishDir: string;
  let repoServer: Awaited<ReturnType<typeof serveDirectory>>;
  let remoteTree: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-techdocs-'));
    // A copy of the demo, so a test can change docs without touching examples/.
    examples = join(dir, 'examples');
    cpSync(join(ROOT, 'examples'), examples, { recursive: true });
    const booking = join(examples, 'components/booking-service/docs');
    mkdirSync(join(booking, 'img'), { recursive: true });
    writeFileSync(join(booking, 'img/dot.png'), PNG);
    writeFileSync(
      join(booking, 'img/drawing.svg'),
      '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    );
    appendFileSync(join(booking, 'architecture.md'), '\n![A dot](img/dot.png)\n');
    const served = join(dir, 'served');
    mkdirSync(served);
    const writeCatalogFile = makeDocsRepo(
      served,
      (base) => `${base}/org/remote-docs/blob/main/catalog-info.yaml`,
    );
    repoServer = await serveDirectory(served);
    const remoteCatalog = writeCatalogFile(repoServer.base);
    remoteTree = `${repoServer.base}/org/remote-docs/tree/main`;
    mkdirSync(join(dir, 'extra'));
    writeFileSync(join(dir, 'extra/catalog-info.yaml'), extraEntities(remoteTree));
    publishDir = join(dir, 'published');
    mkdirSync(join(dir, 'server'));
    server = await startTestServer({
      engine,
      dir: join(dir, 'server'),
      backend: { reading: { allow: [{ host: repoServer.host }] } },
      catalog: {
        locations: [
          { type: 'file', target: join(examples, 'catalog-info.yaml') },
          { type: 'file', target: join(dir, 'extra/catalog-info.yaml') },
          { type: 'url', target: remoteCatalog },
          { type: 'file', target: BACKSTAGE_DOCUMENTED },
        ],
      },
      extraConfig: {
        techdocs: { publisher: { type: 'local', local: { publishDirectory: publishDir } } },
      },
    });
  });

  afterAll(async () => {
    await server?.stop();
    await repoServer?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('builds on the first sync and streams the build log as Server-Sent Events', async () => {
    const before = await fetch(
      `${server.url}${API}/metadata/techdocs/default/component/booking-service`,
    );
    expect(before.status).toBe(404);
    const { status, type, events } = await sse(
      `${server.url}${API}/sync/default/component/booking-service`,
    );
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/event-stream/);
    const lines = logLines(events);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.every((l) => /^(info|warn|error): /.test(l))).toBe(true);
    expect(
      lines.some((l) => l.startsWith('info: Building docs of component:default/booking-service')),
    ).toBe(true);
    expect(last(events)).toEqual({ event: 'finish', data: { updated: true } });

    const metadata = await (
      await fetch(`${server.url}${API}/metadata/techdocs/default/component/booking-service`)
    ).json();
    expect(metadata.site_name).toBe('Booking Service');
    expect(metadata.source_hash).toMatch(/^[0-9a-f]{16,}$/);
    expect(typeof metadata.build_timestamp).toBe('number');
    expect(metadata.files).toEqual(expect.arrayContaining(['index.html', 'runbook/index.html']));
    expect(metadata.pages.map((p: { path: string }) => p.path)).toEqual([
      '',
      'architecture',
      'runbook',
    ]);
    // published where the config says, under the lowercased triplet
    const stored = JSON.parse(
      readFileSync(
        join(publishDir, 'default/component/booking-service/techdocs_metadata.json'),
        'utf8',
      ),
    );
    expect(stored.source_hash).toBe(metadata.source_hash);
  });

  it('answers a second sync of an unchanged source without building', async () => {
    const started = Date.now();
    const { events } = await sse(`${server.url}${API}/sync/default/component/booking-service`);
    expect(last(events)).toEqual({ event: 'finish', data: { updated: false } });
    expect(logLines(events).some((l) => l.includes('Building docs'))).toBe(false);
    expect(logLines(events).some((l) => l.includes('up to date'))).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('lets concurrent syncs of one entity join a single build', async () => {
    const url = `${server.url}${API}/sync/default/component/tracking-service`;
    const [a, b, c] = await Promise.all([sse(url), sse(url), sse(url)]);
    for (const stream of [a, b, c]) {
      expect(last(stream.events)).toEqual({ event: 'finish', data: { updated: true } });
      // every client sees the one build's whole log, from its first line
      expect(logLines(stream.events).filter((l) => l.includes('Building docs of')).length).toBe(1);
      expect(logLines(stream.events)).toEqual(logLines(a.events));
    }
  });

  it('rebuilds when the source changes', async () => {
    const before = await (
      await fetch(`${server.url}${API}/metadata/techdocs/default/component/booking-service`)
    ).json();
    appendFileSync(
      join(examples, 'components/booking-service/docs/runbook.md'),
      '\n## Quasar alarms\n\nA freshly added section about quasar alarms.\n',
    );
    const { events } = await sse(`${server.url}${API}/sync/default/component/booking-service`);
    expect(last(events)).toEqual({ event: 'finish', data: { updated: true } });
    const after = await (
      await fetch(`${server.url}${API}/metadata/techdocs/default/component/booking-service`)
    ).json();
    expect(after.source_hash).not.toBe(before.source_hash);
    expect(after.build_timestamp).toBeGreaterThanOrEqual(before.build_timestamp);
    const page = await fetch(
      `${server.url}${API}/static/docs/default/component/booking-service/runbook/index.html`,
    );
    expect(await page.text()).toContain('quasar alarms');
    const runbook = after.pages.find((p: { path: string }) => p.path === 'runbook');
    expect(runbook.toc.map((t: { text: string }) => t.text)).toContain('Quasar alarms');
  });

  it('serves site files: pages as text, images with their type, SVG as text, never sniffed', async () => {
    const base = `${server.url}${API}/static/docs/default/component/booking-service`;
    const page = await fetch(`${base}/architecture/index.html`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    expect(html).toContain('Quote engine');
    expect(html).not.toMatch(/<html|<script/i);
    const image = await fetch(`${base}/img/dot.png`);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await image.arrayBuffer()).equals(PNG)).toBe(true);
    const svg = await fetch(`${base}/img/drawing.svg`);
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(svg.headers.get('x-content-type-options')).toBe('nosniff');
    const index = await fetch(`${base}/search/search_index.json`);
    expect(index.headers.get('content-type')).toMatch(/^application\/json/);
    const missing = await fetch(`${base}/nope/index.html`);
    expect(missing.status).toBe(404);
  });

  it('redirects mixed-case triplets and refuses paths that leave the site', async () => {
    const redirect = await fetch(
      `${server.url}${API}/static/docs/Default/Component/Booking-Service/index.html`,
      { redirect: 'manual' },
    );
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe(
      '/api/techdocs/static/docs/default/component/booking-service/index.html',
    );
    const secret = join(publishDir, 'default/component/secret.txt');
    writeFileSync(secret, 'top secret');
    for (const path of [
      '/static/docs/default/component/booking-service/../secret.txt',
      '/static/docs/default/component/booking-service/%2e%2e/secret.txt',
      '/static/docs/default/component/booking-service/%2e%2e%2fsecret.txt',
      '/static/docs/default/component/booking-service/..%5csecret.txt',
      '/static/docs/default/component/booking-service/img/../../secret.txt',
    ]) {
      const res = await rawGet(server.url, `${API}${path}`);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.body, path).not.toContain('top secret');
    }
  });

  it('answers entity metadata with the resolved docs location, case-insensitively', async () => {
    const res = await fetch(
      `${server.url}${API}/metadata/entity/DEFAULT/Component/booking-service`,
    );
    expect(res.status).toBe(200);
    const entity = await res.json();
    expect(entity.metadata.name).toBe('booking-service');
    expect(entity.relations.length).toBeGreaterThan(0);
    expect(entity.locationMetadata).toEqual({
      type: 'dir',
      target: join(examples, 'components/booking-service'),
    });
    const remote = await (
      await fetch(`${server.url}${API}/metadata/entity/default/component/remote-docs`)
    ).json();
    expect(remote.locationMetadata).toEqual({ type: 'url', target: remoteTree });
  });

  it('records the last build with its status and log, and lists documented entities', async () => {
    const build = await (
      await fetch(`${server.url}${API}/builds/default/component/booking-service`)
    ).json();
    expect(['ok', 'warnings']).toContain(build.status);
    expect(build.building).toBe(false);
    expect(build.builder).toBe('local');
    expect(
      build.log.some((l: { message: string }) => l.message.startsWith('Building docs of')),
    ).toBe(true);
    expect(build.sourceHash).toMatch(/^[0-9a-f]+$/);
    expect(build.durationMs).toBeGreaterThanOrEqual(0);
    const never = await (
      await fetch(`${server.url}${API}/builds/payments/component/payment-gateway`)
    ).json();
    expect(never.status).toBe('never');

    const sites = await (await fetch(`${server.url}${API}/sites`)).json();
    const refs = sites.items.map((s: { entityRef: string }) => s.entityRef);
    expect(refs).toEqual(
      expect.arrayContaining([
        'component:default/booking-service',
        'component:default/tracking-service',
        'component:payments/payment-gateway',
        'component:default/remote-docs',
        'component:default/url-ref',
      ]),
    );
    expect(refs).not.toContain('component:default/no-docs');
    const booking = sites.items.find((s: { name: string }) => s.name === 'booking-service');
    expect(booking).toMatchObject({
      title: 'Booking Service',
      owner: 'team-booking',
      kind: 'component',
      namespace: 'default',
      published: true,
      siteName: 'Booking Service',
    });
    expect(['ok', 'warnings']).toContain(booking.status);
    const gateway = sites.items.find((s: { name: string }) => s.name === 'payment-gateway');
    expect(gateway).toMatchObject({ published: false, status: 'never', building: false });
  });

  it('forces a rebuild with POST /build even when nothing changed', async () => {
    const before = await (
      await fetch(`${server.url}${API}/metadata/techdocs/default/component/booking-service`)
    ).json();
    const res = await fetch(`${server.url}${API}/build/default/component/booking-service`, {
      method: 'POST',
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.updated).toBe(true);
    expect(['ok', 'warnings']).toContain(body.build.status);
    const after = await (
      await fetch(`${server.url}${API}/metadata/techdocs/default/component/booking-service`)
    ).json();
    expect(after.source_hash).toBe(before.source_hash);
    expect(after.build_timestamp).toBeGreaterThan(before.build_timestamp);
  });

  it('answers 404 with a message for entities without docs or unknown entities', async () => {
    for (const route of ['sync', 'metadata/entity', 'builds']) {
      const res = await fetch(`${server.url}${API}/${route}/default/component/no-docs`);
      if (route === 'builds') {
        expect(res.status).toBe(200);
        continue;
      }
      expect(res.status, route).toBe(404);
      const body = await res.json();
      expect(body.error.name).toBe('NotFoundError');
      expect(body.error.message).toBe(
        'No backstage.io/techdocs-ref annotation provided in entity: no-docs',
      );
    }
    const unknown = await fetch(`${server.url}${API}/sync/default/component/does-not-exist`);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.message).toMatch(/does-not-exist/);
    const noSite = await fetch(`${server.url}${API}/metadata/techdocs/default/component/no-docs`);
    expect(noSite.status).toBe(404);
    expect((await noSite.json()).error.message).toMatch(
      /Unable to get metadata for 'component:default\/no-docs'/,
    );
  });

  it('refuses unsupported ref types and a dir: that climbs out of the catalog folder', async () => {
    const old = await fetch(`${server.url}${API}/sync/default/component/old-style-ref`);
    expect(old.status).toBe(400);
    const oldBody = await old.json();
    expect(oldBody.error.name).toBe('InputError');
    expect(oldBody.error.message).toMatch(
      /backstage\.io\/techdocs-ref.*type 'github'.*not supported/,
    );

    for (const route of ['sync', 'metadata/entity']) {
      const escaped = await fetch(`${server.url}${API}/${route}/default/component/escaping-ref`);
      expect(escaped.status, route).toBe(400);
      const message = (await escaped.json()).error.message;
      expect(message).toMatch(/dir:\.\.\/\.\.\/\.\./);
      expect(message).toMatch(/outside the folder of the catalog file/);
    }
    // nothing was built or published for them
    const escapeSite = await fetch(
      `${server.url}${API}/metadata/techdocs/default/component/escaping-ref`,
    );
    expect(escapeSite.status).toBe(404);
  });

  it('reports a missing docs folder as an error event, and records the failure', async () => {
    const { status, events } = await sse(
      `${server.url}${API}/sync/default/component/missing-folder`,
    );
    expect(status).toBe(200);
    const end = last(events);
    expect(end.event).toBe('error');
    expect(end.data).toMatch(/not-there/);
    const build = await (
      await fetch(`${server.url}${API}/builds/default/component/missing-folder`)
    ).json();
    expect(build.status).toBe('failed');
    expect(build.error).toMatch(/not-there.*does not exist/);
    expect(build.log.at(-1).message).toMatch(/^Could not read the docs source/);
  });

  it('does not rebuild a source whose last build failed until it changes', async () => {
    const folder = join(dir, 'extra');
    // a docs folder without a single page: nothing can be built
    writeFileSync(join(folder, 'mkdocs.yml'), 'site_name: Broken Docs\n');
    mkdirSync(join(folder, 'docs'), { recursive: true });
    writeFileSync(join(folder, 'docs/notes.txt'), 'not a page\n');
    const first = await sse(`${server.url}${API}/sync/default/component/broken-build`);
    expect(last(first.events).event, JSON.stringify(first.events)).toBe('error');
    const failed = await (
      await fetch(`${server.url}${API}/builds/default/component/broken-build`)
    ).json();
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/no page|nothing to build/);
    expect(failed.problems.length).toBeGreaterThan(0);
    const second = await sse(`${server.url}${API}/sync/default/component/broken-build`);
    expect(last(second.events).event).toBe('error');
    expect(last(second.events).data).toMatch(/The last build of this source .* failed/);
    expect(logLines(second.events).some((l) => l.includes('Building docs of'))).toBe(false);
    // fixed: built at once
    writeFileSync(join(folder, 'docs/index.md'), '# Fixed docs\n');
    const third = await sse(`${server.url}${API}/sync/default/component/broken-build`);
    expect(last(third.events)).toEqual({ event: 'finish', data: { updated: true } });
    const ok = await (
      await fetch(`${server.url}${API}/builds/default/component/broken-build`)
    ).json();
    expect(['ok', 'warnings']).toContain(ok.status);
  });

  it("builds Backstage's own documented-component example as it is", async () => {
    const { events } = await sse(`${server.url}${API}/sync/default/component/documented-component`);
    expect(last(events)).toEqual({ event: 'finish', data: { updated: true } });
    const metadata = await (
      await fetch(`${server.url}${API}/metadata/techdocs/default/component/documented-component`)
    ).json();
    expect(metadata.site_name).toBe('Example Documentation');
    expect(metadata.pages.map((p: { path: string }) => p.path)).toEqual(
      expect.arrayContaining(['', 'sub-page', 'code/code-sample', 'extensions']),
    );
    expect(metadata.nav.map((n: { title: string }) => n.title)).toEqual([
      'Home',
      'Subpage',
      'Code Sample',
      'Extensions',
    ]);
    const page = await fetch(
      `${server.url}${API}/static/docs/default/component/documented-component/code/code-sample/index.html`,
    );
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/class="hljs/);
  });

  it('builds docs of an entity from a url location, read from git over dumb HTTP', async () => {
    const { events } = await sse(`${server.url}${API}/sync/default/component/remote-docs`);
    expect(last(events), JSON.stringify(events)).toEqual({
      event: 'finish',
      data: { updated: true },
    });
    expect(
      repoServer.requests.some((r) => r.url.startsWith('/org/remote-docs.git/info/refs')),
    ).toBe(true);
    const metadata = await (
      await fetch(`${server.url}${API}/metadata/techdocs/default/component/remote-docs`)
    ).json();
    expect(metadata.site_name).toBe('Remote Docs');
    // "Last built from <commit>": the commit the repository was read at.
    const head = execFileSync('git', ['-C', join(dir, 'work-repo'), 'rev-parse', 'HEAD'])
      .toString()
      .trim();
    expect(metadata.source_commit).toBe(head);
    const page = await fetch(
      `${server.url}${API}/static/docs/default/component/remote-docs/deploy/index.html`,
    );
    expect(await page.text()).toContain('zephyrine');
    // the second look within a minute does not read the repository again
    const before = repoServer.requests.length;
    const again = await sse(`${server.url}${API}/sync/default/component/remote-docs`);
    expect(last(again.events)).toEqual({ event: 'finish', data: { updated: false } });
    expect(repoServer.requests.length).toBe(before);
  });

  it('builds docs named by a url: ref', async () => {
    const { events } = await sse(`${server.url}${API}/sync/default/component/url-ref`);
    expect(last(events)).toEqual({ event: 'finish', data: { updated: true } });
    const metadata = await (
      await fetch(`${server.url}${API}/metadata/techdocs/default/component/url-ref`)
    ).json();
    expect(metadata.site_name).toBe('Remote Docs');
  });

  it('puts the pages of a fresh build into search, linking to page and heading', async () => {
    const query = async (term: string) =>
      (
        await fetch(
          `${server.url}/api/search/query?term=${encodeURIComponent(term)}&types%5B0%5D=techdocs`,
        )
      ).json();
    const result = await query('quasar alarms');
    const locations = result.results.map(
      (r: { document: { location: string } }) => r.document.location,
    );
    expect(locations).toContain('/docs/default/component/booking-service/runbook/#quasar-alarms');
    const hit = result.results.find(
      (r: { document: { location: string } }) =>
        r.document.location === '/docs/default/component/booking-service/runbook/#quasar-alarms',
    );
    expect(hit.type).toBe('techdocs');
    expect(hit.document).toMatchObject({
      title: 'Quasar alarms',
      kind: 'component',
      namespace: 'default',
      name: 'booking-service',
      entityRef: 'component:default/booking-service',
      entityTitle: 'Booking Service',
      owner: 'team-booking',
      lifecycle: 'production',
      type: 'service',
      componentType: 'service',
      path: 'runbook/#quasar-alarms',
    });
    // docs read from git are searchable too
    const remote = await query('zephyrine');
    expect(
      remote.results.map((r: { document: { entityRef: string } }) => r.document.entityRef),
    ).toContain('component:default/remote-docs');
  });

  it("keeps docs pages in search current with their entity's owner, without a rebuild", async () => {
    const file = join(examples, 'components/booking-service/catalog-info.yaml');
    const original = readFileSync(file, 'utf8');
    const refresh = () =>
      fetch(`${server.url}/api/catalog/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ entityRef: 'component:default/booking-service' }),
      });
    const pagesOwnedBy = async (owner: string) => {
      const result = await (
        await fetch(
          `${server.url}/api/search/query?term=quasar&types%5B0%5D=techdocs&filters%5Bowner%5D=${owner}`,
        )
      ).json();
      return result.results.map((r: { document: { location: string } }) => r.document.location);
    };
    const lastBuild = async () =>
      (await (await fetch(`${server.url}${API}/builds/default/component/booking-service`)).json())
        .startedAt;
    const before = await lastBuild();
    expect(before).toEqual(expect.any(String));
    expect(await pagesOwnedBy('team-booking')).toContain(
      '/docs/default/component/booking-service/runbook/#quasar-alarms',
    );
    try {
      writeFileSync(file, original.replace(/owner: team-booking/, 'owner: team-night-shift'));
      expect((await refresh()).status).toBe(200);
      await expect
        .poll(() => pagesOwnedBy('team-night-shift'), { timeout: 10_000 })
        .toContain('/docs/default/component/booking-service/runbook/#quasar-alarms');
      expect(await pagesOwnedBy('team-booking')).toEqual([]);
      expect(await lastBuild()).toBe(before);
    } finally {
      writeFileSync(file, original);
      await refresh();
      await expect.poll(() => pagesOwnedBy('team-booking'), { timeout: 10_000 }).not.toEqual([]);
    }
  });

  it('rebuilds the techdocs search documents from storage on a full reindex', async () => {
    const res = await fetch(`${server.url}/api/search/reindex`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ types: ['techdocs'] }),
    });
    expect(res.status).toBe(200);
    const summary = await res.json();
    const count = summary.types.find((t: { type: string }) => t.type === 'techdocs').count;
    // booking (3 pages + sections), tracking, remote-docs, url-ref: every built site
    expect(count).toBeGreaterThan(10);
    const result = await (
      await fetch(`${server.url}/api/search/query?term=quasar&types%5B0%5D=techdocs`)
    ).json();
    expect(result.results.length).toBeGreaterThan(0);
    expect(result.results[0].document.location).toMatch(
      /^\/docs\/default\/component\/booking-service\/runbook\//,
    );
  });
});

describe.each(ENGINES)('techdocs building local docs at start on %s', (engine) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      engine,
      catalog: { locations: [{ type: 'file', target: join(ROOT, 'examples/catalog-info.yaml') }] },
      extraConfig: { techdocs: { buildOnStart: true } },
    });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('builds every local docs folder in the background, so search finds pages never opened', async () => {
    const published = async () => {
      const sites = await (await fetch(`${server.url}${API}/sites`)).json();
      return sites.items
        .filter((s: { published: boolean }) => s.published)
        .map((s: { entityRef: string }) => s.entityRef)
        .sort();
    };
    await expect
      .poll(published, { timeout: 30_000, interval: 250 })
      .toEqual([
        'component:default/booking-service',
        'component:default/tracking-service',
        'component:payments/payment-gateway',
      ]);
    const result = await (
      await fetch(`${server.url}/api/search/query?types[0]=techdocs&term=runbook`)
    ).json();
    expect(result.results.length).toBeGreaterThan(0);
    expect(result.results[0].document.location).toMatch(/^\/docs\/default\/component\//);
  });
});

describe.each(ENGINES)('techdocs with an external builder on %s', (engine) => {
  let server: TestServer;
  let publishDir: string;

  beforeAll(async () => {
    publishDir = mkdtempSync(join(tmpdir(), 'atrium-techdocs-ext-'));
    server = await startTestServer({
      engine,
      catalog: { locations: [{ type: 'file', target: join(ROOT, 'examples/catalog-info.yaml') }] },
      extraConfig: {
        techdocs: {
          builder: 'external',
          publisher: { type: 'local', local: { publishDirectory: publishDir } },
          searchScanSeconds: 1,
        },
      },
    });
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(publishDir, { recursive: true, force: true });
  });

  it('never builds: sync only answers finish {updated: false}', async () => {
    const { events } = await sse(`${server.url}${API}/sync/default/component/booking-service`);
    expect(events).toEqual([{ event: 'finish', data: { updated: false } }]);
    const metadata = await fetch(
      `${server.url}${API}/metadata/techdocs/default/component/booking-service`,
    );
    expect(metadata.status).toBe(404);
    const forced = await fetch(`${server.url}${API}/build/default/component/booking-service`, {
      method: 'POST',
    });
    expect(forced.status).toBe(400);
    expect((await forced.json()).error.message).toMatch(/external/);
  });

  it('puts the pages of a site CI published into search, follows republishes, and takes them out when it is gone', async () => {
    const work = mkdtempSync(join(tmpdir(), 'atrium-ci-job-'));
    writeFileSync(
      join(work, 'ci.yaml'),
      stringify({
        techdocs: { publisher: { type: 'local', local: { publishDirectory: publishDir } } },
      }),
    );
    const source = join(work, 'tracking-service');
    cpSync(join(ROOT, 'examples/components/tracking-service'), source, { recursive: true });
    /** What a CI job does: atrium docs build, then atrium docs publish into the storage. */
    const ciPublish = () => {
      const cli = (...args: string[]) =>
        execFileSync('node', [join(ROOT, 'bin/atrium.mjs'), ...args], { cwd: work, stdio: 'pipe' });
      rmSync(join(work, 'site'), { recursive: true, force: true });
      cli('docs', 'build', source, '--out', 'site');
      cli(
        'docs',
        'publish',
        '--entity',
        'default/component/tracking-service',
        '-d',
        'site',
        '-c',
        'ci.yaml',
      );
    };
    const hits = async (term: string) =>
      (
        await (
          await fetch(`${server.url}/api/search/query?types%5B0%5D=techdocs&term=${term}`)
        ).json()
      ).results.map((r: { document: { location: string } }) => r.document.location);
    try {
      ciPublish();
      await expect
        .poll(() => hits('hypertable'), { timeout: 10_000 })
        .toContain('/docs/default/component/tracking-service/');
      appendFileSync(
        join(source, 'docs/event-codes.md'),
        '\n## Quokka codes\n\nQKA means a quokka.\n',
      );
      ciPublish();
      await expect
        .poll(() => hits('quokka'), { timeout: 10_000 })
        .toContain('/docs/default/component/tracking-service/event-codes/#quokka-codes');
      rmSync(join(publishDir, 'default/component/tracking-service'), { recursive: true });
      await expect.poll(() => hits('hypertable'), { timeout: 10_000 }).toEqual([]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('serves a site that CI published into the storage folder', async () => {
    const site = join(publishDir, 'default/component/booking-service');
    mkdirSync(site, { recursive: true });
    writeFileSync(
      join(site, 'techdocs_metadata.json'),
      JSON.stringify({
        site_name: 'From CI',
        build_timestamp: 1700000000000,
        files: ['index.html'],
      }),
    );
    writeFileSync(join(site, 'index.html'), '<h1>Published by CI</h1>');
    const metadata = await (
      await fetch(`${server.url}${API}/metadata/techdocs/default/component/booking-service`)
    ).json();
    expect(metadata.site_name).toBe('From CI');
    const page = await fetch(
      `${server.url}${API}/static/docs/default/component/booking-service/index.html`,
    );
    expect(await page.text()).toBe('<h1>Published by CI</h1>');
    const build = await (
      await fetch(`${server.url}${API}/builds/default/component/booking-service`)
    ).json();
    expect(build).toMatchObject({ status: 'never', builder: 'external' });
  });
});

describe.runIf(ENGINES.includes('pg'))('techdocs on two replicas sharing PostgreSQL', () => {
  const apps: App[] = [];
  const urls: string[] = [];
  let drop: () => Promise<void>;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-techdocs-replicas-'));
    const database = await freshDatabase('pg', dir);
    drop = database.drop;
    const file = join(dir, 'app-config.yaml');
    writeFileSync(
      file,
      stringify({
        backend: { listen: { host: '127.0.0.1', port: 0 }, database: database.config },
        catalog: {
          refresh: { interval: false },
          locations: [{ type: 'file', target: join(ROOT, 'examples/catalog-info.yaml') }],
        },
        techdocs: { publisher: { type: 'local', local: { publishDirectory: join(dir, 'sites') } } },
      }),
    );
    const { config } = await loadConfig({ configPaths: [file], cwd: dir, env: {} });
    const logger = createLogger({ level: 'error' });
    const created = await Promise.all(
      [0, 1].map(() => createApp({ config, plugins: installedPlugins(), cwd: dir, logger })),
    );
    apps.push(...created);
    urls.push(...(await Promise.all(created.map((a) => a.start()))));
  });

  afterAll(async () => {
    for (const app of apps) await app.stop();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds once when both replicas are asked at the same time', async () => {
    const path = `${API}/sync/payments/component/payment-gateway`;
    const streams = await Promise.all([
      sse(`${urls[0]}${path}`),
      sse(`${urls[1]}${path}`),
      sse(`${urls[0]}${path}`),
      sse(`${urls[1]}${path}`),
    ]);
    for (const s of streams) expect(last(s.events).event).toBe('finish');
    // Each replica joins its own callers to one sync; across replicas the lock allows one build.
    const builds = new Set(
      streams
        .filter((s) => logLines(s.events).some((l) => l.includes('Building docs of')))
        .map((s) => JSON.stringify(logLines(s.events))),
    );
    expect(builds.size).toBe(1);
    const [a, b] = await Promise.all(
      urls.map(async (u) =>
        (await fetch(`${u}${API}/metadata/techdocs/payments/component/payment-gateway`)).json(),
      ),
    );
    expect(a).toEqual(b);
    expect(a.site_name).toBe('Payment Gateway');
  });
});
