import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { type AtriumConfig, loadConfig } from '../../../../core/config/index.ts';
import { InputError } from '../../../../core/errors.ts';
import type { JsonObject, JsonValue } from '../../../../model/entity.ts';
import { createSchemaAjv } from '../validation/json-schema.ts';
import type { ActionContext, TemplateAction, TemplateInfo } from './types.ts';

/**
 * A hand-built ActionContext for testing one action on a real temporary workspace: what the
 * action logged and output is kept for assertions. (Tests only.)
 */
export interface TestActionContext {
  ctx: ActionContext;
  workspace: string;
  /** Where createTemporaryDirectory() makes its folders. */
  scratch: string;
  logs: Array<{ level: string; message: string }>;
  outputs: Record<string, JsonValue>;
  /** Every log line joined, for "never appears in the log" assertions. */
  logText(): string;
  cleanup(): void;
}

export function makeTestContext(
  input: JsonObject,
  options: {
    workspace?: string;
    templateInfo?: TemplateInfo;
    signal?: AbortSignal;
    isDryRun?: boolean;
    secrets?: Record<string, string>;
  } = {},
): TestActionContext {
  const workspace = options.workspace ?? mkdtempSync(join(tmpdir(), 'atrium-action-ws-'));
  const scratch = mkdtempSync(join(tmpdir(), 'atrium-action-tmp-'));
  const logs: Array<{ level: string; message: string }> = [];
  const outputs: Record<string, JsonValue> = {};
  const log = (level: string) => (message: string) => {
    logs.push({ level, message });
  };
  const ctx: ActionContext = {
    input,
    workspacePath: workspace,
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    output(name, value) {
      outputs[name] = value;
    },
    createTemporaryDirectory: () => mkdtemp(join(scratch, 'tmp-')),
    templateInfo: options.templateInfo,
    secrets: options.secrets ?? {},
    isDryRun: options.isDryRun ?? false,
    signal: options.signal ?? new AbortController().signal,
    task: { id: 'test-task' },
    step: { id: 'test-step', name: 'Test step' },
  };
  return {
    ctx,
    workspace,
    scratch,
    logs,
    outputs,
    logText: () => logs.map((l) => `${l.level}: ${l.message}`).join('\n'),
    cleanup() {
      rmSync(scratch, { recursive: true, force: true });
      if (!options.workspace) rmSync(workspace, { recursive: true, force: true });
    },
  };
}

/** Runs an action as the runner does: its input is first validated against its schema. */
export async function runAction(action: TemplateAction, test: TestActionContext): Promise<void> {
  const validate = createSchemaAjv().compile(action.schema.input);
  if (!validate(test.ctx.input)) {
    throw new InputError(
      `Invalid input passed to action ${action.id}, ${JSON.stringify(validate.errors)}`,
    );
  }
  await action.handler(test.ctx);
}

/** A real AtriumConfig (defaults filled by the real loader) from the given config sections. */
export async function loadTestConfig(
  sections: Record<string, unknown> = {},
): Promise<AtriumConfig> {
  const dir = mkdtempSync(join(tmpdir(), 'atrium-action-config-'));
  try {
    const file = join(dir, 'app-config.yaml');
    // Tests publish into temporary folders; production defaults to ./data/repos.
    const scaffolder = { localRepositoryRoots: [tmpdir()], ...(sections.scaffolder as object) };
    writeFileSync(file, stringify({ ...sections, scaffolder }));
    const { config } = await loadConfig({ configPaths: [file], cwd: dir, env: {} });
    return config;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
