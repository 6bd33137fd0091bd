import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ConfigError, type ConfigProblem } from './errors.ts';
import { normalizeConfig } from './normalize.ts';
import { formatKeyPath, type KeyPath, PathMap } from './paths.ts';
import { type ConfigSource, inSources, Provenance } from './provenance.ts';
import { readYamlFile, transformConfigFile } from './transform.ts';
import type { LoadConfigOptions, LoadedConfig } from './types.ts';
import { isPlainObject, prepareConfigData, validateConfigData } from './validate.ts';

const ENV_PREFIX = 'APP_CONFIG_';
/** Backstage's rule for one part of an `APP_CONFIG_a_b_c` name. */
const ENV_KEY_PART = /^[a-z][a-z0-9]*(?:[-:][a-z0-9]+)*$/i;

/**
 * Loads Atrium's configuration.
 *
 * Files: without `configPaths`, `app-config.yaml` in `cwd` (if missing: defaults and a
 * warning), then `app-config.local.yaml` if present. A non-empty `configPaths` (the CLI's
 * repeatable `--config`) replaces that list; each of those files must exist. Later files win:
 * objects are deep-merged, arrays and scalars replaced, `null` unsets. `APP_CONFIG_a_b_c`
 * variables come last and set `a.b.c` (value JSON-parsed if possible, else the string).
 *
 * Each file gets `${VAR}` substitution and `$env`/`$file`/`$include` (see `transform.ts`).
 * The result is validated against `CONFIG_SCHEMA`: a wrong value on a known key throws
 * `ConfigError`; an unknown key gives a warning and is dropped.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<LoadedConfig> {
  const cwd = resolve(options.cwd);
  const env = options.env ?? process.env;
  const warnings: string[] = [];
  const show = (file: string): string => {
    const rel = relative(cwd, file);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
  };

  const files = await configFiles(options.configPaths, cwd, show, warnings);
  const provenance = new Provenance(show);
  const data: Record<string, unknown> = {};

  for (const file of files) {
    const raw = (await readYamlFile(file, show)) ?? {};
    if (!isPlainObject(raw)) {
      throw new ConfigError([
        {
          key: '(root)',
          message: `${show(file)} must contain a YAML mapping of config keys at the top level (got ${Array.isArray(raw) ? 'a list' : typeof raw})`,
          sources: [show(file)],
        },
      ]);
    }
    const { value, includes } = await transformConfigFile(raw, file, env, show);
    if (!isPlainObject(value)) {
      throw new ConfigError([
        {
          key: '(root)',
          message: `${show(file)}: the top-level $include must give a mapping of config keys`,
          sources: [show(file)],
        },
      ]);
    }
    const source: ConfigSource = { label: show(file), dir: dirname(file), includes: new PathMap() };
    for (const inc of includes) source.includes.set(inc.path, inc.file);
    mergeInto(data, value, [], source, provenance);
  }

  for (const [name, parsed] of readEnvConfig(env)) {
    const source: ConfigSource = {
      label: `environment variable ${name}`,
      dir: cwd,
      includes: new PathMap(),
    };
    mergeInto(data, parsed, [], source, provenance);
  }

  stripNulls(data);
  expandListenString(data);

  const { unknown, reserved } = prepareConfigData(data);
  for (const path of unknown) {
    warnings.push(
      `Unknown config key '${formatKeyPath(path)}' (ignored)${inSources(provenance.sourcesOf(path))}`,
    );
  }
  for (const path of reserved) {
    warnings.push(
      `Config key '${formatKeyPath(path)}' is reserved: this version of Atrium does not use it yet${inSources(provenance.sourcesOf(path))}`,
    );
  }

  const problems: ConfigProblem[] = validateConfigData(data).map((p) => {
    const sources = provenance.sourcesOf(p.path);
    return { key: formatKeyPath(p.path), message: `${p.message}${inSources(sources)}`, sources };
  });
  if (problems.length > 0) throw new ConfigError(problems);

  const normalizeProblems: ConfigProblem[] = [];
  const config = normalizeConfig(data, { cwd, provenance, warnings, problems: normalizeProblems });
  if (normalizeProblems.length > 0) throw new ConfigError(normalizeProblems);

  return { config, warnings, files };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function configFiles(
  configPaths: string[] | undefined,
  cwd: string,
  show: (f: string) => string,
  warnings: string[],
): Promise<string[]> {
  if (configPaths && configPaths.length > 0) {
    const files = configPaths.map((p) => resolve(cwd, p));
    const missing = [];
    for (const f of files) if (!(await isFile(f))) missing.push(f);
    if (missing.length > 0) {
      throw new ConfigError(
        missing.map((f) => ({
          key: '(file)',
          message: `config file ${show(f)} (given with --config) does not exist`,
          sources: [show(f)],
        })),
      );
    }
    return files;
  }
  const files: string[] = [];
  const main = join(cwd, 'app-config.yaml');
  if (await isFile(main)) files.push(main);
  else warnings.push(`No app-config.yaml in ${cwd}; using default settings`);
  const local = join(cwd, 'app-config.local.yaml');
  if (await isFile(local)) files.push(local);
  return files;
}

/** Deep merge: objects merge key by key, anything else (arrays, scalars, null) replaces. */
function mergeInto(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  base: KeyPath,
  origin: ConfigSource,
  provenance: Provenance,
): void {
  for (const [key, value] of Object.entries(source)) {
    const path = [...base, key];
    const existing = target[key];
    if (isPlainObject(value) && isPlainObject(existing)) {
      mergeInto(existing, value, path, origin, provenance);
    } else {
      target[key] = value;
      provenance.set(path, origin);
    }
  }
}

/** A `null` value unsets the key (as Backstage's config reader treats it). */
function stripNulls(obj: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(obj)) {
    if (value === null) delete obj[key];
    else if (isPlainObject(value)) stripNulls(value);
    else if (Array.isArray(value))
      for (const item of value) if (isPlainObject(item)) stripNulls(item);
  }
}

/** Backstage's `backend.listen: 'host:port'` / `':port'` form. */
function expandListenString(data: Record<string, unknown>): void {
  const backend = data.backend;
  if (!isPlainObject(backend) || typeof backend.listen !== 'string') return;
  const m = /^(?:(.*):)?(\d+)$/.exec(backend.listen.trim());
  if (!m) return; // left as a string: validation reports it
  backend.listen = { ...(m[1] ? { host: m[1] } : {}), port: Number(m[2]) };
}

/**
 * `APP_CONFIG_a_b_c=value` -> `{a: {b: {c: value}}}`, one entry per variable, sorted by name.
 * Empty values are skipped; JSON values are parsed, others kept as strings; `null` is refused.
 */
function readEnvConfig(
  env: Record<string, string | undefined>,
): [string, Record<string, unknown>][] {
  const out: [string, Record<string, unknown>][] = [];
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, string>();
  for (const name of Object.keys(env).sort()) {
    const raw = env[name];
    if (!name.startsWith(ENV_PREFIX) || !raw) continue;
    const parts = name.slice(ENV_PREFIX.length).split('_');
    const fail = (message: string) =>
      problems.push({ key: parts.join('.'), message, sources: [`environment variable ${name}`] });
    if (!parts.every((p) => ENV_KEY_PART.test(p))) {
      fail(
        `environment variable ${name} is not a valid config key (expected APP_CONFIG_<key>_<key>…, keys starting with a letter)`,
      );
      continue;
    }
    // Like Backstage: one variable may not set a key that another sets or nests under.
    const dotted = parts.join('.');
    const clash = [...seen.entries()].find(
      ([k]) => k === dotted || k.startsWith(`${dotted}.`) || dotted.startsWith(`${k}.`),
    );
    if (clash) {
      fail(
        `environment variables ${clash[1]} and ${name} both set config key ${clash[0] === dotted ? dotted : `${dotted} or a key inside it`}`,
      );
      continue;
    }
    seen.set(dotted, name);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    if (value === null) {
      fail(`environment variable ${name} may not be null`);
      continue;
    }
    let nested: unknown = value;
    for (const part of [...parts].reverse()) nested = { [part]: nested };
    out.push([name, nested as Record<string, unknown>]);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}
