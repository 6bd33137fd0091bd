import { describe, expect, it } from 'vitest';
import { checkWebPlugin } from './external-plugin-shape.ts';
import { type ListedPlugin, listedPlugins, loadExternalWebPlugins } from './external-plugins.tsx';
import type { WebPlugin } from './plugin-api.ts';

const Card = () => null;
const listing = (id: string, webUrl: string | null = `/api/plugins/${id}/web/web.mjs`) =>
  ({ id, package: `@acme/${id}`, version: '1.2.0', webUrl }) satisfies ListedPlugin;

describe('checkWebPlugin', () => {
  const check =
    (plugin: unknown, id = 'links') =>
    () =>
      checkWebPlugin({ default: plugin }, id);

  it('accepts what definePlugin makes', () => {
    const plugin = {
      id: 'links',
      entityCards: [{ id: 'c', kinds: ['component', 'system'], component: Card }],
      routes: [{ path: '/links', component: Card }],
      sidebarItems: [{ to: '/links', label: 'Links', order: 50 }],
    };
    expect(check(plugin)()).toBe(plugin);
  });

  it('names the field that is wrong', () => {
    expect(check(undefined)).toThrow(
      "default export must be an object made with definePlugin from '@atrium/web-plugin-api'",
    );
    expect(check({ id: 'other' })).toThrow(
      "default export: id is 'other'; the package's manifest (atrium.id) says 'links'",
    );
    expect(check({ id: 'links', entityCard: [] })).toThrow(
      /^default export: entityCard is not part of a web plugin \(known: id, routes, /,
    );
    expect(check({ id: 'links', entityCards: [{ id: 'c' }] })).toThrow(
      'default export: entityCards[0].component is required',
    );
    expect(check({ id: 'links', homeCards: [{ id: 'c', component: 'div', x: 1 }] })).toThrow(
      'default export: homeCards[0].component must be a React component',
    );
    expect(
      check({
        id: 'links',
        entityTabs: [{ path: 'p', title: 'T', kinds: ['API'], component: Card }],
      }),
    ).toThrow(
      "default export: entityTabs[0].kinds[0] must be a lower-case kind (e.g. 'component'), got 'API'",
    );
    expect(check({ id: 'links', routes: {} })).toThrow('default export: routes must be a list');
  });

  it('keeps the sign-in gate and the search box to built-in plugins', () => {
    expect(check({ id: 'links', appGate: Card })).toThrow(/appGate is reserved for built-in/);
    expect(check({ id: 'links', searchBox: Card })).toThrow(
      /searchBox is provided by the built-in/,
    );
  });
});

describe('loadExternalWebPlugins', () => {
  const builtIn: WebPlugin[] = [{ id: 'catalog', routes: [{ path: '/catalog', component: Card }] }];

  it('registers the bundles that load and names each one that does not, in list order', async () => {
    const bundles: Record<string, () => unknown> = {
      '/api/plugins/good/web/web.mjs': () => ({
        default: { id: 'good', entityCards: [{ id: 'g', component: Card }] },
      }),
      '/api/plugins/throws/web/web.mjs': () => {
        throw new Error('window.nope is not a function');
      },
      '/api/plugins/shape/web/web.mjs': () => ({ default: { id: 'shape', entityCard: [] } }),
      '/api/plugins/catalog/web/web.mjs': () => ({ default: { id: 'catalog' } }),
      '/api/plugins/clash/web/web.mjs': () => ({
        default: { id: 'clash', routes: [{ path: '/catalog', component: Card }] },
      }),
    };
    const { plugins, failures } = await loadExternalWebPlugins(
      [
        listing('good'),
        listing('throws'),
        listing('server-only', null),
        listing('shape'),
        listing('catalog'),
        listing('clash'),
      ],
      builtIn,
      async (url) => bundles[url]!(),
    );
    expect(plugins.map((p) => p.id)).toEqual(['good']);
    // Its card is wrapped (an error boundary names the plugin if it throws).
    expect(plugins[0]!.entityCards![0]!.component).not.toBe(Card);
    expect(failures).toEqual([
      {
        id: 'throws',
        message:
          'Plugin throws (@acme/throws 1.2.0): its web bundle /api/plugins/throws/web/web.mjs failed to load: window.nope is not a function',
      },
      {
        id: 'shape',
        message: expect.stringMatching(
          /^Plugin shape \(@acme\/shape 1\.2\.0\): its web bundle .* failed to load: default export: entityCard is not part of a web plugin/,
        ),
      },
      {
        id: 'catalog',
        message: "Plugin catalog (@acme/catalog 1.2.0): another web plugin has the id 'catalog'",
      },
      {
        id: 'clash',
        message:
          'Plugin clash (@acme/clash 1.2.0): it takes route /catalog, which another plugin has',
      },
    ]);
  });
});

describe('listedPlugins', () => {
  it('keeps the external plugins of GET /api/plugins', () => {
    expect(
      listedPlugins([
        { ...listing('catalog', null), builtin: true },
        { ...listing('links'), builtin: false },
      ]).map((p) => p.id),
    ).toEqual(['links']);
    expect(() => listedPlugins({ items: [] })).toThrow(
      'GET /api/plugins did not answer with a list',
    );
  });
});
