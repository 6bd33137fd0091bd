/** One thing wrong with the configuration, as shown to a person. */
export interface ConfigProblem {
  /** Key path in the merged config, e.g. `backend.listen.port` or `catalog.locations[0].type`. */
  key: string;
  /** The sentence describing the problem, starting with the key path. */
  message: string;
  /** Where the offending value came from: config files (relative to cwd when inside it) or env vars. */
  sources: string[];
}

/**
 * Thrown by `loadConfig` when the configuration cannot be used: unreadable or unparsable files,
 * failed `$file`/`$include`, or a wrong type/value on a key Atrium knows.
 * The message names the key path, the file(s) the value came from, and what would be valid.
 */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(formatProblems(problems));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function formatProblems(problems: ConfigProblem[]): string {
  if (problems.length === 1) return `Invalid config: ${problems[0]!.message}`;
  return `Invalid config (${problems.length} problems):\n${problems.map((p) => `  - ${p.message}`).join('\n')}`;
}
