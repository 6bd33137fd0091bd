/** Atrium configuration: loading app-config.yaml, validation, defaults, documentation. */
export { loadConfig } from './load.ts';
export { ConfigError, type ConfigProblem } from './errors.ts';
export { describeConfigKeys, type ConfigKeyDescription } from './describe.ts';
export { toKindDefinitions } from './kinds.ts';
export { parseDuration, DurationError } from './duration.ts';
export { CONFIG_SCHEMA } from './schema.ts';
export type * from './types.ts';
