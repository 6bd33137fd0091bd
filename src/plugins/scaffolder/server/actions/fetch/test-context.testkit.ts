import type { AtriumConfig } from '../../../../../core/config/index.ts';
import type { JsonObject } from '../../../../../model/entity.ts';
import { loadTestConfig, makeTestContext, runAction, type TestActionContext } from '../testkit.ts';
import type { ActionContribution, TemplateAction, TemplateInfo } from '../types.ts';

export interface MakeActionContextOptions {
  input: JsonObject;
  /** An existing folder to use as the workspace; default: a fresh temp folder. */
  workspacePath?: string;
  templateInfo?: TemplateInfo;
  isDryRun?: boolean;
  secrets?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * A hand-built ActionContext on a real workspace, with what the action outputs and logs
 * captured. A thin layer over actions/testkit.ts (shared by all action tests), under the
 * name and option shape the fetch tests use. (Tests only.)
 */
export function makeActionContext(options: MakeActionContextOptions): TestActionContext {
  return makeTestContext(options.input, {
    workspace: options.workspacePath,
    templateInfo: options.templateInfo,
    isDryRun: options.isDryRun,
    secrets: options.secrets,
    signal: options.signal,
  });
}

/** The TemplateAction a contribution stands for, built with a real config from `sections`. */
export async function buildAction(
  contribution: ActionContribution,
  sections: Record<string, unknown> = {},
): Promise<{ action: TemplateAction; config: AtriumConfig }> {
  const config = await loadTestConfig(sections);
  const action =
    typeof contribution === 'function'
      ? // Fetch actions read only config; no other service is built for them.
        contribution({ config } as Parameters<typeof contribution>[0])
      : contribution;
  return { action, config };
}

export { runAction, type TestActionContext };
