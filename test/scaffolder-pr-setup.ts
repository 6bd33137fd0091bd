/**
 * The multi-step pull-request template and the GitHub stand-in its tests run against (the API
 * test scaffolder-pull-request.test.ts and the browser test e2e/scaffolder-pull-request.e2e.test.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  FakeGithub,
  git,
} from '../src/plugins/scaffolder/server/actions/publish/fake-github.testkit.ts';
import { startFakeScm } from '../src/plugins/scaffolder/server/actions/publish/fake-scm.testkit.ts';
import { serveFiles } from './helpers/serve-files.ts';

export const PR_TOKEN = 'ghp_pullRequestE2E_0123456789';

export const PR_TEMPLATE = `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: add-service-pr
  title: Add a service to the infrastructure repository
spec:
  owner: group:default/team-a
  type: service
  parameters:
    - title: Service
      required: [name, owner, repoUrl]
      properties:
        name: { title: Name, type: string, pattern: '^[a-z0-9-]+$' }
        owner: { title: Service owner, type: string, ui:field: OwnerPicker }
        repoUrl: { title: Infrastructure repository, type: string, ui:field: RepoUrlPicker }
        filesBase: { title: Files base URL, type: string }
  steps:
    - id: fetch
      name: Render the skeleton
      action: fetch:template
      input:
        url: ./skeleton
        targetPath: ./out
        values:
          name: \${{ parameters.name }}
          owner: \${{ parameters.owner }}
    - id: pr
      name: Open a pull request
      action: publish:github:pull-request
      input:
        repoUrl: \${{ parameters.repoUrl }}
        branchName: add-\${{ parameters.name }}
        title: Add \${{ parameters.name }}
        description: Adds \${{ parameters.name }}, created from a template.
        sourcePath: ./out
        targetPath: services/\${{ parameters.name }}
        reviewers: [bob]
    - id: register
      name: Register
      action: catalog:register
      input:
        catalogInfoUrl: \${{ parameters.filesBase }}/acme/infra/blob/add-\${{ parameters.name }}/services/\${{ parameters.name }}/catalog-info.yaml
  output:
    links:
      - title: Pull request
        url: \${{ steps.pr.output.remoteUrl }}
      - title: Open in catalog
        icon: catalog
        entityRef: \${{ steps.register.output.entityRef }}
    text:
      - title: Pull request number
        content: '#\${{ steps.pr.output.pullRequestNumber }} into \${{ steps.pr.output.targetBranchName }}'
`;

/** Writes the template and its skeleton into `dir`; returns the template file. */
export function writePullRequestTemplate(dir: string): string {
  mkdirSync(join(dir, 'skeleton'), { recursive: true });
  writeFileSync(join(dir, 'template.yaml'), PR_TEMPLATE);
  writeFileSync(
    join(dir, 'skeleton/catalog-info.yaml'),
    `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: \${{ values.name }}
  description: Added by a pull request
spec:
  type: service
  lifecycle: experimental
  owner: \${{ values.owner }}
`,
  );
  writeFileSync(join(dir, 'skeleton/README.md'), '# ${{ values.name }}\n');
  return join(dir, 'template.yaml');
}

/**
 * The GitHub stand-in with `acme/infra`, and a web server that answers
 * `/<owner>/<repo>/blob/<branch>/<path>` with the file at that branch (GitHub's web side).
 */
export async function startPullRequestStandIn(gitRoot: string) {
  const scm = await startFakeScm({
    gitRoot,
    gitAuth: { username: 'x-access-token', password: PR_TOKEN },
  });
  const github = await FakeGithub.start(scm, gitRoot, {
    tokens: { [PR_TOKEN]: 'jane' },
    orgs: ['acme'],
  });
  github.seed('acme/infra', { 'README.md': '# infra\n' });
  const pages = new Proxy({} as Record<string, string>, {
    get(_target, key) {
      const match =
        typeof key === 'string' && /^\/([^/]+)\/([^/]+)\/blob\/([^/]+)\/(.+)$/.exec(key);
      if (!match) return undefined;
      try {
        return git([
          '--git-dir',
          github.bare(`${match[1]}/${match[2]}`),
          'show',
          `${match[3]}:${match[4]}`,
        ]);
      } catch {
        return undefined;
      }
    },
  });
  const web = await serveFiles(pages);
  return { scm, github, web, token: PR_TOKEN };
}
