import type { JsonObject } from '../../../../../model/entity.ts';
import { githubClient } from '../publish/github-client.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';
import { REPO_URL, TOKEN } from './inputs.ts';

interface PagesInput extends JsonObject {
  repoUrl: string;
  buildType?: 'legacy' | 'workflow';
  sourceBranch?: string;
  sourcePath?: '/' | '/docs';
  token?: string;
}

/** `github:pages:enable`: turns on GitHub Pages for a repository. */
export function createGithubPagesEnableAction(deps: ActionDeps): TemplateAction<PagesInput> {
  return {
    id: 'github:pages:enable',
    description: 'Enables GitHub Pages for a repository.',
    examples: [
      {
        description: 'Serve /docs of main with the Actions workflow build',
        example: `steps:
  - id: pages
    action: github:pages:enable
    input:
      repoUrl: github.com?owner=acme&repo=\${{ parameters.name }}
      buildType: workflow
      sourceBranch: main
      sourcePath: /docs
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['repoUrl'],
        properties: {
          repoUrl: REPO_URL,
          buildType: {
            title: 'Build type',
            type: 'string',
            enum: ['legacy', 'workflow'],
            default: 'workflow',
          },
          sourceBranch: { title: 'Source branch', type: 'string', default: 'main' },
          sourcePath: {
            title: 'Source path',
            type: 'string',
            enum: ['/', '/docs'],
            default: '/',
          },
          token: TOKEN,
        },
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      const gh = githubClient(deps.config, input.repoUrl, input.token, ctx.signal);
      const { owner, repo } = gh;
      const buildType = input.buildType ?? 'workflow';
      const branch = input.sourceBranch ?? 'main';
      const path = input.sourcePath ?? '/';
      ctx.logger.info(
        `Enabling GitHub Pages for ${owner}/${repo} with "${buildType}" build type, on source branch "${branch}" and source path "${path}"`,
      );
      try {
        await gh.octokit.request('POST /repos/{owner}/{repo}/pages', {
          owner,
          repo,
          build_type: buildType,
          source: { branch, path },
          headers: { 'X-GitHub-Api-Version': '2022-11-28' },
          request: gh.request,
        });
      } catch (error) {
        throw gh.error(error, `enabling GitHub Pages for ${owner}/${repo}`);
      }
      ctx.logger.info('Completed enabling GitHub Pages');
    },
  };
}
