import path from 'node:path';
import cliProgress from 'cli-progress';
import { loadConfig } from '../core/config/index.ts';
import { gitHeadCommit } from '../core/reading/git-checkout.ts';
import {
  type BuildProblem,
  buildSite,
  DocsBuildError,
} from '../plugins/techdocs/server/build/index.ts';
import {
  LocalDocsStorage,
  parseTriplet,
  tripletString,
} from '../plugins/techdocs/server/storage/index.ts';

/** `file:line: warning: message`, the file shown relative to the current directory. */
function formatForCli(problem: BuildProblem, sourceDir: string): string {
  const absolute = problem.file ? path.resolve(sourceDir, problem.file) : undefined;
  const relative = absolute ? path.relative(process.cwd(), absolute) : undefined;
  const file = relative?.startsWith('..') ? absolute : relative;
  const where = file ? `${file}${problem.line ? `:${problem.line}` : ''}: ` : '';
  return `${where}${problem.level === 'error' ? 'error' : 'warning'}: ${problem.message}`;
}

/**
 * Builds a docs folder (mkdocs.yml + docs/) into a site folder. Exit code 1 only when no page
 * could be built; warnings and per-page errors are printed and the build goes on.
 */
export async function docsBuildCommand(
  dir: string,
  options: { out: string; siteName?: string },
): Promise<number> {
  const sourceDir = path.resolve(dir);
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        {
          format: 'Building docs {bar} {value}/{total} pages',
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let started = false;
  const infos: string[] = [];
  // Problems come back in the result (or the error) and are printed after the bar is gone.
  const log = { info: (message: string) => infos.push(message), warn() {}, error() {} };
  let problems: BuildProblem[];
  let pages = 0;
  try {
    const result = await buildSite({
      sourceDir,
      outDir: path.resolve(options.out),
      log,
      defaultSiteName: options.siteName ?? path.basename(sourceDir),
      sourceCommit: await gitHeadCommit(sourceDir, { clean: true }),
      onProgress(done, total) {
        if (!bar) return;
        if (!started) {
          bar.start(total, 0);
          started = true;
        }
        bar.update(done);
      },
    });
    problems = result.problems;
    pages = result.metadata.pages?.length ?? 0;
  } catch (error) {
    if (!(error instanceof DocsBuildError)) throw error;
    problems = error.problems;
  } finally {
    if (started) bar?.stop();
  }
  for (const problem of problems) process.stdout.write(`${formatForCli(problem, sourceDir)}\n`);
  const warnings = problems.filter((problem) => problem.level === 'warning').length;
  const errors = problems.length - warnings;
  if (pages === 0) {
    process.stderr.write(`No page could be built (${errors} error(s)).\n`);
    return 1;
  }
  for (const info of infos) process.stderr.write(`${info}\n`);
  process.stderr.write(`${warnings} warning(s), ${errors} error(s)\n`);
  return 0;
}

/** Publishes a built site into the storage configured by techdocs.publisher. */
export async function docsPublishCommand(options: {
  entity: string;
  directory: string;
  config?: string[];
}): Promise<number> {
  let triplet: ReturnType<typeof parseTriplet>;
  try {
    triplet = parseTriplet(options.entity);
  } catch (error) {
    process.stderr.write(`atrium docs publish: ${(error as Error).message}\n`);
    return 1;
  }
  const { config } = await loadConfig({
    configPaths: options.config,
    cwd: process.cwd(),
    env: process.env,
  });
  const root = config.techdocs.publisher.local.publishDirectory;
  const storage = new LocalDocsStorage(root);
  try {
    await storage.publish(triplet, path.resolve(options.directory));
  } catch (error) {
    process.stderr.write(`atrium docs publish: ${(error as Error).message}\n`);
    return 1;
  }
  const metadata = await storage.getMetadata(triplet);
  process.stderr.write(
    `Published ${metadata?.files.length ?? 0} file(s) of '${metadata?.site_name}' as ${tripletString(
      triplet,
    )} into ${storage.siteDir(triplet)}\n`,
  );
  return 0;
}
