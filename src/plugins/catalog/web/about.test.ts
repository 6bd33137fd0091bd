import { describe, expect, it } from 'vitest';
import { displayLocation, docsPath, editUrlOf, locationBase, sourceLinks } from './about.ts';

describe('displayLocation', () => {
  const base = '/srv/catalog';

  it('shows a file under the location’s folder relative to it', () => {
    expect(displayLocation('file:/srv/catalog/services/a.yaml', base)).toBe(
      'file:./services/a.yaml',
    );
    expect(displayLocation('file:/srv/catalog/catalog-info.yaml', base)).toBe(
      'file:./catalog-info.yaml',
    );
    expect(displayLocation('file:/srv/catalog/services/', base)).toBe('file:./services/');
    expect(displayLocation('file:/srv/catalog/', base)).toBe('file:./');
  });

  it('shows any other file by its base name only', () => {
    expect(displayLocation('file:/etc/secret/place/a.yaml', base)).toBe('file:a.yaml');
    // A sibling folder whose name starts like the base is not under it.
    expect(displayLocation('file:/srv/catalog-old/a.yaml', base)).toBe('file:a.yaml');
    expect(displayLocation('file:/srv/other/dir/', undefined)).toBe('file:dir/');
    expect(displayLocation('file:C:\\data\\catalog\\x.yaml', 'C:/data/catalog')).toBe(
      'file:./x.yaml',
    );
  });

  it('leaves other location types as written', () => {
    expect(displayLocation('url:https://github.com/o/r/blob/main/x.yaml', base)).toBe(
      'url:https://github.com/o/r/blob/main/x.yaml',
    );
    expect(displayLocation('not a location', base)).toBe('not a location');
  });
});

describe('locationBase', () => {
  it('is the folder of the origin location, else of the managing one', () => {
    expect(
      locationBase({
        'backstage.io/managed-by-location': 'file:/srv/catalog/services/a.yaml',
        'backstage.io/managed-by-origin-location': 'file:/srv/catalog/catalog-info.yaml',
      }),
    ).toBe('/srv/catalog');
    expect(
      locationBase({ 'backstage.io/managed-by-location': 'file:/srv/catalog/services/a.yaml' }),
    ).toBe('/srv/catalog/services');
    expect(
      locationBase({ 'backstage.io/managed-by-origin-location': 'url:https://x.example/a.yaml' }),
    ).toBeUndefined();
  });
});

describe('sourceLinks', () => {
  it('derives view and edit links from a url location on GitHub', () => {
    const links = sourceLinks({
      'backstage.io/managed-by-location':
        'url:https://github.com/o/r/blob/main/svc/catalog-info.yaml',
      'backstage.io/source-location': 'url:https://github.com/o/r/tree/main/svc/',
    });
    expect(links).toEqual({
      repository: { url: 'https://github.com/o/r/tree/main/svc/', label: 'github.com/o/r' },
      viewUrl: 'https://github.com/o/r/blob/main/svc/catalog-info.yaml',
      editUrl: 'https://github.com/o/r/edit/main/svc/catalog-info.yaml',
    });
  });

  it('prefers the annotations, and falls back to the project slug for the repository', () => {
    const links = sourceLinks({
      'backstage.io/view-url': 'https://code.example/view',
      'backstage.io/edit-url': 'https://code.example/edit',
      'github.com/project-slug': 'o/r',
    });
    expect(links).toEqual({
      repository: { url: 'https://github.com/o/r', label: 'github.com/o/r' },
      viewUrl: 'https://code.example/view',
      editUrl: 'https://code.example/edit',
    });
  });

  it('has nothing to offer for a file location', () => {
    expect(sourceLinks({ 'backstage.io/managed-by-location': 'file:/srv/catalog/a.yaml' })).toEqual(
      { viewUrl: undefined, editUrl: undefined },
    );
  });
});

describe('editUrlOf', () => {
  it('knows GitHub and GitLab file pages, and nothing else', () => {
    expect(editUrlOf('https://gitlab.example/g/p/-/blob/main/a.yaml')).toBe(
      'https://gitlab.example/g/p/-/edit/main/a.yaml',
    );
    expect(editUrlOf('https://github.example.com/o/r/blob/v1/a.yaml')).toBe(
      'https://github.example.com/o/r/edit/v1/a.yaml',
    );
    expect(editUrlOf('https://github.com/o/r/tree/main/')).toBeUndefined();
    expect(editUrlOf('https://bitbucket.org/o/r/src/main/a.yaml')).toBeUndefined();
    expect(editUrlOf('not a url')).toBeUndefined();
  });
});

describe('docsPath', () => {
  const entity = (annotations: Record<string, string>) => ({
    kind: 'Component',
    metadata: { name: 'Svc', namespace: 'Payments', annotations },
  });

  it('points at the entity’s own docs, or those of the entity it borrows them from', () => {
    expect(docsPath(entity({ 'backstage.io/techdocs-ref': 'dir:.' }))).toBe(
      '/docs/payments/component/svc',
    );
    expect(docsPath(entity({ 'backstage.io/techdocs-entity': 'system:shop' }))).toBe(
      '/docs/payments/system/shop',
    );
    expect(docsPath(entity({}))).toBeUndefined();
  });
});
