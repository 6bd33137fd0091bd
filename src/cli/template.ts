import { existsSync, readdirSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import cliProgress from 'cli-progress';
import { parseAllDocuments, stringify } from 'yaml';
import { createApp } from '../core/app.ts';
import { loadConfig } from '../core/config/index.ts';
import { createLogger } from '../core/logger.ts';
import { ANNOTATION_MANAGED_BY_LOCATION, type Entity, type JsonObject } from '../model/entity.ts';
import { catalogPlugin } from '../plugins/catalog/server/plugin.ts';
import type { LogEventBody } from '../plugins/scaffolder/common/api-types.ts';
import { scaffolderPlugin, scaffolderServiceRef } from '../plugins/scaffolder/server/plugin.ts';
import { executeSpec } from '../plugins/scaffolder/server/tasks/execute.ts';
import { ValidationFailed } from '../plugins/scaffolder/server/tasks/task-service.ts';
import {
  assertTemplate,
  buildTaskSpec,
  templateBaseUrl,
} from '../plugins/scaffolder/server/templates.ts';
import type { TemplateRenderer } from '../plugins/scaffolder/server/templating/renderer.ts';
import { createSchemaAjv } from '../plugins/scaffolder/server/validation/json-schema.ts';
import { parameterPages } from '../plugins/scaffolder/server/validation/task-request.ts';

export interface TemplateRunOptions {
  values?: string;
  secrets?: string;
  dryRun?: boolean;
  out?: string;
  config?: string[];
}

class CliError extends Error {}

/** The one Template document of a YAML file (others, e.g. a Location, are ignored). */
async function readTemplate(file: string): Promise<Entity> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`${file}: ${(error as Error).message}`);
  }
  const docs = parseAllDocuments(text);
  const templates: Entity[] = [];
  for (const doc of docs) {
    if (doc.errors.length) {
      const e = doc.errors[0]!;
      throw new CliError(`${file}:${e.linePos?.[0]?.line ?? '?'}: ${e.message}`);
    }
    const value = doc.toJS() as Entity | null;
    if (value && value.kind?.toLowerCase() === 'template') templates.push(value);
  }
  if (templates.length !== 1) {
    throw new CliError(`${file}: expected one kind: Template document, found ${templates.length}`);
  }
  const template = templates[0]!;
  try {
    assertTemplate(template, file);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  template.metadata.namespace ??= 'default';
  template.metadata.annotations = {
    ...template.metadata.annotations,
    [ANNOTATION_MANAGED_BY_LOCATION]: `file:${file}`,
  };
  return template;
}

async function readYamlObject(file: string, what: string): Promise<JsonObject> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`${what} ${file}: ${(error as Error).message}`);
  }
  const doc = parseAllDocuments(text)[0];
  if (!doc) return {};
  if (doc.errors.length) throw new CliError(`${what} ${file}: ${doc.errors[0]!.message}`);
  const value = doc.toJS() as unknown;
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new CliError(`${what} ${file}: expected a mapping of names to values`);
  }
  return value as JsonObject;
}

/**
 * Fills JSON-schema `default`s of the parameter pages into the values, as the form does
 * before it submits (the server itself never fills defaults).
 */
async function applyDefaults(
  template: Entity,
  values: JsonObject,
  templater: Pick<TemplateRenderer, 'isTruthy'>,
): Promise<JsonObject> {
  const ajv = createSchemaAjv({ useDefaults: true });
  const filled = structuredClone(values);
  for (const [index, page] of parameterPages(template).entries()) {
    const { if: visibility, ...rest } = page;
    const conditional = typeof visibility === 'string' || typeof visibility === 'boolean';
    // A page the form would hide contributes no defaults.
    if (
      conditional &&
      !(await templater.isTruthy(
        visibility,
        { parameters: filled },
        { path: `spec.parameters[${index}].if` },
      ))
    ) {
      continue;
    }
    const schema = conditional ? rest : page;
    try {
      ajv.compile(schema)(filled);
    } catch {
      // A broken page schema is reported by the checks that follow.
    }
  }
  return filled;
}

/** Step progress: a bar on a terminal, one line per step elsewhere. */
function stepProgress(total: number) {
  if (!process.stderr.isTTY) {
    return {
      step(_done: number, index: number, name: string, status: string) {
        process.stderr.write(`[${index}/${total}] ${name}: ${status}\n`);
      },
      log(line: string) {
        process.stdout.write(`${line}\n`);
      },
      stop() {},
    };
  }
  const multi = new cliProgress.MultiBar(
    {
      format: 'Steps {bar} {value}/{total} | {name}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = multi.create(total, 0, { name: 'starting' });
  return {
    step(done: number, _index: number, name: string, status: string) {
      bar.update(done, { name: `${name} (${status})` });
    },
    log(line: string) {
      multi.log(`${line}\n`);
    },
    stop() {
      multi.stop();
    },
  };
}

/**
 * `atrium template run`: runs a template on this machine without a server. The steps run
 * with the server's code (same actions, same checks, same step engine); the catalog they see
 * is a temporary one loaded from the config's catalog locations and thrown away afterwards,
 * so `catalog:fetch` finds the configured entities and `catalog:register` only registers into
 * that throw-away catalog. `--dry-run` skips actions that have effects outside the workspace.
 */
export async function templateRunCommand(
  file: string,
  options: TemplateRunOptions,
): Promise<number> {
  const scratch = await mkdtemp(join(tmpdir(), 'atrium-template-run-'));
  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  try {
    const templateFile = resolve(file);
    const template = await readTemplate(templateFile);
    const rawValues = options.values ? await readYamlObject(resolve(options.values), 'values') : {};
    const rawSecrets = options.secrets
      ? await readYamlObject(resolve(options.secrets), 'secrets')
      : {};
    const secrets: Record<string, string> = {};
    for (const [name, value] of Object.entries(rawSecrets)) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        throw new CliError(`secrets ${options.secrets}: ${name} must be a string`);
      }
      secrets[name] = String(value);
    }
    const out = options.out ? resolve(options.out) : undefined;
    if (out && existsSync(out) && readdirSync(out).length > 0) {
      throw new CliError(`--out ${options.out}: the directory is not empty`);
    }

    const { config, warnings } = await loadConfig({
      configPaths: options.config,
      cwd: process.cwd(),
      env: process.env,
    });
    for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
    config.backend.database = {
      client: 'better-sqlite3',
      filename: join(scratch, 'catalog.sqlite'),
      baseDir: scratch,
    };
    config.backend.listen = { host: '127.0.0.1', port: 0 };
    config.catalog.refresh.intervalMs = null;
    config.scaffolder.workspaceDir = join(scratch, 'workspaces');
    // The run's catalog is temporary and this user's own: what publish:git may write locally
    // may be registered in it.
    config.catalog.locationRoots = [
      ...config.catalog.locationRoots,
      ...config.scaffolder.localRepositoryRoots,
    ];
    app = await createApp({
      config,
      plugins: [catalogPlugin(), scaffolderPlugin({ runTasks: false })],
      cwd: process.cwd(),
      logger: createLogger({ level: 'warn' }),
    });
    process.stderr.write('Loading the catalog of the config into a temporary catalog…\n');
    await app.start();
    const scaffolder = app.use(scaffolderServiceRef);

    const values = await applyDefaults(template, rawValues, scaffolder.templater);
    try {
      await scaffolder.tasks.check(template, values, secrets);
    } catch (error) {
      if (!(error instanceof ValidationFailed)) throw error;
      for (const e of error.errors) {
        const where = e.field && !e.message.startsWith(e.field) ? `${e.field}: ` : '';
        process.stderr.write(`${file}: ${where}${e.message}\n`);
      }
      return 1;
    }
    const spec = buildTaskSpec({
      template,
      values,
      user: await scaffolder.tasks.userOf('user:default/guest'),
      baseUrl: templateBaseUrl(template),
    });
    if (!options.dryRun && spec.steps.some((s) => s.action === 'catalog:register')) {
      process.stderr.write(
        'Note: catalog:register registers into the temporary catalog of this run, which is discarded; run the template on a server to register for real.\n',
      );
    }

    const workspacePath = join(scratch, 'workspace');
    await mkdir(workspacePath, { recursive: true });
    const progress = stepProgress(spec.steps.length);
    const names = new Map(spec.steps.map((s, i) => [s.id, { name: s.name, index: i + 1 }]));
    const controller = new AbortController();
    const onSigint = () => controller.abort('cancel');
    process.once('SIGINT', onSigint);
    const started = Date.now();
    let result: Awaited<ReturnType<typeof executeSpec>>;
    try {
      result = await executeSpec({
        taskId: randomUUID(),
        spec,
        secrets,
        environment: config.scaffolder.defaultEnvironment,
        registry: scaffolder.registry,
        templater: scaffolder.templater,
        workspacePath,
        createTemporaryDirectory: () => mkdtemp(join(scratch, 'tmp-')),
        isDryRun: Boolean(options.dryRun),
        signal: controller.signal,
        emit: async (type, raw) => {
          const body = raw as unknown as LogEventBody;
          if (type !== 'log') return;
          const step = body.stepId ? names.get(body.stepId) : undefined;
          if (step && body.status) {
            const done = body.status === 'processing' ? step.index - 1 : step.index;
            progress.step(done, step.index, step.name, body.status);
          }
          const prefix = body.stepId ? `[${body.stepId}] ` : '';
          for (const line of body.message.split('\n')) progress.log(`${prefix}${line}`);
        },
      });
    } finally {
      process.off('SIGINT', onSigint);
      progress.stop();
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(2);
    if (out) {
      await mkdir(out, { recursive: true });
      await cp(workspacePath, out, { recursive: true, verbatimSymlinks: true });
    }
    if (result.status === 'completed') {
      process.stdout.write(
        `\n${options.dryRun ? 'Dry run' : 'Run'} completed in ${seconds} s${out ? `; files written to ${out}` : ''}\n`,
      );
      if (result.output && Object.keys(result.output).length) {
        process.stdout.write(`Output:\n${stringify(result.output)}`);
      }
      return 0;
    }
    process.stderr.write(
      `\nRun ${result.status}${result.stepId ? ` at step ${result.stepId}` : ''}: ${result.error?.message ?? ''}\n`,
    );
    return 1;
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`atrium: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await app?.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}
