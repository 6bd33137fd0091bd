import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { ROOT } from '../../bin/build.mjs';
import { PLUGIN_API_FILE, PLUGIN_API_MODULE, WEB_PLUGIN_API_FILE } from './plugin-shims.ts';
import { WEB_PLUGIN_API_MODULE } from '../plugins/plugin-manager/common/web-shared-modules.ts';

/**
 * `atrium plugin new <name>`: a plugin package that `atrium plugin build` builds as it is —
 * a backend with one route, a web entity card calling it, a test, a config schema, and a
 * tsconfig whose paths point the two API names at this Atrium's own files.
 */

const PLUGIN_ID = /^[a-z][a-z0-9-]{0,62}$/;

/** A path from `from` to `to` in the form tsconfig and imports want (`./x`, `../x`). */
function relativePath(from: string, to: string): string {
  const path = relative(from, to).split(sep).join('/');
  return path.startsWith('.') ? path : `./${path}`;
}

const hostVersion = (name: string): string => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  return pkg.dependencies?.[name] ?? pkg.devDependencies?.[name] ?? '*';
};

/** The files of a new plugin package `id` in `dir`, by path. */
export function scaffoldFiles(id: string, dir: string): Record<string, string> {
  const api = relativePath(dir, PLUGIN_API_FILE);
  const webApi = relativePath(dir, WEB_PLUGIN_API_FILE);
  const hostModules = relativePath(dir, join(ROOT, 'node_modules'));
  const title = id
    .split('-')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ');
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  return {
    'package.json': json({
      name: `atrium-plugin-${id}`,
      version: '0.1.0',
      description: `${title}: an Atrium plugin`,
      type: 'module',
      license: 'UNLICENSED',
      files: ['dist', 'config.schema.json', 'README.md'],
      scripts: { build: 'atrium plugin build', test: 'vitest run' },
      devDependencies: { vitest: hostVersion('vitest') },
      atrium: { id, configSchema: 'config.schema.json' },
    }),
    'config.schema.json': json({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      additionalProperties: false,
      properties: {
        greeting: {
          type: 'string',
          default: 'Hello',
          description: 'What the card says before the name of the signed-in user.',
        },
      },
    }),
    'tsconfig.json': json({
      compilerOptions: {
        // Atrium's own settings (the API files below are type-checked as part of this
        // project), resolving as a bundler does, since esbuild bundles the plugin.
        target: 'ES2022',
        module: 'ESNext',
        moduleResolution: 'Bundler',
        strict: true,
        noUncheckedIndexedAccess: true,
        noImplicitOverride: true,
        esModuleInterop: true,
        skipLibCheck: true,
        resolveJsonModule: true,
        isolatedModules: true,
        allowImportingTsExtensions: true,
        noEmit: true,
        jsx: 'react-jsx',
        lib: ['ES2022', 'DOM'],
        types: ['node'],
        typeRoots: [`${hostModules}/@types`],
        paths: {
          [PLUGIN_API_MODULE]: [api],
          [WEB_PLUGIN_API_MODULE]: [webApi],
          // React and the rest come from the host at run time; their types too.
          '*': [`${hostModules}/@types/*`, `${hostModules}/*`],
        },
      },
      include: ['src', 'test', 'vitest.config.ts'],
    }),
    'vitest.config.ts': `import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// Tests import the plugin's sources, and the two API names as Atrium's own files (in a
// running Atrium they come from the host instead; see README.md).
export default defineConfig({
  resolve: {
    alias: {
      '${PLUGIN_API_MODULE}': resolve(import.meta.dirname, '${api}'),
      '${WEB_PLUGIN_API_MODULE}': resolve(import.meta.dirname, '${webApi}'),
    },
  },
  test: { include: ['test/**/*.test.ts'] },
});
`,
    'src/backend.ts': `import { definePlugin } from '${PLUGIN_API_MODULE}';

/** This plugin's settings: the \`config\` of its \`plugins:\` entry (see config.schema.json). */
export interface ${pascal(id)}Config {
  greeting?: string;
}

export default definePlugin({
  id: '${id}',
  setup(env) {
    const config = (env.pluginConfig ?? {}) as ${pascal(id)}Config;
    env.route({
      method: 'GET',
      url: '/hello',
      // A permission of this plugin's own: policies may name it (the demo's lets everyone read).
      permission: { name: '${id}.hello.read', attributes: { action: 'read' } },
      async handler(_request, _reply, ctx) {
        return { message: \`\${config.greeting ?? 'Hello'}, \${ctx.identity.userEntityRef}\` };
      },
    });
  },
});
`,
    'src/web.tsx': `import { useQuery } from '@tanstack/react-query';
import { definePlugin, type EntityContentProps, fetchJson } from '${WEB_PLUGIN_API_MODULE}';

export function HelloCard({ entity }: EntityContentProps) {
  const hello = useQuery({
    queryKey: ['${id}', 'hello'],
    queryFn: ({ signal }) => fetchJson<{ message: string }>('/api/${id}/hello', { signal }),
  });
  return (
    <section className="card" aria-labelledby="${id}-card">
      <h2 id="${id}-card">${title}</h2>
      <p>{hello.data?.message ?? (hello.error ? hello.error.message : 'Loading…')}</p>
      <p className="muted">This is {entity.metadata.name}.</p>
    </section>
  );
}

export default definePlugin({
  id: '${id}',
  entityCards: [{ id: '${id}-hello', kinds: ['component'], component: HelloCard }],
});
`,
    'test/plugin.test.ts': `import type { PluginEnvironment, RouteContext, RouteOptions } from '${PLUGIN_API_MODULE}';
import { describe, expect, it } from 'vitest';
import backend from '../src/backend.ts';
import web from '../src/web.tsx';

/** Runs the backend's setup with just what it uses, and returns the routes it declared. */
function routesOf(pluginConfig: unknown): RouteOptions[] {
  const routes: RouteOptions[] = [];
  const env = { pluginConfig, route: (r: RouteOptions) => routes.push(r) };
  void backend.setup(env as unknown as PluginEnvironment);
  return routes;
}

describe('${id}', () => {
  it('greets the caller with the configured greeting', async () => {
    const [hello] = routesOf({ greeting: 'Hi' });
    expect(hello?.url).toBe('/hello');
    expect(hello?.permission?.name).toBe('${id}.hello.read');
    const ctx = { identity: { userEntityRef: 'user:default/alice' } } as RouteContext;
    expect(await hello!.handler({} as never, {} as never, ctx)).toEqual({
      message: 'Hi, user:default/alice',
    });
  });

  it('contributes an entity card for components', () => {
    expect(web.id).toBe(backend.id);
    expect(web.entityCards?.map((c) => c.kinds)).toEqual([['component']]);
  });
});
`,
    'README.md': `# ${title}

An [Atrium](${relativePath(dir, join(ROOT, 'README.md'))}) plugin (id \`${id}\`).

    npm install       # vitest, for the tests (nothing else: Atrium provides the rest)
    npm run build     # atrium plugin build: dist/backend.mjs, dist/web.mjs
    npm test          # vitest
    npm pack          # the tarball to list under plugins: in app-config.yaml

\`src/backend.ts\` imports \`${PLUGIN_API_MODULE}\` and \`src/web.tsx\` imports
\`${WEB_PLUGIN_API_MODULE}\`: Atrium provides both when it loads the plugin. Its settings
(\`config\` of its \`plugins:\` entry) are described by \`config.schema.json\`.
`,
    '.gitignore': 'dist/\nnode_modules/\n*.tgz\n',
  };
}

const pascal = (id: string) =>
  id
    .split('-')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

/** Writes a new plugin package; refuses an invalid id or a folder that is not empty. */
export function createPlugin(id: string, dirArgument?: string): string {
  if (!PLUGIN_ID.test(id))
    throw new Error(
      `'${id}' is not a plugin id: use lowercase letters, digits and '-', starting with a letter (at most 63)`,
    );
  const dir = resolve(dirArgument ?? id);
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new Error(`${dir} exists and is not empty: choose another folder with --dir`);
  for (const [path, text] of Object.entries(scaffoldFiles(id, dir))) {
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return dir;
}

/** The command: prints what it made and what to do next; returns the exit code. */
export function pluginNewCommand(id: string, options: { dir?: string }): number {
  try {
    const dir = createPlugin(id, options.dir);
    const shown = relative(process.cwd(), dir) || '.';
    process.stdout.write(
      `Created plugin ${id} in ${shown}\nNext: atrium plugin build ${shown}, then npm pack there and list the tarball under plugins: in app-config.yaml\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`atrium plugin new: ${(error as Error).message}\n`);
    return 1;
  }
}
