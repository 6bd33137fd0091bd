import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ENGINES, startTestServer, type TestServer } from './helpers/server.ts';
import {
  CATALOG,
  completionOf,
  FIXTURES,
  parseSse,
  scaffolderClient,
  stepStatus,
  type TaskEventJson,
  type TaskJson,
} from './scaffolder-helpers.ts';

const TOKEN = 'tok-S3cret-9x';
const ENV_SECRET = 'env-Secret-7q';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The test templates as objects (for dry runs, which take the template in the body). */
function fixtureTemplate(name: string): Record<string, unknown> {
  const docs = parseAllDocuments(readFileSync(join(FIXTURES, 'templates.yaml'), 'utf8'));
  const found = docs.map((d) => d.toJS()).find((d) => d.metadata?.name === name);
  if (!found) throw new Error(`no fixture template ${name}`);
  return found;
}

describe.each(ENGINES)('scaffolder REST API (%s)', (engine) => {
  let server: TestServer;
  let dir: string;
  let workspaces: string;
  let api: ReturnType<typeof scaffolderClient>;

  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'atrium-scaffolder-api-')));
    workspaces = join(dir, 'workspaces');
    server = await startTestServer({
      engine,
      dir,
      catalog: { locations: [{ type: 'file', target: CATALOG }] },
      extraConfig: {
        scaffolder: {
          workspaceDir: workspaces,
          concurrency: 2,
          defaultEnvironment: {
            parameters: { region: 'eu-west' },
            secrets: { envToken: ENV_SECRET },
          },
        },
      },
    });
    api = scaffolderClient(server.url);
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const taskDirs = () =>
    existsSync(workspaces) ? readdirSync(workspaces).filter((n) => UUID.test(n)) : [];
  const totalTasks = async () => (await api.get('/v2/tasks')).body.totalTasks as number;

  describe('templates, actions, extensions', () => {
    it('lists the catalog templates with their list fields', async () => {
      const { status, body } = await api.get('/v2/templates');
      expect(status).toBe(200);
      const basic = body.items.find((t: { name: string }) => t.name === 'basic');
      expect(basic).toEqual({
        entityRef: 'template:default/basic',
        namespace: 'default',
        name: 'basic',
        title: 'Basic',
        description: 'Logs, writes a catalog file and lists the workspace',
        tags: ['test', 'basic'],
        owner: 'group:default/team-a',
        type: 'service',
        links: [],
      });
      expect(body.items.map((t: { name: string }) => t.name)).toEqual(
        expect.arrayContaining(['basic', 'wait', 'flaky', 'loops']),
      );
      expect(body.items.some((t: { name: string }) => t.name === 'not-a-template')).toBe(false);
    });

    it('serves the parameter schema (namespace/kind/name order), page titles defaulted', async () => {
      const { status, body } = await api.get(
        '/v2/templates/default/template/basic/parameter-schema',
      );
      expect(status).toBe(200);
      expect(body.title).toBe('Basic');
      expect(body.description).toBe('Logs, writes a catalog file and lists the workspace');
      expect(body.steps.map((s: { title: string }) => s.title)).toEqual(['Name', 'More']);
      expect(body.steps[0].schema.properties.name['ui:field']).toBe('EntityNamePicker');
      expect(body.steps[0].schema.required).toEqual(['name']);

      const wait = await api.get('/v2/templates/default/template/wait/parameter-schema');
      expect(wait.body.title).toBe('Wait');
      expect(wait.body.steps).toHaveLength(1);
      expect(wait.body.steps[0].title).toBe('Please enter the following information');

      expect((await api.get('/v2/templates/default/template/nope/parameter-schema')).status).toBe(
        404,
      );
      const component = await api.get(
        '/v2/templates/default/component/not-a-template/parameter-schema',
      );
      expect(component.status).toBe(400);
      expect(component.body.error.name).toBe('InputError');
    });

    it('lists actions sorted by id, with their schemas', async () => {
      const { status, body } = await api.get('/v2/actions');
      expect(status).toBe(200);
      const ids = body.map((a: { id: string }) => a.id);
      expect(ids).toEqual([...ids].sort());
      for (const id of [
        'debug:log',
        'debug:wait',
        'fs:rename',
        'fs:delete',
        'fs:readdir',
        'catalog:write',
        'catalog:register',
        'catalog:fetch',
        'catalog:timestamping',
        'fs:read',
        'fs:append',
        'fetch:cookiecutter',
        'roadiehq:utils:fs:write',
        'roadiehq:utils:fs:append',
        'roadiehq:utils:fs:replace',
        'roadiehq:utils:fs:parse',
        'roadiehq:utils:merge',
        'roadiehq:utils:json:merge',
        'roadiehq:utils:jsonata',
        'roadiehq:utils:jsonata:yaml:transform',
        'roadiehq:utils:jsonata:json:transform',
        'publish:github:pull-request',
        'publish:gitlab:merge-request',
        'publish:bitbucketCloud',
        'publish:bitbucketServer',
        'publish:azure',
        'publish:gerrit',
        'github:repo:create',
        'github:repo:push',
        'github:webhook',
        'github:actions:dispatch',
        'github:environment:create',
        'github:pages:enable',
        'github:issues:label',
        'gitlab:repo:push',
        'gitlab:group:ensureExists',
        'gitlab:projectVariable:create',
        'gitlab:pipeline:trigger',
      ]) {
        expect(ids).toContain(id);
      }
      const replace = body.find((a: { id: string }) => a.id === 'roadiehq:utils:fs:replace');
      expect(replace.schema.input.properties.files.items.required).toEqual([
        'file',
        'find',
        'replaceWith',
      ]);
      const cookiecutter = body.find((a: { id: string }) => a.id === 'fetch:cookiecutter');
      expect(Object.keys(cookiecutter.schema.input.properties)).toEqual([
        'url',
        'targetPath',
        'values',
        'copyWithoutRender',
        'extensions',
        'imageName',
      ]);
      const rename = body.find((a: { id: string }) => a.id === 'fs:rename');
      expect(rename.schema.input.required).toEqual(['files']);
      expect(rename.examples.length).toBeGreaterThan(0);
      expect(typeof rename.description).toBe('string');
    });

    it('lists templating extensions: the Backstage filters and the status globals', async () => {
      const { status, body } = await api.get('/v2/templating-extensions');
      expect(status).toBe(200);
      expect(Object.keys(body.filters).sort()).toEqual(
        expect.arrayContaining(['parseEntityRef', 'parseRepoUrl', 'pick', 'projectSlug']),
      );
      expect(typeof body.filters.parseRepoUrl.description).toBe('string');
      expect(Object.keys(body.globals.functions).sort()).toEqual(['always', 'failure']);
    });
  });

  describe('creating a task checks everything first; nothing runs on a 400', () => {
    let before: number;
    beforeAll(async () => {
      before = await totalTasks();
    });

    it('404 for a template that does not exist', async () => {
      const r = await api.post('/v2/tasks', { templateRef: 'template:default/nope', values: {} });
      expect(r.status).toBe(404);
      expect(r.body.error.name).toBe('NotFoundError');
    });

    it('400 for an entity that is not a Template', async () => {
      const r = await api.post('/v2/tasks', {
        templateRef: 'component:default/not-a-template',
        values: {},
      });
      expect(r.status).toBe(400);
      expect(r.body.error.message).toMatch(/not a template/);
    });

    it('400 naming each bad value and its page', async () => {
      const r = await api.post('/v2/tasks', {
        templateRef: 'basic',
        values: { name: 'Bad Name', count: 0 },
        secrets: { token: TOKEN },
      });
      expect(r.status).toBe(400);
      const byField = Object.fromEntries(r.body.errors.map((e: { field: string }) => [e.field, e]));
      expect(byField.name).toMatchObject({ name: 'pattern', page: 0, property: 'instance.name' });
      expect(byField.name.message).toMatch(/^name must match pattern/);
      expect(byField.count).toMatchObject({ name: 'minimum', page: 1 });

      const missing = await api.post('/v2/tasks', {
        templateRef: 'default/basic',
        values: {},
        secrets: { token: TOKEN },
      });
      expect(missing.status).toBe(400);
      expect(missing.body.errors).toEqual([
        expect.objectContaining({ name: 'required', field: 'name', message: 'name is required' }),
      ]);
    });

    it('400 when a secret the template requires is missing', async () => {
      const r = await api.post('/v2/tasks', { templateRef: 'basic', values: { name: 'ok' } });
      expect(r.status).toBe(400);
      expect(r.body.errors.map((e: { message: string }) => e.message)).toEqual([
        'secrets.token is required',
      ]);
    });

    it('400 naming the step with an unknown action', async () => {
      const r = await api.post('/v2/tasks', { templateRef: 'unknown-action', values: {} });
      expect(r.status).toBe(400);
      expect(r.body.errors).toHaveLength(1);
      expect(r.body.errors[0]).toMatchObject({
        stepId: 'mystery',
        field: 'spec.steps[1].action',
        name: 'NotFoundError',
      });
      expect(r.body.errors[0].message).toMatch(
        /Step mystery \(Mystery step\).*acme:does-not-exist/,
      );
    });

    it('400 naming the step and fields of an input its action rejects', async () => {
      const r = await api.post('/v2/tasks', { templateRef: 'bad-input', values: {} });
      expect(r.status).toBe(400);
      expect(r.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'spec.steps[1].input.files[0].overwrite',
        'spec.steps[1].input.files[0].to',
      ]);
      expect(r.body.errors.every((e: { stepId: string }) => e.stepId === 'rename')).toBe(true);
    });

    it('400 for a malformed request body', async () => {
      expect((await api.post('/v2/tasks', { values: {} })).status).toBe(400);
      expect((await api.post('/v2/tasks', { templateRef: 'basic', values: 'x' })).status).toBe(400);
      expect(
        (await api.post('/v2/tasks', { templateRef: 'basic', values: {}, secrets: { a: 1 } }))
          .status,
      ).toBe(400);
    });

    it('created no task and no workspace for any of the above', async () => {
      expect(await totalTasks()).toBe(before);
      expect(taskDirs()).toEqual([]);
    });
  });

  describe('running a task', () => {
    let id: string;
    let events: TaskEventJson[];

    beforeAll(async () => {
      id = await api.create(
        'template:default/basic',
        { name: 'svc-one', count: 2 },
        { token: TOKEN },
      );
      events = await api.stream(id);
    });

    it('answers 201 with a task id', () => {
      expect(id).toMatch(UUID);
    });

    it('streams the events of COMPAT §6.4 in order and ends after the completion', () => {
      expect(events[0]?.body.message).toBe('Starting up task with 4 steps');
      expect(events.at(-1)?.type).toBe('completion');
      const ids = events.map((e) => e.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(ids.length);
      for (const e of events) {
        expect(e.taskId).toBe(id);
        expect(Number.isNaN(Date.parse(e.createdAt))).toBe(false);
      }
      expect(stepStatus(events, 'hello')).toEqual(['processing', 'completed']);
      expect(stepStatus(events, 'write')).toEqual(['processing', 'completed']);
      expect(stepStatus(events, 'never')).toEqual(['skipped']);
      expect(stepStatus(events, 'list')).toEqual(['processing', 'completed']);
      const begin = events.find((e) => e.body.stepId === 'hello' && e.body.status === 'processing');
      expect(begin?.body.message).toBe('Beginning step Say hello');
      const end = events.find((e) => e.body.stepId === 'hello' && e.body.status === 'completed');
      expect(end?.body.message).toBe('Finished step Say hello');
    });

    it('renders inputs with parameters, user, context and masked secrets', () => {
      const hello = events.filter((e) => e.body.stepId === 'hello' && !e.body.status);
      const text = hello.map((e) => e.body.message).join('\n');
      expect(text).toContain(`Hello svc-one from user:default/guest in task ${id}; token ***`);
      expect(JSON.stringify(events)).not.toContain(TOKEN);
    });

    it('ends with the rendered output: links with a falsy if dropped', () => {
      const completion = completionOf(events);
      expect(completion?.body.message).toBe('Run completed with status: completed');
      expect(completion?.body.output).toEqual({
        files: 1,
        links: [{ title: 'Owner', entityRef: 'team-a' }],
        text: [{ title: 'Done', content: 'Created **svc-one**' }],
      });
    });

    it('serves the task: spec with step defaults, user, template info, status', async () => {
      const task = await api.task(id);
      expect(task.status).toBe('completed');
      expect(task.createdBy).toBe('user:default/guest');
      expect(Date.parse(task.createdAt)).toBeGreaterThan(0);
      // biome-ignore lint/suspicious/noExplicitAny: a JSON answer, checked field by field below
      const spec = task.spec as unknown as Record<string, any>;
      expect(spec.apiVersion).toBe('scaffolder.backstage.io/v1beta3');
      expect(spec.parameters).toEqual({ name: 'svc-one', count: 2 });
      expect(spec.steps.map((s: { id: string; name: string }) => [s.id, s.name])).toEqual([
        ['hello', 'Say hello'],
        ['write', 'Write the entity'],
        ['never', 'Never runs'],
        ['list', 'List files'],
      ]);
      expect(spec.user.ref).toBe('user:default/guest');
      expect(spec.user.entity.metadata.name).toBe('guest');
      expect(spec.templateInfo.entityRef).toBe('template:default/basic');
      expect(spec.templateInfo.baseUrl).toBe(`file://${join(FIXTURES, 'templates.yaml')}`);
      expect(spec.templateInfo.entity.metadata.title).toBe('Basic');
      expect(JSON.stringify(task)).not.toContain(TOKEN);
      expect((await api.get('/v2/tasks/00000000-0000-0000-0000-000000000000')).status).toBe(404);
    });

    it('replays only events after `after`, the completion included', async () => {
      const third = events[2]!.id;
      const later = await api.stream(id, third);
      expect(later.map((e) => e.id)).toEqual(events.filter((e) => e.id > third).map((e) => e.id));
      // Past the end, the completion event is still sent so a reader knows the task ended.
      const last = events.at(-1)!.id;
      const after = await api.stream(id, last);
      expect(after.map((e) => e.type)).toEqual(['completion']);
      const poll = await api.get(`/v2/tasks/${id}/events?after=${third}`);
      expect(poll.body.map((e: TaskEventJson) => e.id)).toEqual(later.map((e) => e.id));
    });

    it('removed the workspace of the completed task', () => {
      expect(taskDirs()).not.toContain(id);
    });
  });

  describe('steps: if, each, always(), failure(), retry', () => {
    it('runs `each` once per item, `if` per item; outputs become arrays', async () => {
      const id = await api.create('loops', { names: ['x', 'skip', 'y'] });
      const events = await api.finished(id);
      expect(stepStatus(events, 'each')).toEqual(['processing', 'completed']);
      expect(
        events.filter((e) => e.body.stepId === 'each' && /each\.key/.test(e.body.message)),
      ).toHaveLength(2);
      expect(events.some((e) => e.body.message === 'info: ran 2 times')).toBe(true);
      // `each` over a string fails the step with an InputError.
      expect(stepStatus(events, 'bad-each')).toEqual(['processing', 'failed']);
      const failed = events.find((e) => e.body.stepId === 'bad-each' && e.body.status === 'failed');
      expect(failed?.body.message).toMatch(
        /InputError: .*cannot be resolved to a value of type array or object/,
      );
      expect(completionOf(events)?.body.error?.name).toBe('InputError');
      expect((await api.task(id)).status).toBe('failed');
    });

    it('after a failure skips steps unless their if calls always()/failure(); retry resumes at the failed step', async () => {
      const id = await api.create('flaky', {}, { source: 'missing.yaml' });
      const events = await api.finished(id);
      expect(stepStatus(events, 'write')).toEqual(['processing', 'completed']);
      expect(stepStatus(events, 'rename')).toEqual(['processing', 'failed']);
      expect(stepStatus(events, 'cleanup')).toEqual(['processing', 'completed']);
      expect(stepStatus(events, 'on-failure')).toEqual(['processing', 'completed']);
      expect(stepStatus(events, 'after')).toEqual(['skipped']);
      const completion = completionOf(events);
      expect(completion?.body.message).toBe('Run completed with status: failed');
      // The secret named the file, so the error shows it masked.
      expect(completion?.body.error?.message).toBe("files[0].from: '***' does not exist");
      expect((await api.task(id)).status).toBe('failed');
      // Kept for the retry.
      expect(taskDirs()).toContain(id);

      const retry = await api.post(`/v2/tasks/${id}/retry`, { secrets: { source: 'a.yaml' } });
      expect(retry.status).toBe(201);
      const second = retry.body.id as string;
      expect(second).not.toBe(id);
      const again = await api.finished(second);
      expect(stepStatus(again, 'write')).toEqual(['completed']);
      expect(again.find((e) => e.body.stepId === 'write')?.body.message).toBe(
        `Step catalog:write already completed in task ${id}; reusing its output`,
      );
      expect(stepStatus(again, 'rename')).toEqual(['processing', 'completed']);
      expect(stepStatus(again, 'on-failure')).toEqual(['skipped']);
      const done = completionOf(again);
      expect(done?.body.message).toBe('Run completed with status: completed');
      // a.yaml was written by the first task: the retry worked in its workspace.
      const files = JSON.parse(String(done?.body.output?.files)) as Array<{ name: string }>;
      expect(files.map((f) => f.name)).toEqual(['b.yaml']);
      const task = await api.task(second);
      expect(task.status).toBe('completed');
      expect((task as unknown as { retryOf: string }).retryOf).toBe(id);

      expect((await api.post(`/v2/tasks/${second}/retry`, {})).status).toBe(409);
      expect((await api.post('/v2/tasks/00000000-0000-0000-0000-000000000000/retry')).status).toBe(
        404,
      );
    });
  });

  describe('cancel and concurrency', () => {
    it('cancels a running debug:wait step at once; the task ends cancelled', async () => {
      const id = await api.create('wait', { seconds: 60 });
      await api.until(id, (_t, ev) => stepStatus(ev, 'wait').includes('processing'));
      const started = Date.now();
      const r = await api.post(`/v2/tasks/${id}/cancel`);
      expect(r).toEqual({ status: 200, body: { status: 'cancelled' } });
      const events = await api.finished(id);
      expect(Date.now() - started).toBeLessThan(5_000);
      const cancelled = events.find((e) => e.type === 'cancelled');
      expect(cancelled?.body).toEqual({
        message: 'Step wait has been cancelled.',
        stepId: 'wait',
        status: 'cancelled',
      });
      expect(stepStatus(events, 'wait')).toEqual(['processing', 'cancelled']);
      expect(stepStatus(events, 'after')).toEqual(['skipped']);
      expect(completionOf(events)?.body.message).toBe('Run completed with status: cancelled');
      expect((await api.task(id)).status).toBe('cancelled');
      expect((await api.post(`/v2/tasks/${id}/cancel`)).status).toBe(409);
      expect((await api.post('/v2/tasks/00000000-0000-0000-0000-000000000000/cancel')).status).toBe(
        404,
      );
    });

    it('runs two tasks at the same time, queues a third, cancels it while open', async () => {
      const a = await api.create('wait', { seconds: 1.5 });
      const b = await api.create('wait', { seconds: 1.5 });
      await api.until(a, (t) => t.status === 'processing');
      await api.until(b, (t) => t.status === 'processing');
      // concurrency: 2, so the third waits in the queue.
      const c = await api.create('wait', { seconds: 1.5 });
      expect((await api.task(c)).status).toBe('open');
      expect((await api.post(`/v2/tasks/${c}/cancel`)).status).toBe(200);
      const [ea, eb, ec] = await Promise.all([api.finished(a), api.finished(b), api.finished(c)]);
      const at = (events: TaskEventJson[], status: string) =>
        Date.parse(
          events.find((e) => e.body.stepId === 'wait' && e.body.status === status)!.createdAt,
        );
      // Each wait began before the other one finished: they overlapped.
      expect(at(ea, 'processing')).toBeLessThan(at(eb, 'completed'));
      expect(at(eb, 'processing')).toBeLessThan(at(ea, 'completed'));
      expect(completionOf(ea)?.body.message).toBe('Run completed with status: completed');
      expect(completionOf(eb)?.body.message).toBe('Run completed with status: completed');
      expect(ec.map((e) => e.type)).toEqual(['cancelled', 'completion']);
      expect((await api.task(c)).status).toBe('cancelled');
    });

    it('long-polls /events: answers as soon as the next event is stored', async () => {
      const id = await api.create('wait', { seconds: 1 });
      // The step's input renders in a worker between its `processing` event and the action's
      // first line: once that line is stored, the next event is the end of the wait.
      const { events } = await api.until(id, (_t, ev) =>
        ev.some((e) => e.body.stepId === 'wait' && e.body.message.startsWith('info: Waiting')),
      );
      const last = events.at(-1)!.id;
      const started = Date.now();
      const r = await api.get(`/v2/tasks/${id}/events?after=${last}`);
      const waited = Date.now() - started;
      expect(r.body.length).toBeGreaterThan(0);
      expect(r.body[0].id).toBeGreaterThan(last);
      expect(waited).toBeGreaterThan(300);
      expect(waited).toBeLessThan(5_000);
      await api.finished(id);
    });
  });

  describe('list', () => {
    it('filters by status and creator, orders, pages, counts', async () => {
      const all = await api.get('/v2/tasks');
      expect(all.status).toBe(200);
      expect(all.body.totalTasks).toBe(all.body.tasks.length);
      expect(all.body.totalTasks).toBeGreaterThanOrEqual(8);
      const created = all.body.tasks.map((t: TaskJson) => t.createdAt);
      expect(created).toEqual([...created].sort().reverse());

      const cancelled = await api.get('/v2/tasks?status=cancelled');
      expect(cancelled.body.tasks.every((t: TaskJson) => t.status === 'cancelled')).toBe(true);
      expect(cancelled.body.totalTasks).toBe(2);
      const two = await api.get('/v2/tasks?status=cancelled&status=failed');
      expect(two.body.totalTasks).toBeGreaterThan(2);

      const mine = await api.get('/v2/tasks?createdBy=user:default/guest');
      expect(mine.body.totalTasks).toBe(all.body.totalTasks);
      expect((await api.get('/v2/tasks?createdBy=user:default/other')).body.totalTasks).toBe(0);

      const page = await api.get('/v2/tasks?order=asc:created_at&limit=2&offset=1');
      expect(page.body.totalTasks).toBe(all.body.totalTasks);
      expect(page.body.tasks.map((t: TaskJson) => t.id)).toEqual(
        [...all.body.tasks]
          .reverse()
          .slice(1, 3)
          .map((t: TaskJson) => t.id),
      );
      const byStatus = await api.get('/v2/tasks?order=asc:status&order=desc:created_at');
      const statuses = byStatus.body.tasks.map((t: TaskJson) => t.status);
      expect(statuses).toEqual([...statuses].sort());

      expect((await api.get('/v2/tasks?order=sideways:created_at')).status).toBe(400);
      expect((await api.get('/v2/tasks?status=exploded')).status).toBe(400);
      expect((await api.get('/v2/tasks?limit=-1')).status).toBe(400);
    });
  });

  describe('secrets at rest', () => {
    it('stores secrets encrypted while the task runs and deletes them when it ends', async () => {
      const id = await api.create('wait', { seconds: 30 }, { token: TOKEN });
      await api.until(id, (t) => t.status === 'processing');
      const db = server.app.database.db;
      const row = await db
        .selectFrom('scaffolder_tasks')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(row.secrets).toMatch(/^v1:/);
      expect(row.secrets).not.toContain(TOKEN);
      expect(row.secrets).not.toContain(Buffer.from(TOKEN).toString('base64'));
      await api.post(`/v2/tasks/${id}/cancel`);
      await api.finished(id);
      const after = await db
        .selectFrom('scaffolder_tasks')
        .select('secrets')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(after.secrets).toBeNull();
    });

    it('no stored row of any task holds a secret in plain text', async () => {
      // The basic run above logged and templated the token and wrote it into a file.
      const db = server.app.database.db;
      const dump = JSON.stringify([
        await db.selectFrom('scaffolder_tasks').selectAll().execute(),
        await db.selectFrom('scaffolder_task_events').selectAll().execute(),
        await db.selectFrom('scaffolder_task_steps').selectAll().execute(),
      ]);
      expect(dump).toContain('token ***');
      expect(dump).not.toContain(TOKEN);
    });
  });

  describe('dry run', () => {
    const dryRun = (body: unknown) => api.post('/v2/dry-run', body);

    it('runs a pasted template in a temporary workspace and returns files, log and output', async () => {
      const before = await totalTasks();
      const r = await dryRun({
        template: fixtureTemplate('basic'),
        values: { name: 'dry-svc', withLink: true },
        secrets: { token: TOKEN },
        directoryContents: [],
      });
      expect(r.status).toBe(200);
      const { log, directoryContents, output, steps } = r.body;
      expect(steps.map((s: { id: string }) => s.id)).toEqual(['hello', 'write', 'never', 'list']);
      expect(log[0].body.message).toBe('Starting up task with 4 steps');
      expect(log.some((l: { body: { status?: string } }) => l.body.status === 'completed')).toBe(
        true,
      );
      expect(JSON.stringify(log)).toContain('token ***');
      expect(JSON.stringify(r.body)).not.toContain(TOKEN);
      expect(directoryContents.map((f: { path: string }) => f.path)).toEqual(['catalog-info.yaml']);
      const file = Buffer.from(directoryContents[0].base64Content, 'base64').toString('utf8');
      expect(file).toContain('name: dry-svc');
      expect(file).toContain('backstage.io/source-template: template:default/dry-run');
      expect(directoryContents[0].executable).toBe(false);
      expect(output.links).toEqual([
        { title: 'Owner', entityRef: 'team-a' },
        { title: 'Optional', url: 'https://example.com/dry-svc' },
      ]);
      expect(await totalTasks()).toBe(before);
      expect(readdirSync(workspaces).filter((n) => n.startsWith('dry-run-'))).toEqual([]);
    });

    it('runs what Backstage runs: an unparsable ${{ }} as written, repeated step ids, with warnings', async () => {
      const template = {
        apiVersion: 'scaffolder.backstage.io/v1beta3',
        kind: 'Template',
        metadata: { name: 'lenient' },
        spec: {
          type: 'service',
          steps: [
            // A JavaScript ternary, as real templates write it: Nunjucks cannot parse it.
            {
              id: 'say',
              action: 'debug:log',
              input: { message: "${{ parameters.x ? 'a' : 'b' }}" },
            },
            { id: 'say', action: 'debug:log', input: { message: 'second ${{ parameters.x }}' } },
          ],
          output: { text: [{ title: 'Said', content: '${{ steps.say.output | }}' }] },
        },
      };
      const r = await dryRun({ template, values: { x: 'y' }, directoryContents: [] });
      expect(r.status).toBe(200);
      expect(r.body.status).toBe('completed');
      const messages = r.body.log.map((l: { body: { message: string } }) => l.body.message);
      expect(messages).toContain("info: ${{ parameters.x ? 'a' : 'b' }}");
      expect(messages).toContain('info: second y');
      expect(
        r.body.warnings.map((w: { name: string; field: string }) => [w.name, w.field]),
      ).toEqual([
        ['TemplateSyntaxError', 'spec.steps[0].input.message'],
        ['DuplicateStepIdWarning', 'spec.steps[1].id'],
        ['TemplateSyntaxError', 'spec.output.text[0].content'],
      ]);
      expect(messages.slice(0, 3).every((m: string) => m.startsWith('Warning: '))).toBe(true);
    });

    it('starts a task with a template syntax error and opens its log with the warning', async () => {
      const r = await api.post('/v2/tasks', { templateRef: 'syntax-error', values: {} });
      expect(r.status).toBe(201);
      const events = await api.stream(r.body.id);
      expect(events[0]?.body.message).toMatch(
        /^Warning: Step broken \(debug:log\): spec\.steps\[1\]\.input\.message: template syntax error/,
      );
      expect(completionOf(events)?.body.message).toBe('Run completed with status: completed');
      const logged = events.filter((e) => e.body.stepId === 'broken' && !e.body.status);
      expect(logged.map((e) => e.body.message)).toContain('info: Hello ${{ parameters.name | }}');
    });

    it('reads skeleton files from directoryContents, skips actions without dry-run support', async () => {
      const template = {
        apiVersion: 'scaffolder.backstage.io/v1beta3',
        kind: 'Template',
        metadata: { name: 'pasted' },
        spec: {
          type: 'service',
          steps: [
            { id: 'list', action: 'fs:readdir', input: { paths: ['.'], recursive: true } },
            { id: 'wait', action: 'debug:wait', input: { minutes: 5 } },
            {
              id: 'register',
              action: 'catalog:register',
              input: { catalogInfoUrl: 'https://example.com/catalog-info.yaml' },
            },
            {
              id: 'env',
              action: 'debug:log',
              input: {
                message:
                  'region ${{ environment.parameters.region }} secret ${{ environment.secrets.envToken }}',
              },
            },
          ],
          output: { ref: '${{ steps.register.output.entityRef }}' },
        },
      };
      const r = await dryRun({
        template,
        values: {},
        directoryContents: [
          { path: 'template.yaml', base64Content: Buffer.from('x').toString('base64') },
        ],
      });
      expect(r.status).toBe(200);
      const messages = r.body.log.map((l: { body: { message: string } }) => l.body.message);
      expect(messages).toContain(
        'Skipping because debug:wait does not support dry-run; its output is made up from its schema',
      );
      expect(messages).toContain('info: region eu-west secret ***');
      expect(JSON.stringify(r.body)).not.toContain(ENV_SECRET);
      expect(typeof r.body.output.ref).toBe('string');
      expect(r.body.status).toBe('completed');
    });

    it('rejects what is not a template, bad values and escaping paths', async () => {
      const notTemplate = await dryRun({
        template: {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name: 'x' },
          spec: {},
        },
        values: {},
        directoryContents: [],
      });
      expect(notTemplate.status).toBe(400);
      expect(notTemplate.body.error.message).toMatch(/^Input template is not a template/);

      const badValues = await dryRun({
        template: fixtureTemplate('basic'),
        values: { name: 'NO' },
        directoryContents: [],
      });
      expect(badValues.status).toBe(400);
      expect(badValues.body.errors.map((e: { field: string }) => e.field)).toEqual([
        'name',
        'secrets.token',
      ]);

      const escaping = await dryRun({
        template: fixtureTemplate('loops'),
        values: {},
        directoryContents: [{ path: '../outside.txt', base64Content: '' }],
      });
      expect(escaping.status).toBe(400);
      expect(escaping.body.error.message).toMatch(/directoryContents\[0\]\.path/);
      expect(existsSync(join(workspaces, 'outside.txt'))).toBe(false);
    });
  });

  it('reads the event stream with a plain HTTP client, frame by frame', async () => {
    const id = await api.create('wait', { seconds: 0.3 });
    const response = await fetch(`${api.base}/v2/tasks/${id}/eventstream`);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let chunks = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks++;
      text += decoder.decode(value, { stream: true });
    }
    // Events arrive as they happen, not in one piece at the end.
    expect(chunks).toBeGreaterThan(1);
    expect(text).not.toMatch(/^id:/m);
    const events = parseSse(text);
    expect(events.at(-1)?.type).toBe('completion');
    expect(stepStatus(events, 'wait')).toEqual(['processing', 'completed']);
  });
});
