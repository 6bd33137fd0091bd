/**
 * The search API on a real server (real config, real database, real HTTP) with the demo
 * catalog, per engine: the query route as Backstage's SearchClient calls it, its 400s,
 * incremental updates from catalog changes, reindexing over HTTP and from the CLI.
 * Expected documents are computed from the YAML files and COMPAT.md §8, not from src/.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { searchIndexServiceRef } from '../src/plugins/search/server/api.ts';
import { ENGINES, startTestServer, type TestServer } from './helpers/server.ts';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const EXAMPLES = join(ROOT, 'examples');
const BIN = join(ROOT, 'bin/atrium.mjs');

interface Result {
  type: string;
  document: Record<string, unknown> & { title: string; text: string; location: string };
  highlight?: { preTag: string; postTag: string; fields: Record<string, string> };
  rank?: number;
}
interface ResultSet {
  results: Result[];
  nextPageCursor?: string;
  previousPageCursor?: string;
  numberOfResults?: number;
  numberOfResultsIsLowerBound?: boolean;
}

const MAX_TERM = 60;
const MAX_PAGE = 40;
const COUNT_LIMIT = 200;

for (const engine of ENGINES) {
  describe(`search API (${engine})`, () => {
    let server: TestServer;

    const get = async (query: string) => {
      const res = await fetch(`${server.url}/api/search/query?${query}`);
      return {
        status: res.status,
        body: (await res.json()) as ResultSet & { error?: { message: string } },
      };
    };
    const ok = async (query: string) => {
      const r = await get(query);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body;
    };
    const catalog = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}/api/catalog${path}`, {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined };
    };

    beforeAll(async () => {
      server = await startTestServer({
        engine,
        catalog: { locations: [{ type: 'file', target: join(EXAMPLES, 'catalog-info.yaml') }] },
        extraConfig: {
          search: { maxTermLength: MAX_TERM, maxPageLimit: MAX_PAGE, countLimit: COUNT_LIMIT },
        },
      });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('answers a term with Backstage-shaped results for catalog entities', async () => {
      const entity = parse(
        readFileSync(join(EXAMPLES, 'components/booking-service/catalog-info.yaml'), 'utf8'),
      );
      const body = await ok('term=booking%20service&types%5B0%5D=software-catalog');
      const hit = body.results.find(
        (r) => r.document.location === '/catalog/default/component/booking-service',
      );
      expect(hit, JSON.stringify(body.results.map((r) => r.document.location))).toBeDefined();
      expect(hit!.type).toBe('software-catalog');
      // COMPAT.md §8 fields, plus Atrium's name, tags, entityRef, entityTitle.
      expect(hit!.document).toEqual({
        title: entity.metadata.title,
        text: entity.metadata.description,
        location: '/catalog/default/component/booking-service',
        componentType: entity.spec.type,
        type: entity.spec.type,
        namespace: 'default',
        kind: 'Component',
        lifecycle: entity.spec.lifecycle,
        owner: entity.spec.owner,
        name: 'booking-service',
        tags: entity.metadata.tags,
        entityRef: 'component:default/booking-service',
        entityTitle: entity.metadata.title,
      });
      // Title matches rank first: "Booking Service" has both words in its title.
      expect(body.results[0]!.document.title).toBe('Booking Service');
      expect(body.results.map((r) => r.rank)).toEqual(body.results.map((_, i) => i + 1));
      expect(body.numberOfResults).toBe(body.results.length);
      const { preTag, postTag, fields } = hit!.highlight!;
      expect(preTag).toMatch(/^<[0-9a-f-]{36}>$/);
      expect(postTag).toBe(`</${preTag.slice(1)}`);
      expect(fields.title).toBe(`${preTag}Booking${postTag} ${preTag}Service${postTag}`);
      expect(fields.text).toContain(`${preTag}booking${postTag}`);
      // Tags differ per response, so they never collide with document text.
      const again = await ok('term=booking%20service&types%5B0%5D=software-catalog');
      expect(again.results[0]!.highlight!.preTag).not.toBe(preTag);
    });

    it('builds User and Group text from description and profile, joined with " : "', async () => {
      const docs = (await ok('term=&filters%5Bkind%5D=User&pageLimit=40')).results;
      expect(docs.length).toBeGreaterThan(0);
      for (const d of docs) {
        expect(d.document.kind).toBe('User');
        expect(d.document.location).toMatch(/^\/catalog\/default\/user\/[a-z0-9._-]+$/);
      }
      const withEmail = docs.find((d) => /@/.test(d.document.text));
      expect(withEmail, 'a demo user has profile.email').toBeDefined();
      expect(withEmail!.document.text).toMatch(/ : /);
    });

    it('finds fragments inside words and prefixes as the user types', async () => {
      const infix = await ok('term=ookin&pageLimit=40');
      expect(infix.results.map((r) => r.document.location)).toContain(
        '/catalog/default/component/booking-service',
      );
      // Only fragments: no demo word starts with "ookin".
      for (const r of infix.results) {
        expect(`${r.document.title} ${r.document.name}`.toLowerCase()).toContain('ookin');
      }
      const prefix = await ok('term=bookin&pageLimit=25');
      // Title matches first ("Booking …"), then documents with the word only in their text.
      const inTitle = prefix.results.map((r) => /\bbookin/i.test(r.document.title));
      expect(inTitle.indexOf(false)).toBeGreaterThan(3);
      expect(inTitle.slice(inTitle.indexOf(false))).not.toContain(true);
      const service = prefix.results.find((r) => r.document.title === 'Booking Service')!;
      const hl = service.highlight!;
      expect(hl.fields.title).toBe(`${hl.preTag}Bookin${hl.postTag}g Service`);
    });

    it('filters with bracket syntax: one value, any-of arrays, case-insensitive', async () => {
      const one = await ok('term=&filters%5Bkind%5D=component&pageLimit=40');
      expect(one.results.length).toBeGreaterThan(3);
      expect(new Set(one.results.map((r) => r.document.kind))).toEqual(new Set(['Component']));
      const two = await ok('term=&filters[kind][0]=GROUP&filters[kind][1]=system&pageLimit=40');
      expect(new Set(two.results.map((r) => r.document.kind))).toEqual(
        new Set(['Group', 'System']),
      );
      const owned = await ok('term=&filters[owner]=team-booking&filters[kind]=Component');
      expect(owned.results.map((r) => r.document.name)).toContain('booking-service');
      expect(owned.results.every((r) => r.document.owner === 'team-booking')).toBe(true);
      // Empty term lists documents in title order.
      const listed = one.results.map((r) => r.document.title.toLowerCase());
      expect(listed).toEqual([...listed].sort());
    });

    it('pages with opaque cursors (base64 page numbers) and global ranks', async () => {
      const first = await ok('term=&pageLimit=3');
      expect(first.results).toHaveLength(3);
      expect(first.nextPageCursor).toBe(Buffer.from('1').toString('base64'));
      expect(first.previousPageCursor).toBeUndefined();
      const second = await ok(`term=&pageLimit=3&pageCursor=${first.nextPageCursor}`);
      expect(second.results.map((r) => r.rank)).toEqual([4, 5, 6]);
      expect(second.previousPageCursor).toBe(Buffer.from('0').toString('base64'));
      expect(second.numberOfResults).toBe(first.numberOfResults);
      const overlap = second.results.filter((r) =>
        first.results.some((f) => f.document.location === r.document.location),
      );
      expect(overlap).toEqual([]);
      // Default page size is 25.
      expect((await ok('term=')).results).toHaveLength(Math.min(25, first.numberOfResults ?? 0));
    });

    it('counts up to search.countLimit, then says the count is a lower bound', async () => {
      const index = server.app.use(searchIndexServiceRef);
      const pages = Array.from({ length: COUNT_LIMIT + 30 }, (_, i) => ({
        title: `Quokka habitat ${i}`,
        text: 'marsupial notes',
        location: `/docs/default/component/quokka/page-${i}/`,
        entityRef: 'component:default/quokka',
      }));
      await index.upsert('techdocs', pages);
      try {
        const first = await ok(`term=quokka&types%5B0%5D=techdocs&pageLimit=${MAX_PAGE}`);
        expect(first.numberOfResults).toBe(COUNT_LIMIT);
        expect(first.numberOfResultsIsLowerBound).toBe(true);
        const seen = new Set(first.results.map((r) => r.document.location));
        let last = first;
        while (last.nextPageCursor) {
          last = await ok(
            `term=quokka&types%5B0%5D=techdocs&pageLimit=${MAX_PAGE}&pageCursor=${last.nextPageCursor}`,
          );
          for (const r of last.results) seen.add(r.document.location);
        }
        expect(seen.size).toBe(pages.length);
        // The last page counted past the limit: the exact number, without the flag.
        expect(last.numberOfResults).toBe(pages.length);
        expect(last.numberOfResultsIsLowerBound).toBeUndefined();
        const few = await ok('term=quokka%20habitat%207&types%5B0%5D=techdocs');
        expect(few.numberOfResultsIsLowerBound).toBeUndefined();
      } finally {
        await index.remove(
          'techdocs',
          pages.map((p) => p.location),
        );
      }
    });

    it('rejects bad input with 400s that name the field', async () => {
      const long = await get(`term=${'a'.repeat(MAX_TERM + 1)}`);
      expect(long.status).toBe(400);
      expect(long.body.error!.message).toMatch(/term/);
      const page = await get(`term=x&pageLimit=${MAX_PAGE + 1}`);
      expect(page.status).toBe(400);
      expect(page.body.error!.message).toMatch(/pageLimit/);
      expect((await get('term=x&pageLimit=many')).status).toBe(400);
      const type = await get('term=x&types%5B0%5D=no-such-type');
      expect(type.status).toBe(400);
      expect(type.body.error!.message).toMatch(/types.*no-such-type/);
      const cursor = await get('term=x&pageCursor=bm90LWEtcGFnZQ==');
      expect(cursor.status).toBe(400);
      expect(cursor.body.error!.message).toMatch(/pageCursor/);
      const unknown = await get('term=x&sort=title');
      expect(unknown.status).toBe(400);
      expect(unknown.body.error!.message).toMatch(/sort/);
      expect((await get('term=x&filters%5Bbad%20key%5D=1')).status).toBe(400);
    });

    it('answers hostile terms with 200, never 500', async () => {
      for (const term of [
        '"',
        "'",
        '*',
        ':',
        '-',
        '(',
        ')',
        'NEAR(a b)',
        'a AND',
        'title:x',
        '!&|',
        '%',
        '\\',
      ]) {
        const r = await get(`term=${encodeURIComponent(term)}`);
        expect(r.status, term).toBe(200);
      }
    });

    it('keeps the index current as the catalog changes, within the same request', async () => {
      const file = join(server.dir, 'zebra.yaml');
      writeFileSync(
        file,
        'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: zebra-tracker\n  description: Follows striped animals across the savanna\nspec:\n  type: service\n  lifecycle: experimental\n  owner: team-zoo\n',
      );
      expect((await ok('term=zebra')).numberOfResults).toBe(0);
      const added = await catalog('POST', '/locations', { type: 'file', target: file });
      expect(added.status).toBe(201);
      // Searchable as soon as the POST has returned.
      const found = await ok('term=savanna');
      expect(found.results.map((r) => r.document.entityRef)).toEqual([
        'component:default/zebra-tracker',
      ]);

      // A changed file, refreshed: the document follows.
      writeFileSync(file, readFileSync(file, 'utf8').replace('savanna', 'serengeti'));
      expect(
        (await catalog('POST', '/refresh', { entityRef: 'component:default/zebra-tracker' }))
          .status,
      ).toBeLessThan(300);
      expect((await ok('term=savanna')).numberOfResults).toBe(0);
      expect((await ok('term=serengeti')).numberOfResults).toBe(1);

      // Other types' documents about the entity go with it when it is deleted.
      const index = server.app.use(searchIndexServiceRef);
      await index.upsert('techdocs', [
        {
          title: 'Zebra tracker docs',
          text: 'stripes',
          location: '/docs/default/component/zebra-tracker/',
          entityRef: 'component:default/zebra-tracker',
        },
      ]);
      expect((await ok('term=stripes&types%5B0%5D=techdocs')).numberOfResults).toBe(1);
      const entity = await catalog('GET', '/entities/by-name/component/default/zebra-tracker');
      expect((await catalog('DELETE', `/entities/by-uid/${entity.json.metadata.uid}`)).status).toBe(
        204,
      );
      expect((await ok('term=serengeti')).numberOfResults).toBe(0);
      expect((await ok('term=stripes')).numberOfResults).toBe(0);
    });

    it('reindexes over HTTP (JSON or streamed progress) to what the catalog holds', async () => {
      const total = (await catalog('GET', '/entities/by-query?limit=0')).json.totalItems as number;
      const res = await fetch(`${server.url}/api/search/reindex`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ types: ['software-catalog'] }),
      });
      expect(res.status).toBe(200);
      const summary = (await res.json()) as { types: Array<{ type: string; count: number }> };
      expect(summary.types).toEqual([
        expect.objectContaining({ type: 'software-catalog', count: total }),
      ]);
      expect((await ok('term=&types%5B0%5D=software-catalog&pageLimit=1')).numberOfResults).toBe(
        total,
      );
      const streamed = await fetch(`${server.url}/api/search/reindex`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
        body: JSON.stringify({ types: ['software-catalog'] }),
      });
      expect(streamed.headers.get('content-type')).toMatch(/application\/x-ndjson/);
      const lines = (await streamed.text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.at(-1)).toEqual({
        done: { types: [expect.objectContaining({ type: 'software-catalog', count: total })] },
      });
      expect(lines.slice(0, -1).every((l) => l.progress?.type === 'software-catalog')).toBe(true);
      const bad = await fetch(`${server.url}/api/search/reindex`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
        body: JSON.stringify({ types: ['nope'] }),
      });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/nope/);
    });

    it('reindexes from the CLI: atrium search reindex --server', async () => {
      const total = (await catalog('GET', '/entities/by-query?limit=0')).json.totalItems as number;
      const { stdout } = await run(
        process.execPath,
        [BIN, 'search', 'reindex', '--server', server.url, '--type', 'software-catalog'],
        { cwd: ROOT },
      );
      expect(stdout).toMatch(new RegExp(`Indexed ${total} software-catalog documents in \\d+ ms`));
      const failed = await run(
        process.execPath,
        [BIN, 'search', 'reindex', '--server', server.url, '--type', 'nope'],
        { cwd: ROOT },
      ).catch((e: { code: number; stderr: string }) => e);
      expect((failed as { code: number }).code).toBe(1);
      expect((failed as { stderr: string }).stderr).toMatch(/nope/);
    });
  });
}
