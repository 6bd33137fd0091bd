/**
 * End-to-end: software templates in Debian's Chromium against a real Atrium serving the demo
 * organisation and its Node.js service template. An engineer opens Create, picks the
 * template, fills its pages (pickers that search the catalog), reviews, creates, watches the
 * steps run in the live log, follows the output link to the new entity — which is in the
 * catalog with its owner — and the repository it was pushed to is a real git repository.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../src/cli/web-build.ts';
import { launchChromium } from '../helpers/browser.ts';
import { ENGINES, startTestServer, type TestServer } from '../helpers/server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test/screenshots');
const SECRET = 'S3cr3t-deploy-token-4711';
/** Backstage's sample template whose pages appear only for some answers (`if` on a page). */
const CONDITIONAL_SAMPLE = new URL(
  '../fixtures/backstage/backstage-examples/plugins/scaffolder-backend/sample-templates/conditional-parameters-demo/template.yaml',
  import.meta.url,
);

/** Templates of the test itself: a secret-taking one, and a slow one to cancel. */
const TEST_TEMPLATES = `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: rotate-deploy-key
  title: Rotate a deploy key
  description: Rotates the deploy key of a service <img src=x onerror=alert(1)>
  tags: [security, e2e]
spec:
  owner: team-identity
  type: operation
  secrets:
    schema:
      required: [token]
      properties:
        token:
          type: string
  parameters:
    - title: Credentials
      required: [service, token]
      properties:
        service:
          title: Service
          type: string
          ui:help: <b>not bold</b>
        token:
          title: Deploy token
          type: string
          ui:widget: password
  steps:
    - id: use
      name: Use the token
      action: debug:log
      input:
        message: Rotating \${{ parameters.service }} with \${{ secrets.token }}
  output:
    links:
      - title: Evil link
        url: javascript:alert(document.domain)
      - title: Runbook
        url: https://runbooks.example.com/deploy-keys
      - title: Repository
        url: https://git.example.com/team/\${{ parameters.service }}
    text:
      - title: Done
        content: Rotated **\${{ parameters.service }}** <b>now</b>
      - title: Next
        content: Check its keys at https://git.example.com/team/\${{ parameters.service }}/keys, not at javascript:alert(4)
    repoUrl: https://git.example.com/team/\${{ parameters.service }}
    keyFile: /etc/deploy-keys/\${{ parameters.service }}
---
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: slow-job
  title: Slow job
  description: Waits, so that it can be cancelled
  tags: [e2e]
spec:
  owner: team-platform
  type: operation
  parameters: []
  steps:
    - id: wait
      name: Wait a while
      action: debug:wait
      input:
        seconds: 60
    - id: after
      name: After the wait
      action: debug:log
      input:
        message: finished waiting
---
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: library-repo
  title: Library repository
  description: Says where a new library would be created
  tags: [e2e]
spec:
  owner: team-platform
  type: library
  parameters:
    - title: Repository
      required: [repoUrl]
      properties:
        repoUrl:
          title: Repository location
          type: string
          ui:field: RepoUrlPicker
          ui:options:
            allowedHosts: [github.com, gitlab.example.com]
        tags:
          title: Tags
          type: array
          items:
            type: string
          ui:field: EntityTagsPicker
  steps:
    - id: echo
      name: Echo
      action: debug:log
      input:
        message: repo=\${{ parameters.repoUrl }} slug=\${{ parameters.repoUrl | projectSlug }} tags=\${{ parameters.tags | join(',') }}
`;

const EDITOR_TEMPLATE = `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: editor-dry-run
  title: Editor dry run
spec:
  owner: team-platform
  type: service
  parameters:
    - title: Naming
      required: [name]
      properties:
        name:
          title: Name
          type: string
          ui:field: EntityNamePicker
  steps:
    - id: write
      name: Write the entity
      action: catalog:write
      input:
        filePath: meta/catalog-info.yaml
        entity:
          apiVersion: backstage.io/v1alpha1
          kind: Component
          metadata:
            name: \${{ parameters.name }}
          spec:
            type: service
            lifecycle: experimental
            owner: team-platform
    - id: log
      name: Say it
      action: debug:log
      input:
        message: Wrote \${{ parameters.name }}
  output:
    text:
      - title: Result
        content: \${{ parameters.name }} written
`;

describe.each(ENGINES)('scaffolder end to end on %s', (engine) => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let dir: string;
  const dialogs: string[] = [];
  const taskRequests: string[] = [];
  let serviceTaskPath = '';
  const shot = async (name: string, fullPage = true) => {
    if (engine === 'sqlite') await page.screenshot({ path: join(SHOTS, name), fullPage });
  };
  const stepStatus = (name: string) =>
    page
      .getByRole('list', { name: 'Steps' })
      .locator('li', { hasText: name })
      .getAttribute('data-status');
  const logText = async () => (await page.getByTestId('task-log').textContent()) ?? '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-scaffolder-e2e-'));
    writeFileSync(join(dir, 'templates.yaml'), TEST_TEMPLATES);
    mkdirSync(join(dir, 'remotes'));
    mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer({
      engine,
      webRoot: WEB_DIST,
      catalog: {
        locationTypes: ['url', 'file'],
        locations: [
          { type: 'file', target: join(ROOT, 'examples/catalog-info.yaml') },
          { type: 'file', target: join(dir, 'templates.yaml') },
        ],
      },
      extraConfig: { scaffolder: { workspaceDir: join(dir, 'workspaces') } },
    });
    browser = await launchChromium();
    const context = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1366, height: 900 },
      colorScheme: 'light',
    });
    page = await context.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('request', (request: Request) => {
      if (request.method() === 'POST' && request.url().includes('/api/scaffolder/v2/')) {
        taskRequests.push(request.postData() ?? '');
      }
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the templates grouped by type and filters them', async () => {
    await page.goto('/');
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Create' })
      .click();
    await page.waitForURL(/\/create$/);
    await expect.poll(() => page.title()).toBe('Create | Atrium');
    await page.getByRole('heading', { level: 2, name: 'service' }).waitFor();
    await page.getByRole('heading', { level: 2, name: 'operation' }).waitFor();
    await expect(page.getByTestId('template-count').textContent()).resolves.toBe('4 templates');
    const card = page.getByRole('article', { name: 'Node.js service' });
    await card.getByText('paved-road').waitFor();
    await card
      .getByRole('link', { name: 'Developer Platform' })
      .and(card.locator('[title="group:default/team-platform"]'))
      .waitFor();
    // the description is text, not markup
    await page
      .getByText('Rotates the deploy key of a service <img src=x onerror=alert(1)>')
      .waitFor();
    await shot('create-templates-light.png');

    await page.getByLabel('Tag').selectOption('nodejs');
    await expect.poll(() => page.getByTestId('template-count').textContent()).toBe('1 template');
    await page.getByLabel('Tag').selectOption('');
    await page.getByLabel('Type').selectOption('operation');
    await expect.poll(() => page.getByTestId('template-count').textContent()).toBe('2 templates');
    await page.getByLabel('Owner').selectOption('group:default/team-identity');
    await expect.poll(() => page.getByTestId('template-count').textContent()).toBe('1 template');
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await page.getByRole('searchbox', { name: 'Text' }).fill('slow');
    await expect.poll(() => page.getByTestId('template-count').textContent()).toBe('1 template');
    await page.getByRole('article', { name: 'Slow job' }).waitFor();
  });

  it('shows validation errors as the user types, and all of a page on Next', async () => {
    await page.goto('/create');
    await page.getByRole('link', { name: 'Choose Node.js service' }).click();
    await page.waitForURL('**/create/templates/default/node-service');
    await page.getByRole('heading', { level: 1, name: 'Node.js service' }).waitFor();
    const name = page.getByRole('textbox', { name: 'Name', exact: true });
    // ui:autofocus
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('root_name');
    await name.pressSequentially('Bad Name');
    const nameErrors = page.locator('#root_name__error');
    await expect.poll(() => nameErrors.textContent()).toContain('must match pattern');
    await expect(nameErrors.textContent()).resolves.toContain('must start and end with a letter');
    await expect(name.getAttribute('aria-invalid')).resolves.toBe('true');
    // untouched fields do not complain yet
    await expect(page.locator('#root_owner__error').count()).resolves.toBe(0);
    await shot('create-form-error-light.png', false);

    await name.fill('parcel-locker');
    await expect.poll(() => nameErrors.count()).toBe(0);
    // Next shows the errors of every field on the page and focuses the first
    await page.getByRole('button', { name: 'Next' }).click();
    await expect
      .poll(() => page.locator('#root_owner__error').textContent())
      .toBe('Owner is required');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('root_owner');
    await expect(
      page.getByRole('heading', { level: 2, name: 'About the service' }).count(),
    ).resolves.toBe(1);
  });

  it('creates a service from the Node.js template and lands on the new entity', async () => {
    const remote = join(dir, 'remotes', 'parcel-locker.git');
    await page.goto('/create/templates/default/node-service');
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('parcel-locker');
    await page.getByLabel('Description').fill('Lockers where customers pick up parcels');
    // the owner picker searches the catalog (groups of type team) as you type
    const owner = page.getByRole('combobox', { name: 'Owner' });
    await owner.fill('book');
    await page.getByRole('option', { name: 'Booking (team-booking)' }).waitFor();
    await shot('create-owner-picker-light.png', false);
    await page.getByRole('option', { name: 'Booking (team-booking)' }).click();
    await expect(owner.inputValue()).resolves.toBe('Booking (team-booking)');
    await shot('create-form-page1-light.png', false);
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByRole('heading', { level: 2, name: 'Where it fits' }).waitFor();
    // the system picker, from the keyboard: type, arrow down, Enter
    const system = page.getByRole('combobox', { name: 'System' });
    await system.fill('tracking');
    // the suggestions narrow to the one matching system
    const suggestions = page.getByRole('listbox', { name: 'Suggestions' }).getByRole('option');
    await expect.poll(() => suggestions.allTextContents()).toEqual(['Parcel Tracking (tracking)']);
    await system.press('ArrowDown');
    await expect(system.getAttribute('aria-activedescendant')).resolves.toBeTruthy();
    await system.press('Enter');
    await expect(system.inputValue()).resolves.toBe('Parcel Tracking (tracking)');
    // defaults from the schema are filled in
    await expect(
      page.getByLabel('Lifecycle').locator('option:checked').textContent(),
    ).resolves.toBe('experimental');
    await expect(page.getByLabel('HTTP port').inputValue()).resolves.toBe('8080');
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByRole('heading', { level: 2, name: 'Publish' }).waitFor();
    await page.getByLabel('Git remote').fill(remote);
    await page.getByRole('button', { name: 'Review' }).click();

    await page.getByRole('heading', { level: 2, name: 'Review' }).waitFor();
    const review = await page.locator('.review-page').allTextContents();
    const text = review.join('\n');
    for (const expected of [
      'parcel-locker',
      'Lockers where customers pick up parcels',
      'group:default/team-booking',
      'system:default/tracking',
      'experimental',
      '8080',
      remote,
    ]) {
      expect(text).toContain(expected);
    }
    await shot('create-review-light.png');
    await page.getByRole('button', { name: 'Create' }).click();

    await page.waitForURL(/\/create\/tasks\/[\w-]+$/);
    serviceTaskPath = new URL(page.url()).pathname;
    await page.getByRole('heading', { level: 1, name: 'Node.js service' }).waitFor();
    await page.getByRole('list', { name: 'Steps' }).getByText('Render the skeleton').waitFor();
    await expect
      .poll(() => page.getByTestId('task-status').textContent(), { timeout: 60_000 })
      .toBe('completed');
    for (const step of [
      'Render the skeleton',
      'Publish the repository',
      'Register in the catalog',
    ]) {
      await expect(stepStatus(step)).resolves.toBe('completed');
    }
    await expect.poll(logText, { timeout: 10_000 }).toContain('Generated parcel-locker for');
    const log = await logText();
    expect(log).toContain('Beginning step');
    expect(log).toContain('Generated parcel-locker for group:default/team-booking');
    // the log can be narrowed to one step
    const logOf = page.getByRole('combobox', { name: 'Show the log of' });
    await logOf.selectOption({ label: 'List generated files' });
    await expect.poll(logText).not.toContain('Render the skeleton');
    await expect(logText()).resolves.toContain('Generated parcel-locker');
    await logOf.selectOption({ label: 'All steps' });
    await shot('create-task-light.png');
    await page.evaluate(() => {
      document.documentElement.dataset.theme = 'dark';
    });
    await shot('create-task-dark.png');
    await page.evaluate(() => {
      document.documentElement.dataset.theme = 'light';
    });

    // the pushed repository is a real git repository holding the rendered files
    expect(existsSync(remote)).toBe(true);
    const files = execFileSync(
      'git',
      ['--git-dir', remote, 'ls-tree', '-r', '--name-only', 'HEAD'],
      {
        encoding: 'utf8',
      },
    );
    expect(files.split('\n')).toEqual(
      expect.arrayContaining(['catalog-info.yaml', 'package.json']),
    );

    // the output link leads to the new entity, which has its owner; the local remote is a
    // file path, shown as text rather than as a link into the portal
    const output = page.getByRole('region', { name: 'Output' });
    await expect(output.getByRole('link', { name: 'Repository' }).count()).resolves.toBe(0);
    await output.getByText(`Repository: ${remote}`).waitFor();
    await expect(
      output.getByTestId('output-links').locator('code', { hasText: remote }).textContent(),
    ).resolves.toBe(remote);
    await expect(output.locator('strong').first().textContent()).resolves.toBe('parcel-locker');
    await output.getByRole('link', { name: 'Open in catalog' }).click();
    await page.waitForURL('**/catalog/default/component/parcel-locker');
    await page.getByRole('heading', { level: 1, name: 'parcel-locker' }).waitFor();
    await page.locator('.entity-header a[title="group:default/team-booking"]').waitFor();
    await page.getByText('Lockers where customers pick up parcels').first().waitFor();
    await shot('create-new-entity-light.png');
  });

  it('keeps a secret out of the values, the review and the log', async () => {
    await page.goto('/create/templates/default/rotate-deploy-key');
    await page.getByRole('textbox', { name: 'Service', exact: true }).fill('billing');
    const token = page.getByLabel('Deploy token');
    await expect(token.getAttribute('type')).resolves.toBe('password');
    await token.fill(SECRET);
    // ui:help is text, not markup
    await page.getByText('<b>not bold</b>').waitFor();
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('heading', { level: 2, name: 'Review' }).waitFor();
    const review = (await page.locator('.review-page').textContent()) ?? '';
    expect(review).toContain('billing');
    expect(review).toContain('****');
    expect(review).not.toContain(SECRET);
    taskRequests.length = 0;
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/create\/tasks\/[\w-]+$/);
    await expect
      .poll(() => page.getByTestId('task-status').textContent(), { timeout: 30_000 })
      .toBe('completed');
    const sent = JSON.parse(taskRequests[0] ?? '{}') as {
      values: Record<string, unknown>;
      secrets: Record<string, string>;
    };
    expect(sent.secrets).toEqual({ token: SECRET });
    expect(JSON.stringify(sent.values)).not.toContain(SECRET);
    expect(sent.values.service).toBe('billing');
    // The status comes from the task, the log from its event stream: wait for the line.
    await expect.poll(logText, { timeout: 10_000 }).toContain('Rotating billing with');
    const log = await logText();
    expect(log).not.toContain(SECRET);
    expect(await page.content()).not.toContain(SECRET);
    // output: the javascript: link is text, the https one a link, the text content is text
    const output = page.getByRole('region', { name: 'Output' });
    await expect(output.getByRole('link', { name: 'Evil link' }).count()).resolves.toBe(0);
    await output.getByText('Evil link').waitFor();
    await expect(output.getByRole('link', { name: 'Runbook' }).getAttribute('href')).resolves.toBe(
      'https://runbooks.example.com/deploy-keys',
    );
    // output text: a little Markdown, and any HTML in it as literal text
    await expect(output.locator('strong').textContent()).resolves.toBe('billing');
    await output.getByText('<b>now</b>').waitFor();
    await expect(output.locator('b').count()).resolves.toBe(0);
    // a repository's https URL is a link wherever the output puts it: in links, in text and
    // as a plain value; a file path and a javascript: URL stay text
    await expect(
      output.getByRole('link', { name: 'Repository' }).getAttribute('href'),
    ).resolves.toBe('https://git.example.com/team/billing');
    await expect(
      output
        .getByRole('link', { name: 'https://git.example.com/team/billing/keys', exact: true })
        .getAttribute('href'),
    ).resolves.toBe('https://git.example.com/team/billing/keys');
    await output.getByText('/keys, not at javascript:alert(4)').waitFor();
    const values = output.locator('dl.props');
    await expect(
      values
        .getByRole('link', { name: 'https://git.example.com/team/billing', exact: true })
        .getAttribute('href'),
    ).resolves.toBe('https://git.example.com/team/billing');
    await values.getByText('/etc/deploy-keys/billing', { exact: true }).waitFor();
    await expect(values.getByRole('link').count()).resolves.toBe(1);
    await expect(output.locator('a[href^="javascript"]').count()).resolves.toBe(0);
    expect(dialogs).toEqual([]);
  });

  it('cancels a running task and retries it', async () => {
    await page.goto('/create/templates/default/slow-job');
    await page.getByText('This template asks for nothing.').waitFor();
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/create\/tasks\/[\w-]+$/);
    const firstUrl = page.url();
    await expect.poll(() => stepStatus('Wait a while'), { timeout: 20_000 }).toBe('running');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect
      .poll(() => page.getByTestId('task-status').textContent(), { timeout: 30_000 })
      .toMatch(/^(cancelled|failed)$/);
    await expect(stepStatus('Wait a while')).resolves.toMatch(/^(cancelled|failed)$/);
    await expect(stepStatus('After the wait')).resolves.toBe('skipped');
    await page.getByRole('button', { name: 'Retry' }).click();
    await expect.poll(() => page.url()).not.toBe(firstUrl);
    await expect.poll(() => stepStatus('Wait a while'), { timeout: 20_000 }).toBe('running');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect
      .poll(() => page.getByTestId('task-status').textContent(), { timeout: 30_000 })
      .toMatch(/^(cancelled|failed)$/);
  });

  it('picks a repository location and tags, and parses the location back when editing', async () => {
    await page.goto('/create/templates/default/library-repo');
    await page.getByRole('heading', { level: 2, name: 'Repository' }).waitFor();
    // the first allowed host is chosen, as in Backstage; the rest is missing
    await page.getByRole('button', { name: 'Review' }).click();
    await expect
      .poll(() => page.locator('#root_repoUrl__error').textContent())
      .toBe('is incomplete: the owner and repository must be filled in');
    await page.getByLabel('Host').selectOption('github.com');
    await page.getByLabel('Owner').fill('kestrel');
    await expect
      .poll(() => page.locator('#root_repoUrl__error').textContent())
      .toContain('the repository must be filled in');
    await page.getByRole('textbox', { name: 'Repository', exact: true }).fill('parcel-lib');
    await expect.poll(() => page.locator('#root_repoUrl__error').count()).toBe(0);

    const tags = page.getByRole('combobox', { name: 'Tags' });
    await tags.fill('Bad Tag');
    await tags.press('Enter');
    await page.getByRole('alert').getByText('"Bad Tag" must be lowercase').waitFor();
    await tags.fill('nodejs');
    await tags.press('Enter');
    await tags.fill('lib');
    await tags.press('Enter');
    await expect(
      page.getByRole('list', { name: 'Tags' }).locator('li').allTextContents(),
    ).resolves.toEqual(['nodejs×', 'lib×']);
    // suggestions are the tags the catalog already uses
    await expect
      .poll(() =>
        page
          .locator('datalist option')
          .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)),
      )
      .toContain('tier-1');
    await page.getByRole('button', { name: 'Remove tag lib' }).click();
    await tags.fill('library');
    await tags.press('Enter');

    await page.getByRole('button', { name: 'Review' }).click();
    const review = page.locator('.review-page');
    await review.getByText('github.com?owner=kestrel&repo=parcel-lib').waitFor();
    await review.getByText('nodejs, library').waitFor();
    // back to the page: the value is split into its parts again
    await page.getByRole('button', { name: 'Edit Repository' }).click();
    await expect(page.getByLabel('Host').inputValue()).resolves.toBe('github.com');
    await expect(page.getByLabel('Owner').inputValue()).resolves.toBe('kestrel');
    await expect(
      page.getByRole('textbox', { name: 'Repository', exact: true }).inputValue(),
    ).resolves.toBe('parcel-lib');
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/create\/tasks\/[\w-]+$/);
    await expect
      .poll(() => page.getByTestId('task-status').textContent(), { timeout: 30_000 })
      .toBe('completed');
    await expect
      .poll(logText, { timeout: 10_000 })
      .toContain(
        'repo=github.com?owner=kestrel&repo=parcel-lib slug=kestrel/parcel-lib tags=nodejs,library',
      );
  });

  it('resumes the live log after the connection drops, without losing or repeating lines', async () => {
    await page.goto(serviceTaskPath);
    await expect.poll(() => page.getByTestId('task-status').textContent()).toBe('completed');
    await expect.poll(logText, { timeout: 10_000 }).toContain('Generated parcel-locker for');
    const full = await logText();
    const urls: string[] = [];
    let cutAfter = 0;
    // The first connection delivers three events and then ends, as a dropped connection does.
    await page.route('**/eventstream*', async (route) => {
      const url = route.request().url();
      urls.push(url);
      if (new URL(url).searchParams.has('after')) return route.continue();
      const response = await route.fetch();
      const frames = (await response.text()).split('\n\n').filter((f) => f.trim());
      const kept = frames.slice(0, 3);
      cutAfter = JSON.parse(
        kept[2]!
          .split('\n')
          .find((l) => l.startsWith('data: '))!
          .slice(6),
      ).id;
      await route.fulfill({
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        body: `${kept.join('\n\n')}\n\n`,
      });
    });
    try {
      await page.goto(serviceTaskPath);
      await expect.poll(logText, { timeout: 20_000 }).toBe(full);
      expect(urls).toHaveLength(2);
      expect(new URL(urls[1]!).searchParams.get('after')).toBe(String(cutAfter));
    } finally {
      await page.unroute('**/eventstream*');
    }
  });

  it('lists past tasks', async () => {
    await page.goto('/create/tasks');
    const table = page.getByTestId('tasks-table');
    await table.waitFor();
    await expect.poll(() => table.locator('tbody tr').count()).toBe(5);
    const first = await table.locator('tbody tr').allTextContents();
    expect(first.join('\n')).toContain('Node.js service');
    expect(first.join('\n')).toContain('completed');
    await page.getByLabel('Status').selectOption('completed');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(3);
    await table.getByRole('link').first().click();
    await page.waitForURL(/\/create\/tasks\/[\w-]+$/);
    await expect.poll(() => page.getByTestId('task-status').textContent()).toBe('completed');
  });

  it('dry-runs a pasted template in the editor and shows the files it wrote', async () => {
    await page.goto('/create/edit');
    const yaml = page.getByLabel('template.yaml');
    await yaml.fill(
      'apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: [broken\n',
    );
    await expect
      .poll(() => page.getByTestId('yaml-problems').textContent())
      .toMatch(/^line [45], column \d+: /);
    await yaml.fill(EDITOR_TEMPLATE);
    await page.getByRole('heading', { level: 2, name: 'Naming' }).waitFor();
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('dry-widget');
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Dry run' }).click();
    const result = page.getByTestId('dry-run-result');
    await result.waitFor({ timeout: 30_000 });
    await result.getByText('meta/', { exact: true }).waitFor();
    await result.getByRole('button', { name: 'catalog-info.yaml' }).click();
    await expect
      .poll(() => result.getByTestId('file-content').textContent())
      .toContain('name: dry-widget');
    await expect(result.getByTestId('dry-run-log').textContent()).resolves.toContain(
      'Wrote dry-widget',
    );
    await result.getByText('dry-widget written').waitFor();
    await shot('template-editor-light.png');
    // nothing was created
    const missing = await fetch(
      `${server.url}/api/catalog/entities/by-name/component/default/dry-widget`,
    );
    expect(missing.status).toBe(404);
  });

  it("runs Backstage's conditional-pages sample unchanged, showing only the pages that apply", async () => {
    await page.goto('/create/edit');
    await page.getByLabel('template.yaml').fill(readFileSync(CONDITIONAL_SAMPLE, 'utf8'));
    await page.getByRole('heading', { level: 2, name: 'Choose Cloud Provider' }).waitFor();
    const stepper = page.getByRole('list', { name: 'Form pages' });
    await page.getByRole('textbox', { name: 'Component Name', exact: true }).fill('edge-cache');
    await page.getByRole('combobox', { name: 'Cloud Provider' }).selectOption({ label: 'GCP' });
    // the GCP page is in, the AWS and Azure pages are out
    await expect
      .poll(() => stepper.locator('li').allTextContents())
      .toEqual(['1Choose Cloud Provider', '2GCP Configuration', '3Advanced Options', '4Review']);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('heading', { level: 2, name: 'GCP Configuration' }).waitFor();
    await page.getByRole('textbox', { name: 'GCP Project ID', exact: true }).fill('kestrel-edge');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('heading', { level: 2, name: 'Advanced Options' }).waitFor();
    await page.getByLabel('Enable Monitoring').check();
    await expect.poll(() => stepper.locator('li').count()).toBe(5);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('heading', { level: 2, name: 'Monitoring Configuration' }).waitFor();
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Dry run' }).click();
    const result = page.getByTestId('dry-run-result');
    await result.waitFor({ timeout: 30_000 });
    await expect(result.getByTestId('dry-run-log').textContent()).resolves.toContain(
      'Creating edge-cache on GCP.',
    );
    await result.getByText('GCP Details').waitFor();
    await expect(result.getByText('AWS Details').count()).resolves.toBe(0);
  });

  it('dry-runs a template folder added in the editor, rendering its skeleton', async () => {
    await page.goto('/create/edit');
    await page
      .getByLabel("Add the template's folder")
      .setInputFiles(join(ROOT, 'examples/templates/node-service'));
    // the folder's template.yaml replaces the text, its other files go with the dry run
    await expect
      .poll(() => page.getByLabel('template.yaml').inputValue())
      .toContain('name: node-service');
    await page.getByText('6 files added').waitFor();
    await page.getByRole('heading', { level: 2, name: 'About the service' }).waitFor();
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('dry-locker');
    // arbitrary values are allowed in this picker: typing is enough
    await page.getByRole('combobox', { name: 'Owner' }).fill('team-booking');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('heading', { level: 2, name: 'Where it fits' }).waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('heading', { level: 2, name: 'Publish' }).waitFor();
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Dry run' }).click();
    const result = page.getByTestId('dry-run-result');
    await result.waitFor({ timeout: 30_000 });
    await result.getByRole('button', { name: 'package.json' }).click();
    await expect
      .poll(() => result.getByTestId('file-content').textContent())
      .toContain('"name": "dry-locker"');
    await result.getByRole('button', { name: 'index.md' }).click();
    await expect
      .poll(() => result.getByTestId('file-content').textContent())
      .toContain('dry-locker');
    await shot('template-editor-folder-light.png');
  });
});
