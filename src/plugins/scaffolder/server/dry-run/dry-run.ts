import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Permission, ResourceTarget } from '../../../../core/plugin-api.ts';
import type { Entity, JsonObject } from '../../../../model/entity.ts';
import type {
  DryRunRequest,
  DryRunResponse,
  LogEventBody,
  ValidationError,
} from '../../common/api-types.ts';
import { walkDirectory } from '../actions/fs/walk.ts';
import type { ActionRegistry } from '../actions/registry.ts';
import { resolveSafeChildPath } from '../actions/workspace-paths.ts';
import { executeSpec, type Templater } from '../tasks/execute.ts';
import { assertTemplate, buildTaskSpec } from '../templates.ts';

export interface DryRunDeps {
  registry: ActionRegistry;
  templater: Templater;
  /** Temp folders go here (`dry-run-*`), removed before the answer is sent. */
  workspaceRoot: string;
  environment: { parameters: JsonObject; secrets: Record<string, string> };
  /**
   * Throws the 400 `{errors}` of POST /v2/tasks for a request that cannot run; answers the
   * warnings of one that runs as Backstage would run it.
   */
  check(
    template: Entity,
    values: JsonObject,
    secrets: Record<string, string>,
  ): Promise<ValidationError[]>;
}

/** Longest a dry run may take; actions that wait are skipped anyway (no dry-run support). */
const DRY_RUN_TIMEOUT_MS = 5 * 60_000;

/**
 * Runs a pasted template without storing anything: its files (`directoryContents`) become the
 * template folder, steps run in a throw-away workspace with `isDryRun` (actions without
 * dry-run support are skipped and their outputs made up from their schema), and the answer
 * carries the log, the workspace's files and the output.
 */
export async function dryRun(
  deps: DryRunDeps,
  request: DryRunRequest,
  user: { ref: string; entity?: Entity },
  signal?: AbortSignal,
  options: {
    /**
     * A template from the catalog (the `dry-run-template` action): its ref, and where its
     * relative URLs resolve (its own folder) instead of the pasted `directoryContents`.
     */
    source?: { entityRef: string; baseUrl?: string };
    /**
     * The caller's permission check. A dry run runs actions as its caller, as a task runs them
     * as its creator: the policy on actions and what `catalog:fetch` may read apply alike.
     */
    authorize?: (permission: Permission, resource?: string | ResourceTarget) => Promise<void>;
  } = {},
): Promise<DryRunResponse> {
  const { source, authorize } = options;
  assertTemplate(request.template, 'Input template');
  const template = request.template as unknown as Entity;
  const secrets = request.secrets ?? {};
  const warnings = await deps.check(template, request.values, secrets);

  await mkdir(deps.workspaceRoot, { recursive: true });
  const root = await mkdtemp(join(deps.workspaceRoot, 'dry-run-'));
  try {
    const templateDir = join(root, 'template');
    const workspacePath = join(root, 'workspace');
    await mkdir(templateDir, { recursive: true });
    await mkdir(workspacePath, { recursive: true });
    for (const [i, file] of (request.directoryContents ?? []).entries()) {
      const target = resolveSafeChildPath(templateDir, file.path, `directoryContents[${i}].path`);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, Buffer.from(file.base64Content, 'base64'));
    }
    const spec = buildTaskSpec({
      template,
      values: request.values,
      user,
      entityRef: source?.entityRef ?? 'template:default/dry-run',
      baseUrl: source?.baseUrl ?? pathToFileURL(join(templateDir, 'template.yaml')).href,
    });
    const log: Array<{ body: LogEventBody }> = warnings.map((w) => ({
      body: { message: `Warning: ${w.message}` },
    }));
    const timeout = AbortSignal.timeout(DRY_RUN_TIMEOUT_MS);
    const result = await executeSpec({
      taskId: randomUUID(),
      spec,
      secrets,
      environment: deps.environment,
      registry: deps.registry,
      templater: deps.templater,
      workspacePath,
      createTemporaryDirectory: async () => {
        await mkdir(join(root, 'tmp'), { recursive: true });
        return mkdtemp(join(root, 'tmp', 'scratch-'));
      },
      isDryRun: true,
      ...(authorize ? { authorize } : {}),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      emit: async (type, body) => {
        if (type === 'log') log.push({ body: body as unknown as LogEventBody });
      },
    });
    return {
      log,
      directoryContents: await readWorkspace(workspacePath),
      output: result.output ?? {},
      steps: spec.steps,
      status: result.status,
      ...(warnings.length ? { warnings } : {}),
      ...(result.error ? { error: result.error } : {}),
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Every regular file of a workspace, paths relative with `/`; symlinks are not followed. */
export async function readWorkspace(
  dir: string,
): Promise<Array<{ path: string; executable: boolean; base64Content: string }>> {
  const out: Array<{ path: string; executable: boolean; base64Content: string }> = [];
  for (const entry of await walkDirectory(dir, { recursive: true })) {
    if (!entry.dirent.isFile()) continue;
    const info = await stat(entry.fullPath);
    out.push({
      path: relative(dir, entry.fullPath).split(sep).join('/'),
      executable: (info.mode & 0o111) !== 0,
      base64Content: (await readFile(entry.fullPath)).toString('base64'),
    });
  }
  return out;
}
