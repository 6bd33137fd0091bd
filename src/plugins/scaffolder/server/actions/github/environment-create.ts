import { NotAllowedError } from '../../../../../core/errors.ts';
import type { Permission } from '../../../../../core/plugin-api.ts';
import type { JsonObject } from '../../../../../model/entity.ts';
import { parseEntityRef, stringifyEntityRef } from '../../../../../model/ref.ts';
import { type GithubRepoClient, githubClient } from '../publish/github-client.ts';
import type { ActionContext, ActionDeps, TemplateAction } from '../types.ts';
import { REPO_URL, TOKEN } from './inputs.ts';
import { sealSecret } from './sealed-secret.ts';

interface EnvironmentInput extends JsonObject {
  repoUrl: string;
  name: string;
  deploymentBranchPolicy?: { protected_branches: boolean; custom_branch_policies: boolean };
  customBranchPolicyNames?: string[];
  customTagPolicyNames?: string[];
  environmentVariables?: Record<string, string>;
  secrets?: Record<string, string>;
  token?: string;
  waitTimer?: number;
  preventSelfReview?: boolean;
  reviewers?: string[];
}

const ENTITY_READ: Permission = {
  name: 'catalog.entity.read',
  attributes: { action: 'read' },
  resourceType: 'catalog-entity',
};

/**
 * `github:environment:create`: a deployment environment with its branch and tag policies,
 * variables, secrets (sealed to the environment's public key) and reviewers (catalog users and
 * groups, looked up as GitHub users and teams of the owner).
 */
export function createGithubEnvironmentAction(deps: ActionDeps): TemplateAction<EnvironmentInput> {
  return {
    id: 'github:environment:create',
    description: 'Creates a deployment environment of a GitHub repository.',
    examples: [
      {
        description: 'A production environment deployable from main, with a secret',
        example: `steps:
  - id: env
    action: github:environment:create
    input:
      repoUrl: github.com?owner=acme&repo=\${{ parameters.name }}
      name: production
      deploymentBranchPolicy: { protected_branches: false, custom_branch_policies: true }
      customBranchPolicyNames: [main]
      environmentVariables: { REGION: eu-west-1 }
      secrets: { DEPLOY_KEY: \${{ secrets.deployKey }} }
      reviewers: [group:default/platform]
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['repoUrl', 'name'],
        properties: {
          repoUrl: REPO_URL,
          name: { title: 'Environment name', type: 'string', minLength: 1 },
          deploymentBranchPolicy: {
            title: 'Deployment branch policy',
            description:
              'protected_branches or custom_branch_policies (exactly one true); absent: every branch may deploy',
            type: 'object',
            required: ['protected_branches', 'custom_branch_policies'],
            additionalProperties: false,
            properties: {
              protected_branches: { type: 'boolean' },
              custom_branch_policies: { type: 'boolean' },
            },
          },
          customBranchPolicyNames: {
            title: 'Branch name patterns that may deploy',
            type: 'array',
            items: { type: 'string' },
          },
          customTagPolicyNames: {
            title: 'Tag name patterns that may deploy',
            type: 'array',
            items: { type: 'string' },
          },
          environmentVariables: {
            title: 'Environment variables',
            type: 'object',
            additionalProperties: { type: 'string' },
          },
          secrets: {
            title: 'Environment secrets',
            type: 'object',
            additionalProperties: { type: 'string' },
          },
          token: TOKEN,
          waitTimer: {
            title: 'Wait timer (minutes before a deployment proceeds)',
            type: 'integer',
            minimum: 0,
            maximum: 43200,
          },
          preventSelfReview: { title: 'Prevent self-review', type: 'boolean' },
          reviewers: {
            title: 'Reviewers',
            description: 'Entity refs of catalog users and groups (GitHub users and teams)',
            type: 'array',
            items: { type: 'string' },
          },
        },
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      const gh = githubClient(deps.config, input.repoUrl, input.token, ctx.signal);
      const { octokit, owner, repo, request } = gh;
      const full = `${owner}/${repo}`;
      const call = async <T>(doing: string, fn: () => Promise<T>): Promise<T> => {
        try {
          return await fn();
        } catch (error) {
          throw gh.error(error, doing);
        }
      };
      // First, so a wrong repository fails with its own 404 before anything is created.
      await call(`reading repository ${full}`, () =>
        octokit.rest.repos.get({ owner, repo, request }),
      );
      const reviewers = await githubReviewers(ctx, gh, input.reviewers ?? []);
      await call(`creating environment ${input.name} of ${full}`, () =>
        octokit.rest.repos.createOrUpdateEnvironment({
          owner,
          repo,
          environment_name: input.name,
          deployment_branch_policy: input.deploymentBranchPolicy,
          wait_timer: input.waitTimer,
          prevent_self_review: input.preventSelfReview,
          reviewers: reviewers.length ? reviewers : undefined,
          request,
        }),
      );
      ctx.logger.info(`Created environment ${input.name} of ${full}`);
      const policies = [
        ...(input.customBranchPolicyNames ?? []).map((name) => ({ name, type: 'branch' as const })),
        ...(input.customTagPolicyNames ?? []).map((name) => ({ name, type: 'tag' as const })),
      ];
      for (const policy of policies) {
        await call(`adding the ${policy.type} policy ${policy.name} to ${input.name}`, () =>
          octokit.rest.repos.createDeploymentBranchPolicy({
            owner,
            repo,
            environment_name: input.name,
            ...policy,
            request,
          }),
        );
      }
      for (const [name, value] of Object.entries(input.environmentVariables ?? {})) {
        await call(`creating variable ${name} of ${input.name}`, () =>
          octokit.rest.actions.createEnvironmentVariable({
            owner,
            repo,
            environment_name: input.name,
            name,
            value,
            request,
          }),
        );
      }
      const secrets = Object.entries(input.secrets ?? {});
      if (secrets.length) {
        const key = await call(`reading the public key of ${input.name}`, () =>
          octokit.rest.actions.getEnvironmentPublicKey({
            owner,
            repo,
            environment_name: input.name,
            request,
          }),
        );
        for (const [name, value] of secrets) {
          const encrypted = await sealSecret(key.data.key, value);
          await call(`creating secret ${name} of ${input.name}`, () =>
            octokit.rest.actions.createOrUpdateEnvironmentSecret({
              owner,
              repo,
              environment_name: input.name,
              secret_name: name,
              encrypted_value: encrypted,
              key_id: key.data.key_id,
              request,
            }),
          );
        }
      }
    },
  };

  /**
   * GitHub ids of the reviewers: each ref must name a catalog User or Group the task's
   * creator may read (as Backstage resolves them through the catalog); one that is missing, or
   * unknown to GitHub, is left out with an error in the log, as in Backstage.
   */
  async function githubReviewers(
    ctx: ActionContext,
    gh: GithubRepoClient,
    refs: string[],
  ): Promise<Array<{ type: 'User' | 'Team'; id: number }>> {
    const out: Array<{ type: 'User' | 'Team'; id: number }> = [];
    for (const ref of refs) {
      let canonical: string;
      try {
        canonical = stringifyEntityRef(parseEntityRef(ref));
      } catch (error) {
        ctx.logger.error(`Reviewer ${ref} is not an entity ref: ${(error as Error).message}`);
        continue;
      }
      const [entity] = await deps.catalog.query.byRefs([canonical], undefined, undefined);
      let visible = Boolean(entity);
      if (entity && ctx.authorize) {
        try {
          await ctx.authorize(ENTITY_READ, { ref: canonical, resource: entity });
        } catch (error) {
          if (!(error instanceof NotAllowedError)) throw error;
          visible = false;
        }
      }
      const kind = entity?.kind?.toLowerCase();
      const name = entity?.metadata?.name as string | undefined;
      if (!visible || !name || (kind !== 'user' && kind !== 'group')) {
        ctx.logger.error(`Reviewer ${ref} is not a User or Group in the catalog; skipped`);
        continue;
      }
      try {
        if (kind === 'user') {
          const user = await gh.octokit.rest.users.getByUsername({
            username: name,
            request: gh.request,
          });
          // Number(): some versions of Octokit's types allow a bigint id.
          out.push({ type: 'User', id: Number(user.data.id) });
        } else {
          const team = await gh.octokit.rest.teams.getByName({
            org: gh.owner,
            team_slug: name,
            request: gh.request,
          });
          out.push({ type: 'Team', id: Number(team.data.id) });
        }
      } catch (error) {
        ctx.logger.error(
          `${kind === 'user' ? 'User' : 'Team'} ${name} not found on GitHub: ${gh.error(error, `looking up ${name}`).message}`,
        );
      }
    }
    return out;
  }
}
