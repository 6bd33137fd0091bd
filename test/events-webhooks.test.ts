/**
 * Webhook reception (`POST /api/events/http/github|gitlab`) on a real Atrium over HTTP: the
 * signature or token is verified against the configured secret, accepted deliveries reach the
 * subscribers of the events service after the answer, and every delivery is counted in the
 * database (seen by every replica) and recorded in the audit log, without its secret.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type App, createApp } from '../src/core/app.ts';
import { loadConfig } from '../src/core/config/index.ts';
import { createLogger } from '../src/core/logger.ts';
import { auditServiceRef } from '../src/plugins/audit/server/plugin.ts';
import type { EventsStatus } from '../src/plugins/events/common/index.ts';
import {
  eventsServiceRef,
  type WebhookEvent,
} from '../src/plugins/events/server/events-service.ts';
import { appPlugins } from '../src/plugins/index.ts';
import { ENGINES, type Engine, freshDatabase } from './helpers/server.ts';

const GITHUB_SECRET = 'gh-webhook-secret-3f9a1c7e5b';
const GITLAB_SECRET = 'gl-webhook-token-8d2e6a4b0c';

/** Computed here, not by the server's code: what GitHub sends. */
const sign = (body: string, secret = GITHUB_SECRET) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

interface Replicas {
  urls: string[];
  apps: App[];
  logs: string[];
  stop(): Promise<void>;
}

/** `count` Atrium servers on one fresh database, with the given `events` config. */
async function startReplicas(
  engine: Engine,
  count: number,
  events: Record<string, unknown> | undefined,
): Promise<Replicas> {
  const dir = mkdtempSync(join(tmpdir(), 'atrium-events-'));
  const database = await freshDatabase(engine, dir);
  const file = join(dir, 'app-config.yaml');
  writeFileSync(
    file,
    stringify({
      backend: { listen: { host: '127.0.0.1', port: 0 }, database: database.config },
      catalog: { refresh: { interval: false } },
      techdocs: { buildOnStart: false },
      ...(events ? { events } : {}),
    }),
  );
  const { config } = await loadConfig({ configPaths: [file], cwd: dir, env: {} });
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', json: true, write: (line) => logs.push(line) });
  const apps: App[] = [];
  const urls: string[] = [];
  for (let i = 0; i < count; i++) {
    const app = await createApp({ config, ...(await appPlugins(config)), cwd: dir, logger });
    apps.push(app);
    urls.push(await app.start());
  }
  return {
    urls,
    apps,
    logs,
    async stop() {
      for (const app of apps) await app.stop();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const PUSH = {
  ref: 'refs/heads/main',
  repository: { full_name: 'acme/api', html_url: 'https://github.com/acme/api' },
  commits: [{ modified: ['catalog-info.yaml'] }],
};

describe.each(ENGINES)('webhooks on %s', (engine) => {
  let replicas: Replicas;
  let url: string;
  const received: WebhookEvent[] = [];

  beforeAll(async () => {
    replicas = await startReplicas(engine, engine === 'pg' ? 2 : 1, {
      modules: {
        github: { webhookSecret: GITHUB_SECRET },
        gitlab: { webhookSecret: GITLAB_SECRET },
      },
    });
    url = replicas.urls[0]!;
    replicas.apps[0]!.use(eventsServiceRef).subscribe('github', async (event) => {
      received.push(event);
    });
    replicas.apps[0]!.use(eventsServiceRef).subscribe('gitlab', async (event) => {
      received.push(event);
    });
  }, 120_000);
  afterAll(() => replicas?.stop());

  const github = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${url}/api/events/http/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': `delivery-${Math.random().toString(36).slice(2)}`,
        'x-hub-signature-256': sign(body),
        ...headers,
      },
      body,
    });
  const gitlab = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${url}/api/events/http/gitlab`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-gitlab-event': 'Push Hook',
        'x-gitlab-event-uuid': `uuid-${Math.random().toString(36).slice(2)}`,
        'x-gitlab-token': GITLAB_SECRET,
        ...headers,
      },
      body,
    });
  const errorOf = async (response: Response) =>
    ((await response.json()) as { error: { message: string } }).error.message;
  const waitFor = (deliveryId: string) =>
    until(`delivery ${deliveryId}`, async () => received.find((e) => e.deliveryId === deliveryId));
  const status = async (base = url) =>
    (await (await fetch(`${base}/api/events/status`)).json()) as EventsStatus;
  const sourceStatus = async (source: string, base = url) =>
    (await status(base)).sources.find((s) => s.source === source)!;

  it('accepts a GitHub delivery with a valid signature and hands over the parsed event', async () => {
    // Spaces and a non-ASCII name: the signature covers the bytes as sent, not a re-serialisation.
    const body = `{ "ref": "refs/heads/main",  "repository": {"full_name": "acme/api"}, "pusher": {"name": "Zoë"} }`;
    const response = await github(body, { 'x-github-delivery': 'gh-valid-1' });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: true, deliveryId: 'gh-valid-1' });
    const event = await waitFor('gh-valid-1');
    expect(event).toEqual({
      source: 'github',
      type: 'push',
      deliveryId: 'gh-valid-1',
      payload: JSON.parse(body),
    });
  });

  it('refuses a wrong or missing signature with 401 naming the problem', async () => {
    const body = JSON.stringify(PUSH);
    const wrong = await github(body, {
      'x-hub-signature-256': sign(body, 'not-the-secret'),
      'x-github-delivery': 'gh-wrong',
    });
    expect(wrong.status).toBe(401);
    expect(await errorOf(wrong)).toMatch(/X-Hub-Signature-256 signature does not match the body/);

    // Signed right, then changed on the way.
    const tampered = await github(body.replace('acme/api', 'acme/evil'), {
      'x-hub-signature-256': sign(body),
    });
    expect(tampered.status).toBe(401);

    const missing = await fetch(`${url}/api/events/http/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push' },
      body,
    });
    expect(missing.status).toBe(401);
    expect(await errorOf(missing)).toMatch(/no X-Hub-Signature-256 header/);

    const garbled = await github(body, { 'x-hub-signature-256': 'sha1=abc' });
    expect(garbled.status).toBe(401);
    expect(await errorOf(garbled)).toMatch(/not 'sha256=' and 64 hex digits/);
    await new Promise((r) => setTimeout(r, 100));
    expect(received.find((e) => e.deliveryId === 'gh-wrong')).toBeUndefined();
  });

  it('answers malformed or non-JSON bodies and a missing event header with 400', async () => {
    const malformed = '{"ref": "refs/heads/main",';
    const bad = await github(malformed);
    expect(bad.status).toBe(400);
    expect(await errorOf(bad)).toMatch(/^Malformed JSON body/);

    const form = 'payload=%7B%7D';
    const formResponse = await github(form, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(formResponse.status).toBe(400);
    expect(await errorOf(formResponse)).toMatch(
      /set the webhook's content type to application\/json/,
    );

    const array = await github('[1,2]');
    expect(array.status).toBe(400);

    const noEvent = await fetch(`${url}/api/events/http/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign('{}') },
      body: '{}',
    });
    expect(noEvent.status).toBe(400);
    expect(await errorOf(noEvent)).toBe('The delivery has no X-GitHub-Event header');

    // The JSON limits of every other route apply (backend.limits.nestingDepth, default 200).
    const deep = `${'['.repeat(300)}${']'.repeat(300)}`;
    const deepResponse = await github(`{"a":${deep}}`);
    expect(deepResponse.status).toBe(400);
    expect(await errorOf(deepResponse)).toMatch(/backend\.limits\.nestingDepth/);
  });

  it('answers a ping with 200 and counts it as accepted', async () => {
    const before = await sourceStatus('github');
    const response = await github(JSON.stringify({ zen: 'Keep it logically awesome.' }), {
      'x-github-event': 'ping',
      'x-github-delivery': 'gh-ping',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, ping: true });
    await until('the ping to be counted', async () =>
      (await sourceStatus('github')).accepted === before.accepted + 1 ? true : undefined,
    );
  });

  it('checks the GitLab token and types the event by event_name or object_kind', async () => {
    const right = await gitlab(
      JSON.stringify({ object_kind: 'push', project: { path_with_namespace: 'g/p' } }),
      {
        'x-gitlab-event-uuid': 'gl-right',
      },
    );
    expect(right.status).toBe(202);
    expect(await waitFor('gl-right')).toMatchObject({ source: 'gitlab', type: 'push' });

    const system = await gitlab(
      JSON.stringify({ event_name: 'project_destroy', path_with_namespace: 'g/p' }),
      {
        'x-gitlab-event': 'System Hook',
        'x-gitlab-event-uuid': 'gl-system',
      },
    );
    expect(system.status).toBe(202);
    expect(await waitFor('gl-system')).toMatchObject({ type: 'project_destroy' });

    const wrong = await gitlab('{"object_kind":"push"}', { 'x-gitlab-token': `${GITLAB_SECRET}x` });
    expect(wrong.status).toBe(401);
    expect(await errorOf(wrong)).toBe(
      'The X-Gitlab-Token header is not the value of events.modules.gitlab.webhookSecret',
    );
    const none = await fetch(`${url}/api/events/http/gitlab`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Push Hook' },
      body: '{"object_kind":"push"}',
    });
    expect(none.status).toBe(401);
    expect(await errorOf(none)).toMatch(/no X-Gitlab-Token header/);
    const untyped = await gitlab('{"project":{}}');
    expect(untyped.status).toBe(400);
  });

  it('answers at once while a subscriber is slow, and a throwing one harms nobody', async () => {
    const events = replicas.apps[0]!.use(eventsServiceRef);
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const offSlow = events.subscribe('github', () => gate);
    const offThrow = events.subscribe('github', async () => {
      throw new Error('subscriber exploded');
    });
    try {
      const started = Date.now();
      const response = await github(JSON.stringify(PUSH), { 'x-github-delivery': 'gh-isolated' });
      expect(response.status).toBe(202);
      expect(Date.now() - started).toBeLessThan(2000);
      // The other subscriber still gets it, while the slow one has not finished.
      expect(await waitFor('gh-isolated')).toMatchObject({ type: 'push' });
      const failure = await until('the subscriber failure to be logged', async () =>
        replicas.logs
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .find((l) => l.message === 'A webhook subscriber failed'),
      );
      expect(failure).toMatchObject({
        level: 'error',
        deliveryId: 'gh-isolated',
        error: 'subscriber exploded',
      });
    } finally {
      release();
      offSlow();
      offThrow();
    }
    // The server is still well: the next delivery goes through.
    const next = await github(JSON.stringify(PUSH), { 'x-github-delivery': 'gh-after' });
    expect(next.status).toBe(202);
    await waitFor('gh-after');
  });

  it('leaves the JSON parsing of other plugins’ routes as it was', async () => {
    const ok = await fetch(`${url}/api/catalog/entities/by-refs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ entityRefs: ['component:default/nothing'] }),
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ items: [null] });
    const bad = await fetch(`${url}/api/catalog/entities/by-refs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"entityRefs": [',
    });
    expect(bad.status).toBe(400);
  });

  it('counts accepted and rejected deliveries where every replica sees them', async () => {
    const before = await sourceStatus('github');
    const accepted = await github(JSON.stringify(PUSH));
    expect(accepted.status).toBe(202);
    const rejected = await github(JSON.stringify(PUSH), { 'x-hub-signature-256': sign('x') });
    expect(rejected.status).toBe(401);
    const last = replicas.urls.at(-1)!;
    const after = await until('the counts', async () => {
      const s = await sourceStatus('github', last);
      return s.accepted === before.accepted + 1 && s.rejected === before.rejected + 1
        ? s
        : undefined;
    });
    expect(after).toMatchObject({ source: 'github', configured: true });
    expect(after.lastRejectReason).toMatch(/does not match the body/);
    expect(Date.parse(after.lastAcceptedAt!)).toBeGreaterThan(Date.now() - 60_000);
    expect(Date.parse(after.lastRejectedAt!)).toBeGreaterThan(Date.now() - 60_000);
    const gl = await sourceStatus('gitlab', last);
    expect(gl.accepted).toBeGreaterThanOrEqual(2);
    expect(gl.rejected).toBeGreaterThanOrEqual(2);
  });

  it('records accepted and rejected deliveries in the audit log, never the secrets', async () => {
    for (const app of replicas.apps) await app.use(auditServiceRef).flush();
    const page = (await (
      await fetch(`${url}/api/audit/events?action=events.webhook.*&limit=500`)
    ).json()) as { items: Array<Record<string, unknown>> };
    const valid = page.items.find(
      (i) => (i.details as { deliveryId?: string } | null)?.deliveryId === 'gh-valid-1',
    );
    expect(valid).toMatchObject({
      action: 'events.webhook.accepted',
      actor: 'service:github-webhook',
      outcome: 'success',
      resourceRef: 'github:acme/api',
      details: { source: 'github', type: 'push', deliveryId: 'gh-valid-1' },
    });
    expect(valid?.requestId).toBeTruthy();
    const wrong = page.items.find(
      (i) => (i.details as { deliveryId?: string } | null)?.deliveryId === 'gh-wrong',
    );
    expect(wrong).toMatchObject({
      action: 'events.webhook.rejected',
      outcome: 'failure',
      details: { source: 'github', status: 401, type: 'push' },
    });
    expect(
      page.items.some(
        (i) =>
          i.action === 'events.webhook.rejected' &&
          (i.details as { source?: string }).source === 'gitlab',
      ),
    ).toBe(true);
    const everything = JSON.stringify(page) + replicas.logs.join('\n');
    expect(everything).not.toContain(GITHUB_SECRET);
    expect(everything).not.toContain(GITLAB_SECRET);
  });
});

describe.each(ENGINES)('webhooks without a configured secret on %s', (engine) => {
  let replicas: Replicas;
  beforeAll(async () => {
    replicas = await startReplicas(engine, 1, undefined);
  }, 120_000);
  afterAll(() => replicas?.stop());

  it('refuses every delivery with 401 naming the config key, and counts it', async () => {
    const url = replicas.urls[0]!;
    const body = '{"zen":"x"}';
    const gh = await fetch(`${url}/api/events/http/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'ping',
        'x-hub-signature-256': sign(body),
      },
      body,
    });
    expect(gh.status).toBe(401);
    expect(((await gh.json()) as { error: { message: string } }).error.message).toBe(
      "GitHub webhooks are not configured on this server: set events.modules.github.webhookSecret to the webhook's secret",
    );
    const gl = await fetch(`${url}/api/events/http/gitlab`, {
      method: 'POST',
      headers: { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'anything' },
      body: '{"object_kind":"push"}',
    });
    expect(gl.status).toBe(401);
    expect(((await gl.json()) as { error: { message: string } }).error.message).toMatch(
      /events\.modules\.gitlab\.webhookSecret/,
    );
    const counted = await until('both refusals to be counted', async () => {
      const s = (await (await fetch(`${url}/api/events/status`)).json()) as EventsStatus;
      return s.sources.every((x) => x.rejected === 1) ? s : undefined;
    });
    expect(counted.sources.map((s) => [s.source, s.configured, s.accepted])).toEqual([
      ['github', false, 0],
      ['gitlab', false, 0],
    ]);
  });
});
