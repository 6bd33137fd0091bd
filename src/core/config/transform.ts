import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from './errors.ts';
import { formatKeyPath, type KeyPath } from './paths.ts';

/**
 * Substitution and includes, applied to each config file as Backstage's config-loader does:
 *
 * - in every string: `${VAR}` (env value, trimmed), `${VAR:-fallback}` (fallback when VAR is
 *   unset or empty), `$${VAR}` (the literal text `${VAR}`); if a referenced variable is unset and
 *   has no fallback the whole value is undefined: its key is dropped, its array element removed;
 * - an object whose single key is `$env: VAR`, `$file: path` (content, trailing whitespace
 *   trimmed) or `$include: file.yaml#a.b` (parsed .json/.yaml/.yml, optional dotted sub-path) is
 *   replaced by that value. Paths are relative to the file containing them.
 */

export type Env = Record<string, string | undefined>;

export interface IncludePoint {
  /** Where the included value sits in the config tree. */
  path: KeyPath;
  /** Absolute path of the included file. */
  file: string;
}

export interface TransformResult {
  value: unknown;
  /** Every `$include` that was expanded, so that values can be traced to the file they came from. */
  includes: IncludePoint[];
}

const INCLUDE_KEYS = ['$file', '$env', '$include'] as const;

interface Ctx {
  env: Env;
  /** Shows a file to people (relative to cwd when possible). */
  label: (file: string) => string;
  /** The config file being transformed (for messages). */
  rootFile: string;
}

/** Reads and parses one YAML config file; an empty file is an empty object. */
export async function readYamlFile(file: string, label: (f: string) => string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw fileProblem(label(file), `cannot read ${label(file)}: ${errorText(err)}`);
  }
  return parseYaml(text, label(file));
}

function parseYaml(text: string, shown: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const where = first.linePos?.[0]
      ? ` at line ${first.linePos[0].line}, column ${first.linePos[0].col}`
      : '';
    const msg = first.message.startsWith('Source contains multiple documents')
      ? 'a config file must hold a single YAML document (found another after ---)'
      : first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw fileProblem(shown, `${shown} is not valid YAML${where}: ${msg}`);
  }
  return doc.toJS({ maxAliasCount: 1000 }) ?? null;
}

function fileProblem(shown: string, message: string): ConfigError {
  return new ConfigError([{ key: '(file)', message, sources: [shown] }]);
}

function errorText(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && err.code === 'ENOENT')
    return 'file not found';
  return err instanceof Error ? err.message : String(err);
}

/**
 * Applies substitution and includes to the parsed content of `file`.
 * Throws `ConfigError` naming the key and file when an include fails.
 */
export async function transformConfigFile(
  input: unknown,
  file: string,
  env: Env,
  label: (f: string) => string,
): Promise<TransformResult> {
  const includes: IncludePoint[] = [];
  const ctx: Ctx = { env, label, rootFile: file };
  const value = await transform(input, [], dirname(file), file, ctx, includes, [file]);
  return { value, includes };
}

async function transform(
  value: unknown,
  path: (string | number)[],
  dir: string,
  file: string,
  ctx: Ctx,
  includes: IncludePoint[],
  stack: string[],
): Promise<unknown> {
  if (typeof value === 'string') return substitute(value, ctx.env);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      const local: IncludePoint[] = [];
      const v = await transform(item, [...path, out.length], dir, file, ctx, local, stack);
      if (v !== undefined) {
        out.push(v);
        includes.push(...local);
      }
    }
    return out;
  }
  if (value === null || typeof value !== 'object') return value;

  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  const includeKey = INCLUDE_KEYS.find((k) => keys.includes(k));
  if (includeKey) {
    return expandInclude(includeKey, obj, path, dir, file, ctx, includes, stack);
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const v = await transform(obj[key], [...path, key], dir, file, ctx, includes, stack);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

async function expandInclude(
  includeKey: (typeof INCLUDE_KEYS)[number],
  obj: Record<string, unknown>,
  path: (string | number)[],
  dir: string,
  file: string,
  ctx: Ctx,
  includes: IncludePoint[],
  stack: string[],
): Promise<unknown> {
  const fail = (what: string) =>
    new ConfigError([
      {
        key: formatKeyPath(path),
        message: `${formatKeyPath(path)}: ${what} in ${ctx.label(file)}`,
        sources: [ctx.label(file)],
      },
    ]);
  if (Object.keys(obj).length !== 1) {
    throw fail(`include key ${includeKey} should not have adjacent keys`);
  }
  const raw = obj[includeKey];
  if (typeof raw !== 'string') throw fail(`${includeKey} value must be a string`);
  const arg = substitute(raw, ctx.env);
  if (arg === undefined)
    throw fail(`${includeKey} value '${raw}' refers to an unset environment variable`);

  if (includeKey === '$env') return envValue(ctx.env, arg);

  if (includeKey === '$file') {
    const target = resolve(dir, arg);
    try {
      return (await readFile(target, 'utf8')).trimEnd();
    } catch (err) {
      throw fail(`$file could not read ${ctx.label(target)}: ${errorText(err)}`);
    }
  }

  // $include: file[#a.b]
  const hash = arg.indexOf('#');
  const filePart = hash >= 0 ? arg.slice(0, hash) : arg;
  const subPath = hash >= 0 ? arg.slice(hash + 1) : '';
  const ext = extname(filePart).toLowerCase();
  if (!['.json', '.yaml', '.yml'].includes(ext)) {
    throw fail(`$include supports .json, .yaml and .yml files, not '${filePart}'`);
  }
  const target = resolve(dir, filePart);
  if (stack.includes(target)) throw fail(`$include of ${ctx.label(target)} loops back to itself`);
  let text: string;
  try {
    text = await readFile(target, 'utf8');
  } catch (err) {
    throw fail(`$include could not read ${ctx.label(target)}: ${errorText(err)}`);
  }
  let parsed: unknown;
  if (ext === '.json') {
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw fail(`$include: ${ctx.label(target)} is not valid JSON: ${errorText(err)}`);
    }
  } else {
    try {
      parsed = parseYaml(text, ctx.label(target));
    } catch (err) {
      throw fail(
        `$include: ${err instanceof ConfigError ? err.problems[0]!.message : errorText(err)}`,
      );
    }
  }
  let selected = parsed;
  if (subPath !== '') {
    const parts = subPath.split('.');
    for (const [i, part] of parts.entries()) {
      if (selected === null || typeof selected !== 'object' || Array.isArray(selected)) {
        throw fail(
          `$include: value at '${parts.slice(0, i).join('.')}' in ${ctx.label(target)} is not an object`,
        );
      }
      selected = (selected as Record<string, unknown>)[part];
      if (selected === undefined) {
        throw fail(
          `$include: key '${parts.slice(0, i + 1).join('.')}' not found in ${ctx.label(target)}`,
        );
      }
    }
  }
  includes.push({ path: [...path], file: target });
  return transform(selected, path, dirname(target), target, ctx, includes, [...stack, target]);
}

function envValue(env: Env, name: string): string | undefined {
  return env[name.trim()]?.trim();
}

const SUBSTITUTION_RE = /(\$?\$\{[^{}]*\})/;

/**
 * `${VAR}`, `${VAR:-fallback}` and `$${VAR}` in one string; `undefined` when a referenced
 * variable is unset and has no fallback.
 */
export function substitute(input: string, env: Env): string | undefined {
  if (!input.includes('${')) return input;
  const parts: (string | undefined)[] = input.split(SUBSTITUTION_RE);
  for (let i = 1; i < parts.length; i += 2) {
    const part = parts[i]!;
    if (part.startsWith('$$')) {
      parts[i] = part.slice(1);
      continue;
    }
    const inner = part.slice(2, -1);
    const sep = inner.indexOf(':-');
    const name = sep >= 0 ? inner.slice(0, sep) : inner;
    const fallback = sep >= 0 ? inner.slice(sep + 2) : undefined;
    const value = envValue(env, name);
    parts[i] = fallback !== undefined && (value === undefined || value === '') ? fallback : value;
  }
  if (parts.some((p) => p === undefined)) return undefined;
  return parts.join('');
}
