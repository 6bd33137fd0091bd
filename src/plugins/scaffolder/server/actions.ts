/**
 * The scaffolder's actions for the actions registry (tools of the MCP server), named as
 * Backstage's well-known actions. (Not the template actions of ./actions/, which steps run.)
 * Each goes through what the REST route it mirrors uses: templates the caller may not read
 * are not found, and a task runs with its creator's permissions.
 */
import {
  type ActionDefinition,
  actionsRegistryExtensionPoint,
  defineAction,
  type Extension,
  extend,
  NotFoundError,
} from '../../../core/plugin-api.ts';
import type { JsonObject } from '../../../model/entity.ts';
import type { TaskEvent } from '../common/api-types.ts';
import { dryRun } from './dry-run/dry-run.ts';
import { P, type RouteDeps, readableTemplate } from './routes/shared.ts';
import { taskEventsAfter } from './routes/task-routes.ts';
import { readableTemplates } from './routes/template-routes.ts';
import { TERMINAL } from './tasks/task-store.ts';
import { templateBaseUrl, templateRefOf, templateSummary } from './templates.ts';
import { parameterPages } from './validation/task-request.ts';

const string = { type: 'string' } as const;
const strings = { type: 'array', items: string } as const;
/** A dry run's files are shown as text up to this size each; larger or binary ones by size. */
const MAX_TEXT_FILE = 64 * 1024;
const MAX_WAIT_SECONDS = 60;
/** Readers re-read the table this often, for events stored by other replicas. */
const REREAD_MS = 1_000;

const templateRefInput = {
  type: 'string',
  minLength: 1,
  maxLength: 1024,
  description: 'The template ref, template:namespace/name (kind and namespace may be left out)',
} as const;
const runInput = {
  type: 'object',
  properties: {
    templateRef: templateRefInput,
    values: {
      type: 'object',
      default: {},
      description: "The template's parameters, as list-templates describes them",
    },
    secrets: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Secret values the template asks for (never stored with the task)',
    },
  },
  required: ['templateRef'],
  additionalProperties: false,
} as const;
type RunInput = { templateRef: string; values: JsonObject; secrets?: Record<string, string> };

const stepSchema = {
  type: 'object',
  properties: { id: string, name: string, action: string },
  required: ['id', 'name', 'action'],
} as const;
const errorSchema = {
  type: 'object',
  properties: { name: string, message: string },
  required: ['message'],
} as const;
const logLineSchema = {
  type: 'object',
  properties: { stepId: string, status: string, message: string },
  required: ['message'],
} as const;

function isText(buffer: Buffer): boolean {
  return !buffer.includes(0) && Buffer.from(buffer.toString('utf8'), 'utf8').equals(buffer);
}

const stepsOf = (steps: Array<{ id: string; name: string; action: string }>) =>
  steps.map(({ id, name, action }) => ({ id, name, action }));

/**
 * The scaffolder's actions. `deps` is read when an action runs: the plugin makes its services
 * in setup, after its extensions are declared.
 */
export function scaffolderActions(deps: () => RouteDeps | undefined): Extension[] {
  const ready = (): RouteDeps => {
    const d = deps();
    if (!d) throw new Error('The scaffolder plugin is not set up');
    return d;
  };

  const actions: ActionDefinition[] = [
    defineAction<{ tag?: string }, { items: unknown[] }>({
      id: 'list-templates',
      title: 'List software templates',
      description:
        "Lists the software templates you may use to create something (a service, a library, a website), each with its parameters' JSON Schema (one object per form page) where you may read them. Run one with dry-run-template first, then execute-template.",
      inputSchema: {
        type: 'object',
        properties: {
          tag: { type: 'string', minLength: 1, description: 'Only templates with this tag' },
        },
        additionalProperties: false,
      },
      outputSchema: {
        type: 'object',
        properties: {
          items: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                entityRef: string,
                title: string,
                description: string,
                tags: strings,
                owner: string,
                type: string,
                parameters: {
                  type: 'array',
                  items: { type: 'object' },
                  description: 'JSON Schemas of the form pages; values must satisfy each',
                },
              },
              required: ['entityRef', 'title', 'tags', 'type'],
            },
          },
        },
        required: ['items'],
      },
      permission: P.catalogRead,
      hints: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      destructive: false,
      async handler(input, ctx) {
        const { catalog } = ready();
        const items = [];
        for (const entity of await readableTemplates(catalog, ctx)) {
          const {
            links: _links,
            namespace: _ns,
            name: _name,
            ...summary
          } = templateSummary(entity);
          if (input.tag && !summary.tags.includes(input.tag)) continue;
          const decision = await ctx.decide(P.templateParameterRead, {
            ref: summary.entityRef,
            resource: entity,
          });
          items.push({
            ...summary,
            ...(decision.result === 'ALLOW' ? { parameters: parameterPages(entity) } : {}),
          });
        }
        return { items };
      },
    }),

    defineAction<RunInput, Record<string, unknown>>({
      id: 'dry-run-template',
      title: 'Dry-run a software template',
      description:
        'Runs a template without creating anything: its steps run in a throw-away workspace (steps that would publish or register are skipped), and the answer shows the log, the files the template would produce and its output. Validation errors name the parameter at fault.',
      inputSchema: runInput,
      outputSchema: {
        type: 'object',
        properties: {
          status: { type: 'string', enum: ['completed', 'failed', 'cancelled'] },
          steps: { type: 'array', items: stepSchema },
          log: { type: 'array', items: logLineSchema },
          files: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                path: string,
                executable: { type: 'boolean' },
                size: { type: 'integer' },
                text: { type: 'string', description: 'Contents, for text files up to 64 KiB' },
              },
              required: ['path', 'executable', 'size'],
            },
          },
          output: { type: 'object' },
          error: errorSchema,
          warnings: strings,
        },
        required: ['status', 'steps', 'log', 'files', 'output'],
      },
      permission: P.dryRun,
      alsoRequires: [P.taskCreate],
      // Its steps may read templates and skeletons from their hosts.
      hints: {
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: true,
      },
      destructive: false,
      async handler(input, ctx) {
        const d = ready();
        const ref = templateRefOf(input.templateRef);
        const template = await readableTemplate(d.catalog, ctx, ref);
        const result = await dryRun(
          d.dryRun,
          {
            template: template as unknown as JsonObject,
            values: input.values,
            secrets: input.secrets,
            directoryContents: [],
          },
          await d.service.userOf(ctx.identity.userEntityRef),
          ctx.signal,
          {
            source: { entityRef: ref, baseUrl: templateBaseUrl(template) },
            authorize: (permission, resource) => ctx.require(permission, resource),
          },
        );
        return {
          status: result.status ?? 'completed',
          steps: stepsOf(result.steps),
          log: result.log.map(({ body }) => body),
          files: result.directoryContents.map((file) => {
            const content = Buffer.from(file.base64Content, 'base64');
            return {
              path: file.path,
              executable: file.executable,
              size: content.length,
              ...(content.length <= MAX_TEXT_FILE && isText(content)
                ? { text: content.toString('utf8') }
                : {}),
            };
          }),
          output: result.output,
          ...(result.error ? { error: result.error } : {}),
          ...(result.warnings?.length ? { warnings: result.warnings.map((w) => w.message) } : {}),
        };
      },
    }),

    defineAction<RunInput, { taskId: string; templateRef: string; status: string }>({
      id: 'execute-template',
      title: 'Run a software template',
      description:
        'Starts a task that runs a template for real, as you: it may create repositories, register entities and call other systems. Answers the task id at once; follow the task with get-scaffolder-task-logs. Try dry-run-template first.',
      inputSchema: runInput,
      outputSchema: {
        type: 'object',
        properties: { taskId: string, templateRef: string, status: string },
        required: ['taskId', 'templateRef', 'status'],
      },
      permission: P.taskCreate,
      hints: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: true,
      },
      destructive: true,
      async handler(input, ctx) {
        const d = ready();
        const ref = templateRefOf(input.templateRef);
        await readableTemplate(d.catalog, ctx, ref);
        const { id } = await d.service.create({
          templateRef: ref,
          values: input.values,
          secrets: input.secrets,
          userRef: ctx.identity.userEntityRef,
        });
        ctx.audit({
          action: P.taskCreate.name,
          resourceRef: id,
          outcome: 'success',
          details: { templateRef: ref },
        });
        return { taskId: id, templateRef: ref, status: 'open' };
      },
    }),

    defineAction<{ taskId: string; after?: number; waitSeconds: number }, Record<string, unknown>>({
      id: 'get-scaffolder-task-logs',
      title: 'Read a template task and its log',
      description:
        "Returns a scaffolder task's status, steps and log events (after event id `after`, when given), and once it has ended its output or error. With waitSeconds it first waits, up to that long, for the task to end.",
      inputSchema: {
        type: 'object',
        properties: {
          taskId: { type: 'string', minLength: 1, maxLength: 64 },
          after: { type: 'integer', minimum: 0, description: 'Only events after this id' },
          waitSeconds: { type: 'integer', minimum: 0, maximum: MAX_WAIT_SECONDS, default: 0 },
        },
        required: ['taskId'],
        additionalProperties: false,
      },
      outputSchema: {
        type: 'object',
        properties: {
          taskId: string,
          status: {
            type: 'string',
            enum: ['open', 'processing', 'completed', 'failed', 'cancelled'],
          },
          templateRef: string,
          createdBy: string,
          createdAt: string,
          steps: { type: 'array', items: stepSchema },
          events: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                id: { type: 'integer' },
                type: string,
                stepId: string,
                status: string,
                message: string,
                createdAt: string,
              },
              required: ['id', 'type', 'message', 'createdAt'],
            },
          },
          lastEventId: { type: ['integer', 'null'] },
          output: { type: 'object' },
          error: errorSchema,
        },
        required: ['taskId', 'status', 'steps', 'events', 'lastEventId'],
      },
      permission: P.taskRead,
      hints: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      destructive: false,
      async handler(input, ctx) {
        const { store, hub } = ready();
        const notFound = () => new NotFoundError(`Task with id ${input.taskId} does not exist`);
        let task = await store.get(input.taskId);
        if (!task) throw notFound();
        const deadline = Date.now() + input.waitSeconds * 1000;
        while (!TERMINAL.includes(task.status) && Date.now() < deadline && !ctx.signal.aborted) {
          const seen = hub.version(input.taskId);
          await hub.wait(
            input.taskId,
            Math.min(REREAD_MS, deadline - Date.now()),
            ctx.signal,
            seen,
          );
          task = (await store.get(input.taskId)) ?? task;
        }
        const events: TaskEvent[] = await taskEventsAfter(store, input.taskId, input.after);
        const completion = events.find((e) => e.type === 'completion');
        const end = completion?.type === 'completion' ? completion.body : undefined;
        return {
          taskId: task.id,
          status: task.status,
          ...(task.spec.templateInfo?.entityRef
            ? { templateRef: task.spec.templateInfo.entityRef }
            : {}),
          ...(task.createdBy ? { createdBy: task.createdBy } : {}),
          createdAt: task.createdAt,
          steps: stepsOf(task.spec.steps),
          events: events.map((e) => {
            const body = e.body as { message?: string; stepId?: string; status?: string };
            return {
              id: e.id,
              type: e.type,
              ...(body.stepId ? { stepId: body.stepId } : {}),
              ...(body.status ? { status: body.status } : {}),
              message: body.message ?? '',
              createdAt: e.createdAt,
            };
          }),
          lastEventId: events.length ? Math.max(...events.map((e) => e.id)) : null,
          ...(end?.output ? { output: end.output } : {}),
          ...(end?.error ? { error: end.error } : {}),
        };
      },
    }),
  ];
  return actions.map((action) => extend(actionsRegistryExtensionPoint, action));
}
