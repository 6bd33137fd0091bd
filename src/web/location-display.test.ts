import { describe, expect, it } from 'vitest';
import { displayLocationRef, isServerPath, withDisplayedLocations } from './location-display.ts';

describe('server paths in the web app', () => {
  it('names a registered location from the folder above its own', () => {
    expect(displayLocationRef('file', '/srv/atrium/examples/catalog-info.yaml')).toBe(
      'file:./examples/catalog-info.yaml',
    );
    expect(displayLocationRef('file', 'C:\\srv\\examples\\catalog-info.yaml')).toBe(
      'file:./examples/catalog-info.yaml',
    );
    expect(displayLocationRef('url', 'https://github.com/o/r/blob/main/a.yaml')).toBe(
      'url:https://github.com/o/r/blob/main/a.yaml',
    );
  });

  it('tells a server path from refs and addresses', () => {
    expect(isServerPath('/srv/atrium/policy.yaml')).toBe(true);
    expect(isServerPath('C:\\atrium\\policy.yaml')).toBe(true);
    expect(isServerPath('component:default/x')).toBe(false);
    expect(isServerPath('examples/policy.yaml')).toBe(false);
    expect(isServerPath('//host/share')).toBe(false);
  });

  it('shows an entity’s location annotations relative for the Raw tab, the rest untouched', () => {
    const entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'x',
        annotations: {
          'backstage.io/managed-by-location': 'file:/srv/cat/services/x.yaml',
          'backstage.io/managed-by-origin-location': 'file:/srv/cat/catalog-info.yaml',
          'backstage.io/source-location': 'url:https://github.com/o/r/tree/main/',
          'example.com/path': '/srv/cat/kept-as-written',
        },
      },
    };
    const shown = withDisplayedLocations(entity);
    expect(shown.metadata.annotations).toEqual({
      'backstage.io/managed-by-location': 'file:./services/x.yaml',
      'backstage.io/managed-by-origin-location': 'file:./catalog-info.yaml',
      'backstage.io/source-location': 'url:https://github.com/o/r/tree/main/',
      'example.com/path': '/srv/cat/kept-as-written',
    });
    // The entity the page was given is not changed.
    expect(entity.metadata.annotations['backstage.io/managed-by-location']).toBe(
      'file:/srv/cat/services/x.yaml',
    );
    const plain: { metadata: { name: string; annotations?: Record<string, string> } } = {
      metadata: { name: 'y' },
    };
    expect(withDisplayedLocations(plain)).toBe(plain);
  });
});
