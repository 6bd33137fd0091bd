import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Entity } from '../../../../model/entity.ts';
import { realDocsDir, resolveDocsRef } from './docs-ref.ts';

function entity(annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'svc', annotations },
    spec: {},
  };
}

const managed = (location: string, ref: string) =>
  entity({ 'backstage.io/managed-by-location': location, 'backstage.io/techdocs-ref': ref });

describe('resolveDocsRef', () => {
  it('resolves dir: against the folder of a file location, and refuses leaving it', () => {
    expect(resolveDocsRef(managed('file:/repo/svc/catalog-info.yaml', 'dir:.'))).toEqual({
      type: 'dir',
      target: '/repo/svc',
      root: '/repo/svc',
    });
    expect(resolveDocsRef(managed('file:/repo/svc/catalog-info.yaml', 'dir:./site'))).toMatchObject(
      {
        target: '/repo/svc/site',
      },
    );
    for (const ref of ['dir:..', 'dir:../other', 'dir:site/../../x', 'dir:/etc']) {
      expect(() => resolveDocsRef(managed('file:/repo/svc/catalog-info.yaml', ref)), ref).toThrow(
        /backstage\.io\/techdocs-ref of Component:default\/svc/,
      );
    }
  });

  it('prefers the source-location (a folder) over the managed-by-location', () => {
    const e = entity({
      'backstage.io/managed-by-location': 'file:/elsewhere/catalog.yaml',
      'backstage.io/source-location': 'file:/repo/svc/',
      'backstage.io/techdocs-ref': 'dir:docs-site',
    });
    expect(resolveDocsRef(e)).toEqual({
      type: 'dir',
      target: '/repo/svc/docs-site',
      root: '/repo/svc',
    });
  });

  it('turns dir: next to a git-hosted catalog file into the URL of a folder in the same repository', () => {
    const location = 'url:https://git.example/org/repo/blob/main/services/svc/catalog-info.yaml';
    expect(resolveDocsRef(managed(location, 'dir:.'))).toEqual({
      type: 'url',
      target: 'https://git.example/org/repo/tree/main/services/svc',
    });
    expect(resolveDocsRef(managed(location, 'dir:../../handbook'))).toEqual({
      type: 'url',
      target: 'https://git.example/org/repo/tree/main/handbook',
    });
    expect(() => resolveDocsRef(managed(location, 'dir:../../../x'))).toThrow(
      /outside the repository/,
    );
    const gitlab = 'url:https://gitlab.example/g/sub/repo/-/blob/v2/catalog-info.yaml';
    expect(resolveDocsRef(managed(gitlab, 'dir:.'))).toEqual({
      type: 'url',
      target: 'https://gitlab.example/g/sub/repo/-/tree/v2',
    });
  });

  it('takes url: refs as they are and refuses other types with the annotation named', () => {
    expect(
      resolveDocsRef(entity({ 'backstage.io/techdocs-ref': 'url:https://h/o/r/tree/main/docs' })),
    ).toEqual({
      type: 'url',
      target: 'https://h/o/r/tree/main/docs',
    });
    expect(() => resolveDocsRef(entity({ 'backstage.io/techdocs-ref': 'url:ftp://h/x' }))).toThrow(
      /http\(s\)/,
    );
    expect(() => resolveDocsRef(entity({ 'backstage.io/techdocs-ref': 'github:o/r' }))).toThrow(
      /type 'github' in 'github:o\/r' is not supported/,
    );
    expect(() => resolveDocsRef(entity({ 'backstage.io/techdocs-ref': 'no-colon' }))).toThrow(
      /Invalid annotation backstage\.io\/techdocs-ref/,
    );
    expect(() => resolveDocsRef(entity({ 'backstage.io/techdocs-ref': 'dir:.' }))).toThrow(
      /neither backstage\.io\/source-location nor backstage\.io\/managed-by-location/,
    );
    expect(() => resolveDocsRef(entity({}))).toThrow(
      'No backstage.io/techdocs-ref annotation provided in entity: svc',
    );
  });
});

describe('realDocsDir', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atrium-docs-ref-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a docs folder that is a link out of the catalog folder', async () => {
    mkdirSync(join(dir, 'repo/svc'), { recursive: true });
    mkdirSync(join(dir, 'secret'));
    symlinkSync(join(dir, 'secret'), join(dir, 'repo/svc/docs-link'));
    const root = join(dir, 'repo/svc');
    await expect(realDocsDir({ type: 'dir', target: root, root })).resolves.toBe(root);
    await expect(
      realDocsDir({ type: 'dir', target: join(root, 'docs-link'), root }),
    ).rejects.toThrow(/is a link to .*secret, outside the folder of the catalog file/);
    await expect(realDocsDir({ type: 'dir', target: join(root, 'missing'), root })).rejects.toThrow(
      /does not exist/,
    );
  });
});
