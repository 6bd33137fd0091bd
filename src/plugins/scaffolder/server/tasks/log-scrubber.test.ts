import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LogScrubber } from './log-scrubber.ts';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'atrium-scrub-')));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('LogScrubber', () => {
  const task = join(root, 'workspaces', 'task-1');
  const ws = join(task, 'workspace');
  mkdirSync(ws, { recursive: true });
  const scrubber = new LogScrubber(ws, { cwd: '/srv/atrium' });

  it('makes workspace paths relative, keeping the message useful', () => {
    expect(
      scrubber.text(`ENOENT: no such file or directory, open '${ws}/skeleton/README.md'`),
    ).toBe("ENOENT: no such file or directory, open 'skeleton/README.md'");
    expect(scrubber.text(`${ws}/skeleton/README.md: bad tag`)).toBe('skeleton/README.md: bad tag');
    expect(scrubber.text(`copied into ${ws}`)).toBe('copied into .');
    expect(scrubber.text(`read ${pathToFileURL(join(ws, 'a b.txt')).href}`)).toBe('read a%20b.txt');
    expect(scrubber.text(`location file:${ws}/catalog-info.yaml`)).toBe(
      'location catalog-info.yaml',
    );
  });

  it('hides the task folder, temporary folders and the working directory', () => {
    expect(scrubber.text(`${task}/tmp/scratch-x/repo`)).toBe('<task>/tmp/scratch-x/repo');
    expect(scrubber.text(`${tmpdir()}/other-thing`)).toBe('<tmp>/other-thing');
    expect(scrubber.text('/srv/atrium/data/repos/app.git')).toBe('<server>/data/repos/app.git');
    const scratch = join(root, 'elsewhere', 'scratch');
    scrubber.add(scratch);
    expect(scrubber.text(`${scratch}/x`)).toBe('<tmp>/x');
  });

  it('leaves look-alike paths alone', () => {
    expect(scrubber.text(`${ws}2/x`)).toBe(`<task>/workspace2/x`);
    expect(scrubber.text('/srv/atrium-old/x')).toBe('/srv/atrium-old/x');
    expect(scrubber.text('/etc/passwd')).toBe('/etc/passwd');
    expect(scrubber.text('https://example.com/srv/atrium/x')).toBe(
      'https://example.com/srv/atrium/x',
    );
  });

  it('matches the real path of a workspace reached through a symbolic link', () => {
    const link = join(root, 'link');
    symlinkSync(task, link);
    const linked = new LogScrubber(join(link, 'workspace'));
    expect(linked.text(`${ws}/a.txt and ${link}/workspace/b.txt`)).toBe('a.txt and b.txt');
  });

  it('drops stack trace lines', () => {
    const error = new Error(`${ws}/skeleton/README.md: unexpected end of template`);
    expect(scrubber.text(error.stack!)).toBe(
      'Error: skeleton/README.md: unexpected end of template',
    );
    expect(scrubber.json({ message: error.stack!, stepId: 'a' })).toEqual({
      message: 'Error: skeleton/README.md: unexpected end of template',
      stepId: 'a',
    });
  });
});
