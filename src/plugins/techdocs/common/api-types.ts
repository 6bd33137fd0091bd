/**
 * Answers of the techdocs REST API beyond Backstage's (build status and log, the list of
 * documented entities), shared by the server routes and the reader page.
 */

/** `never`: no build recorded yet (an external builder, or nobody opened the docs). */
export type BuildStatus = 'ok' | 'warnings' | 'failed' | 'never';

export interface BuildLogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
}

/** Same shape as the build's problems: `file` is relative to the docs source folder. */
export interface DocsProblem {
  level: 'warning' | 'error';
  message: string;
  file?: string;
  line?: number;
}

export interface BuildRecord {
  entityRef: string;
  status: BuildStatus;
  problems: DocsProblem[];
  log: BuildLogLine[];
  /** Why the build failed. */
  error?: string;
  sourceHash?: string;
  sourceCommit?: string;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
}

/** GET /api/techdocs/builds/:namespace/:kind/:name */
export interface BuildsResponse extends BuildRecord {
  /** A build of this entity is running now (on this server or another replica). */
  building: boolean;
  builder: 'local' | 'external';
}

/** One entry of GET /api/techdocs/sites. */
export interface DocsSite {
  entityRef: string;
  namespace: string;
  kind: string;
  name: string;
  title: string;
  description?: string;
  owner?: string;
  type?: string;
  lifecycle?: string;
  /** A site is published (it can be read without building). */
  published: boolean;
  siteName?: string;
  buildTimestamp?: number;
  status: BuildStatus;
  building: boolean;
  problemCount: number;
}

export interface DocsSitesResponse {
  items: DocsSite[];
}

/** The parts of a sync log line (`<level>: <message>`), as streamed by GET /sync. */
export function parseLogLine(line: string): BuildLogLine {
  const match = /^(info|warn|error): ([\s\S]*)$/.exec(line);
  return match
    ? { level: match[1] as BuildLogLine['level'], message: match[2] ?? '' }
    : { level: 'info', message: line };
}

export function formatLogLine(line: BuildLogLine): string {
  return `${line.level}: ${line.message}`;
}
