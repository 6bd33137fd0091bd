// The server build, and the source scan that decides when a build (server or web) is stale.
//
// `node bin/build.mjs` compiles the server into dist/server with esbuild: src/cli/main.ts,
// every src/**/*.worker.ts and every file they import (never src/web or src/plugins/*/web,
// which vite builds into dist/web), one .js (+ .js.map) per .ts in the same folders as in
// src/, relative imports rewritten from .ts to .js, packages left to node_modules. A file
// lands at the same place relative to its neighbours, so `import.meta.url` and
// `new URL('./x.js', import.meta.url)` mean in dist/server what they mean in src/: a worker
// src/a/b.worker.ts is dist/server/a/b.worker.js, beside the module that starts it.
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
  const entries = await reachable(build, root, sources.entries);
  const parent = dirname(outDir);
  mkdirSync(parent, { recursive: true });
  removeLeftovers(parent, basename(outDir));
  // Same depth as outDir: source map paths (relative to the output) stay right after the rename.
  const tmp = mkdtempSync(join(parent, `.${basename(outDir)}.tmp-`));
  try {
    await build({
      absWorkingDir: root,
      entryPoints: [...entries],
      outbase: src,
      outdir: tmp,
      // Bundling only so that the plugin sees every import; it keeps each one external.
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      sourcesContent: false,
      logLevel: 'error',
      plugins: [oneFilePerSource(src, outDir, entries)],
    });
    writeFileSync(
      join(tmp, INFO),
      `${JSON.stringify(
        {
          // Taken before compiling: a file saved during the build makes the next start build again.
          fingerprint: sources.fingerprint,
          newestSource: new Date(sources.newest).toISOString(),
          builtAt: new Date().toISOString(),
          files: [...entries].map((f) => posix(relative(root, f))).sort(),
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

/**
 * The files cli/main.ts and the workers (*.worker.ts) import, directly or not: what the
 * server runs. A file nothing imports is not compiled, so a half-written one does not stop
 * the build.
 */
async function reachable(build, root, files) {
  const starts = files.filter(
    (f) => f === join(root, 'src/cli/main.ts') || f.endsWith('.worker.ts'),
  );
  const { metafile } = await build({
    absWorkingDir: root,
    entryPoints: starts,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    metafile: true,
    outdir: join(root, 'dist/.reachable'),
    logLevel: 'error',
  });
  const src = join(root, 'src');
  return new Set(
    Object.keys(metafile.inputs)
      .map((input) => resolve(root, input))
      .filter((file) => !relative(src, file).startsWith('..')),
  );
}

/** Leaves relative imports as imports of the compiled neighbour (`./x.ts` -> `./x.js`). */
function oneFilePerSource(src, outDir, entries) {
  return {
    name: 'atrium-one-file-per-source',
    setup(build) {
      build.onResolve({ filter: /^\.\.?(\/|$)/ }, (args) => {
        const target = resolve(args.resolveDir, args.path);
        const inSrc = !relative(src, target).startsWith('..');
        if (!inSrc) {
          // A file outside src/ (bin/build.mjs): imported where it is, from where the importer lands.
          const landing = join(outDir, relative(src, dirname(args.importer)));
          let path = posix(relative(landing, target));
          if (!path.startsWith('.')) path = `./${path}`;
          return { path, external: true };
        }
        if (!entries.has(target)) {
          return {
            errors: [
              {
                text: `${posix(relative(src, target))} is not part of the server build (imported as '${args.path}'; web/ folders, tests and testkits are left out, and the file must exist)`,
              },
            ],
          };
        }
        return { path: args.path.replace(/\.ts$/, '.js'), external: true };
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
