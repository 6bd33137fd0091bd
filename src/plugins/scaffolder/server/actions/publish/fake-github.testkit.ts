import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sodium from 'libsodium-wrappers';
import type { FakeScm, RecordedRequest, RouteResult } from './fake-scm.testkit.ts';

/**
 * Git as a test drives it: seeds and reads the bare repositories a stand-in serves. (Tests only.)
 */
export function git(args: string[], cwd?: string): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Seed',
      GIT_AUTHOR_EMAIL: 'seed@example.com',
      GIT_COMMITTER_NAME: 'Seed',
      GIT_COMMITTER_EMAIL: 'seed@example.com',
    },
  }).trim();
}

/** Creates the bare repository `bare` with one commit of `files` on `branch` (none: empty). */
export function seedBareRepository(
  bare: string,
  files: Record<string, string> | undefined,
  branch = 'main',
): void {
  mkdirSync(dirname(bare), { recursive: true });
  git(['init', '--quiet', '--bare', `--initial-branch=${branch}`, bare]);
  if (!files) return;
  const work = mkdtempSync(join(tmpdir(), 'atrium-seed-'));
  try {
    git(['init', '--quiet', `--initial-branch=${branch}`, work]);
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), content);
    }
    git(['add', '--all'], work);
    git(['commit', '--quiet', '-m', 'Seed'], work);
    git(['push', '--quiet', bare, `${branch}:${branch}`], work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Every file of `ref` in a bare repository, with its content. */
export function filesAt(bare: string, ref: string): Record<string, string> {
  const paths = git(['--git-dir', bare, 'ls-tree', '-r', '--name-only', ref]).split('\n');
  return Object.fromEntries(
    paths.filter(Boolean).map((p) => [p, git(['--git-dir', bare, 'show', `${ref}:${p}`])]),
  );
}

export function branchExists(bare: string, branch: string): boolean {
  try {
    git(['--git-dir', bare, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]);
    return true;
  } catch {
    return false;
  }
}

export interface FakeGithubRepo {
  owner: string;
  name: string;
  id: number;
  defaultBranch: string;
  /** Logins that may push besides the owner (organisation repositories: every member). */
  pushers: Set<string>;
  forkOf?: string;
}

export interface FakePull {
  number: number;
  repo: string;
  /** `owner:branch` */
  head: string;
  base: string;
  title: string;
  body?: string;
  draft: boolean;
  state: 'open' | 'closed';
}

/**
 * A GitHub stand-in on a FakeScm: users and organisations, repositories backed by real bare
 * repositories under `gitRoot` (served by git http-backend at `/git/<owner>/<repo>.git`),
 * forks, pull requests, and the settings endpoints the github:* actions call. Tokens map to
 * logins; a request without a known token gets GitHub's 401. Secrets arrive sealed to a real
 * key pair, which {@link openSecret} opens. (Tests only.)
 */
export class FakeGithub {
  readonly api: string;
  readonly host: string;
  readonly repos = new Map<string, FakeGithubRepo>();
  readonly pulls: FakePull[] = [];
  readonly orgs: Set<string>;
  /** Workflow files that exist, as `owner/repo/file`. */
  readonly workflows = new Set<string>();
  private keys!: { publicKey: Uint8Array; privateKey: Uint8Array };
  private nextId = 100;

  private constructor(
    readonly scm: FakeScm,
    readonly gitRoot: string,
    readonly tokens: Record<string, string>,
    orgs: string[],
  ) {
    this.api = `${scm.base}/api/v3`;
    this.host = new URL(scm.base).host;
    this.orgs = new Set(orgs);
  }

  static async start(
    scm: FakeScm,
    gitRoot: string,
    options: { tokens: Record<string, string>; orgs?: string[] },
  ): Promise<FakeGithub> {
    const fake = new FakeGithub(scm, gitRoot, options.tokens, options.orgs ?? []);
    await sodium.ready;
    fake.keys = sodium.crypto_box_keypair();
    fake.install();
    return fake;
  }

  bare(full: string): string {
    return join(this.gitRoot, `${full}.git`);
  }

  /** A repository with `files` committed on `branch`. */
  seed(
    full: string,
    files?: Record<string, string>,
    options: { branch?: string; pushers?: string[] } = {},
  ) {
    const [owner, name] = full.split('/') as [string, string];
    seedBareRepository(this.bare(full), files, options.branch ?? 'main');
    this.repos.set(full, {
      owner,
      name,
      id: this.nextId++,
      defaultBranch: options.branch ?? 'main',
      pushers: new Set(options.pushers ?? []),
    });
  }

  files(full: string, ref: string): Record<string, string> {
    return filesAt(this.bare(full), ref);
  }

  /** A secret value the action sent, opened with the stand-in's private key. */
  openSecret(encryptedBase64: string): string {
    const sealed = sodium.from_base64(encryptedBase64, sodium.base64_variants.ORIGINAL);
    return sodium.to_string(
      sodium.crypto_box_seal_open(sealed, this.keys.publicKey, this.keys.privateKey),
    );
  }

  private loginOf(r: RecordedRequest): string | undefined {
    const token = r.authorization?.replace(/^(token|Bearer) /, '');
    return token ? this.tokens[token] : undefined;
  }

  private repoJson(repo: FakeGithubRepo, login?: string) {
    const full = `${repo.owner}/${repo.name}`;
    const push =
      login !== undefined &&
      (repo.owner === login || this.orgs.has(repo.owner) || repo.pushers.has(login));
    return {
      id: repo.id,
      name: repo.name,
      full_name: full,
      owner: { login: repo.owner },
      default_branch: repo.defaultBranch,
      clone_url: `${this.scm.base}/git/${full}.git`,
      html_url: `${this.scm.base}/${full}`,
      permissions: { admin: push, push, pull: true },
      fork: Boolean(repo.forkOf),
    };
  }

  private install(): void {
    const { scm } = this;
    const v3 = (path: string) => new RegExp(`^/api/v3${path}$`);
    const authed =
      (handler: (m: RegExpMatchArray, r: RecordedRequest, login: string) => RouteResult) =>
      (m: RegExpMatchArray, r: RecordedRequest): RouteResult => {
        const login = this.loginOf(r);
        if (!login) return { status: 401, body: { message: 'Bad credentials' } };
        return handler(m, r, login);
      };
    const notFound = { status: 404, body: { message: 'Not Found' } };
    const repoOf = (m: RegExpMatchArray) => this.repos.get(`${m[1]}/${m[2]}`);
    const onRepo = (
      handler: (
        repo: FakeGithubRepo,
        r: RecordedRequest,
        login: string,
        m: RegExpMatchArray,
      ) => RouteResult,
    ) =>
      authed((m, r, login) => {
        const repo = repoOf(m);
        return repo ? handler(repo, r, login, m) : notFound;
      });
    const R = '/repos/([^/]+)/([^/]+)';

    scm.route(
      'GET',
      v3('/users/([^/]+)'),
      authed(([, login]) => {
        if (this.orgs.has(login!))
          return { status: 200, body: { login, id: 1, type: 'Organization' } };
        if (Object.values(this.tokens).includes(login!)) {
          return { status: 200, body: { login, id: 2, type: 'User' } };
        }
        return notFound;
      }),
    );
    scm.route(
      'GET',
      v3('/user'),
      authed((_m, _r, login) => ({
        status: 200,
        body: { login, id: 7, name: null, email: null },
      })),
    );
    const create = (owner: string, body: { name: string }) => {
      const full = `${owner}/${body.name}`;
      if (this.repos.has(full)) {
        return {
          status: 422,
          body: {
            message: 'Repository creation failed.',
            errors: [
              {
                resource: 'Repository',
                code: 'custom',
                field: 'name',
                message: 'name already exists on this account',
              },
            ],
          },
        };
      }
      this.seed(full);
      return { status: 201, body: this.repoJson(this.repos.get(full)!) };
    };
    scm.route(
      'POST',
      v3('/orgs/([^/]+)/repos'),
      authed(([, org], r) => create(org!, r.body as { name: string })),
    );
    scm.route(
      'POST',
      v3('/user/repos'),
      authed((_m, r, login) => create(login, r.body as { name: string })),
    );
    scm.route(
      'GET',
      v3(R),
      onRepo((repo, _r, login) => ({
        status: 200,
        body: this.repoJson(repo, login),
        headers: { 'x-oauth-scopes': 'repo' },
      })),
    );
    scm.route(
      'GET',
      v3(`${R}/forks`),
      onRepo((repo) => ({
        status: 200,
        body: [...this.repos.values()]
          .filter((r) => r.forkOf === `${repo.owner}/${repo.name}`)
          .map((r) => this.repoJson(r)),
      })),
    );
    scm.route(
      'POST',
      v3(`${R}/forks`),
      onRepo((repo, _r, login) => {
        const full = `${login}/${repo.name}`;
        mkdirSync(join(this.gitRoot, login), { recursive: true });
        git([
          'clone',
          '--quiet',
          '--bare',
          this.bare(`${repo.owner}/${repo.name}`),
          this.bare(full),
        ]);
        this.repos.set(full, {
          owner: login,
          name: repo.name,
          id: this.nextId++,
          defaultBranch: repo.defaultBranch,
          pushers: new Set(),
          forkOf: `${repo.owner}/${repo.name}`,
        });
        return { status: 202, body: this.repoJson(this.repos.get(full)!, login) };
      }),
    );
    const pullJson = (p: FakePull) => ({
      number: p.number,
      html_url: `${scm.base}/${p.repo}/pull/${p.number}`,
      title: p.title,
      body: p.body,
      draft: p.draft,
      state: p.state,
      head: { label: p.head, ref: p.head.split(':')[1] },
      base: { ref: p.base },
    });
    scm.route(
      'GET',
      v3(`${R}/pulls`),
      onRepo((repo, r) => {
        const query = new URL(r.path, 'http://x').searchParams;
        const full = `${repo.owner}/${repo.name}`;
        return {
          status: 200,
          body: this.pulls
            .filter((p) => p.repo === full)
            .filter((p) => !query.get('head') || p.head === query.get('head'))
            .filter(
              (p) =>
                (query.get('state') ?? 'open') === 'all' ||
                p.state === (query.get('state') ?? 'open'),
            )
            .map(pullJson),
        };
      }),
    );
    scm.route(
      'POST',
      v3(`${R}/pulls`),
      onRepo((repo, r) => {
        const body = r.body as {
          head: string;
          base: string;
          title: string;
          body?: string;
          draft?: boolean;
        };
        const full = `${repo.owner}/${repo.name}`;
        const [headOwner, headBranch] = body.head.includes(':')
          ? body.head.split(':')
          : [repo.owner, body.head];
        const invalid = (message: string) => ({
          status: 422,
          body: {
            message: 'Validation Failed',
            errors: [{ resource: 'PullRequest', code: 'custom', message }],
          },
        });
        if (!branchExists(this.bare(`${headOwner}/${repo.name}`), headBranch!))
          return invalid(`head ${body.head} does not exist`);
        if (!branchExists(this.bare(full), body.base))
          return invalid(`base ${body.base} does not exist`);
        if (
          this.pulls.some(
            (p) => p.repo === full && p.head === `${headOwner}:${headBranch}` && p.state === 'open',
          )
        ) {
          return invalid(`A pull request already exists for ${headOwner}:${headBranch}.`);
        }
        const pull: FakePull = {
          number: this.pulls.length + 1,
          repo: full,
          head: `${headOwner}:${headBranch}`,
          base: body.base,
          title: body.title,
          body: body.body,
          draft: body.draft ?? false,
          state: 'open',
        };
        this.pulls.push(pull);
        return { status: 201, body: pullJson(pull) };
      }),
    );
    scm.route(
      'PATCH',
      v3(`${R}/pulls/(\\d+)`),
      onRepo((repo, r, _login, m) => {
        const pull = this.pulls.find(
          (p) => p.repo === `${repo.owner}/${repo.name}` && p.number === Number(m[3]),
        );
        if (!pull) return notFound;
        const body = r.body as { title?: string; body?: string };
        if (body.title !== undefined) pull.title = body.title;
        if (body.body !== undefined) pull.body = body.body;
        return { status: 200, body: pullJson(pull) };
      }),
    );
    scm.route(
      'POST',
      v3(`${R}/pulls/(\\d+)/requested_reviewers`),
      onRepo((_repo, r) => {
        const body = r.body as { reviewers?: string[]; team_reviewers?: string[] };
        if (body.reviewers?.includes('ghost')) {
          return {
            status: 422,
            body: { message: 'Reviews may only be requested from collaborators.' },
          };
        }
        return {
          status: 201,
          body: {
            requested_reviewers: (body.reviewers ?? []).map((login) => ({ login })),
            requested_teams: (body.team_reviewers ?? []).map((slug) => ({ slug })),
          },
        };
      }),
    );
    // Settings endpoints: accepted (the tests assert what was sent).
    const ok = (status: number, body?: (r: RecordedRequest) => unknown) =>
      onRepo((_repo, r) => ({ status, body: body ? body(r) : {} }));
    scm.route(
      'PUT',
      v3(`${R}/topics`),
      ok(200, (r) => r.body),
    );
    scm.route('PUT', v3(`${R}/branches/([^/]+)/protection`), ok(200));
    scm.route('POST', v3(`${R}/branches/([^/]+)/protection/required_signatures`), ok(200));
    scm.route('PUT', v3(`${R}/collaborators/([^/]+)`), ok(201));
    scm.route(
      'PUT',
      v3(`/orgs/([^/]+)/teams/([^/]+)/repos/([^/]+)/([^/]+)`),
      authed(() => ({ status: 204 })),
    );
    scm.route(
      'GET',
      v3('/orgs/([^/]+)/teams/([^/]+)'),
      authed(([, , slug]) =>
        slug === 'missing' ? notFound : { status: 200, body: { id: 42, slug } },
      ),
    );
    scm.route('POST', v3(`${R}/actions/variables`), ok(201));
    const publicKey = () => ({
      key_id: 'key-1',
      key: sodium.to_base64(this.keys.publicKey, sodium.base64_variants.ORIGINAL),
    });
    scm.route('GET', v3(`${R}/actions/secrets/public-key`), ok(200, publicKey));
    scm.route('PUT', v3(`${R}/actions/secrets/([^/]+)`), ok(201));
    scm.route('PUT', v3(`${R}/actions/oidc/customization/sub`), ok(201));
    scm.route('PUT', v3(`${R}/subscription`), ok(200));
    scm.route(
      'POST',
      v3(`${R}/hooks`),
      ok(201, () => ({ id: 1, active: true })),
    );
    scm.route(
      'POST',
      v3(`${R}/actions/workflows/([^/]+)/dispatches`),
      onRepo((repo, r, _l, m) => {
        const full = `${repo.owner}/${repo.name}`;
        if (!this.workflows.has(`${full}/${m[3]}`)) return notFound;
        const ref = (r.body as { ref: string }).ref;
        if (!branchExists(this.bare(full), ref)) {
          return { status: 422, body: { message: `No ref found for: ${ref}` } };
        }
        return { status: 204 };
      }),
    );
    scm.route(
      'PUT',
      v3(`${R}/environments/([^/]+)`),
      ok(200, () => ({ id: 5 })),
    );
    scm.route('POST', v3(`${R}/environments/([^/]+)/deployment-branch-policies`), ok(200));
    scm.route('POST', v3(`${R}/environments/([^/]+)/variables`), ok(201));
    scm.route('GET', v3(`${R}/environments/([^/]+)/secrets/public-key`), ok(200, publicKey));
    scm.route('PUT', v3(`${R}/environments/([^/]+)/secrets/([^/]+)`), ok(201));
    scm.route(
      'POST',
      v3(`${R}/pages`),
      ok(201, () => ({ html_url: `${scm.base}/pages` })),
    );
    scm.route(
      'POST',
      v3(`${R}/issues/(\\d+)/labels`),
      ok(200, (r) => ((r.body as { labels: string[] }).labels ?? []).map((name) => ({ name }))),
    );
  }
}
