import type { PluginEnvironment, RouteOptions } from '@atrium/plugin-api';
import { describe, expect, it } from 'vitest';
import backend from '../src/backend.ts';
import web from '../src/web.tsx';

describe('links-oncall', () => {
  it('declares one route that needs catalog.entity.read', async () => {
    const routes: RouteOptions[] = [];
    const env = {
      pluginConfig: { defaultEscalationChannel: '#ops' },
      use: () => ({}),
      route: (r: RouteOptions) => routes.push(r),
    };
    await backend.setup(env as unknown as PluginEnvironment);
    expect(routes.map((r) => [r.method, r.url, r.permission?.name])).toEqual([
      ['GET', '/entity/:kind/:namespace/:name', 'catalog.entity.read'],
    ]);
    expect(backend.dependsOn).toEqual(['catalog']);
  });

  it('puts its card on components and systems', () => {
    expect(web.id).toBe(backend.id);
    expect(web.entityCards?.map((c) => [c.id, c.kinds])).toEqual([
      ['links-oncall', ['component', 'system']],
    ]);
  });
});
