/**
 * The built-in fact providers on each engine, against real entities: docs built by the real
 * TechDocs build, a template run by the real scaffolder, repository files in folders on disk
 * and in a git repository served over HTTP, catalog errors and orphans from real ingestion.
 * Each provider's facts are read as the scorer reads them (`collect`), its notifications are
 * watched, and a scorecard reading the facts shows them end to end.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Entity } from '../src/model/entity.ts';
import { catalogServiceRef } from '../src/plugins/catalog/server/plugin.ts';
import type { FactProvider } from '../src/plugins/scorecards/server/facts/provider.ts';
import { serveDirectory } from './helpers/serve-files.ts';
import { ENGINES } from './helpers/server.ts';
import { scaffolderClient } from './scaffolder-helpers.ts';
import { eventually, type FactServer, startFactServer } from './scorecards-facts-helpers.ts';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Fixture',
  GIT_AUTHOR_EMAIL: 'fixture@example.com',
  GIT_COMMITTER_NAME: 'Fixture',
  GIT_COMMITTER_EMAIL: 'fixture@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

const yaml = (...docs: unknown[]) => docs.map((d) => stringify(d)).join('---\n');

const component = (name: string, extra: Record<string, unknown> = {}, annotations = {}) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, annotations, ...extra },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
});

/** A repository served over git's dumb HTTP protocol, to which commits can be added. */
async function gitServer(files: Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), 'atrium-facts-git-'));
  const work = join(root, '_work');
  const bare = join(root, 'acme', 'in-git.git');
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', args, { cwd, env: GIT_ENV, stdio: 'pipe' });
  mkdirSync(work, { recursive: true });
  git(work, 'init', '--quiet', '--initial-branch', 'main');
  write(work, files);
  git(work, 'add', '--all');
  git(work, 'commit', '--quiet', '-m', 'first');
  mkdirSync(dirname(bare), { recursive: true });
  git(root, 'clone', '--quiet', '--bare', work, bare);
  git(bare, 'update-server-info');
  const server = await serveDirectory(root);
  return {
    ...server,
    /** Commits `more` and publishes it; returns the new commit. */
    commit(more: Record<string, string>): string {
      write(work, more);
      git(work, 'add', '--all');
      git(work, 'commit', '--quiet', '-m', 'more');
      git(work, 'push', '--quiet', bare, 'main');
      git(bare, 'update-server-info');
      return git(work, 'rev-parse', 'HEAD').toString().trim();
    },
    head: () => git(work, 'rev-parse', 'HEAD').toString().trim(),
    async close() {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

const SCORECARD = {
  apiVersion: 'atrium.io/v1alpha1',
  kind: 'Scorecard',
  metadata: { name: 'facts' },
  spec: {
    filter: { kind: 'Component' },
    levels: ['Bronze', 'Silver'],
    checks: [
      { id: 'docs-built', level: 'Bronze', rule: { fact: 'techdocs.built', equals: true } },
      { id: 'readme', level: 'Bronze', rule: { fact: 'repo.readme', equals: true } },
      { id: 'clean', level: 'Bronze', rule: { fact: 'catalog.hasErrors', equals: false } },
      {
        id: 'current-template',
        level: 'Silver',
        rule: { fact: 'scaffolder.templateIsCurrent', equals: true },
      },
    ],
  },
};

for (const engine of ENGINES) {
  describe(`built-in fact providers (${engine})`, () => {
    let server: FactServer;
    let repo: Awaited<ReturnType<typeof gitServer>>;
    let dir: string;
    const heard = new Map<string, string[]>();
    const unsubscribe: Array<() => void> = [];

    const entities = async (...names: string[]): Promise<Entity[]> => {
      const refs = names.map((n) => (n.includes(':') ? n : `component:default/${n}`));
      const found = await server.app
        .use(catalogServiceRef)
        .query.byRefs(refs, undefined, undefined);
      expect(found.every(Boolean), `all of ${refs.join(', ')} in the catalog`).toBe(true);
      return found as Entity[];
    };
    const collect = async (provider: FactProvider, ids: string[], ...names: string[]) => {
      const facts = await provider.collect(await entities(...names), ids);
      return Object.fromEntries(
        names.map((n) => [n, Object.fromEntries(facts.get(`component:default/${n}`) ?? [])]),
      );
    };
    const listen = (provider: FactProvider) => {
      heard.set(provider.id, []);
      unsubscribe.push(provider.subscribe!((refs) => heard.get(provider.id)!.push(...refs)));
    };
    const checkOf = async (name: string, id: string) => {
      const response = await fetch(
        `${server.url}/api/scorecards/entities/default/component/${name}`,
      );
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        items: Array<{ checks: Array<{ id: string; status: string; value?: unknown }> }>;
      };
      const check = body.items[0]?.checks.find((c) => c.id === id);
      if (!check) throw new Error(`no result of ${id} for ${name} yet`);
      return check;
    };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'atrium-facts-'));
      repo = await gitServer({ 'README.md': '# In git\n', LICENSE: 'MIT\n' });
      const gitTree = `${repo.base}/acme/in-git/tree/main/`;
      write(dir, {
        'org.yaml': yaml(
          {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Group',
            metadata: { name: 'team-a' },
            spec: { type: 'team', children: [] },
          },
          component('plain'),
          component('in-git', {}, { 'backstage.io/source-location': `url:${gitTree}` }),
          component(
            'not-allowed',
            {},
            {
              'backstage.io/source-location': `url:${gitTree.replace('127.0.0.1', 'localhost')}`,
            },
          ),
          component(
            'annotated',
            {},
            { 'backstage.io/source-template': 'template:default/service-template' },
          ),
          SCORECARD,
        ),
        'documented/catalog-info.yaml': yaml(
          component('documented', {}, { 'backstage.io/techdocs-ref': 'dir:.' }),
        ),
        'documented/mkdocs.yml': 'site_name: Documented\n',
        'documented/docs/index.md': '# Documented\n\nHello.\n',
        'documented/README.md': '# Documented\n',
        'documented/.github/CODEOWNERS': '* @team-a\n',
        'documented/.github/workflows/ci.yml': 'on: push\n',
        'bare/catalog-info.yaml': yaml(
          component('bare', {}, { 'backstage.io/techdocs-ref': 'dir:.' }),
        ),
        // An mkdocs.yml without docs/: the build fails.
        'bare/mkdocs.yml': 'site_name: Bare\n',
        // The second document is invalid (no lifecycle): the file has an error.
        'broken.yaml': yaml(component('erroneous'), {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name: 'invalid-one' },
          spec: { type: 'service', owner: 'team-a' },
        }),
        'leaving.yaml': yaml(component('leaving'), component('staying')),
        'template.yaml': yaml({
          apiVersion: 'scaffolder.backstage.io/v1beta3',
          kind: 'Template',
          metadata: {
            name: 'service-template',
            description: 'Registers a service',
            annotations: { 'backstage.io/template-version': '1.2.0' },
          },
          spec: {
            type: 'service',
            owner: 'team-a',
            steps: [
              {
                id: 'register',
                action: 'catalog:register',
                input: { catalogInfoUrl: `file://${join(dir, 'created', 'catalog-info.yaml')}` },
              },
            ],
          },
        }),
        'created/catalog-info.yaml': yaml(component('created-svc')),
      });
      const files = ['org.yaml', 'documented/catalog-info.yaml', 'bare/catalog-info.yaml'];
      server = await startFactServer(engine, dir, {
        backend: { reading: { allow: [{ host: new URL(repo.base).host }] } },
        catalog: {
          refresh: { interval: false },
          locationRoots: [dir],
          locations: [...files, 'broken.yaml', 'leaving.yaml', 'template.yaml'].map((f) => ({
            type: 'file',
            target: join(dir, f),
          })),
        },
      });
      for (const p of [
        server.facts.catalog,
        server.facts.techdocs,
        server.facts.scaffolder,
        server.facts.repo,
      ])
        listen(p);
    }, 120_000);

    afterAll(async () => {
      for (const off of unsubscribe) off();
      await server?.stop();
      await repo?.close();
    });

    it('reports TechDocs builds: built, failed, age; nothing for entities without docs', async () => {
      const { techdocs } = server.facts;
      const ids = ['techdocs.built', 'techdocs.buildFailed', 'techdocs.lastBuildAgeDays'];
      await techdocs.refresh(); // the baseline poll
      expect(await collect(techdocs, ids, 'documented', 'bare', 'plain')).toEqual({
        documented: { 'techdocs.built': false, 'techdocs.buildFailed': false },
        bare: { 'techdocs.built': false, 'techdocs.buildFailed': false },
        plain: {},
      });

      for (const name of ['documented', 'bare']) {
        const response = await fetch(`${server.url}/api/techdocs/build/default/component/${name}`, {
          method: 'POST',
        });
        expect(response.status).toBe(200);
        const body = (await response.json()) as { build: { status: string } };
        expect(body.build.status).toBe(name === 'documented' ? 'ok' : 'failed');
      }
      heard.set('techdocs', []);
      await techdocs.refresh();
      expect(heard.get('techdocs')!.sort()).toEqual([
        'component:default/bare',
        'component:default/documented',
      ]);
      expect(await collect(techdocs, ids, 'documented', 'bare', 'plain')).toEqual({
        documented: {
          'techdocs.built': true,
          'techdocs.buildFailed': false,
          'techdocs.lastBuildAgeDays': 0,
        },
        bare: {
          'techdocs.built': false,
          'techdocs.buildFailed': true,
          'techdocs.lastBuildAgeDays': 0,
        },
        plain: {},
      });
      // Nothing new: the next poll reports nothing.
      heard.set('techdocs', []);
      await techdocs.refresh();
      expect(heard.get('techdocs')).toEqual([]);
      // The scorer heard it too.
      await eventually(async () =>
        expect(await checkOf('documented', 'docs-built')).toMatchObject({ status: 'passed' }),
      );
      expect(await checkOf('plain', 'docs-built')).toMatchObject({ status: 'unknown' });
    });

    it('reports repository files of local folders and of a git repository, read on a schedule', async () => {
      const { repo: provider } = server.facts;
      const ids = ['repo.readme', 'repo.codeowners', 'repo.license', 'repo.ciWorkflow'];
      const names = ['documented', 'bare', 'in-git', 'not-allowed'];
      // Scoring asked for these at start and the first scan followed it; read them now to
      // be sure, as the schedule would.
      await provider.collect(await entities(...names), ids);
      await provider.scanWanted();
      expect(await collect(provider, ids, ...names)).toEqual({
        documented: {
          'repo.readme': true,
          'repo.codeowners': true,
          'repo.license': false,
          'repo.ciWorkflow': true,
        },
        bare: {
          'repo.readme': false,
          'repo.codeowners': false,
          'repo.license': false,
          'repo.ciWorkflow': false,
        },
        'in-git': {
          'repo.readme': true,
          'repo.codeowners': false,
          'repo.license': true,
          'repo.ciWorkflow': false,
        },
        // Its host is not in backend.reading.allow: unknown, with the reason kept.
        'not-allowed': {},
      });
      const rows = (await server.app.database.db
        .selectFrom('scorecard_repo_sources')
        .selectAll()
        .execute()) as Array<{ source: string; error: string | null; commit_sha: string | null }>;
      const refused = rows.find((r) => r.source.includes('localhost'))!;
      expect(refused.error).toMatch(/backend\.reading\.allow/);
      const inGit = rows.find((r) => r.source.includes('127.0.0.1'))!;
      expect(inGit.commit_sha).toBe(repo.head());

      // A scan of unchanged sources writes and rescores nothing.
      heard.set('repo', []);
      const fetches = repo.requests.length;
      await provider.scanAll();
      expect(repo.requests.length).toBeGreaterThan(fetches);
      expect(heard.get('repo')).toEqual([]);

      // A new commit adds CODEOWNERS: the next scan sees it and rescores the entity.
      const commit = repo.commit({ CODEOWNERS: '* @team-a\n' });
      await provider.scanAll();
      expect(heard.get('repo')).toEqual(['component:default/in-git']);
      expect((await collect(provider, ids, 'in-git'))['in-git']!['repo.codeowners']).toBe(true);
      const after = await server.app.database.db
        .selectFrom('scorecard_repo_sources')
        .select('commit_sha')
        .where('source', '=', inGit.source)
        .executeTakeFirst();
      expect(after?.commit_sha).toBe(commit);

      await eventually(async () =>
        expect(await checkOf('documented', 'readme')).toMatchObject({
          status: 'passed',
          value: true,
        }),
      );
      expect(await checkOf('bare', 'readme')).toMatchObject({ status: 'failed', value: false });
      expect(await checkOf('not-allowed', 'readme')).toMatchObject({ status: 'unknown' });
    });

    it('reports catalog errors of the entity and of its file, and orphans', async () => {
      const { catalog } = server.facts;
      const ids = ['catalog.hasErrors', 'catalog.orphan'];
      await catalog.refresh(); // the baseline poll
      expect(await collect(catalog, ids, 'erroneous', 'documented', 'leaving', 'staying')).toEqual({
        erroneous: { 'catalog.hasErrors': true, 'catalog.orphan': false },
        documented: { 'catalog.hasErrors': false, 'catalog.orphan': false },
        leaving: { 'catalog.hasErrors': false, 'catalog.orphan': false },
        staying: { 'catalog.hasErrors': false, 'catalog.orphan': false },
      });
      await eventually(async () =>
        expect(await checkOf('erroneous', 'clean')).toMatchObject({ status: 'failed' }),
      );

      // `leaving` leaves its file, which gains a broken document beside `staying`.
      writeFileSync(
        join(dir, 'leaving.yaml'),
        yaml(component('staying'), { apiVersion: 'backstage.io/v1alpha1', kind: 'Component' }),
      );
      heard.set('catalog', []);
      await server.app.use(catalogServiceRef).service.refreshAll();
      await catalog.refresh();
      expect(heard.get('catalog')).toContain('component:default/staying');
      expect(heard.get('catalog')).not.toContain('component:default/documented');
      expect(await collect(catalog, ids, 'leaving', 'staying')).toEqual({
        leaving: { 'catalog.hasErrors': true, 'catalog.orphan': true },
        staying: { 'catalog.hasErrors': true, 'catalog.orphan': false },
      });
      await eventually(async () =>
        expect(await checkOf('staying', 'clean')).toMatchObject({ status: 'failed' }),
      );
    });

    it('reports the template an entity was made from, its version, and whether it is current', async () => {
      const { scaffolder } = server.facts;
      const ids = [
        'scaffolder.template',
        'scaffolder.templateVersion',
        'scaffolder.templateIsCurrent',
      ];
      await scaffolder.refresh();
      expect(await collect(scaffolder, ids, 'annotated', 'plain')).toEqual({
        annotated: {
          'scaffolder.template': 'template:default/service-template',
          'scaffolder.templateIsCurrent': true,
        },
        plain: {},
      });

      const client = scaffolderClient(server.url);
      const id = await client.create('template:default/service-template', {});
      const events = await client.finished(id);
      expect(events.at(-1)?.body.message).toBe('Run completed with status: completed');
      heard.set('scaffolder', []);
      await scaffolder.refresh();
      expect(heard.get('scaffolder')).toEqual(['component:default/created-svc']);
      expect(await collect(scaffolder, ids, 'created-svc')).toEqual({
        'created-svc': {
          'scaffolder.template': 'template:default/service-template',
          'scaffolder.templateVersion': '1.2.0',
          'scaffolder.templateIsCurrent': true,
        },
      });
      await eventually(async () =>
        expect(await checkOf('created-svc', 'current-template')).toMatchObject({
          status: 'passed',
        }),
      );

      // The template changes: what was made from it is no longer current, and is rescored.
      const template = join(dir, 'template.yaml');
      writeFileSync(
        template,
        readFileSync(template, 'utf8').replace('Registers a service', 'Registers a better service'),
      );
      await server.app.use(catalogServiceRef).service.refreshAll();
      heard.set('scaffolder', []);
      await scaffolder.refresh();
      expect(heard.get('scaffolder')!.sort()).toEqual([
        'component:default/annotated',
        'component:default/created-svc',
      ]);
      const after = await collect(scaffolder, ids, 'created-svc', 'annotated');
      expect(after['created-svc']!['scaffolder.templateIsCurrent']).toBe(false);
      expect(after.annotated!['scaffolder.templateIsCurrent']).toBe(false);
      await eventually(async () =>
        expect(await checkOf('created-svc', 'current-template')).toMatchObject({
          status: 'failed',
        }),
      );
    });
  });
}
