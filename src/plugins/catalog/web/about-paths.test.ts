import { describe, expect, it } from 'vitest';
import { displayMessage, displayPath, locationBase, locationDirectory } from './about.ts';

describe('server paths on the health page, the Ingestion status and History tabs', () => {
  it('takes the directory of a file location only', () => {
    expect(locationDirectory('file:/srv/catalog/services/a.yaml')).toBe('/srv/catalog/services');
    expect(locationDirectory('file:C:\\catalog\\a.yaml')).toBe('C:/catalog');
    expect(locationDirectory('url:https://github.com/o/r/blob/main/a.yaml')).toBeUndefined();
    expect(locationDirectory('file:')).toBeUndefined();
    expect(locationDirectory('no-colon')).toBeUndefined();
  });

  it('still finds an entity’s base from its origin first', () => {
    expect(
      locationBase({
        'backstage.io/managed-by-location': 'file:/srv/catalog/services/a.yaml',
        'backstage.io/managed-by-origin-location': 'file:/srv/catalog/catalog-info.yaml',
      }),
    ).toBe('/srv/catalog');
  });

  it('shows a problem’s file relative to the location, else by its base name', () => {
    expect(displayPath('/srv/catalog/services/a.yaml', '/srv/catalog')).toBe('./services/a.yaml');
    expect(displayPath('/elsewhere/b.yaml', '/srv/catalog')).toBe('b.yaml');
    expect(displayPath('/elsewhere/b.yaml', undefined)).toBe('b.yaml');
  });

  it('makes the paths under the location relative in a server message, and nothing else', () => {
    expect(
      displayMessage('File /srv/catalog/services/missing.yaml does not exist', '/srv/catalog'),
    ).toBe('File ./services/missing.yaml does not exist');
    expect(displayMessage('No files match /srv/catalog/*.yaml', '/srv/catalog/')).toBe(
      'No files match ./*.yaml',
    );
    expect(displayMessage('File C:\\srv\\catalog\\a.yaml is missing', 'C:/srv/catalog')).toBe(
      'File ./a.yaml is missing',
    );
    // A folder whose name only starts like the base is not under it.
    expect(displayMessage('File /srv/catalog2/a.yaml', '/srv/catalog')).toBe(
      'File /srv/catalog2/a.yaml',
    );
    expect(displayMessage('a message', undefined)).toBe('a message');
  });
});
