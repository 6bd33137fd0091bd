import { join } from 'node:path';
import { branchExists, filesAt, seedBareRepository } from './fake-github.testkit.ts';
import type { FakeScm, RecordedRequest, RouteResult } from './fake-scm.testkit.ts';

/**
 * Stand-ins for GitLab, Bitbucket Cloud, Bitbucket Server, Azure DevOps and Gerrit on a FakeScm,
 * in the style of FakeGithub: the REST endpoints the actions call, with the provider's request
 * and answer shapes and auth headers, backed by real bare repositories under `gitRoot` served
 * by git http-backend at `/git/<path>.git`. (Tests only.)
 */

type Handler = (m: RegExpMatchArray, r: RecordedRequest) => RouteResult;

function guarded(accept: (r: RecordedRequest) => boolean, unauthorized: RouteResult) {
  return (handler: Handler): Handler =>
    (m, r) =>
      accept(r) ? handler(m, r) : unauthorized;
}

export interface FakeGitlabProject {
  id: number;
  path: string;
  defaultBranch: string;
}

/** GitLab (API v4): projects, branches via git, merge requests, users, groups, variables, pipeline triggers. */
export class FakeGitlab {
  readonly api: string;
  readonly host: string;
  readonly projects = new Map<string, FakeGitlabProject>();
  readonly mergeRequests: Array<Record<string, unknown> & { iid: number; project: string }> = [];
  readonly groups: Array<{
    id: number;
    full_path: string;
    name: string;
    parent_id: number | null;
  }> = [];
  readonly users: Record<string, number> = { jane: 7, bob: 8 };
  readonly triggers = new Map<number, string>();
  private nextId = 500;

  constructor(
    readonly scm: FakeScm,
    readonly gitRoot: string,
    /** PRIVATE-TOKEN values (configured tokens) and OAuth bearer tokens it accepts. */
    readonly tokens: string[],
  ) {
    this.api = `${scm.base}/api/v4`;
    this.host = new URL(scm.base).host;
    this.install();
  }

  bare(path: string): string {
    return join(this.gitRoot, `${path}.git`);
  }

  seed(path: string, files?: Record<string, string>, branch = 'main'): FakeGitlabProject {
    seedBareRepository(this.bare(path), files, branch);
    const project = { id: this.nextId++, path, defaultBranch: branch };
    this.projects.set(path, project);
    return project;
  }

  files(path: string, ref: string): Record<string, string> {
    return filesAt(this.bare(path), ref);
  }

  private project(idOrPath: string): FakeGitlabProject | undefined {
    const key = decodeURIComponent(idOrPath);
    return [...this.projects.values()].find((p) => String(p.id) === key || p.path === key);
  }

  private install(): void {
    const { scm } = this;
    const ok = guarded(
      (r) =>
        this.tokens.includes(r.privateToken ?? '') ||
        this.tokens.includes(r.authorization?.replace(/^Bearer /, '') ?? ''),
      { status: 401, body: { message: '401 Unauthorized' } },
    );
    const v4 = (path: string) => new RegExp(`^/api/v4${path}$`);
    const notFound = (what: string) => ({
      status: 404,
      body: { message: `404 ${what} Not Found` },
    });
    const P = '/projects/([^/]+)';
    const query = (r: RecordedRequest) => new URL(r.path, 'http://x').searchParams;

    scm.route(
      'GET',
      v4(P),
      ok(([, id]) => {
        const p = this.project(id!);
        if (!p) return notFound('Project');
        return {
          status: 200,
          body: {
            id: p.id,
            path_with_namespace: p.path,
            default_branch: p.defaultBranch,
            http_url_to_repo: `${scm.base}/git/${p.path}.git`,
            web_url: `${scm.base}/${p.path}`,
          },
        };
      }),
    );
    scm.route(
      'GET',
      v4('/users'),
      ok((_m, r) => {
        const id = this.users[query(r).get('username') ?? ''];
        return { status: 200, body: id ? [{ id, username: query(r).get('username') }] : [] };
      }),
    );
    scm.route(
      'GET',
      v4(`${P}/merge_requests`),
      ok(([, id], r) => {
        const p = this.project(id!);
        if (!p) return notFound('Project');
        const source = query(r).get('source_branch');
        return {
          status: 200,
          body: this.mergeRequests.filter(
            (mr) => mr.project === p.path && (!source || mr.source_branch === source),
          ),
        };
      }),
    );
    scm.route(
      'POST',
      v4(`${P}/merge_requests`),
      ok(([, id], r) => {
        const p = this.project(id!);
        if (!p) return notFound('Project');
        const body = r.body as Record<string, unknown>;
        if (!branchExists(this.bare(p.path), body.source_branch as string)) {
          return { status: 400, body: { message: ['Source branch does not exist'] } };
        }
        const iid = this.mergeRequests.filter((mr) => mr.project === p.path).length + 1;
        const mr = {
          ...body,
          iid,
          project: p.path,
          web_url: `${scm.base}/${p.path}/-/merge_requests/${iid}`,
        };
        this.mergeRequests.push(mr);
        return { status: 201, body: mr };
      }),
    );
    scm.route(
      'GET',
      v4(`${P}/merge_requests/(\\d+)/approval_rules`),
      ok(() => ({
        status: 200,
        body: [{ id: 1, name: 'CODEOWNERS', eligible_approvers: [{ id: 9, username: 'owner' }] }],
      })),
    );
    scm.route(
      'PUT',
      v4(`${P}/merge_requests/(\\d+)`),
      ok(([, id, iid], r) => {
        const p = this.project(id!);
        const mr = this.mergeRequests.find((m) => m.project === p?.path && m.iid === Number(iid));
        if (!mr) return notFound('Merge Request');
        Object.assign(mr, r.body as object);
        return { status: 200, body: mr };
      }),
    );
    scm.route(
      'GET',
      v4('/groups'),
      ok((_m, r) => {
        const search = query(r).get('search') ?? '';
        return { status: 200, body: this.groups.filter((g) => g.full_path.includes(search)) };
      }),
    );
    scm.route(
      'POST',
      v4('/groups'),
      ok((_m, r) => {
        const body = r.body as { name: string; path: string; parent_id?: number };
        const parent = this.groups.find((g) => g.id === body.parent_id);
        const group = {
          id: this.nextId++,
          name: body.name,
          full_path: parent ? `${parent.full_path}/${body.path}` : body.path,
          parent_id: body.parent_id ?? null,
        };
        this.groups.push(group);
        return { status: 201, body: group };
      }),
    );
    scm.route(
      'POST',
      v4(`${P}/variables`),
      ok(([, id], r) => {
        if (!this.project(id!)) return notFound('Project');
        const body = r.body as { key: string };
        if (body.key === 'TAKEN') {
          return { status: 400, body: { message: { key: ['(TAKEN) has already been taken'] } } };
        }
        return { status: 201, body: r.body };
      }),
    );
    scm.route(
      'POST',
      v4(`${P}/triggers`),
      ok(([, id], r) => {
        if (!this.project(id!)) return notFound('Project');
        const tid = this.nextId++;
        this.triggers.set(tid, `glptt-${tid}`);
        return {
          status: 201,
          body: {
            id: tid,
            token: `glptt-${tid}`,
            description: (r.body as { description: string }).description,
          },
        };
      }),
    );
    // Triggering authenticates with the trigger token in the body, not the API token.
    scm.route('POST', v4(`${P}/trigger/pipeline`), ([, id], r) => {
      const p = this.project(id!);
      // gitbeaker sends token and ref in the query and variables as a form.
      const params = query(r);
      const body = { token: params.get('token') ?? '', ref: params.get('ref') ?? '' };
      if (![...this.triggers.values()].includes(body.token)) {
        return { status: 401, body: { message: '401 Unauthorized' } };
      }
      if (!p || !branchExists(this.bare(p.path), body.ref)) {
        return { status: 400, body: { message: { base: ['Reference not found'] } } };
      }
      return { status: 201, body: { id: 77, web_url: `${scm.base}/${p.path}/-/pipelines/77` } };
    });
    scm.route(
      'DELETE',
      v4(`${P}/triggers/(\\d+)`),
      ok(([, , tid]) => {
        this.triggers.delete(Number(tid));
        return { status: 204 };
      }),
    );
  }
}

/** Bitbucket Cloud (API 2.0): repository creation in a workspace's project. */
export function fakeBitbucketCloud(
  scm: FakeScm,
  gitRoot: string,
  accept: (r: RecordedRequest) => boolean,
): { api: string } {
  const ok = guarded(accept, {
    status: 401,
    body: { type: 'error', error: { message: 'Access token expired or invalid' } },
  });
  scm.route(
    'POST',
    /^\/2\.0\/repositories\/([^/]+)\/([^/]+)$/,
    ok(([, workspace, repo], r) => {
      const path = `${workspace}/${repo}`;
      if (workspace === 'nobody') {
        return {
          status: 404,
          body: { type: 'error', error: { message: 'No workspace with identifier nobody.' } },
        };
      }
      if ((r.body as { project?: { key?: string } })?.project?.key === 'NOPE') {
        return {
          status: 400,
          body: { type: 'error', error: { message: 'Project NOPE does not exist' } },
        };
      }
      seedBareRepository(join(gitRoot, `${path}.git`), undefined);
      return {
        status: 200,
        body: {
          full_name: path,
          links: {
            clone: [
              { name: 'https', href: `${scm.base}/git/${path}.git` },
              { name: 'ssh', href: `git@bitbucket.org:${path}.git` },
            ],
            html: { href: `${scm.base}/${path}` },
          },
        },
      };
    }),
  );
  return { api: `${scm.base}/2.0` };
}

/** Bitbucket Server (REST 1.0): repository creation in a project, and the LFS admin switch. */
export function fakeBitbucketServer(
  scm: FakeScm,
  gitRoot: string,
  accept: (r: RecordedRequest) => boolean,
): { api: string } {
  const ok = guarded(accept, {
    status: 401,
    body: {
      errors: [{ message: 'Authentication failed. Please check your credentials and try again.' }],
    },
  });
  const existing = new Set<string>();
  scm.route(
    'POST',
    /^\/rest\/api\/1\.0\/projects\/([^/]+)\/repos$/,
    ok(([, project], r) => {
      const name = (r.body as { name: string }).name;
      const path = `${project}/${name}`;
      if (existing.has(path)) {
        return {
          status: 409,
          body: {
            errors: [
              { message: `This repository URL is already taken by '${name}' in '${project}'` },
            ],
          },
        };
      }
      existing.add(path);
      seedBareRepository(join(gitRoot, `${path}.git`), undefined);
      return {
        status: 201,
        body: {
          slug: name,
          links: {
            clone: [
              { name: 'http', href: `${scm.base}/git/${path}.git` },
              { name: 'ssh', href: `ssh://git@bitbucket.acme.test:7999/${path}.git` },
            ],
            self: [{ href: `${scm.base}/projects/${project}/repos/${name}/browse` }],
          },
        },
      };
    }),
  );
  scm.route(
    'PUT',
    /^\/rest\/git-lfs\/admin\/projects\/([^/]+)\/repos\/([^/]+)\/enabled$/,
    ok(() => ({ status: 204 })),
  );
  return { api: `${scm.base}/rest/api/1.0` };
}

/** Azure DevOps (Git REST API): repository creation in an organisation's project. */
export function fakeAzure(
  scm: FakeScm,
  gitRoot: string,
  accept: (r: RecordedRequest) => boolean,
): { base: string } {
  const ok = guarded(accept, { status: 401, body: 'Unauthorized' });
  scm.route(
    'POST',
    /^\/([^/]+)\/([^/]+)\/_apis\/git\/repositories$/,
    ok(([, org, project], r) => {
      const name = (r.body as { name: string }).name;
      if (project === 'missing') {
        return {
          status: 404,
          body: {
            message: `TF200016: The following project does not exist: ${project}.`,
            typeKey: 'ProjectDoesNotExistWithNameException',
          },
        };
      }
      const path = `${org}/${project}/_git/${name}`;
      seedBareRepository(join(gitRoot, `${path}.git`), undefined);
      return {
        status: 201,
        body: {
          id: '5febef5a-833d-4e14-b9c0-14cb638f91e6',
          name,
          remoteUrl: `${scm.base}/git/${path}.git`,
          webUrl: `${scm.base}/${org}/${project}/_git/${name}`,
        },
      };
    }),
  );
  return { base: scm.base };
}

/** Gerrit (REST, `/a/` authenticated): project creation; answers carry the `)]}'` prefix. */
export function fakeGerrit(
  scm: FakeScm,
  gitRoot: string,
  accept: (r: RecordedRequest) => boolean,
): { base: string } {
  const ok = guarded(accept, { status: 401, body: 'Unauthorized' });
  scm.route(
    'PUT',
    /^\/a\/projects\/([^/]+)$/,
    ok(([, name], r) => {
      const project = decodeURIComponent(name!);
      if (project === 'taken') return { status: 409, body: `Project already exists` };
      seedBareRepository(join(gitRoot, `a/${project}.git`), undefined);
      const info = {
        id: project,
        name: project,
        parent: (r.body as { parent: string }).parent,
        state: 'ACTIVE',
      };
      return { status: 201, raw: `)]}'\n${JSON.stringify(info)}` };
    }),
  );
  return { base: scm.base };
}
