import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type RecordingServer,
  startRecordingServer,
  startRedirectingServer,
} from '../../../../../../test/helpers/recording-server.ts';
import type { AtriumConfig } from '../../../../../core/config/index.ts';
import type { TemplateAction } from '../types.ts';
import { loadTestConfig, makeTestContext, runAction, type TestActionContext } from '../testkit.ts';
import { type FakeScm, startFakeScm } from './fake-scm.testkit.ts';
import { CONTENTS_FOLDER } from './local-remote.ts';
import { createPublishGitAction } from './publish-git.ts';

function git(args: string[], cwd?: string): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
  }).trim();
}

function write(root: string, files: Record<string, string>) {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

/** Every file under `dir` (recursively) whose bytes contain `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const found: string[] = [];
  const visit = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.isFile() && readFileSync(path).includes(needle)) found.push(path);
    }
  };
  if (existsSync(dir)) visit(dir);
  return found;
}

let config: AtriumConfig;
let action: TemplateAction;
let sandbox: string;
const contexts: TestActionContext[] = [];

beforeAll(async () => {
  config = await loadTestConfig({
    scaffolder: {
      defaultAuthor: { name: 'Atrium Bot', email: 'bot@atrium.test' },
      defaultCommitMessage: 'Created by Atrium',
    },
  });
  action = createPublishGitAction({ config, catalog: undefined as never });
});
afterEach(() => {
  for (const t of contexts.splice(0)) t.cleanup();
  if (sandbox) rmSync(sandbox, { recursive: true, force: true });
});

function context(
  input: Record<string, unknown>,
  files: Record<string, string>,
  signal?: AbortSignal,
) {
  sandbox = mkdtempSync(join(tmpdir(), 'atrium-publish-git-'));
  const t = makeTestContext(input as never, { signal });
  write(t.workspace, files);
  contexts.push(t);
  return t;
}

const SERVICE_FILES = {
  'README.md': '# my-service\n',
  'catalog-info.yaml':
    'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: my-service\nspec:\n  type: service\n  lifecycle: experimental\n  owner: team-a\n',
  '.gitignore': 'node_modules/\n',
  'node_modules/dep/index.js': 'ignored',
  'src/index.ts': 'export const x = 1;\n',
};

describe('publish:git to a local bare repository', () => {
  it('creates the repository, pushes one commit with the config defaults, and outputs a readable contents URL', async () => {
    const t = context({ remoteUrl: '', createIfMissing: true }, SERVICE_FILES);
    const remote = join(sandbox, 'repos', 'my-service.git');
    t.ctx.input.remoteUrl = remote;
    await runAction(action, t);

    expect(git(['--git-dir', remote, 'rev-parse', '--is-bare-repository'])).toBe('true');
    const head = git(['--git-dir', remote, 'rev-parse', 'refs/heads/main']);
    expect(t.outputs.commitHash).toBe(head);
    expect(t.outputs.remoteUrl).toBe(remote);
    expect(git(['--git-dir', remote, 'log', '--format=%an|%ae|%cn|%s', 'main'])).toBe(
      'Atrium Bot|bot@atrium.test|Atrium Bot|Created by Atrium',
    );
    expect(git(['--git-dir', remote, 'symbolic-ref', 'HEAD'])).toBe('refs/heads/main');

    const clone = join(sandbox, 'clone');
    git(['clone', '--quiet', remote, clone]);
    expect(readFileSync(join(clone, 'README.md'), 'utf8')).toBe('# my-service\n');
    expect(readFileSync(join(clone, 'src/index.ts'), 'utf8')).toBe('export const x = 1;\n');
    expect(existsSync(join(clone, 'node_modules'))).toBe(false);
    expect(git(['ls-files'], clone).split('\n').sort()).toEqual([
      '.gitignore',
      'README.md',
      'catalog-info.yaml',
      'src/index.ts',
    ]);

    // The workspace itself gains no repository.
    expect(existsSync(join(t.workspace, '.git'))).toBe(false);

    const contents = fileURLToPath(String(t.outputs.repoContentsUrl));
    expect(contents).toBe(join(remote, CONTENTS_FOLDER));
    expect(readFileSync(join(contents, 'catalog-info.yaml'), 'utf8')).toBe(
      SERVICE_FILES['catalog-info.yaml'],
    );
    expect(t.logText()).toContain(`Pushed main to ${remote}`);
  });

  it('keeps the contents checkout current when developers push later', async () => {
    const t = context({ remoteUrl: '', createIfMissing: true }, SERVICE_FILES);
    const remote = join(sandbox, 'svc.git');
    t.ctx.input.remoteUrl = remote;
    await runAction(action, t);
    const clone = join(sandbox, 'dev-clone');
    git(['clone', '--quiet', remote, clone]);
    writeFileSync(join(clone, 'README.md'), '# changed later\n');
    git(['-c', 'user.name=Dev', '-c', 'user.email=dev@x', 'commit', '-qam', 'Edit'], clone);
    git(['push', '--quiet', 'origin', 'main'], clone);
    const contents = fileURLToPath(String(t.outputs.repoContentsUrl));
    expect(readFileSync(join(contents, 'README.md'), 'utf8')).toBe('# changed later\n');
  });

  it('publishes sourcePath only, on the given branch, with the given message and author, to an existing empty bare repository named by a file: URL', async () => {
    const t = context(
      {
        remoteUrl: '',
        sourcePath: 'app',
        defaultBranch: 'trunk',
        gitCommitMessage: 'Scaffold app',
        gitAuthorName: 'Jane Doe',
        gitAuthorEmail: 'jane@example.com',
      },
      { 'app/package.json': '{}', 'docs/not-published.md': 'x' },
    );
    const remote = join(sandbox, 'existing.git');
    git(['init', '--quiet', '--bare', '--initial-branch=master', remote]);
    t.ctx.input.remoteUrl = pathToFileURL(remote).href;
    await runAction(action, t);
    expect(git(['--git-dir', remote, 'log', '--format=%an <%ae> %s', 'trunk'])).toBe(
      'Jane Doe <jane@example.com> Scaffold app',
    );
    expect(git(['--git-dir', remote, 'ls-tree', '-r', '--name-only', 'trunk'])).toBe(
      'package.json',
    );
    // HEAD named a branch that does not exist, so it now names the published one.
    expect(git(['--git-dir', remote, 'symbolic-ref', 'HEAD'])).toBe('refs/heads/trunk');
    expect(t.outputs.remoteUrl).toBe(pathToFileURL(remote).href);
  });

  it("runs an existing repository's own post-receive hook and leaves it in place", async () => {
    const t = context({ remoteUrl: '' }, { 'a.txt': 'a' });
    const remote = join(sandbox, 'hooked.git');
    git(['init', '--quiet', '--bare', '--initial-branch=main', remote]);
    const marker = join(sandbox, 'hook-ran');
    const hook = join(remote, 'hooks', 'post-receive');
    writeFileSync(hook, `#!/bin/sh\ncat > '${marker}'\n`, { mode: 0o755 });
    t.ctx.input.remoteUrl = remote;
    await runAction(action, t);
    expect(readFileSync(marker, 'utf8')).toContain(`refs/heads/main`);
    expect(readFileSync(hook, 'utf8')).toContain(marker);
    expect(t.logs.find((l) => l.level === 'warn')?.message).toContain(
      `${hook} exists already; ${join(remote, CONTENTS_FOLDER)} is not updated by later pushes`,
    );
  });

  it('never reads git config shipped inside the workspace, nor publishes a .git folder', async () => {
    const marker = join(tmpdir(), `atrium-fsmonitor-${process.pid}-${Date.now()}`);
    const t = context(
      { remoteUrl: '', createIfMissing: true },
      {
        'a.txt': 'a',
        '.git/HEAD': 'ref: refs/heads/main\n',
        '.git/config': `[core]\n\trepositoryformatversion = 0\n\tfsmonitor = "touch ${marker}"\n`,
      },
    );
    mkdirSync(join(t.workspace, '.git/objects'));
    mkdirSync(join(t.workspace, '.git/refs'));
    const remote = join(sandbox, 'clean.git');
    t.ctx.input.remoteUrl = remote;
    await runAction(action, t);
    expect(existsSync(marker)).toBe(false);
    expect(git(['--git-dir', remote, 'ls-tree', '-r', '--name-only', 'main'])).toBe('a.txt');
  });

  it('refuses to push to a repository that already has the branch, and leaves it alone', async () => {
    const t = context({ remoteUrl: '' }, { 'a.txt': 'new' });
    const remote = join(sandbox, 'taken.git');
    git(['init', '--quiet', '--bare', '--initial-branch=main', remote]);
    const seed = join(sandbox, 'seed');
    git(['init', '--quiet', '--initial-branch=main', seed]);
    writeFileSync(join(seed, 'old.txt'), 'old');
    git(['add', '.'], seed);
    git(['-c', 'user.name=x', '-c', 'user.email=x@x', 'commit', '-qm', 'old'], seed);
    git(['push', '--quiet', remote, 'main'], seed);
    const before = git(['--git-dir', remote, 'rev-parse', 'main']);
    t.ctx.input.remoteUrl = remote;
    await expect(runAction(action, t)).rejects.toThrow(
      `The remote ${remote} already has a branch 'main'; publishing creates a new repository and never overwrites one`,
    );
    expect(git(['--git-dir', remote, 'rev-parse', 'main'])).toBe(before);
  });

  it('needs createIfMissing for a path that does not exist, and a bare repository otherwise', async () => {
    const t = context({ remoteUrl: '' }, { 'a.txt': 'a' });
    const missing = join(sandbox, 'missing.git');
    t.ctx.input.remoteUrl = missing;
    await expect(runAction(action, t)).rejects.toThrow(
      `remoteUrl: ${missing} does not exist; create a bare repository there (git init --bare) or set createIfMissing: true`,
    );
    expect(existsSync(missing)).toBe(false);

    const notBare = join(sandbox, 'plain');
    mkdirSync(notBare);
    writeFileSync(join(notBare, 'x'), 'x');
    t.ctx.input = { remoteUrl: notBare, createIfMissing: true };
    await expect(runAction(action, t)).rejects.toThrow(
      `remoteUrl: ${notBare} is not a bare git repository`,
    );

    t.ctx.input = { remoteUrl: join(t.workspace, 'inside.git'), createIfMissing: true };
    await expect(runAction(action, t)).rejects.toThrow(/is inside the task workspace/);

    t.ctx.input = { remoteUrl: '../relative/repo.git' };
    await expect(runAction(action, t)).rejects.toThrow(/is not a supported git remote/);
    t.ctx.input = { remoteUrl: '/etc/atrium-test.git', createIfMissing: true };
    await expect(runAction(action, t)).rejects.toThrow(
      /remoteUrl: \/etc\/atrium-test.git is outside the folders where local repositories may be published \(scaffolder.localRepositoryRoots: /,
    );
    t.ctx.input = { remoteUrl: 'ext::sh -c touch% /tmp/pwned' };
    await expect(runAction(action, t)).rejects.toThrow(/is not a supported git remote/);

    t.ctx.input = { remoteUrl: join(sandbox, 'x.git'), createIfMissing: true, sourcePath: '../' };
    await expect(runAction(action, t)).rejects.toThrow(
      "sourcePath: '../' leads outside the workspace",
    );
    t.ctx.input = {
      remoteUrl: join(sandbox, 'x.git'),
      createIfMissing: true,
      defaultBranch: 'bad..name',
    };
    await expect(runAction(action, t)).rejects.toThrow(
      "defaultBranch: 'bad..name' is not a valid git branch name",
    );
  });

  it('stops when the task is cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    const t = context(
      { remoteUrl: '', createIfMissing: true },
      { 'a.txt': 'a' },
      controller.signal,
    );
    const remote = join(sandbox, 'cancelled.git');
    t.ctx.input.remoteUrl = remote;
    await expect(runAction(action, t)).rejects.toThrow();
    expect(existsSync(join(remote, 'refs/heads/main'))).toBe(false);
  });
});

describe('publish:git over http(s) with a token', () => {
  let scm: FakeScm;
  let gitRoot: string;
  // publish:git with the test git server in backend.reading.allow.
  let action: TemplateAction;
  const TOKEN = 'tok_s3cr3t_VALUE_1234';
  beforeAll(async () => {
    gitRoot = mkdtempSync(join(tmpdir(), 'atrium-git-http-'));
    scm = await startFakeScm({ gitRoot, gitAuth: { username: 'x-access-token', password: TOKEN } });
    action = createPublishGitAction({
      config: await loadTestConfig({
        backend: { reading: { allow: [{ host: new URL(scm.base).host }] } },
      }),
      catalog: undefined as never,
    });
  });
  afterAll(async () => {
    await scm.close();
    rmSync(gitRoot, { recursive: true, force: true });
  });

  it('sends the token as HTTP basic auth and writes it nowhere', async () => {
    git(['init', '--quiet', '--bare', join(gitRoot, 'team/svc.git')]);
    const t = context({ remoteUrl: `${scm.base}/git/team/svc.git`, token: TOKEN }, SERVICE_FILES);
    await runAction(action, t);
    const pushed = git(['--git-dir', join(gitRoot, 'team/svc.git'), 'rev-parse', 'main']);
    expect(t.outputs.commitHash).toBe(pushed);
    const basic = `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`;
    const receive = scm.gitRequests.filter((r) => r.path.includes('git-receive-pack'));
    expect(receive.length).toBeGreaterThan(0);
    expect(receive.every((r) => r.authorization === basic && r.status === 200)).toBe(true);

    expect(t.logText()).not.toContain(TOKEN);
    expect(t.logText()).not.toContain(basic.slice(6));
    // Not in the workspace, the scratch git dir (its config), nor the pushed repository.
    expect(filesContaining(t.workspace, TOKEN)).toEqual([]);
    expect(filesContaining(t.scratch, TOKEN)).toEqual([]);
    expect(readdirSync(t.scratch).length).toBeGreaterThan(0);
    expect(filesContaining(gitRoot, TOKEN)).toEqual([]);
    expect(filesContaining(gitRoot, basic.slice(6))).toEqual([]);
    // No repoContentsUrl can be derived for an unknown host; the log says so.
    expect(t.outputs.repoContentsUrl).toBeUndefined();
    expect(t.logText()).toContain('No repoContentsUrl output');
  });

  it('fails clearly with a wrong token, without echoing it', async () => {
    git(['init', '--quiet', '--bare', join(gitRoot, 'team/denied.git')]);
    const wrong = 'wrong_token_ABCDEF';
    const t = context(
      { remoteUrl: `${scm.base}/git/team/denied.git`, token: wrong },
      { 'a.txt': 'a' },
    );
    const error = await runAction(action, t).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toContain(`Could not read the remote ${scm.base}/git/team/denied.git`);
    expect(error?.message).not.toContain(wrong);
    expect(t.logText()).not.toContain(wrong);
    expect(existsSync(join(gitRoot, 'team/denied.git/refs/heads/main'))).toBe(false);
  });

  it('refuses a remote URL with an embedded password', async () => {
    const t = context({ remoteUrl: 'https://user:pw@example.com/x.git' }, { 'a.txt': 'a' });
    await expect(runAction(action, t)).rejects.toThrow(/must not contain a password/);
  });

  it('stops a push that hangs when the task is cancelled', async () => {
    const hanging = createServer(() => {
      // never answers
    });
    await new Promise<void>((done) => hanging.listen(0, '127.0.0.1', done));
    const { port } = hanging.address() as AddressInfo;
    const hangingAction = createPublishGitAction({
      config: await loadTestConfig({
        backend: { reading: { allow: [{ host: `127.0.0.1:${port}` }] } },
      }),
      catalog: undefined as never,
    });
    const controller = new AbortController();
    const t = context(
      { remoteUrl: `http://127.0.0.1:${port}/repo.git` },
      { 'a.txt': 'a' },
      controller.signal,
    );
    const started = Date.now();
    setTimeout(() => controller.abort(), 500);
    const error = await runAction(hangingAction, t).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(5000);
    hanging.closeAllConnections();
    hanging.close();
  });

  it('derives a contents URL for a configured GitHub host', async () => {
    git(['init', '--quiet', '--bare', join(gitRoot, 'org/web.git')]);
    const host = new URL(scm.base).host;
    const ghConfig = await loadTestConfig({
      integrations: { github: [{ host, apiBaseUrl: `${scm.base}/api/v3` }] },
    });
    const ghAction = createPublishGitAction({ config: ghConfig, catalog: undefined as never });
    const t = context({ remoteUrl: `${scm.base}/git/org/web.git`, token: TOKEN }, { 'a.txt': 'a' });
    await runAction(ghAction, t);
    expect(t.outputs.repoContentsUrl).toBe(`${scm.base}/git/org/web/tree/main`);
    expect(statSync(join(gitRoot, 'org/web.git/refs/heads/main')).isFile()).toBe(true);
  });
});

describe('publish:git reaches only remotes the allow list admits', () => {
  let internal: RecordingServer;
  beforeAll(async () => {
    internal = await startRecordingServer();
  });
  afterAll(() => internal.close());

  it('sends nothing to a loopback remote outside backend.reading.allow and names its host', async () => {
    for (const remoteUrl of [`${internal.base}/repo.git`, `${internal.base}/`]) {
      const t = context({ remoteUrl, token: 'tok_abcdef' }, { 'a.txt': 'a' });
      const error = await runAction(action, t).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.name).toBe('NotAllowedError');
      expect(error?.message).toBe(
        `Publishing to ${remoteUrl} is not allowed: add ${internal.host} to backend.reading.allow or configure it under integrations in app-config.yaml`,
      );
      // Refused before any git work: no commit was made either.
      expect(readdirSync(t.scratch)).toEqual([]);
    }
    expect(internal.requests).toEqual([]);
  });

  it('refuses ssh remotes on hosts outside the allow list, before running git', async () => {
    for (const [remoteUrl, host] of [
      ['ssh://git@127.0.0.1:2222/team/app.git', '127.0.0.1:2222'],
      ['git@internal.example:team/app.git', 'internal.example'],
    ]) {
      const t = context({ remoteUrl }, { 'a.txt': 'a' });
      await expect(runAction(action, t)).rejects.toThrow(
        `Publishing to ${remoteUrl} is not allowed: add ${host} to backend.reading.allow`,
      );
    }
  });

  it('does not follow a redirect from an allowed remote to a host outside the list', async () => {
    const redirecting = await startRedirectingServer(() => internal.base);
    try {
      const allowed = createPublishGitAction({
        config: await loadTestConfig({
          backend: { reading: { allow: [{ host: redirecting.host }] } },
        }),
        catalog: undefined as never,
      });
      const t = context(
        { remoteUrl: `${redirecting.base}/team/app.git`, token: 'tok_redirect_123' },
        { 'a.txt': 'a' },
      );
      await expect(runAction(allowed, t)).rejects.toThrow(
        `Could not read the remote ${redirecting.base}/team/app.git`,
      );
      expect(redirecting.requests.length).toBeGreaterThan(0);
      expect(internal.requests).toEqual([]);
    } finally {
      await redirecting.close();
    }
  });
});
