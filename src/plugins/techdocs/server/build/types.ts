import type { SiteMetadata } from '../../common/index.ts';

/** Where build progress goes: the CLI prints it, the server streams it as SSE `log` events. */
export interface BuildLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** A warning or error found while building; `file` is relative to the source folder. */
export interface BuildProblem {
  level: 'warning' | 'error';
  message: string;
  file?: string;
  line?: number;
}

export interface BuildOptions {
  /** The folder holding mkdocs.yml (or mkdocs.yaml) and the docs folder. */
  sourceDir: string;
  /**
   * Emptied and written from scratch. Refused when it is the source folder or holds it, or
   * when it is a non-empty folder that is not a previous build (no techdocs_metadata.json).
   */
  outDir: string;
  log: BuildLog;
  /** site_name when there is no mkdocs.yml (the entity's title or name). */
  defaultSiteName?: string;
  signal?: AbortSignal;
  /** Stored as `etag` (default: the source hash). */
  etag?: string;
  sourceCommit?: string;
  /** Called after each page: pages done / total. */
  onProgress?(done: number, total: number): void;
}

/**
 * The outcome of a build that produced at least one page. Problems are also written to the
 * log as they happen, as `file:line: message`.
 */
export interface BuildResult {
  metadata: SiteMetadata;
  problems: BuildProblem[];
}

/** Thrown when not a single page could be built: there is nothing worth publishing. */
export class DocsBuildError extends Error {
  readonly problems: BuildProblem[];

  constructor(message: string, problems: BuildProblem[]) {
    super(message);
    this.name = 'DocsBuildError';
    this.problems = problems;
  }
}

/** `file:line: message` (or `message` alone), the form the CLI and the build log print. */
export function formatBuildProblem(problem: BuildProblem): string {
  const where = problem.file ? `${problem.file}${problem.line ? `:${problem.line}` : ''}: ` : '';
  return `${where}${problem.message}`;
}
