import type { ConfigProblem } from './errors.ts';
import { formatKeyPath, type KeyPath } from './paths.ts';
import { inSources, type Provenance } from './provenance.ts';
import type { AccessRestrictionConfig, BackendAuthConfig, ExternalAccessConfig } from './types.ts';
import { isPlainObject } from './validate.ts';

/*
 * `backend.auth.externalAccess`, checked as Backstage checks it when its backend starts
 * (packages/backend-defaults/src/entrypoints/auth/external): the schema has already checked
 * types; here come the rules a schema cannot say without echoing a secret in its message
 * (token length and whitespace), duplicates, and unknown keys in `accessRestrictions`.
 */

type Data = Record<string, unknown>;

/** Backstage's minimum length of a static token. */
export const MIN_STATIC_TOKEN_LENGTH = 8;

/** Prefix of Atrium's personal access tokens; a static token may not look like one. */
export const PERSONAL_TOKEN_PREFIX = 'atp_';

const ACTIONS = ['create', 'read', 'update', 'delete'] as const;

/** JWS algorithms that sign with a public/private key pair, the only ones a JWKS can serve. */
const JWKS_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

export interface ExternalAccessContext {
  provenance: Provenance;
  warnings: string[];
  problems: ConfigProblem[];
}

export function normalizeBackendAuth(auth: Data, ctx: ExternalAccessContext): BackendAuthConfig {
  const entries = (auth.externalAccess as Data[] | undefined) ?? [];
  const problem = (path: KeyPath, message: string) => {
    const sources = ctx.provenance.sourcesOf(path);
    ctx.problems.push({
      key: formatKeyPath(path),
      message: `${formatKeyPath(path)} ${message}${inSources(sources)}`,
      sources,
    });
  };
  const staticTokens = new Map<string, number>();
  const externalAccess: ExternalAccessConfig[] = [];
  entries.forEach((entry, index) => {
    const base: KeyPath = ['backend', 'auth', 'externalAccess', index];
    const options = isPlainObject(entry.options) ? entry.options : {};
    const accessRestrictions = readAccessRestrictions(entry.accessRestrictions, base, problem);
    const restrictions = accessRestrictions ? { accessRestrictions } : {};
    if (entry.type === 'static') {
      const token = options.token as string;
      const path = [...base, 'options', 'token'];
      // The messages describe the token, never repeat it: it is a secret.
      if (/\s/.test(token)) {
        problem(path, 'must not contain whitespace (as Backstage requires)');
      } else if (token.length < MIN_STATIC_TOKEN_LENGTH) {
        problem(
          path,
          `must be at least ${MIN_STATIC_TOKEN_LENGTH} characters long (got ${token.length})`,
        );
      } else if (token.startsWith(PERSONAL_TOKEN_PREFIX)) {
        problem(
          path,
          `must not start with '${PERSONAL_TOKEN_PREFIX}', which marks Atrium's personal access tokens`,
        );
      } else if (staticTokens.has(token)) {
        problem(
          path,
          `is the same token as backend.auth.externalAccess[${staticTokens.get(token)}]; give each caller its own token`,
        );
      }
      staticTokens.set(token, index);
      externalAccess.push({
        type: 'static',
        index,
        token,
        subject: options.subject as string,
        ...restrictions,
      });
      return;
    }
    const list = (key: string, valid?: readonly string[]) =>
      splitList(options[key], [...base, 'options', key], problem, valid);
    const issuers = list('issuer');
    const audiences = list('audience');
    const algorithms = list('algorithm', JWKS_ALGORITHMS);
    if (!audiences) {
      const sources = ctx.provenance.sourcesOf(base);
      ctx.warnings.push(
        `${formatKeyPath(base)} (jwks) sets no options.audience: any token that ${options.url as string} signs, for any application, is accepted${inSources(sources)}`,
      );
    }
    externalAccess.push({
      type: 'jwks',
      index,
      url: options.url as string,
      ...(issuers ? { issuers } : {}),
      ...(audiences ? { audiences } : {}),
      ...(algorithms ? { algorithms } : {}),
      ...(typeof options.subjectPrefix === 'string'
        ? { subjectPrefix: options.subjectPrefix }
        : {}),
      ...restrictions,
    });
  });
  return { externalAccess };
}

type Report = (path: KeyPath, message: string) => void;

/**
 * Backstage's `readStringOrStringArrayFromConfig`: a string or a list, each value split at
 * commas and spaces, deduplicated; undefined when absent or empty.
 */
function splitList(
  value: unknown,
  path: KeyPath,
  problem: Report,
  valid?: readonly string[],
): string[] | undefined {
  if (value === undefined) return undefined;
  const raw = Array.isArray(value) ? (value as string[]) : [value as string];
  const values = [...new Set(raw.flatMap((v) => v.split(/[ ,]/)).filter(Boolean))];
  if (!values.length) return undefined;
  for (const v of valid ? values : []) {
    if (!valid!.includes(v)) {
      problem(path, `has '${v}', which is not one of ${valid!.map((k) => `'${k}'`).join(', ')}`);
    }
  }
  return values;
}

function readAccessRestrictions(
  value: unknown,
  base: KeyPath,
  problem: Report,
): AccessRestrictionConfig[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const seen = new Set<string>();
  const out: AccessRestrictionConfig[] = [];
  (value as Data[]).forEach((item, i) => {
    const path: KeyPath = [...base, 'accessRestrictions', i];
    for (const key of Object.keys(item)) {
      if (!['plugin', 'permission', 'permissionAttribute'].includes(key)) {
        problem(
          [...path, key],
          "is not a known key: expected 'plugin', 'permission' or 'permissionAttribute'",
        );
      }
    }
    const plugin = item.plugin as string;
    if (seen.has(plugin)) {
      problem(
        [...path, 'plugin'],
        `declares plugin '${plugin}' a second time; list its permissions and actions in one entry`,
      );
    }
    seen.add(plugin);
    const permission = splitList(item.permission, [...path, 'permission'], problem);
    const attribute = isPlainObject(item.permissionAttribute)
      ? item.permissionAttribute
      : undefined;
    for (const key of Object.keys(attribute ?? {})) {
      if (key !== 'action') {
        problem([...path, 'permissionAttribute', key], "is not a known key: expected 'action'");
      }
    }
    const action = splitList(
      attribute?.action,
      [...path, 'permissionAttribute', 'action'],
      problem,
      ACTIONS,
    ) as (typeof ACTIONS)[number][] | undefined;
    out.push({
      plugin,
      ...(permission ? { permission } : {}),
      ...(action ? { permissionAttribute: { action } } : {}),
    });
  });
  return out;
}
