import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as publicApi from '../plugins/public-api.ts';
import * as webPluginApi from '../web/plugin-api.ts';
import { buildPlugin } from './plugin-build.ts';
import { createPlugin } from './plugin-new.ts';
import { backendShims, PLUGIN_API_GLOBAL, webShims } from './plugin-shims.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHARED = Symbol.for('atrium.shared-modules');
const API = Symbol.for(PLUGIN_API_GLOBAL);
const scope = globalThis as Record<symbol, unknown>;

/** Imports a built bundle afresh (a rebuilt file under the same name is a new module). */
let imports = 0;
const load = (file: string) => import(`${pathToFileURL(file).href}?n=${++imports}`);

/** Runs `fn` with `globalThis[key]` set to `value`, then puts back what was there. */
async function withGlobal<T>(key: symbol, value: unknown, fn: () => Promise<T>): Promise<T> {
  const had = Object.getOwnPropertyDescriptor(scope, key);
  scope[key] = value;
  try {
    return await fn();
  } finally {
    if (had) Object.defineProperty(scope, key, had);
    else delete scope[key];
  }
}

function run(command: string, args: string[], cwd: string) {
  return new Promise<{ code: number; output: string }>((done) =>
    execFile(command, args, { cwd, timeout: 180_000 }, (error, stdout, stderr) =>
      done({
        code: error ? Number((error as { code?: number }).code ?? 1) : 0,
        output: stdout + stderr,
      }),
    ),
  );
}

// Inside the repository (.tmp/ is ignored), so the scaffold's vitest and types resolve as they
// do for examples/plugins.
let work: string;
beforeAll(() => {
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  work = mkdtempSync(join(ROOT, '.tmp', 'plugin-build-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('atrium plugin new + build', () => {
  let dir: string;
  beforeAll(async () => {
    dir = createPlugin('hello-card', join(work, 'hello-card'));
    await buildPlugin(dir);
  });

  it('builds the scaffold as it is and stamps the host API version', () => {
    expect(existsSync(join(dir, 'dist/backend.mjs'))).toBe(true);
    expect(existsSync(join(dir, 'dist/web.mjs'))).toBe(true);
    const { atrium } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(atrium).toEqual({
      id: 'hello-card',
      configSchema: 'config.schema.json',
      apiVersion: publicApi.PLUGIN_API_VERSION,
      backend: 'dist/backend.mjs',
      web: 'dist/web.mjs',
    });
  });

  it('passes its own test', async () => {
    const { code, output } = await run(
      process.execPath,
      [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run'],
      dir,
    );
    expect(code, output).toBe(0);
    expect(output).toMatch(/2 passed/);
  });

  it('refuses a folder that is not empty, and an id definePlugin would refuse', () => {
    expect(() => createPlugin('hello-card', dir)).toThrow(/exists and is not empty/);
    expect(() => createPlugin('Hello', join(work, 'x'))).toThrow(/'Hello' is not a plugin id/);
  });
});

describe('the backend bundle', () => {
  let dir: string;
  beforeAll(async () => {
    dir = createPlugin('backend-only', join(work, 'backend-only'));
    rmSync(join(dir, 'src/web.tsx'));
    await buildPlugin(dir);
  });

  it('takes definePlugin from the global the host sets, not from a copy', async () => {
    const bundle = readFileSync(join(dir, 'dist/backend.mjs'), 'utf8');
    // The real definePlugin's own error message is not in the bundle.
    expect(bundle).not.toContain('use lowercase letters');
    const seen: unknown[] = [];
    const fake = {
      definePlugin: (definition: { id: string }) => {
        seen.push(definition.id);
        return { ...definition, madeBy: 'the global' };
      },
    };
    const module = await withGlobal(API, fake, () => load(join(dir, 'dist/backend.mjs')));
    expect(seen).toEqual(['backend-only']);
    expect(module.default.madeBy).toBe('the global');
  });

  it('fails at import, saying why, when no host set the global', async () => {
    await expect(
      withGlobal(API, undefined, () => load(join(dir, 'dist/backend.mjs'))),
    ).rejects.toThrow(/@atrium\/plugin-api is provided by Atrium/);
  });

  it('has no web bundle and no web entry in the manifest', () => {
    expect(existsSync(join(dir, 'dist/web.mjs'))).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).atrium.web).toBeUndefined();
  });
});

describe('the web bundle', () => {
  let dir: string;
  beforeAll(async () => {
    dir = createPlugin('web-only', join(work, 'web-only'));
    rmSync(join(dir, 'src/backend.ts'));
    writeFileSync(
      join(dir, 'src/web.tsx'),
      `import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { createPortal } from 'react-dom';
import { Link, useNavigate } from 'react-router-dom';
import { definePlugin } from '@atrium/web-plugin-api';
import './card.css';

export function Card() {
  const [count] = useState(0);
  const navigate = useNavigate();
  const data = useQuery({ queryKey: ['x'], queryFn: async () => 1 });
  void createPortal;
  return <Link to="/x" onClick={() => navigate('/y')}>{count}{String(data.data)}</Link>;
}

export default definePlugin({ id: 'web-only', homeCards: [{ id: 'c', component: Card }] });
`,
    );
    writeFileSync(join(dir, 'src/card.css'), '.web-only-card { color: red; }\n');
    await buildPlugin(dir);
  });

  it('contains no copy of React, React Router or TanStack Query', () => {
    const bundle = readFileSync(join(dir, 'dist/web.mjs'), 'utf8');
    // Strings of the libraries' own code: React's element symbol and error decoder, the
    // router's and the query client's messages.
    for (const marker of [
      'react.transitional.element',
      'Minified React error',
      'useNavigate() may be used only in the context',
      'No QueryClient set',
    ])
      expect(bundle).not.toContain(marker);
    expect(bundle.length).toBeLessThan(6_000);
  });

  it("runs on the shell's modules, read from the shared-modules global", async () => {
    const element = (type: unknown, props: unknown) => ({ type, props });
    const shared = {
      react: { useState: () => ['from the shell', () => {}] },
      'react/jsx-runtime': { jsx: element, jsxs: element },
      'react-dom': { createPortal: () => null },
      'react-router-dom': { Link: 'ShellLink', useNavigate: () => () => {} },
      '@tanstack/react-query': { useQuery: () => ({ data: 'shell query' }) },
      '@atrium/web-plugin-api': { definePlugin: (p: object) => ({ ...p, checked: true }) },
    };
    const added: string[] = [];
    const fakeDocument = {
      createElement: () => ({ textContent: '' }),
      head: { append: (style: { textContent: string }) => added.push(style.textContent) },
    };
    const page = globalThis as { document?: unknown };
    page.document = fakeDocument;
    const module = await withGlobal(SHARED, shared, () => load(join(dir, 'dist/web.mjs'))).finally(
      () => delete page.document,
    );
    expect(module.default.checked).toBe(true);
    const tree = module.default.homeCards[0].component();
    expect(tree.type).toBe('ShellLink');
    expect(tree.props.children).toEqual(['from the shell', 'shell query']);
    // The imported CSS is added to the page as a style element.
    expect(added).toEqual(['.web-only-card { color: red; }\n']);
  });

  it('refuses a subpath of a shared module, naming the file and line', async () => {
    writeFileSync(
      join(dir, 'src/web.tsx'),
      `import { definePlugin } from '@atrium/web-plugin-api';\nimport { createRoot } from 'react-dom/client';\nvoid createRoot;\nexport default definePlugin({ id: 'web-only' });\n`,
    );
    await expect(buildPlugin(dir)).rejects.toThrow(
      /^src\/web\.tsx:2:\d+: 'react-dom\/client' is not shared with plugins.*import from 'react-dom'/,
    );
  });

  it('refuses the server API in the web bundle', async () => {
    writeFileSync(
      join(dir, 'src/web.tsx'),
      `import { definePlugin } from '@atrium/plugin-api';\nexport default definePlugin({ id: 'web-only', setup() {} });\n`,
    );
    await expect(buildPlugin(dir)).rejects.toThrow(
      /src\/web\.tsx:1:\d+: @atrium\/plugin-api is the server plugin API/,
    );
  });
});

describe('the shims', () => {
  it("export every runtime export of the host's public-api.ts", async () => {
    const shim = (await backendShims()).get('@atrium/plugin-api')!;
    const names = Object.keys(publicApi);
    expect(names).toContain('definePlugin');
    for (const name of names) expect(shim).toContain(`export const ${name} = `);
  });

  it("export every runtime export of the host's web plugin-api.ts", async () => {
    const shim = (await webShims()).get('@atrium/web-plugin-api')!;
    const names = Object.keys(webPluginApi);
    expect(names).toContain('useExtensions');
    for (const name of names) expect(shim).toContain(`export const ${name} = `);
  });
});

describe('plugin build refuses a broken package, naming the file and field', () => {
  const broken = (name: string, change: (dir: string) => void) => {
    const dir = createPlugin(name, join(work, name));
    change(dir);
    return buildPlugin(dir);
  };
  const editJson = (file: string, edit: (value: Record<string, unknown>) => void) => {
    const value = JSON.parse(readFileSync(file, 'utf8'));
    edit(value);
    writeFileSync(file, JSON.stringify(value));
  };

  it('without atrium.id', async () => {
    await expect(
      broken('no-id', (dir) => editJson(join(dir, 'package.json'), (p) => delete p.atrium)),
    ).rejects.toThrow(/package\.json: atrium: missing/);
  });

  it('when the backend declares another id than the manifest', async () => {
    await expect(
      broken('other-id', (dir) =>
        editJson(join(dir, 'package.json'), (p) => {
          (p.atrium as { id: string }).id = 'renamed';
        }),
      ),
    ).rejects.toThrow(
      /dist\/backend\.mjs: the plugin's id is "other-id"; package\.json's atrium\.id says 'renamed'/,
    );
  });

  it('with a config schema that is not JSON', async () => {
    await expect(
      broken('bad-schema', (dir) => writeFileSync(join(dir, 'config.schema.json'), '{ nope')),
    ).rejects.toThrow(/config\.schema\.json: not valid JSON/);
  });

  it('with nothing to build', async () => {
    await expect(
      broken('empty', (dir) => {
        rmSync(join(dir, 'src/backend.ts'));
        rmSync(join(dir, 'src/web.tsx'));
      }),
    ).rejects.toThrow(/no entry to build/);
  });
});

describe('the example plugin (examples/plugins/links-oncall)', () => {
  const example = join(ROOT, 'examples/plugins/links-oncall');

  it('type-checks against the host API files its tsconfig points at', async () => {
    const { code, output } = await run(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', example],
      ROOT,
    );
    expect(code, output).toBe(0);
  }, 180_000);

  it('passes its own tests', async () => {
    const { code, output } = await run(
      process.execPath,
      [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run'],
      example,
    );
    expect(code, output).toBe(0);
  });
});
