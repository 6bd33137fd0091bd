import { mkdir, mkdtemp, readdir, rename, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalDocsStorage } from './local-docs-storage.ts';
import { parseTriplet } from './triplet.ts';

async function site(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'atrium-site-'));
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
  return dir;
}

const metadata = (name: string, files: string[]) =>
  JSON.stringify({ site_name: name, build_timestamp: 1, files });

describe('LocalDocsStorage', () => {
  it('publishes under the lowercased triplet and reads files back', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'atrium-storage-'));
    const storage = new LocalDocsStorage(root);
    const triplet = { namespace: 'Default', kind: 'Component', name: 'Booking-Service' };
    await storage.publish(
      triplet,
      await site({
        'techdocs_metadata.json': metadata('Booking', ['index.html', 'guide/index.html']),
        'index.html': '<h1>Home</h1>',
        'guide/index.html': '<h1>Guide</h1>',
      }),
    );
    expect(await readdir(path.join(root, 'default/component/booking-service'))).toEqual([
      'guide',
      'index.html',
      'techdocs_metadata.json',
    ]);
    expect((await storage.readFile(triplet, 'guide/index.html'))?.toString()).toBe(
      '<h1>Guide</h1>',
    );
    expect((await storage.readFile(triplet, './guide//index.html'))?.toString()).toBe(
      '<h1>Guide</h1>',
    );
    expect((await storage.getMetadata(triplet))?.site_name).toBe('Booking');
    expect(await storage.listSites()).toEqual([
      { namespace: 'default', kind: 'component', name: 'booking-service' },
    ]);
  });

  it('replaces the whole site on republish, leaving no stale file or temp folder', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'atrium-storage-'));
    const storage = new LocalDocsStorage(root);
    const triplet = parseTriplet('default/component/x');
    await storage.publish(
      triplet,
      await site({ 'techdocs_metadata.json': metadata('v1', []), 'old/index.html': 'old' }),
    );
    await storage.publish(
      triplet,
      await site({ 'techdocs_metadata.json': metadata('v2', []), 'new/index.html': 'new' }),
    );
    expect(await storage.readFile(triplet, 'old/index.html')).toBeUndefined();
    expect((await storage.readFile(triplet, 'new/index.html'))?.toString()).toBe('new');
    expect((await storage.getMetadata(triplet))?.site_name).toBe('v2');
    expect(await readdir(path.join(root, 'default/component'))).toEqual(['x']);
  });

  it('serves the old site in the instant a republish has moved it aside', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'atrium-storage-'));
    const storage = new LocalDocsStorage(root);
    const triplet = parseTriplet('default/component/x');
    await storage.publish(
      triplet,
      await site({ 'techdocs_metadata.json': metadata('v1', []), 'index.html': 'v1' }),
    );
    // What publish does between its two renames.
    const parent = path.join(root, 'default/component');
    await rename(path.join(parent, 'x'), path.join(parent, '.x.old-123-abcd'));
    expect((await storage.readFile(triplet, 'index.html'))?.toString()).toBe('v1');
    expect(await storage.readFile(triplet, 'missing.html')).toBeUndefined();
    expect(await storage.readFile(triplet, '../x/index.html')).toBeUndefined();
    expect(await storage.listSites()).toEqual([]);
    expect(await storage.readFile(parseTriplet('default/component/y'), 'index.html')).toBe(
      undefined,
    );
  });

  it('never answers "missing" for a page while the site is republished again and again', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'atrium-storage-'));
    const storage = new LocalDocsStorage(root);
    const triplet = parseTriplet('default/component/busy');
    const versions = await Promise.all(
      Array.from({ length: 3 }, (_, i) =>
        site({ 'techdocs_metadata.json': metadata(`v${i}`, []), 'index.html': `v${i}` }),
      ),
    );
    await storage.publish(triplet, versions[0]!);
    let publishing = true;
    const misses: number[] = [];
    let reads = 0;
    const reader = (async () => {
      while (publishing) {
        const page = await storage.readFile(triplet, 'index.html');
        reads++;
        if (!page) misses.push(reads);
      }
    })();
    for (let i = 0; i < 30; i++) await storage.publish(triplet, versions[i % 3]!);
    publishing = false;
    await reader;
    expect(reads).toBeGreaterThan(10);
    expect(misses).toEqual([]);
  });

  it('refuses to publish a folder that is not a built site, keeping the old site', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'atrium-storage-'));
    const storage = new LocalDocsStorage(root);
    const triplet = parseTriplet('default/component/x');
    await storage.publish(triplet, await site({ 'techdocs_metadata.json': metadata('v1', []) }));
    const notASite = await site({ 'index.html': 'x' });
    await expect(storage.publish(triplet, notASite)).rejects.toThrow(
      `${notASite}: not a built docs site (no techdocs_metadata.json)`,
    );
    await expect(
      storage.publish(triplet, await site({ 'techdocs_metadata.json': '{"nope": 1}' })),
    ).rejects.toThrow(/site_name missing/);
    expect((await storage.getMetadata(triplet))?.site_name).toBe('v1');
  });

  it('refuses a site holding a symlink', async () => {
    const storage = new LocalDocsStorage(await mkdtemp(path.join(tmpdir(), 'atrium-storage-')));
    const dir = await site({ 'techdocs_metadata.json': metadata('v1', []) });
    await symlink('/etc/passwd', path.join(dir, 'passwd'));
    await expect(storage.publish(parseTriplet('default/component/x'), dir)).rejects.toThrow(
      /only regular files and folders can be published/,
    );
  });

  it('never reads outside the site: .., absolute paths, symlinks, other sites', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'atrium-storage-'));
    const storage = new LocalDocsStorage(root);
    const a = parseTriplet('default/component/a');
    const b = parseTriplet('default/component/b');
    await storage.publish(
      a,
      await site({ 'techdocs_metadata.json': metadata('a', []), 'x.txt': 'a' }),
    );
    await storage.publish(
      b,
      await site({ 'techdocs_metadata.json': metadata('b', []), 'x.txt': 'b' }),
    );
    await writeFile(path.join(root, 'secret.txt'), 'secret');
    // A symlink planted inside a published site (not through publish, which refuses them).
    await symlink(path.join(root, 'secret.txt'), path.join(root, 'default/component/a/link.txt'));
    await symlink(
      path.join(root, 'default/component/b'),
      path.join(root, 'default/component/a/linkdir'),
    );
    for (const rel of [
      '../b/x.txt',
      '../../../secret.txt',
      'sub/../../b/x.txt',
      '/etc/passwd',
      path.join(root, 'secret.txt'),
      'link.txt',
      'linkdir/x.txt',
      '..\\b\\x.txt',
      'x.txt\0',
      '',
      '.',
      'C:/x',
    ]) {
      expect(await storage.readFile(a, rel), rel).toBeUndefined();
    }
    expect((await storage.readFile(a, 'x.txt'))?.toString()).toBe('a');
    expect(
      await storage.readFile(parseTriplet('default/component/missing'), 'x.txt'),
    ).toBeUndefined();
  });

  it('rejects triplets that could climb out of the storage root', () => {
    const storage = new LocalDocsStorage('/tmp/never-used');
    for (const bad of [
      { namespace: '..', kind: 'component', name: 'x' },
      { namespace: 'default', kind: 'a/b', name: 'x' },
      { namespace: 'default', kind: 'component', name: '' },
      { namespace: 'default', kind: 'component', name: 'a\\b' },
    ]) {
      expect(() => storage.siteDir(bad)).toThrow(/Invalid docs entity/);
    }
    expect(() => parseTriplet('default/component')).toThrow(
      "Invalid entity 'default/component': expected <namespace>/<kind>/<name>",
    );
  });

  it('removes a site', async () => {
    const storage = new LocalDocsStorage(await mkdtemp(path.join(tmpdir(), 'atrium-storage-')));
    const triplet = parseTriplet('default/component/x');
    await storage.publish(triplet, await site({ 'techdocs_metadata.json': metadata('x', []) }));
    await storage.remove(triplet);
    expect(await storage.getMetadata(triplet)).toBeUndefined();
    expect(await storage.listSites()).toEqual([]);
    await storage.remove(triplet);
  });
});
