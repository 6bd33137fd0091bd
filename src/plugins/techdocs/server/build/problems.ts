import type { BuildLog, BuildProblem } from './types.ts';
import { formatBuildProblem } from './types.ts';

/** Collects build problems and writes each to the build log as it is found. */
export class ProblemSink {
  readonly list: BuildProblem[] = [];
  private readonly log: BuildLog | undefined;

  constructor(log?: BuildLog) {
    this.log = log;
  }

  info(message: string): void {
    this.log?.info(message);
  }

  warn(message: string, file?: string, line?: number): void {
    const problem: BuildProblem = { level: 'warning', message, file, line };
    this.list.push(clean(problem));
    this.log?.warn(formatBuildProblem(problem));
  }

  error(message: string, file?: string, line?: number): void {
    const problem: BuildProblem = { level: 'error', message, file, line };
    this.list.push(clean(problem));
    this.log?.error(formatBuildProblem(problem));
  }
}

function clean(problem: BuildProblem): BuildProblem {
  if (problem.file === undefined) delete problem.file;
  if (problem.line === undefined) delete problem.line;
  return problem;
}
