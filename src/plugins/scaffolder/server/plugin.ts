import { setMaxListeners } from 'node:events';
import {
  createExtensionPoint,
  createServiceRef,
  definePlugin,
  extend,
  type Identity,
  type PluginDefinition,
} from '../../../core/plugin-api.ts';
import { catalogServiceRef } from '../../catalog/server/plugin.ts';
import { builtinActions } from './actions/builtin.ts';
import { ActionRegistry } from './actions/registry.ts';
import type { ActionContribution } from './actions/types.ts';
import type { DryRunDeps } from './dry-run/dry-run.ts';
import { scaffolderActions } from './actions.ts';
import { registerScaffolderRoutes } from './routes/index.ts';
import type { RouteDeps } from './routes/shared.ts';
import { EventHub } from './tasks/event-hub.ts';
import { scaffolderMigrations } from './tasks/migrations.ts';
import { TaskRunner } from './tasks/runner.ts';
import { ACTION_EXECUTE } from './tasks/execute.ts';
import { scaffolderActionResourceType } from './permissions.ts';
import { permissionDenied } from '../../../core/errors.ts';
import { portalRequesterRef } from '../../../core/host-services.ts';
import { GUEST_IDENTITY } from '../../../core/permissions/guest.ts';
import { SecretBox } from './tasks/secret-box.ts';
import { TaskService } from './tasks/task-service.ts';
import { TaskStore } from './tasks/task-store.ts';
import { createTemplateRenderer, type TemplateRenderer } from './templating/renderer.ts';

/** Template actions: built-ins and any plugin's own (`extend(scaffolderActionsExtensionPoint, …)`). */
export const scaffolderActionsExtensionPoint =
  createExtensionPoint<ActionContribution>('scaffolder.actions');

export interface ScaffolderApi {
  registry: ActionRegistry;
  /** `${{ }}` rendering in worker threads, under `scaffolder.limits.*`. */
  templater: TemplateRenderer;
  store: TaskStore;
  tasks: TaskService;
  runner: TaskRunner | undefined;
  dryRun: DryRunDeps;
}
/** The scaffolder's services, for other plugins and the CLI. */
export const scaffolderServiceRef = createServiceRef<ScaffolderApi>('scaffolder');

export interface ScaffolderPluginOptions {
  /** Run queued tasks in this process (default true; false for an API-only replica). */
  runTasks?: boolean;
  /** Runner timings; tests shorten them. */
  heartbeatMs?: number;
  staleAfterMs?: number;
  pollMs?: number;
}

/** Software templates: actions, the task queue and runner, and `/api/scaffolder`. */
/** Backstage's; Atrium shows every step of a template it may read. Declared for policies. */
const TEMPLATE_STEP_READ = {
  name: 'scaffolder.template.step.read',
  attributes: { action: 'read' as const },
  resourceType: 'scaffolder-template',
};

export function scaffolderPlugin(options: ScaffolderPluginOptions = {}): PluginDefinition {
  let actionDeps: RouteDeps | undefined;
  return definePlugin({
    id: 'scaffolder',
    migrations: scaffolderMigrations,
    dependsOn: ['catalog'],
    extensionPoints: [scaffolderActionsExtensionPoint],
    extensions: [
      ...builtinActions.map((action) => extend(scaffolderActionsExtensionPoint, action)),
      ...scaffolderActions(() => actionDeps),
    ],
    async setup(env) {
      const { config, logger, database } = env;
      const catalog = env.use(catalogServiceRef);
      const registry = new ActionRegistry(env.extensions(scaffolderActionsExtensionPoint), {
        config,
        catalog,
      });
      const settings = config.scaffolder;
      const templater = createTemplateRenderer({
        integrations: config.integrations,
        limits: settings.limits,
      });
      // Registered first, so it runs last: after the runner has stopped its tasks.
      env.onStop(() => templater.close());
      const portal = env.use(portalRequesterRef);
      // The task acts for its creator, with the creator's current roles; the creator's token
      // limits (read-only scope) were checked when the task was created.
      const creatorIdentity = async (userRef: string | null): Promise<Identity> => {
        const user = userRef ?? GUEST_IDENTITY.userEntityRef;
        return {
          userEntityRef: user,
          ownershipEntityRefs: await catalog.users.ownershipRefs(user),
          isGuest: user === GUEST_IDENTITY.userEntityRef,
          credential: 'service',
        };
      };
      const store = new TaskStore(database, await SecretBox.open(database));
      const hub = new EventHub();
      const runner =
        options.runTasks === false
          ? undefined
          : new TaskRunner({
              store,
              registry,
              templater,
              hub,
              logger,
              workspaceRoot: settings.workspaceDir,
              concurrency: settings.concurrency,
              environment: settings.defaultEnvironment,
              heartbeatMs: options.heartbeatMs,
              staleAfterMs: options.staleAfterMs,
              pollMs: options.pollMs,
              authorizeAs: (userRef) => async (permission, resource) => {
                const identity = await creatorIdentity(userRef);
                const decision = await env.authorize(identity, permission, resource);
                if (decision.result !== 'ALLOW') {
                  throw permissionDenied(
                    permission.name,
                    decision.result === 'DENY'
                      ? decision.reason
                      : {
                          message: 'the policy allows it only under conditions a task cannot meet',
                        },
                  );
                }
              },
              portalRequestAs: (userRef) => async (request) =>
                portal.request(await creatorIdentity(userRef), request),
            });
      env.permissions([ACTION_EXECUTE, TEMPLATE_STEP_READ]);
      env.resourceType(scaffolderActionResourceType());
      const tasks = new TaskService({ store, runner, registry, templater, catalog, hub });
      const dryRun: DryRunDeps = {
        registry,
        templater,
        workspaceRoot: settings.workspaceDir,
        environment: settings.defaultEnvironment,
        check: (template, values, secrets) => tasks.check(template, values, secrets),
      };
      const shutdown = new AbortController();
      // One listener per open event stream: many are expected.
      setMaxListeners(0, shutdown.signal);
      actionDeps = {
        store,
        service: tasks,
        registry,
        catalog,
        hub,
        dryRun,
        shutdown: shutdown.signal,
      };
      registerScaffolderRoutes(env, actionDeps);
      env.provide(scaffolderServiceRef, { registry, templater, store, tasks, runner, dryRun });
      // Stop hooks run last-registered first: the runner records its interrupted tasks
      // (which open streams still deliver), then the streams end.
      env.onStop(() => shutdown.abort());
      // The first render would otherwise wait for a worker to load (a few hundred ms).
      env.onStart(() => templater.warm());
      if (runner) {
        env.onStart(() => runner.start());
        env.onStop(() => runner.stop());
      }
    },
  });
}
