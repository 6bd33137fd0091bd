import type { JsonObject } from '../../../../../model/entity.ts';
import { githubClient } from '../publish/github-client.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';
import { REPO_URL, TOKEN } from './inputs.ts';

interface WebhookInput extends JsonObject {
  repoUrl: string;
  webhookUrl: string;
  webhookSecret?: string;
  events?: string[];
  active?: boolean;
  contentType?: 'form' | 'json';
  insecureSsl?: boolean;
  token?: string;
}

/** `github:webhook`: a repository webhook, as Backstage's action creates it. */
export function createGithubWebhookAction(deps: ActionDeps): TemplateAction<WebhookInput> {
  return {
    id: 'github:webhook',
    description: 'Creates a webhook for a repository on GitHub.',
    examples: [
      {
        description: 'Send push and pull request events to a CI server',
        example: `steps:
  - id: webhook
    action: github:webhook
    input:
      repoUrl: github.com?owner=acme&repo=\${{ parameters.name }}
      webhookUrl: https://ci.acme.test/hooks/github
      webhookSecret: \${{ secrets.webhookSecret }}
      events: [push, pull_request]
      contentType: json
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['repoUrl', 'webhookUrl'],
        properties: {
          repoUrl: REPO_URL,
          webhookUrl: {
            title: 'Webhook URL',
            description: 'Where the payloads are delivered',
            type: 'string',
            format: 'uri',
          },
          webhookSecret: { title: 'Webhook secret', type: 'string' },
          events: {
            title: 'Triggering events',
            description: 'GitHub webhook event names, or ["*"] for all (default [push])',
            type: 'array',
            items: { type: 'string', pattern: '^(\\*|[a-z][a-z_]*)$' },
            default: ['push'],
          },
          active: { title: 'Active', type: 'boolean', default: true },
          contentType: {
            title: 'Content type',
            type: 'string',
            enum: ['form', 'json'],
            default: 'form',
          },
          insecureSsl: {
            title: 'Skip TLS verification of deliveries',
            type: 'boolean',
            default: false,
          },
          token: TOKEN,
        },
      },
    },
    supportsDryRun: true,
    async handler(ctx) {
      const { input } = ctx;
      const gh = githubClient(deps.config, input.repoUrl, input.token, ctx.signal);
      const { owner, repo } = gh;
      ctx.logger.info(`Creating webhook ${input.webhookUrl} for ${owner}/${repo}`);
      if (ctx.isDryRun) {
        ctx.logger.info('Dry run complete');
        return;
      }
      try {
        await gh.octokit.rest.repos.createWebhook({
          owner,
          repo,
          config: {
            url: input.webhookUrl,
            content_type: input.contentType ?? 'form',
            secret: input.webhookSecret,
            insecure_ssl: input.insecureSsl ? '1' : '0',
          },
          events: input.events ?? ['push'],
          active: input.active ?? true,
          request: gh.request,
        });
      } catch (error) {
        const failure = gh.error(error, `creating webhook ${input.webhookUrl} on ${owner}/${repo}`);
        // A re-run finds its hook in place: as in Backstage, that is a warning.
        if (failure.name === 'ConflictError') {
          ctx.logger.warn(failure.message);
          return;
        }
        throw failure;
      }
      ctx.logger.info(`Webhook '${input.webhookUrl}' created successfully`);
    },
  };
}
