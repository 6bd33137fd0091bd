import type { AtriumConfig } from '../../../../../core/config/index.ts';
import {
  type ReadFileResult,
  type ReadTreeOptions,
  type ReadTreeResult,
  readTree,
  readUrlFile,
  resolveTemplateUrl,
} from '../../../../../core/reading/tree.ts';
import type { ActionContext } from '../types.ts';

/** What the fetch actions need from the host: URL reading rules and SCM integrations. */
export interface FetchDeps {
  /** `scaffolder.limits` bounds the fetch:template actions' rendering when a task runs them. */
  config: Pick<AtriumConfig, 'backend' | 'integrations'> &
    Partial<Pick<AtriumConfig, 'scaffolder'>>;
}

async function readOptions(
  deps: FetchDeps,
  ctx: ActionContext,
  root: string | undefined,
  token: string | undefined,
): Promise<ReadTreeOptions> {
  return {
    allow: deps.config.backend.reading.allow,
    integrations: deps.config.integrations,
    token: token || undefined,
    signal: ctx.signal,
    root,
    // Scratch space of the task: removed with it even if this step is killed midway.
    tmpDir: await ctx.createTemporaryDirectory(),
  };
}

/**
 * Reads the folder an action's `url` input names: relative to the template's own location,
 * or an absolute http(s) URL of a git-hosted folder.
 */
export async function fetchTree(
  deps: FetchDeps,
  ctx: ActionContext,
  url: string,
  token?: string,
): Promise<ReadTreeResult> {
  const target = resolveTemplateUrl(url, ctx.templateInfo?.baseUrl, 'tree');
  return readTree(target.url, await readOptions(deps, ctx, target.root, token));
}

/** Reads the single file an action's `url` input names. */
export async function fetchFile(
  deps: FetchDeps,
  ctx: ActionContext,
  url: string,
  token?: string,
): Promise<ReadFileResult> {
  const target = resolveTemplateUrl(url, ctx.templateInfo?.baseUrl, 'blob');
  return readUrlFile(target.url, await readOptions(deps, ctx, target.root, token));
}
