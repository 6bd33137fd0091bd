/**
 * A multi-step template run through the REST API, as a team migrating from Backstage writes it:
 * fetch:template renders a skeleton, publish:github:pull-request commits it into a folder of an
 * existing repository and opens a pull request (against the GitHub stand-in, pushing with real
 * git), and catalog:register registers the new catalog-info.yaml from the pull request's branch.
 * The task is created with POST /api/scaffolder/v2/tasks and followed on its event stream.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CatalogClient } from '@backstage/catalog-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeGithub } from '../src/plugins/scaffolder/server/actions/publish/fake-github.testkit.ts';
import type { FakeScm } from '../src/plugins/scaffolder/server/actions/publish/fake-scm.testkit.ts';
import { ENGINES, startTestServer, type TestServer } from './helpers/server.ts';
import type { serveFiles } from './helpers/serve-files.ts';
import {
  PR_TOKEN,
  startPullRequestStandIn,
  writePullRequestTemplate,
} from './scaffolder-pr-setup.ts';
import {
  CATALOG,
  completionOf,
  scaffolderClient,
  stepStatus,
  type TaskEventJson,
} from './scaffolder-helpers.ts';

const TOKEN = PR_TOKEN;

describe.each(ENGINES)(
  'fetch:template + publish:github:pull-request + catalog:register through the API (%s)',
  (engine) => {
    let scm: FakeScm;
    let github: FakeGithub;
    let web: Awaited<ReturnType<typeof serveFiles>>;
    let dir: string;
    let server: TestServer;
    let events: TaskEventJson[];

    beforeAll(async () => {
      dir = realpathSync(mkdtempSync(join(tmpdir(), 'atrium-pr-e2e-')));
      mkdirSync(join(dir, 'git'));
      ({ scm, github, web } = await startPullRequestStandIn(join(dir, 'git')));
      const template = writePullRequestTemplate(join(dir, 'template'));
      server = await startTestServer({
        engine,
        backend: { reading: { allow: [{ host: web.host }] } },
        catalog: {
          locations: [
            { type: 'file', target: CATALOG },
            { type: 'file', target: template },
          ],
        },
        extraConfig: {
          integrations: { github: [{ host: github.host, token: TOKEN, apiBaseUrl: github.api }] },
        },
      });
      const api = scaffolderClient(server.url);
      const id = await api.create('template:default/add-service-pr', {
        name: 'billing',
        owner: 'group:default/team-a',
        repoUrl: `${github.host}?owner=acme&repo=infra`,
        filesBase: web.base,
      });
      // The event stream, read to its end, as the web page's live log reads it.
      events = await api.stream(id);
    });

    afterAll(async () => {
      await server?.stop();
      await scm?.close();
      await web?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('runs the three steps and completes with the pull request in its output', () => {
      expect(events.filter((e) => e.body.status === 'failed').map((e) => e.body.message)).toEqual(
        [],
      );
      for (const step of ['fetch', 'pr', 'register']) {
        expect(stepStatus(events, step)).toEqual(['processing', 'completed']);
      }
      expect(completionOf(events)?.body.output).toEqual({
        links: [
          { title: 'Pull request', url: `${scm.base}/acme/infra/pull/1` },
          { title: 'Open in catalog', icon: 'catalog', entityRef: 'component:default/billing' },
        ],
        text: [{ title: 'Pull request number', content: '#1 into main' }],
      });
      const log = events.map((e) => String(e.body.message ?? '')).join('\n');
      expect(log).toContain(`Created pull request ${scm.base}/acme/infra/pull/1`);
      expect(log).not.toContain(TOKEN);
    });

    it('asked GitHub for the repository, the pull request and its reviewer, with the configured token', () => {
      expect(scm.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        'GET /api/v3/repos/acme/infra',
        'POST /api/v3/repos/acme/infra/pulls',
        'POST /api/v3/repos/acme/infra/pulls/1/requested_reviewers',
      ]);
      expect(scm.requests[1]!.body).toEqual({
        head: 'acme:add-billing',
        base: 'main',
        title: 'Add billing',
        body: 'Adds billing, created from a template.',
        draft: false,
      });
      expect(scm.requests.every((r) => r.authorization === `token ${TOKEN}`)).toBe(true);
    });

    it('pushed the rendered skeleton into the folder on the new branch, on top of main', () => {
      expect(github.files('acme/infra', 'add-billing')).toEqual({
        'README.md': '# infra',
        'services/billing/README.md': '# billing',
        'services/billing/catalog-info.yaml': expect.stringContaining('name: billing'),
      });
      expect(github.files('acme/infra', 'main')).toEqual({ 'README.md': '# infra' });
    });

    it('registered the component from the branch of the pull request', async () => {
      const catalog = new CatalogClient({
        discoveryApi: { getBaseUrl: async () => `${server.url}/api/catalog` },
      });
      const entity = await catalog.getEntityByRef('component:default/billing');
      expect(entity?.metadata.description).toBe('Added by a pull request');
      expect(entity?.relations?.map((r) => `${r.type} ${r.targetRef}`)).toContain(
        'ownedBy group:default/team-a',
      );
    });
  },
);
