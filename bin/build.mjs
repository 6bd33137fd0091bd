// The server build, and the source scan that decides when a build (server or web) is stale.
//
// `node bin/build.mjs` compiles the server into dist/server with esbuild: src/cli/main.ts,
// every src/**/*.worker.ts and every file they import (never src/web or src/plugins/*/web,
// which vite builds into dist/web), bundled with code splitting into dist/server/chunks/
// (a module imported with `import()` is a chunk of its own, loaded when it is imported),
// packages left to node_modules except BUNDLED_PACKAGES. Loading a few dozen chunks instead
// of some 1,000 modules is a quarter of a start. Each entry point also gets a one-line file
// where it would be unbundled, importing its chunk: cli/main.js, and a worker
// src/a/b.worker.ts is dist/server/a/b.worker.js, which `startWorker(import.meta.url, …)`
// finds (see atriumLayout). Source maps name the .ts files and lines.
// Files outside src/ that the server imports (this one) are imported where they are.
// bin/atrium.mjs calls ensureServerBuild() at every start.
//
// Plain JavaScript on purpose: it runs before anything is compiled.
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The repository: the folder above bin/. */
export const ROOT = resolve(import.meta.dirname, '..');

/**
 * Every file under `roots` (files or folders; missing ones are skipped) that `includeFile`
 * accepts, outside the folders `skipDir` rejects, sorted, with the newest modification time
 * and a fingerprint of every path, modification time and size (it changes when a file is
 * added, removed, renamed or modified, even to an older time).
 */
export function scanSources(roots, { skipDir = () => false, includeFile = () => true } = {}) {
  const files = [];
  const stamps = new Map();
  let newest = 0;
  const visit = (path, stat) => {
    if (stat.isDirectory()) {
      if (skipDir(path)) return;
      for (const entry of readdirSync(path)) {
        const child = join(path, entry);
        visit(child, statSync(child));
      }
    } else if (includeFile(path)) {
      files.push(path);
      stamps.set(path, `${stat.mtimeMs} ${stat.size}`);
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  for (const root of roots) {
    let stat;
    try {
      stat = statSync(root);
    } catch {
      continue;
    }
    visit(root, stat);
  }
  files.sort();
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file}\0${stamps.get(file)}\n`);
  return { files, newest, fingerprint: hash.digest('hex') };
}

const posix = (path) => path.split(sep).join('/');
const WEB_ONLY = /^src\/(web|plugins\/[^/]+\/web)$/;
const SERVER_FILE = /(?<!\.test|\.testkit|\.d)\.ts$/;

/**
 * What the server build is made of: the server's TypeScript files (the candidates to compile),
 * and the newest modification time and fingerprint of them, package.json, tsconfig.json and
 * this script.
 */
export function serverSources(root = ROOT) {
  const { files, newest, fingerprint } = scanSources([join(root, 'src')], {
    skipDir: (path) => WEB_ONLY.test(posix(relative(root, path))),
    includeFile: (path) => SERVER_FILE.test(path),
  });
  const config = scanSources(
    ['package.json', 'tsconfig.json', 'bin/build.mjs'].map((f) => join(root, f)),
  );
  return {
    entries: files,
    newest: Math.max(newest, config.newest),
    fingerprint: createHash('sha256').update(fingerprint).update(config.fingerprint).digest('hex'),
  };
}

const INFO = 'build-info.json';

/**
 * 'fresh' when `outDir` was built from the current sources (none added, removed or modified
 * since: same fingerprint), else 'stale', or 'missing' when there is no build.
 */
export function serverBuildState(root = ROOT, outDir = join(root, 'dist/server')) {
  const sources = serverSources(root);
  let info;
  try {
    info = JSON.parse(readFileSync(join(outDir, INFO), 'utf8'));
  } catch {
    return { state: 'missing', sources };
  }
  return { state: info.fingerprint === sources.fingerprint ? 'fresh' : 'stale', sources };
}

/**
 * Packages compiled into the server's chunks, with what they import, rather than loaded from
 * node_modules file by file at run time, which costs more than running their code (kysely
 * alone is some 260 modules): the ones a start loads that are plain JavaScript and read no
 * file beside their own (no `__dirname`, `import.meta.url`, native addon or wasm file;
 * pino, which fastify brings, uses `__dirname` only for log transports, which Atrium does not
 * use). A package imported both from src/ and from a bundled package is one copy (fastify's
 * @fastify/ajv-compiler and ajv are the server's own: src/core/http/lazy-validators.ts).
 */
const BUNDLED_PACKAGES = new Set([
  '@fastify/ajv-compiler',
  '@fastify/static',
  '@gitbeaker/requester-utils',
  '@gitbeaker/rest',
  '@octokit/rest',
  'ajv',
  'ajv-formats',
  'cli-progress',
  'commander',
  'fastify',
  'jose',
  'js-yaml',
  'kysely',
  'minimatch',
  'nunjucks',
  'openid-client',
  'semver',
  'tinyglobby',
  'yaml',
]);

/** Never bundled, even when a bundled package imports them: native code, optional, tools. */
const NEVER_BUNDLED = new Set([
  'better-sqlite3',
  'pg',
  'pg-native',
  'esbuild',
  'fsevents',
  'chokidar',
]);

/** Bundled CommonJS code calls `require` for Node's modules; ESM has none of its own. */
const REQUIRE_SHIM =
  "import { createRequire as __atriumCreateRequire } from 'node:module';\nconst require = __atriumCreateRequire(import.meta.url);";

/**
 * Compiles the server into `outDir`: into a temp folder beside it first, then renamed into
 * place, so a process starting meanwhile sees either the old build or the new one, and two
 * processes building at once both succeed. Errors (esbuild's, with file and line) are printed
 * to stderr; the promise rejects.
 */
export async function buildServer({
  root = ROOT,
  outDir = join(root, 'dist/server'),
  sources = serverSources(root),
} = {}) {
  const { build } = await import('esbuild');
  const src = join(root, 'src');
  const candidates = new Set(sources.entries);
  const starts = sources.entries.filter(
    (f) => f === join(src, 'cli/main.ts') || f.endsWith('.worker.ts'),
  );
  const parent = dirname(outDir);
  mkdirSync(parent, { recursive: true });
  removeLeftovers(parent, basename(outDir));
  // Same depth as outDir: source map paths (relative to the output) stay right after the rename.
  const tmp = mkdtempSync(join(parent, `.${basename(outDir)}.tmp-`));
  try {
    const { metafile } = await build({
      absWorkingDir: root,
      entryPoints: starts,
      outdir: tmp,
      // Every output file in one folder, so that a module's path relative to its chunk is
      // known while it is compiled (see atriumLayout).
      entryNames: `${CHUNKS}/[name]-[hash]`,
      chunkNames: `${CHUNKS}/[name]-[hash]`,
      bundle: true,
      splitting: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      sourcesContent: false,
      metafile: true,
      logLevel: 'error',
      banner: { js: REQUIRE_SHIM },
      plugins: [atriumLayout(src, outDir, candidates)],
    });
    // The entry points where they would be unbundled (cli/main.js; a worker beside the module
    // that starts it), each importing its chunk.
    for (const [output, info] of Object.entries(metafile.outputs)) {
      // (esbuild names each dynamically imported module an entry point too.)
      const entry = info.entryPoint && resolve(root, info.entryPoint);
      if (!entry || !starts.includes(entry)) continue;
      const stub = join(tmp, relative(src, entry)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(stub), { recursive: true });
      let chunk = posix(relative(dirname(stub), resolve(root, output)));
      if (!chunk.startsWith('.')) chunk = `./${chunk}`;
      writeFileSync(stub, `import ${JSON.stringify(chunk)};\n`);
    }
    const files = Object.keys(metafile.inputs)
      .map((input) => resolve(root, input))
      .filter((file) => !relative(src, file).startsWith('..'))
      .map((file) => posix(relative(root, file)))
      .sort();
    writeFileSync(
      join(tmp, INFO),
      `${JSON.stringify(
        {
          // Taken before compiling: a file saved during the build makes the next start build again.
          fingerprint: sources.fingerprint,
          newestSource: new Date(sources.newest).toISOString(),
          builtAt: new Date().toISOString(),
          files,
        },
        null,
        2,
      )}\n`,
    );
    moveIntoPlace(tmp, outDir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The folder of outDir that holds all compiled code. */
const CHUNKS = 'chunks';

/** `kysely` and `@scope/pkg/sub` → the package name. */
const packageOf = (specifier) => specifier.match(/^(@[^/]+\/)?[^/]+/)?.[0] ?? specifier;

/**
 * Resolution and loading for the server bundle:
 * - a package stays an import from node_modules, unless it is one of BUNDLED_PACKAGES or a
 *   bundled package imports it (and it is not NEVER_BUNDLED);
 * - a file outside src/ (bin/build.mjs) is imported where it is, from the chunks folder;
 * - a file of src/ that is not server code (web/ folders, tests, testkits) stops the build;
 * - `startWorker(import.meta.url, './x.worker.ts')` is given the URL the module would have
 *   unbundled (dist/server/<its path>.js), since bundled code's `import.meta.url` is its
 *   chunk's; the worker file found from it is the stub written beside it. Other uses of
 *   `import.meta` get the chunk's URL, which is only right for finding node_modules
 *   (createRequire) or the repository above.
 */
function atriumLayout(src, outDir, candidates) {
  const chunks = join(outDir, CHUNKS);
  return {
    name: 'atrium-layout',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('node:')) return { path: args.path, external: true };
        const name = packageOf(args.path);
        if (NEVER_BUNDLED.has(name)) return { path: args.path, external: true };
        // What a bundled package imports is bundled with it (it may be a copy of its own).
        const fromPackage = args.importer.includes(`${sep}node_modules${sep}`);
        if (fromPackage || BUNDLED_PACKAGES.has(name)) return undefined;
        return { path: args.path, external: true };
      });
      build.onResolve({ filter: /^\.\.?(\/|$)/ }, (args) => {
        const target = resolve(args.resolveDir, args.path);
        if (relative(src, target).startsWith('..')) {
          // A file outside src/ (bin/build.mjs): node_modules' own relative imports are
          // bundled with their package; ours are imported where they are.
          if (args.importer.includes(`${sep}node_modules${sep}`)) return undefined;
          let path = posix(relative(chunks, target));
          if (!path.startsWith('.')) path = `./${path}`;
          return { path, external: true };
        }
        if (!candidates.has(target)) {
          return {
            errors: [
              {
                text: `${posix(relative(src, target))} is not part of the server build (imported as '${args.path}'; web/ folders, tests and testkits are left out, and the file must exist)`,
              },
            ],
          };
        }
        return { path: target };
      });
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (relative(src, args.path).startsWith('..')) return undefined;
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('startWorker(')) return { contents: text, loader: 'ts' };
        const unbundled = join(outDir, relative(src, args.path)).replace(/\.ts$/, '.js');
        const url = `new URL(${JSON.stringify(posix(relative(chunks, unbundled)))}, import.meta.url).href`;
        return {
          contents: text.replace(/startWorker\(\s*import\.meta\.url\s*,/g, `startWorker(${url},`),
          loader: 'ts',
        };
      });
    },
  };
}

function moveIntoPlace(tmp, outDir) {
  const trash = [];
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        renameSync(tmp, outDir);
        return;
      } catch (error) {
        if ((error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') || attempt > 10) throw error;
      }
      // Move the previous build aside (another process may just have done so, or put its own).
      const old = `${tmp}.old${attempt}`;
      try {
        renameSync(outDir, old);
        trash.push(old);
      } catch (error) {
        if (error.code !== 'ENOENT') throw error;
      }
    }
  } finally {
    for (const dir of trash) rmSync(dir, { recursive: true, force: true });
  }
}

/** Temp folders of builds that were killed (older than ten minutes). */
function removeLeftovers(parent, name) {
  const cutoff = Date.now() - 10 * 60_000;
  for (const entry of readdirSync(parent)) {
    if (!entry.startsWith(`.${name}.tmp-`)) continue;
    const path = join(parent, entry);
    try {
      if (statSync(path).mtimeMs < cutoff) rmSync(path, { recursive: true, force: true });
    } catch {
      // another process removed it
    }
  }
}

/** One line in the logger's format (src/core/logger.ts): JSON unless stderr is a terminal. */
function logInfo(message) {
  const level = process.env.LOG_LEVEL;
  if (level === 'warn' || level === 'error') return;
  process.stderr.write(
    process.stderr.isTTY
      ? `info  ${message}\n`
      : `${JSON.stringify({ time: new Date().toISOString(), level: 'info', message })}\n`,
  );
}

/**
 * Builds the server when its build is missing or stale, printing one line about it, and
 * returns the URL of the compiled CLI entry (cli/main.js).
 */
export async function ensureServerBuild({
  root = ROOT,
  outDir = join(root, 'dist/server'),
  log = logInfo,
} = {}) {
  const { state, sources } = serverBuildState(root, outDir);
  if (state !== 'fresh') {
    const started = performance.now();
    await buildServer({ root, outDir, sources });
    const took = ((performance.now() - started) / 1000).toFixed(1);
    const where = posix(relative(root, outDir));
    log(
      state === 'missing'
        ? `Built the server into ${where} in ${took} s (first start)`
        : `Server sources changed; rebuilt ${where} in ${took} s`,
    );
  }
  return pathToFileURL(join(outDir, 'cli/main.js')).href;
}

// `node bin/build.mjs [--optional]`: build now (npm run build:server; postinstall with
// --optional, which never fails the install: the first start builds again).
const runAsScript = (() => {
  try {
    return realpathSync(process.argv[1]) === realpathSync(import.meta.filename);
  } catch {
    return false;
  }
})();
if (runAsScript) {
  const optional = process.argv.includes('--optional');
  const started = performance.now();
  try {
    await buildServer();
    const took = ((performance.now() - started) / 1000).toFixed(1);
    process.stderr.write(`Built the server into dist/server in ${took} s\n`);
  } catch (error) {
    process.stderr.write(`Building the server failed: ${error.message}\n`);
    if (optional) process.stderr.write('atrium start will build it again\n');
    else process.exitCode = 1;
  }
}
