import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestContext, runAction, type TestActionContext } from '../testkit.ts';
import { debugActions } from './index.ts';
import { debugLogAction } from './log.ts';
import { debugWaitAction } from './wait.ts';

const contexts: TestActionContext[] = [];
function context(input: Record<string, unknown>, signal?: AbortSignal) {
  const t = makeTestContext(input as never, { signal });
  contexts.push(t);
  return t;
}
afterEach(() => {
  for (const t of contexts.splice(0)) t.cleanup();
});

describe('debugActions', () => {
  it('exports debug:log (dry-run capable) and debug:wait (not)', () => {
    expect(debugActions.map((a) => (typeof a === 'function' ? 'factory' : a.id))).toEqual([
      'debug:log',
      'debug:wait',
    ]);
    expect(debugLogAction.supportsDryRun).toBe(true);
    expect(debugWaitAction.supportsDryRun).toBe(false);
  });
});

describe('debug:log', () => {
  it('logs the input as JSON, then the message', async () => {
    const t = context({ message: 'Creating my-service' });
    await runAction(debugLogAction, t);
    expect(t.logs.map((l) => l.message)).toEqual([
      JSON.stringify({ message: 'Creating my-service' }, null, 2),
      'Creating my-service',
    ]);
  });

  it.each([
    [true, false],
    ['with-filenames', false],
    ['with-contents', true],
  ])(
    'listWorkspace %s lists files (contents: %s), without following symlinks',
    async (mode, withContents) => {
      const t = context({ listWorkspace: mode });
      mkdirSync(join(t.workspace, 'src'));
      writeFileSync(join(t.workspace, 'README.md'), '# Hello');
      writeFileSync(join(t.workspace, 'src/index.ts'), 'export {}');
      writeFileSync(join(t.workspace, 'logo.png'), Buffer.from([0x89, 0x50, 0, 0, 1]));
      const outside = mkdtempSync(join(tmpdir(), 'atrium-debug-outside-'));
      writeFileSync(join(outside, 'secret.txt'), 'top secret');
      symlinkSync(outside, join(t.workspace, 'link'));
      symlinkSync(join(outside, 'secret.txt'), join(t.workspace, 'secret-link'));
      await runAction(debugLogAction, t);
      rmSync(outside, { recursive: true });
      const listing = t.logs.at(-1)!.message;
      expect(listing.startsWith('Workspace:\n')).toBe(true);
      expect(listing).toContain(' - README.md');
      expect(listing).toContain(' - src/index.ts');
      expect(listing.includes('# Hello')).toBe(withContents);
      expect(listing.includes('export {}')).toBe(withContents);
      if (withContents) expect(listing).toContain('(binary file, 5 bytes)');
      expect(listing).toContain(' - link (symlink)');
      expect(listing).not.toContain('secret.txt');
      expect(listing).not.toContain('top secret');
    },
  );

  it('rejects an unknown listWorkspace value (schema)', async () => {
    const t = context({ listWorkspace: 'everything' });
    await expect(runAction(debugLogAction, t)).rejects.toThrow(
      /Invalid input passed to action debug:log/,
    );
  });
});

describe('debug:wait', () => {
  it('waits for the sum of minutes, seconds and milliseconds', async () => {
    const t = context({ seconds: 0.2, milliseconds: 100 });
    const started = Date.now();
    await runAction(debugWaitAction, t);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(t.logText()).toContain('Waiting 300 ms');
  });

  it('refuses more than 10 minutes in total', async () => {
    const t = context({ minutes: 9, seconds: 61 });
    await expect(runAction(debugWaitAction, t)).rejects.toThrow(
      'longer than the maximum of 10 minutes',
    );
  });

  it('stops at once when the task is cancelled', async () => {
    const controller = new AbortController();
    const t = context({ minutes: 5 }, controller.signal);
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    const error = await runAction(debugWaitAction, t).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error?.name).toBe('AbortError');
    expect(error?.message).toMatch(/debug:wait cancelled after \d+ ms of 300 s/);
  });
});
