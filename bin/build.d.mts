// Types of build.mjs for the TypeScript that imports it (src/cli/web-build.ts, tests).

/** The repository: the folder above bin/. */
export const ROOT: string;

export interface SourceScan {
  /** Absolute paths, sorted. */
  files: string[];
  /** Newest modification time (ms), 0 when there is no file. */
  newest: number;
  /** Hash of every path, modification time and size. */
  fingerprint: string;
}

export function scanSources(
  roots: string[],
  options?: { skipDir?: (path: string) => boolean; includeFile?: (path: string) => boolean },
): SourceScan;

export interface ServerSources {
  /** The server's TypeScript files (absolute), each compiled to its own .js. */
  entries: string[];
  /** Newest modification time among them, package.json, tsconfig.json and bin/build.mjs. */
  newest: number;
  /** Changes when any of those files is added, removed or modified. */
  fingerprint: string;
}

export function serverSources(root?: string): ServerSources;

export function serverBuildState(
  root?: string,
  outDir?: string,
): { state: 'fresh' | 'stale' | 'missing'; sources: ServerSources };

export function buildServer(options?: {
  root?: string;
  outDir?: string;
  sources?: ServerSources;
}): Promise<void>;

/** Builds when missing or stale (one line through `log`); returns the file URL of cli/main.js. */
export function ensureServerBuild(options?: {
  root?: string;
  outDir?: string;
  log?: (message: string) => void;
}): Promise<string>;
