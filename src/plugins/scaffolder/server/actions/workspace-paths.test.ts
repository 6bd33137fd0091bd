import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveSafeChildPath } from './workspace-paths.ts';

const root = mkdtempSync(join(tmpdir(), 'atrium-paths-'));
const workspace = join(root, 'ws');
const outside = join(root, 'outside');
mkdirSync(join(workspace, 'sub'), { recursive: true });
mkdirSync(outside);
writeFileSync(join(workspace, 'sub', 'file.txt'), 'x');
symlinkSync(outside, join(workspace, 'out-dir'));
symlinkSync(join(outside, 'not-yet.txt'), join(workspace, 'dangling'));
symlinkSync(join(workspace, 'sub'), join(workspace, 'in-dir'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('resolveSafeChildPath', () => {
  it('resolves paths inside the workspace, existing or not', () => {
    expect(resolveSafeChildPath(workspace, 'sub/file.txt')).toBe(join(workspace, 'sub/file.txt'));
    expect(resolveSafeChildPath(workspace, 'new/deep/file.txt')).toBe(
      join(workspace, 'new/deep/file.txt'),
    );
    expect(resolveSafeChildPath(workspace, './')).toBe(workspace);
    expect(resolveSafeChildPath(workspace, 'in-dir/file.txt')).toBe(
      join(workspace, 'in-dir/file.txt'),
    );
  });

  it.each([
    ['../x', 'leads outside the workspace'],
    ['sub/../../x', 'leads outside the workspace'],
    ['/etc/passwd', 'is an absolute path'],
    ['out-dir/x.txt', 'leads outside the workspace through a symlink'],
    ['out-dir', 'leads outside the workspace through a symlink'],
    ['dangling', 'leads outside the workspace through a symlink'],
  ])('refuses %s', (path, message) => {
    expect(() => resolveSafeChildPath(workspace, path, 'targetPath')).toThrow(
      new RegExp(`^targetPath: '.*' ${message}`),
    );
  });
});
