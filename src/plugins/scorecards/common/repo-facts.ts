/**
 * The `repo.*` facts: which well-known files a source repository holds. Pure, so the server's
 * repository scan and the CLI (which looks beside each catalog file) agree on the names.
 */

export const REPO_FACT_IDS = ['repo.readme', 'repo.codeowners', 'repo.license', 'repo.ciWorkflow'];

/** Folders (repository-relative, '' = root) whose file listings decide every repo fact. */
export const REPO_FACT_FOLDERS = [
  '',
  '.github',
  '.github/workflows',
  '.gitlab',
  'docs',
  '.circleci',
  '.buildkite',
];

const README = /^readme(\.[a-z0-9]+)?$/i;
const LICENSE = /^(licen[cs]e|copying)([.-][a-z0-9.-]+)?$/i;
const CODEOWNERS = new Set([
  'CODEOWNERS',
  '.github/CODEOWNERS',
  '.gitlab/CODEOWNERS',
  'docs/CODEOWNERS',
]);
const CI_FILES = new Set([
  '.gitlab-ci.yml',
  'Jenkinsfile',
  '.circleci/config.yml',
  'azure-pipelines.yml',
  'bitbucket-pipelines.yml',
  '.travis.yml',
  '.buildkite/pipeline.yml',
]);
const GITHUB_WORKFLOW = /^\.github\/workflows\/[^/]+\.ya?ml$/;

/**
 * The repo facts for a repository, given the paths of its files (POSIX, relative to the
 * repository root; only the {@link REPO_FACT_FOLDERS} matter).
 */
export function repoFactsFromFiles(paths: Iterable<string>): Map<string, boolean> {
  let readme = false;
  let license = false;
  let codeowners = false;
  let ci = false;
  for (const raw of paths) {
    const path = raw.replace(/^\.\//, '');
    if (!path.includes('/')) {
      readme ||= README.test(path);
      license ||= LICENSE.test(path);
    }
    codeowners ||= CODEOWNERS.has(path);
    ci ||= CI_FILES.has(path) || GITHUB_WORKFLOW.test(path);
  }
  return new Map([
    ['repo.readme', readme],
    ['repo.codeowners', codeowners],
    ['repo.license', license],
    ['repo.ciWorkflow', ci],
  ]);
}
