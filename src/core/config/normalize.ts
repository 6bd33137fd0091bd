import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import type { JsonObject } from '../../model/entity.ts';
import { parseDuration } from './duration.ts';
import { normalizeBackendAuth } from './external-access.ts';
import { normalizeGithubApps } from './github-apps.ts';
import { normalizeGithubOrgProviders } from './github-org-providers.ts';
import { normalizeGithubProviders } from './github-providers.ts';
import { normalizeGitlabProviders } from './gitlab-providers.ts';
import { normalizeAuth } from './auth.ts';
import type { ConfigProblem } from './errors.ts';
import { formatKeyPath, type KeyPath } from './paths.ts';
import { inSources, type Provenance } from './provenance.ts';
import type {
  AtriumConfig,
  CatalogLocationConfig,
  CatalogRuleConfig,
  CustomKindConfig,
  DatabaseConfig,
  EventsConfig,
  IntegrationsConfig,
  PermissionConfig,
  PgConnectionConfig,
  PluginEntryConfig,
  ScaffolderConfig,
  ScaffolderLimitsConfig,
  ScmIntegrationConfig,
  TechDocsConfig,
} from './types.ts';
import { isPlainObject, schemaDefault } from './validate.ts';

/* Turns validated config data into `AtriumConfig`: defaults (from the schema) filled in,
 * values normalized. Data reaching here passed `validateConfigData`, so shapes are known. */

type Data = Record<string, unknown>;

const obj = (v: unknown): Data => (isPlainObject(v) ? v : {});
const trimSlash = (url: string): string => url.replace(/\/+$/, '');

export interface NormalizeContext {
  cwd: string;
  provenance: Provenance;
  warnings: string[];
  /** Problems found here (kind schemas that do not compile, duplicate kinds). */
  problems: ConfigProblem[];
}

export function normalizeConfig(data: Data, ctx: NormalizeContext): AtriumConfig {
  const app = obj(data.app);
  const backend = obj(data.backend);
  const listen = obj(backend.listen);
  const catalog = obj(data.catalog);
  const auth = obj(data.auth);
  const permission = obj(data.permission);

  const port =
    (listen.port as number | undefined) ?? (schemaDefault('backend.listen.port') as number);
  const backendBaseUrl = trimSlash(
    (backend.baseUrl as string | undefined) ??
      (port !== 0 ? `http://localhost:${port}` : (schemaDefault('backend.baseUrl') as string)),
  );

  const appBaseUrl = trimSlash((app.baseUrl as string | undefined) ?? backendBaseUrl);

  return {
    app: {
      baseUrl: appBaseUrl,
      title: (app.title as string | undefined) ?? (schemaDefault('app.title') as string),
    },
    backend: {
      baseUrl: backendBaseUrl,
      allowedHosts: [
        ...new Set(
          (
            (backend.allowedHosts as string[] | undefined) ??
            [appBaseUrl, backendBaseUrl].flatMap((url) =>
              URL.canParse(url) ? new URL(url).host : [],
            )
          ).map((host) => host.toLowerCase()),
        ),
      ],
      listen: {
        host:
          (listen.host as string | undefined) ?? (schemaDefault('backend.listen.host') as string),
        port,
      },
      database: normalizeDatabase(obj(backend.database), ctx),
      limits: {
        nestingDepth:
          (obj(backend.limits).nestingDepth as number | undefined) ??
          (schemaDefault('backend.limits.nestingDepth') as number),
        yamlAliases:
          (obj(backend.limits).yamlAliases as number | undefined) ??
          (schemaDefault('backend.limits.yamlAliases') as number),
        expandedBytes:
          (obj(backend.limits).expandedBytes as number | undefined) ??
          (schemaDefault('backend.limits.expandedBytes') as number),
      },
      reading: {
        allow: (
          (obj(backend.reading).allow as Data[] | undefined) ??
          (schemaDefault('backend.reading.allow') as Data[])
        ).map((rule) => ({
          host: rule.host as string,
          ...(rule.paths !== undefined ? { paths: rule.paths as string[] } : {}),
        })),
      },
      auth: normalizeBackendAuth(obj(backend.auth), ctx),
    },
    catalog: {
      locations: normalizeLocations(catalog.locations as Data[] | undefined, ctx),
      rules: normalizeRules(catalog.rules as Data[] | undefined, ctx),
      refresh: { intervalMs: normalizeInterval(catalog, ctx) },
      orphanStrategy:
        (catalog.orphanStrategy as 'keep' | 'delete' | undefined) ??
        (schemaDefault('catalog.orphanStrategy') as 'keep' | 'delete'),
      readonly:
        (catalog.readonly as boolean | undefined) ?? (schemaDefault('catalog.readonly') as boolean),
      kinds: normalizeKinds(catalog.kinds as Data[] | undefined, ctx),
      locationTypes:
        (catalog.locationTypes as ('url' | 'file')[] | undefined) ??
        (schemaDefault('catalog.locationTypes') as ('url' | 'file')[]),
      locationRoots: ((catalog.locationRoots as string[] | undefined) ?? []).map((root) =>
        configPath(root, ['catalog', 'locationRoots'], ctx, root),
      ),
      limits: {
        globFiles:
          (obj(catalog.limits).globFiles as number | undefined) ??
          (schemaDefault('catalog.limits.globFiles') as number),
        globBytes:
          (obj(catalog.limits).globBytes as number | undefined) ??
          (schemaDefault('catalog.limits.globBytes') as number),
      },
      history: {
        retentionDays:
          (obj(catalog.history).retentionDays as number | undefined) ??
          (schemaDefault('catalog.history.retentionDays') as number),
        maxEvents:
          (obj(catalog.history).maxEvents as number | undefined) ??
          (schemaDefault('catalog.history.maxEvents') as number),
        maxStreamsPerCaller:
          (obj(catalog.history).maxStreamsPerCaller as number | undefined) ??
          (schemaDefault('catalog.history.maxStreamsPerCaller') as number),
        maxStreams:
          (obj(catalog.history).maxStreams as number | undefined) ??
          (schemaDefault('catalog.history.maxStreams') as number),
      },
      removalGuard: {
        maxShare:
          (obj(catalog.removalGuard).maxShare as number | undefined) ??
          (schemaDefault('catalog.removalGuard.maxShare') as number),
        minCount:
          (obj(catalog.removalGuard).minCount as number | undefined) ??
          (schemaDefault('catalog.removalGuard.minCount') as number),
      },
      providers: {
        github: normalizeGithubProviders(obj(catalog.providers).github, ctx),
        githubOrg: normalizeGithubOrgProviders(obj(catalog.providers).githubOrg, ctx),
        gitlab: normalizeGitlabProviders(obj(catalog.providers).gitlab, ctx),
      },
    },
    auth: {
      ...normalizeAuth(auth, ctx),
      personalTokens: {
        enabled:
          (obj(auth.personalTokens).enabled as boolean | undefined) ??
          (schemaDefault('auth.personalTokens.enabled') as boolean),
        // The schema refuses `false` here, so parseDuration gives a number.
        maxDurationMs: parseDuration(
          obj(auth.personalTokens).maxDuration ?? schemaDefault('auth.personalTokens.maxDuration'),
        ) as number,
      },
    },
    permission: normalizePermission(permission, ctx),
    integrations: normalizeIntegrations(obj(data.integrations), ctx),
    scaffolder: normalizeScaffolder(obj(data.scaffolder), ctx),
    techdocs: normalizeTechDocs(obj(data.techdocs), ctx),
    search: {
      maxTermLength:
        (obj(data.search).maxTermLength as number | undefined) ??
        (schemaDefault('search.maxTermLength') as number),
      maxPageLimit:
        (obj(data.search).maxPageLimit as number | undefined) ??
        (schemaDefault('search.maxPageLimit') as number),
      countLimit:
        (obj(data.search).countLimit as number | undefined) ??
        (schemaDefault('search.countLimit') as number),
    },
    mcp: {
      enabled:
        (obj(data.mcp).enabled as boolean | undefined) ?? (schemaDefault('mcp.enabled') as boolean),
      destructiveTools:
        (obj(data.mcp).destructiveTools as boolean | undefined) ??
        (schemaDefault('mcp.destructiveTools') as boolean),
    },
    audit: {
      retentionMs: parseDuration(obj(data.audit).retention ?? schemaDefault('audit.retention')),
    },
    events: { modules: normalizeEventModules(obj(obj(data.events).modules)) },
    scorecards: {
      historyDays:
        (obj(data.scorecards).historyDays as number | undefined) ??
        (schemaDefault('scorecards.historyDays') as number),
      repoFacts: {
        scheduleMs: parseDuration(
          obj(obj(data.scorecards).repoFacts).schedule ??
            schemaDefault('scorecards.repoFacts.schedule'),
        ),
      },
      ...(typeof obj(data.scorecards).demoSeed === 'string'
        ? {
            demoSeed: resolve(
              ctx.provenance.dirOf(['scorecards', 'demoSeed']) ?? ctx.cwd,
              obj(data.scorecards).demoSeed as string,
            ),
          }
        : {}),
    },
    plugins: normalizePlugins(data.plugins as Data[] | undefined, ctx),
  };
}

function normalizeEventModules(modules: Data): EventsConfig['modules'] {
  const secretOf = (source: string) => {
    const secret = obj(modules[source]).webhookSecret;
    return typeof secret === 'string' ? { webhookSecret: secret } : {};
  };
  return { github: secretOf('github'), gitlab: secretOf('gitlab') };
}

function normalizePlugins(list: Data[] | undefined, ctx: NormalizeContext): PluginEntryConfig[] {
  return (list ?? []).map((entry, i) => ({
    package: entry.package as string,
    ...(entry.integrity !== undefined ? { integrity: entry.integrity as string } : {}),
    ...(entry.config !== undefined ? { config: entry.config as Record<string, unknown> } : {}),
    enabled: (entry.enabled as boolean | undefined) ?? true,
    baseDir: ctx.provenance.dirOf(['plugins', i]) ?? ctx.cwd,
    key: formatKeyPath(['plugins', i]),
  }));
}

function normalizeIntegrations(data: Data, ctx: NormalizeContext): IntegrationsConfig {
  const list = (key: 'github' | 'gitlab'): ScmIntegrationConfig[] =>
    ((data[key] as Data[] | undefined) ?? []).map((entry, i) => {
      const host = entry.host as string;
      const fallback =
        key === 'gitlab'
          ? `https://${host}/api/v4`
          : host === 'github.com'
            ? 'https://api.github.com'
            : `https://${host}/api/v3`;
      return {
        host,
        ...(typeof entry.token === 'string' ? { token: entry.token } : {}),
        apiBaseUrl: trimSlash((entry.apiBaseUrl as string | undefined) ?? fallback),
        ...(key === 'github' && entry.apps !== undefined
          ? { apps: normalizeGithubApps(entry.apps, ['integrations', 'github', i, 'apps'], ctx) }
          : {}),
      };
    });
  const entries = (key: string) => (data[key] as Data[] | undefined) ?? [];
  const optional = (entry: Data, keys: string[]) =>
    Object.fromEntries(keys.filter((k) => typeof entry[k] === 'string').map((k) => [k, entry[k]]));
  return {
    github: list('github'),
    gitlab: list('gitlab'),
    bitbucketCloud: entries('bitbucketCloud').map((entry) => ({
      host: 'bitbucket.org',
      apiBaseUrl: 'https://api.bitbucket.org/2.0',
      ...optional(entry, ['username', 'appPassword', 'token']),
    })),
    bitbucketServer: entries('bitbucketServer').map((entry) => ({
      host: entry.host as string,
      apiBaseUrl: trimSlash(
        (entry.apiBaseUrl as string | undefined) ?? `https://${entry.host}/rest/api/1.0`,
      ),
      ...optional(entry, ['token', 'username', 'password']),
    })),
    azure: entries('azure').map((entry) => ({
      host: entry.host as string,
      ...optional(entry, ['token']),
      credentials: ((entry.credentials as Data[] | undefined) ?? []).map((c) => ({
        personalAccessToken: c.personalAccessToken as string,
        ...(c.organizations ? { organizations: c.organizations as string[] } : {}),
      })),
      apiBaseUrl: `https://${entry.host}`,
    })),
    gerrit: entries('gerrit').map((entry) => {
      const baseUrl = trimSlash((entry.baseUrl as string | undefined) ?? `https://${entry.host}`);
      return {
        host: entry.host as string,
        baseUrl,
        cloneUrl: trimSlash((entry.cloneUrl as string | undefined) ?? baseUrl),
        gitilesBaseUrl: trimSlash(
          (entry.gitilesBaseUrl as string | undefined) ?? `${baseUrl}/plugins/gitiles`,
        ),
        ...optional(entry, ['username', 'password']),
      };
    }),
  };
}

function normalizePermission(permission: Data, ctx: NormalizeContext): PermissionConfig {
  const rbac = obj(permission.rbac);
  const admin = obj(rbac.admin);
  const path = (value: unknown, key: KeyPath) =>
    typeof value === 'string' ? resolve(ctx.provenance.dirOf(key) ?? ctx.cwd, value) : undefined;
  // The schema checked each name is `kind:[namespace/]name`; refs are compared lowercase.
  const refs = (list: unknown) =>
    ((list as Data[] | undefined) ?? []).map((item) => {
      const name = String(item.name).trim().toLowerCase();
      return name.includes('/') ? name : name.replace(':', ':default/');
    });
  const policyFile = path(permission.policyFile, ['permission', 'policyFile']);
  const csvFile = path(rbac['policies-csv-file'], ['permission', 'rbac', 'policies-csv-file']);
  const conditionalFile = path(rbac.conditionalPoliciesFile, [
    'permission',
    'rbac',
    'conditionalPoliciesFile',
  ]);
  return {
    enabled:
      (permission.enabled as boolean | undefined) ??
      (schemaDefault('permission.enabled') as boolean),
    ...(policyFile ? { policyFile } : {}),
    rbac: {
      ...(csvFile ? { 'policies-csv-file': csvFile } : {}),
      ...(conditionalFile ? { conditionalPoliciesFile: conditionalFile } : {}),
      policyFileReload:
        (rbac.policyFileReload as boolean | undefined) ??
        (schemaDefault('permission.rbac.policyFileReload') as boolean),
      admin: { users: refs(admin.users), superUsers: refs(admin.superUsers) },
    },
  };
}

/** A path from config, resolved against the directory of the config file that set it. */
function configPath(value: unknown, path: KeyPath, ctx: NormalizeContext, fallback: string) {
  if (typeof value !== 'string') return resolve(ctx.cwd, fallback);
  return resolve(ctx.provenance.dirOf(path) ?? ctx.cwd, value);
}

function normalizeScaffolder(data: Data, ctx: NormalizeContext): ScaffolderConfig {
  const author = obj(data.defaultAuthor);
  const env = obj(data.defaultEnvironment);
  return {
    defaultAuthor: {
      name:
        (author.name as string | undefined) ??
        (schemaDefault('scaffolder.defaultAuthor.name') as string),
      email:
        (author.email as string | undefined) ??
        (schemaDefault('scaffolder.defaultAuthor.email') as string),
    },
    defaultCommitMessage:
      (data.defaultCommitMessage as string | undefined) ??
      (schemaDefault('scaffolder.defaultCommitMessage') as string),
    workspaceDir: configPath(
      data.workspaceDir,
      ['scaffolder', 'workspaceDir'],
      ctx,
      join(tmpdir(), 'atrium-scaffolder'),
    ),
    localRepositoryRoots: Array.isArray(data.localRepositoryRoots)
      ? (data.localRepositoryRoots as string[]).map((root) =>
          configPath(root, ['scaffolder', 'localRepositoryRoots'], ctx, root),
        )
      : (schemaDefault('scaffolder.localRepositoryRoots') as string[]).map((root) =>
          resolve(ctx.cwd, root),
        ),
    concurrency:
      (data.concurrency as number | undefined) ??
      (schemaDefault('scaffolder.concurrency') as number),
    limits: normalizeScaffolderLimits(obj(data.limits)),
    defaultEnvironment: {
      parameters: (env.parameters as JsonObject | undefined) ?? {},
      secrets: (env.secrets as Record<string, string> | undefined) ?? {},
    },
  };
}

function normalizeScaffolderLimits(limits: Data): ScaffolderLimitsConfig {
  const value = (key: string): unknown => limits[key] ?? schemaDefault(`scaffolder.limits.${key}`);
  return {
    // The schema refuses `false` here, so parseDuration gives a number.
    renderTimeoutMs: parseDuration(value('renderTimeout')) as number,
    taskRenderTimeMs: parseDuration(value('taskRenderTime')),
    renderOutputBytes: value('renderOutputBytes') as number,
    workerMemoryMb: value('workerMemoryMb') as number,
    renderWorkers: value('renderWorkers') as number,
  };
}

function normalizeTechDocs(data: Data, ctx: NormalizeContext): TechDocsConfig {
  const local = obj(obj(data.publisher).local);
  return {
    builder:
      (data.builder as 'local' | 'external' | undefined) ??
      (schemaDefault('techdocs.builder') as 'local'),
    buildOnStart:
      (data.buildOnStart as boolean | undefined) ??
      (schemaDefault('techdocs.buildOnStart') as boolean),
    searchScanSeconds:
      (data.searchScanSeconds as number | undefined) ??
      (schemaDefault('techdocs.searchScanSeconds') as number),
    publisher: {
      type: 'local',
      local: {
        publishDirectory: configPath(
          local.publishDirectory,
          ['techdocs', 'publisher', 'local', 'publishDirectory'],
          ctx,
          schemaDefault('techdocs.publisher.local.publishDirectory') as string,
        ),
      },
    },
  };
}

function normalizeDatabase(db: Data, ctx: NormalizeContext): DatabaseConfig {
  const client =
    (db.client as string | undefined) ?? (schemaDefault('backend.database.client') as string);
  const conn = db.connection;
  if (client === 'pg') {
    if (typeof conn === 'string') return { client: 'pg', connection: conn };
    const connection = { ...obj(conn) } as PgConnectionConfig & { ssl?: unknown };
    if (typeof connection.ssl === 'string') {
      const mode = connection.ssl;
      connection.ssl =
        mode === 'disable' ? false : mode === 'no-verify' ? { rejectUnauthorized: false } : true;
    }
    return { client: 'pg', connection: connection as PgConnectionConfig };
  }
  const path: KeyPath = ['backend', 'database', 'connection'];
  const baseDir = conn === undefined ? ctx.cwd : (ctx.provenance.dirOf(path) ?? ctx.cwd);
  let filename: string;
  if (typeof conn === 'string') {
    filename = conn;
  } else {
    const c = obj(conn);
    if (typeof c.filename === 'string') {
      filename = c.filename;
      if (typeof c.directory === 'string') {
        ctx.warnings.push(
          `backend.database.connection.directory is ignored because filename is also set${inSources(ctx.provenance.sourcesOf(path))}`,
        );
      }
    } else if (typeof c.directory === 'string') {
      filename = `${c.directory.replace(/[\\/]+$/, '')}/atrium.sqlite`;
    } else {
      filename = schemaDefault('backend.database.connection.filename') as string;
    }
  }
  const readWorkers =
    (db.readWorkers as number | undefined) ??
    (schemaDefault('backend.database.readWorkers') as number);
  return { client: 'better-sqlite3', filename, baseDir, readWorkers };
}

function normalizeLocations(
  list: Data[] | undefined,
  ctx: NormalizeContext,
): CatalogLocationConfig[] {
  const locations = list ?? (schemaDefault('catalog.locations') as Data[]);
  return locations.map((loc, i) => ({
    type: loc.type as 'file' | 'url',
    target: loc.target as string,
    ...(loc.rules !== undefined
      ? { rules: (loc.rules as Data[]).map((r) => ({ allow: [...(r.allow as string[])] })) }
      : {}),
    baseDir: ctx.provenance.dirOf(['catalog', 'locations', i]) ?? ctx.cwd,
  }));
}

function normalizeRules(
  list: Data[] | undefined,
  ctx: NormalizeContext,
): CatalogRuleConfig[] | undefined {
  if (list === undefined) return undefined;
  return list.map((rule, i) => ({
    allow: (rule.allow as (string | Data)[]).map((a) =>
      typeof a === 'string'
        ? a
        : {
            kind: a.kind as string,
            ...(a['spec.type'] !== undefined ? { 'spec.type': a['spec.type'] as string } : {}),
          },
    ),
    ...(rule.locations !== undefined
      ? {
          locations: (rule.locations as Data[]).map((l) => ({
            type: l.type as string,
            ...(l.exact !== undefined ? { exact: l.exact as string } : {}),
            ...(l.pattern !== undefined ? { pattern: l.pattern as string } : {}),
          })),
        }
      : {}),
    baseDir: ctx.provenance.dirOf(['catalog', 'rules', i]) ?? ctx.cwd,
  }));
}

function normalizeInterval(catalog: Data, ctx: NormalizeContext): number | null {
  const interval = obj(catalog.refresh).interval;
  const alias = catalog.processingInterval;
  if (interval !== undefined && alias !== undefined) {
    ctx.warnings.push(
      `catalog.processingInterval is ignored because catalog.refresh.interval is set${inSources(ctx.provenance.sourcesOf(['catalog', 'processingInterval']))}`,
    );
  }
  return parseDuration(interval ?? alias ?? schemaDefault('catalog.refresh.interval'));
}

function normalizeKinds(list: Data[] | undefined, ctx: NormalizeContext): CustomKindConfig[] {
  const kinds = list ?? (schemaDefault('catalog.kinds') as Data[]);
  // A fresh instance per load: ajv refuses a second schema with the same $id.
  const schemaChecker = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  const seen = new Map<string, number>();
  return kinds.map((k, i) => {
    const kind = k.kind as string;
    const problem = (path: KeyPath, message: string) => {
      const sources = ctx.provenance.sourcesOf(path);
      ctx.problems.push({
        key: formatKeyPath(path),
        message: `${message}${inSources(sources)}`,
        sources,
      });
    };
    const first = seen.get(kind);
    if (first !== undefined) {
      problem(
        ['catalog', 'kinds', i, 'kind'],
        `catalog.kinds[${i}].kind '${kind}' is already declared by catalog.kinds[${first}]; declare each kind once`,
      );
    } else {
      seen.set(kind, i);
    }
    const schema = k.schema as JsonObject | undefined;
    if (schema !== undefined) {
      try {
        schemaChecker.compile(schema);
      } catch (err) {
        problem(
          ['catalog', 'kinds', i, 'schema'],
          `catalog.kinds[${i}].schema must be a valid JSON Schema (draft-07): ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    const apiVersion = k.apiVersion as string | string[];
    return {
      apiVersions: Array.isArray(apiVersion) ? [...apiVersion] : [apiVersion],
      kind,
      ...(schema !== undefined ? { schema } : {}),
      relations: ((k.relations as Data[] | undefined) ?? []).map((r) => ({
        field: r.field as string,
        relation: r.relation as string,
        reverse: r.reverse as string,
        ...(r.defaultKind !== undefined ? { defaultKind: r.defaultKind as string } : {}),
      })),
    };
  });
}
