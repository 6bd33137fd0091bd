import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notificationsServiceRef } from '../src/plugins/notifications/server/plugin.ts';
import { ORG_CATALOG } from './helpers/auth.ts';
import { ENGINES, startTestServer, type TestServer } from './helpers/server.ts';
import { completionOf, scaffolderClient } from './scaffolder-helpers.ts';

/*
 * notification:send in a real template run (POST /api/scaffolder/v2/tasks) as the guest Alice,
 * then Backstage's notifications routes as Alice, and as another caller (a static token), who
 * must see none of it.
 */

const OTHER_TOKEN = 'other-caller-token-123';

const TEMPLATES = `---
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: { name: notify }
spec:
  owner: team-alpha
  type: service
  parameters:
    - properties:
        name: { type: string }
  steps:
    - id: notify
      name: Notify
      action: notification:send
      input:
        recipients: entity
        entityRefs: [group:default/team-alpha, user:default/bob, component:default/beta-billing]
        title: \${{ parameters.name }} is ready
        info: Created by a template
        link: /catalog/default/component/\${{ parameters.name }}
        severity: high
  output:
    text:
      - title: sent to
        content: \${{ steps.notify.output.recipients | join(',') }}
---
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: { name: notify-bad-link }
spec:
  owner: team-alpha
  type: service
  steps:
    - id: notify
      name: Notify
      action: notification:send
      input:
        recipients: entity
        entityRefs: [user:default/alice]
        title: Click me
        link: javascript:alert(1)
---
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: { name: notify-everyone }
spec:
  owner: team-alpha
  type: service
  parameters:
    - properties:
        state: { type: string }
  steps:
    - id: notify
      name: Notify
      action: notification:send
      input:
        recipients: broadcast
        title: Deploy \${{ parameters.state }}
        scope: deploy-42
        link: ''
`;

describe.each(ENGINES)('notifications (%s)', (engine) => {
  let server: TestServer;
  let dir: string;
  let api: ReturnType<typeof scaffolderClient>;

  async function call(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
    // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the API answers
  ): Promise<{ status: number; body: any }> {
    const response = await fetch(`${server.url}/api/notifications${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'atrium-notifications-')));
    writeFileSync(join(dir, 'org.yaml'), ORG_CATALOG + TEMPLATES);
    server = await startTestServer({
      engine,
      dir,
      catalog: { locations: [{ type: 'file', target: join(dir, 'org.yaml') }] },
      backend: {
        auth: {
          externalAccess: [{ type: 'static', options: { token: OTHER_TOKEN, subject: 'ci-bot' } }],
        },
      },
      extraConfig: {
        auth: { providers: { guest: { userEntityRef: 'user:default/alice' } } },
        scaffolder: { workspaceDir: join(dir, 'workspaces') },
      },
    });
    api = scaffolderClient(server.url);
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers what a template sends to each user the entity refs stand for', async () => {
    const id = await api.create('template:default/notify', { name: 'payments' });
    const events = await api.finished(id);
    const completion = completionOf(events);
    expect(completion?.body.message).toBe('Run completed with status: completed');
    // Alice through team-alpha, Bob himself and as team-beta's member (owner of beta-billing): once.
    expect(completion?.body.output?.text).toEqual([
      { title: 'sent to', content: 'user:default/alice,user:default/bob' },
    ]);
    const bob = await server.app.use(notificationsServiceRef).store.list('user:default/bob', {
      offset: 0,
      limit: 10,
    });
    expect(bob.totalCount).toBe(1);
  });

  it('lists, counts and marks the caller’s own notifications', async () => {
    const status = await call('GET', '/status');
    expect(status).toEqual({ status: 200, body: { unread: 1, read: 0 } });

    const list = await call('GET', '/notifications?limit=10&offset=0');
    expect(list.status).toBe(200);
    expect(list.body.totalCount).toBe(1);
    const [n] = list.body.notifications;
    expect(n).toEqual({
      id: expect.any(String),
      user: 'user:default/alice',
      created: expect.any(String),
      read: null,
      origin: 'plugin:scaffolder',
      payload: {
        title: 'payments is ready',
        description: 'Created by a template',
        link: '/catalog/default/component/payments',
        severity: 'high',
      },
    });
    expect((await call('GET', '/notifications?search=PAYMENTS')).body.totalCount).toBe(1);
    expect((await call('GET', '/notifications?search=nothing')).body.totalCount).toBe(0);
    expect((await call('GET', '/notifications?read=true')).body.totalCount).toBe(0);

    const update = await call('POST', '/notifications/update', { ids: [n.id], read: true });
    expect(update.status).toBe(200);
    expect(update.body[0].read).toEqual(expect.any(String));
    expect((await call('GET', '/status')).body).toEqual({ unread: 0, read: 1 });
    expect((await call('GET', '/notifications?read=false')).body.totalCount).toBe(0);
    expect((await call('GET', `/notifications/${n.id}`)).body.read).toEqual(expect.any(String));

    // Backstage's older path.
    await call('POST', '/update', { ids: [n.id], read: false });
    expect((await call('GET', '/status')).body).toEqual({ unread: 1, read: 0 });
  });

  it('shows another caller none of them, and lets them change none', async () => {
    const mine = (await call('GET', '/notifications')).body.notifications[0].id as string;
    expect((await call('GET', '/status', undefined, OTHER_TOKEN)).body).toEqual({
      unread: 0,
      read: 0,
    });
    const list = await call('GET', '/notifications', undefined, OTHER_TOKEN);
    expect(list.body).toEqual({ notifications: [], totalCount: 0 });
    expect((await call('GET', `/notifications/${mine}`, undefined, OTHER_TOKEN)).status).toBe(404);
    const update = await call(
      'POST',
      '/notifications/update',
      { ids: [mine], read: true },
      OTHER_TOKEN,
    );
    expect(update.body).toEqual([]);
    expect((await call('GET', '/status')).body).toEqual({ unread: 1, read: 0 });
  });

  it('refuses bad input, naming the field', async () => {
    const bad = await call('GET', '/notifications?limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/limit/);
    const noIds = await call('POST', '/notifications/update', { read: true });
    expect(noIds.status).toBe(400);
    expect(noIds.body.error.message).toMatch(/ids/);

    const id = await api.create('template:default/notify-bad-link', {});
    const events = await api.finished(id);
    expect(completionOf(events)?.body.message).toBe('Run completed with status: failed');
    expect(JSON.stringify(events)).toMatch(/input\.link: links must be http\(s\) URLs or paths/);
  });

  it('broadcasts to every user, a scope replacing the earlier notification unread', async () => {
    const { store } = server.app.use(notificationsServiceRef);
    for (const state of ['started', 'finished']) {
      const id = await api.create('template:default/notify-everyone', { state });
      const events = await api.finished(id);
      expect(completionOf(events)?.body.message).toBe('Run completed with status: completed');
    }
    for (const user of ['user:default/alice', 'user:default/bob']) {
      const deploys = await store.list(user, { offset: 0, limit: 10, search: 'deploy' });
      expect(deploys.notifications.map((n) => [n.payload.title, n.read, n.payload.link])).toEqual([
        ['Deploy finished', null, undefined],
      ]);
    }
  });
});
