import type { JsonObject } from '../../model/entity.ts';
import type { GithubAppConfig } from './github-apps.ts';
import type { GithubOrgProviderConfig } from './github-org-providers.ts';
import type { GithubDiscoveryProviderConfig } from './github-providers.ts';
import type { GitlabCatalogProviderConfig } from './gitlab-providers.ts';

/**
 * Atrium's configuration after loading: every key present, defaults filled in, values
 * normalized. Read from `app-config.yaml` (+ `app-config.local.yaml`, `--config` files and
 * `APP_CONFIG_*` variables) by `loadConfig()`. The JSON Schema in `schema.ts` is the source of
 * truth for keys, defaults and descriptions; `describeConfigKeys()` lists them.
 */
export interface AtriumConfig {
  app: AppConfig;
  backend: BackendConfig;
  catalog: CatalogConfig;
  /** Sign-in. Reserved: typed and kept, not used by Atrium yet (setting it warns). */
  auth: AuthConfig;
  /** The permission framework. */
  permission: PermissionConfig;
  /** Source-code hosts (GitHub, GitLab) for publishing and reading. */
  integrations: IntegrationsConfig;
  /** Software templates. */
  scaffolder: ScaffolderConfig;
  /** Docs built from mkdocs.yml and Markdown. */
  techdocs: TechDocsConfig;
  /** Search across catalog and docs. */
  search: SearchConfig;
  /** The audit log. */
  audit: AuditConfig;
  /** Webhooks received at `/api/events/http/<source>`. */
  events: EventsConfig;
  /** Scorecards: levels and checks scored for every matching entity. */
  scorecards: ScorecardsConfig;
  /** The MCP server at `/api/mcp`. */
  mcp: McpConfig;
  /** External plugins loaded at start, after the built-in ones, in this order. Default `[]`. */
  plugins: PluginEntryConfig[];
}

/** One `plugins:` entry. */
export interface PluginEntryConfig {
  /** As written: a folder, a `.tgz` path, an https URL or an npm registry spec. */
  package: string;
  /** npm's SRI form (`sha512-…`), checked on the tarball. */
  integrity?: string;
  /** The plugin's own settings (validated against its schema when it loads). */
  config?: Record<string, unknown>;
  /** Default true. */
  enabled: boolean;
  /** Directory of the config file that lists it: base of relative paths and of `plugins/`. */
  baseDir: string;
  /** Its key path, e.g. `plugins[2]`, for error messages. */
  key: string;
}

export interface IntegrationsConfig {
  /** GitHub hosts. Default `[]` (github.com is still known to `parseRepoUrl`, without a token). */
  github: GithubIntegrationConfig[];
  /** GitLab hosts. Default `[]`. */
  gitlab: ScmIntegrationConfig[];
  /** Bitbucket Cloud accounts (host bitbucket.org). Default `[]`. */
  bitbucketCloud: BitbucketCloudIntegrationConfig[];
  /** Bitbucket Server / Data Center hosts. Default `[]`. */
  bitbucketServer: BitbucketServerIntegrationConfig[];
  /** Azure DevOps hosts. Default `[]` (dev.azure.com is still known to `parseRepoUrl`). */
  azure: AzureIntegrationConfig[];
  /** Gerrit hosts. Default `[]`. */
  gerrit: GerritIntegrationConfig[];
}

export interface BitbucketCloudIntegrationConfig {
  /** Always `bitbucket.org`: as in Backstage, not configurable. */
  host: string;
  /** Always `https://api.bitbucket.org/2.0`: as in Backstage, not configurable. */
  apiBaseUrl: string;
  username?: string;
  /** App password (with `username`); never logged. */
  appPassword?: string;
  /** API or access token (with `username`: basic auth, alone: bearer); never logged. */
  token?: string;
}

export interface BitbucketServerIntegrationConfig {
  host: string;
  /** REST API base without trailing slash. Default `https://<host>/rest/api/1.0`. */
  apiBaseUrl: string;
  /** Bearer token (wins over username/password); never logged. */
  token?: string;
  username?: string;
  password?: string;
}

export interface AzureIntegrationConfig {
  host: string;
  /** Personal access token for every organisation of the host (Backstage's deprecated form). */
  token?: string;
  /** Personal access tokens, each for some organisations (or all when `organizations` is absent). */
  credentials: { organizations?: string[]; personalAccessToken: string }[];
  /** Always `https://<host>`: as in Backstage, not configurable. */
  apiBaseUrl: string;
}

export interface GerritIntegrationConfig {
  host: string;
  /** Base URL of the Gerrit web and REST API, without trailing slash. Default `https://<host>`. */
  baseUrl: string;
  /** Base URL repositories are cloned from. Default `baseUrl`. */
  cloneUrl: string;
  /** Base URL of Gitiles, for links to files. Default `<baseUrl>/plugins/gitiles`. */
  gitilesBaseUrl: string;
  username?: string;
  /** Password or HTTP access token (with `username`); never logged. */
  password?: string;
}

export interface ScmIntegrationConfig {
  /** Host name, e.g. `github.com`. */
  host: string;
  /** Token for the API and for git over https; never logged. */
  token?: string;
  /**
   * REST API base URL, without trailing slash. Default for GitHub: `https://api.github.com` for
   * github.com, else `https://<host>/api/v3`; for GitLab `https://<host>/api/v4`.
   */
  apiBaseUrl: string;
}

export interface GithubIntegrationConfig extends ScmIntegrationConfig {
  /** GitHub Apps (`apps`), present only when configured. */
  apps?: GithubAppConfig[];
}

export interface ScaffolderConfig {
  /** Git author of a published repository's first commit. Default `Scaffolder <scaffolder@atrium.local>`. */
  defaultAuthor: { name: string; email: string };
  /** Commit message when a template sets none. Default `Initial commit`. */
  defaultCommitMessage: string;
  /** Absolute directory holding task workspaces. Default `<tmpdir>/atrium-scaffolder`. */
  workspaceDir: string;
  /**
   * Absolute folders where `publish:git` may create or push to local bare repositories.
   * Default `[<cwd>/data/repos]`; `[]` forbids local remotes.
   */
  localRepositoryRoots: string[];
  /** Tasks run at once per server. Default 4. */
  concurrency: number;
  /** Bounds on template rendering (`scaffolder.limits.*`). */
  limits: ScaffolderLimitsConfig;
  /** `environment.parameters` / `environment.secrets` in templates. Default empty. */
  defaultEnvironment: { parameters: JsonObject; secrets: Record<string, string> };
}

export interface ScaffolderLimitsConfig {
  /** Longest one render may take (`renderTimeout`), ms. Default 5 000. */
  renderTimeoutMs: number;
  /** Total render time of one task (`taskRenderTime`), ms; null for no total. Default 60 000. */
  taskRenderTimeMs: number | null;
  /** Largest output of one render, UTF-8 bytes. Default 10 MiB. */
  renderOutputBytes: number;
  /** Heap of each rendering worker, MB. Default 256. */
  workerMemoryMb: number;
  /** Rendering worker threads per server. Default 2. */
  renderWorkers: number;
}

export interface TechDocsConfig {
  /** `local` (default): the server builds docs on demand; `external`: CI publishes them. */
  builder: 'local' | 'external';
  /** Build local-folder docs in the background after start (so search covers them). Default true. */
  buildOnStart: boolean;
  /** Seconds between looks for sites published by CI, to index them for search. Default 60. */
  searchScanSeconds: number;
  publisher: {
    /** Only `local` for now. */
    type: 'local';
    /** Absolute folder of built sites. Default `<cwd>/data/techdocs`. */
    local: { publishDirectory: string };
  };
}

export interface SearchConfig {
  /** Longest accepted term. Default 100. */
  maxTermLength: number;
  /** Largest accepted `pageLimit`. Default 100. */
  maxPageLimit: number;
  /** Matches are counted up to this number; above it the total is a lower bound. Default 10,000. */
  countLimit: number;
}

export interface ScorecardsConfig {
  /** Days of history (level changes, daily aggregates) kept. Default 365. */
  historyDays: number;
  repoFacts: {
    /** How often source repositories are read again for the `repo.*` facts, ms; null: only once. Default 1 day. */
    scheduleMs: number | null;
  };
  /** Demo only: absolute path of the demo seed file; undefined (the default) invents nothing. */
  demoSeed?: string;
}

export interface McpConfig {
  /** Whether `/api/mcp` answers. Default true. */
  enabled: boolean;
  /** Whether destructive tools (unregister-entity, execute-template) are offered. Default false. */
  destructiveTools: boolean;
}

export interface EventsConfig {
  /** Backstage's `events.modules.<source>.webhookSecret`; absent: that source's deliveries get 401. */
  modules: {
    github: { webhookSecret?: string };
    gitlab: { webhookSecret?: string };
  };
}

export interface AuditConfig {
  /** How long events are kept (`audit.retention`), ms; null keeps them forever. Default 365 days. */
  retentionMs: number | null;
}

export interface AppConfig {
  /**
   * URL at which people open the web app, without trailing slash. Atrium serves the app and
   * the API from one server, so the default is `backend.baseUrl` (`http://localhost:7007`).
   */
  baseUrl: string;
  /** Portal name shown in the page title and header. Default `Atrium`. */
  title: string;
}

export interface BackendConfig {
  /**
   * URL that browsers and API clients use to reach the server, without trailing slash;
   * plugin APIs live at `<baseUrl>/api/<pluginId>`. Default `http://localhost:<listen.port>`,
   * i.e. `http://localhost:7007` (also when the port is 0).
   */
  baseUrl: string;
  /**
   * Hosts (the `Host` header) requests may be addressed to; others get 421. Entries:
   * `host` (any port), `host:port`, `*.example.com` (subdomains), `*` (any host). Default: the
   * hosts of `app.baseUrl` and `backend.baseUrl`. Outside production (`NODE_ENV`),
   * `localhost`, `127.0.0.1` and `[::1]` are accepted on any port as well.
   */
  allowedHosts: string[];
  /** Address the HTTP server listens on. */
  listen: ListenConfig;
  /** Where data is stored. Default: SQLite file `./data/atrium.sqlite`. */
  database: DatabaseConfig;
  /** URL reading (`url` locations). */
  reading: ReadingConfig;
  /** Bounds on parsed input (YAML documents, JSON bodies). */
  limits: InputLimitsConfig;
  /** Callers that are programs (`backend.auth.externalAccess`). */
  auth: BackendAuthConfig;
}

export interface BackendAuthConfig {
  /** Static tokens and JWKS-verified JWTs, as Backstage reads them. Default `[]`. */
  externalAccess: ExternalAccessConfig[];
}

/** One `backend.auth.externalAccess` entry, validated (see src/core/config/external-access.ts). */
export type ExternalAccessConfig = StaticExternalAccessConfig | JwksExternalAccessConfig;

export interface StaticExternalAccessConfig {
  type: 'static';
  /** Index in `backend.auth.externalAccess`, for messages. */
  index: number;
  /** At least 8 characters, no whitespace; never logged. */
  token: string;
  /** The caller is `service:<subject>`. */
  subject: string;
  /** Absent: no restriction beyond the permission policy. */
  accessRestrictions?: AccessRestrictionConfig[];
}

export interface JwksExternalAccessConfig {
  type: 'jwks';
  index: number;
  /** URL of the JSON Web Key Set. */
  url: string;
  /** Accepted `iss` values; absent accepts any. */
  issuers?: string[];
  /** Accepted `aud` values; absent accepts any. */
  audiences?: string[];
  /** Accepted JWS algorithms; absent accepts those of the keys. */
  algorithms?: string[];
  /** The caller is `service:<subjectPrefix>:<sub>`, or `service:<sub>` without a prefix. */
  subjectPrefix?: string;
  accessRestrictions?: AccessRestrictionConfig[];
}

/** Backstage's `accessRestrictions` entry, lists split and deduplicated. */
export interface AccessRestrictionConfig {
  plugin: string;
  permission?: string[];
  permissionAttribute?: { action?: ('create' | 'read' | 'update' | 'delete')[] };
}

export interface InputLimitsConfig {
  /** Deepest nesting of lists and objects. Default 200. */
  nestingDepth: number;
  /** Aliases one YAML document may use. Default 1000. */
  yamlAliases: number;
  /** Size of one document once aliases are expanded, approximate JSON bytes. Default 32 MiB. */
  expandedBytes: number;
}

export interface ListenConfig {
  /**
   * Interface to bind. Default `127.0.0.1` (this machine only), chosen so a fresh install is
   * not reachable from the network; Backstage examples use `0.0.0.0` (all interfaces), which a
   * container or a shared server needs.
   */
  host: string;
  /** TCP port, an integer 0–65535. Default 7007; 0 picks a free port (tests). */
  port: number;
}

/** Embedded SQLite (the default) or PostgreSQL. */
export type DatabaseConfig = SqliteDatabaseConfig | PgDatabaseConfig;

export interface SqliteDatabaseConfig {
  /** `better-sqlite3`; Backstage's `sqlite3` is normalized to this. Default. */
  client: 'better-sqlite3';
  /**
   * Database file as written in the config, or `:memory:`. Default `./data/atrium.sqlite`.
   * Backstage's `{directory: d}` becomes `d/atrium.sqlite`. Resolve a relative name against
   * `baseDir`.
   */
  filename: string;
  /**
   * Absolute directory of the config file that set the connection (the working directory for
   * the default or an `APP_CONFIG_*` variable); relative `filename`s are relative to it.
   */
  baseDir: string;
  /**
   * Worker threads that run read queries, each with its own read-only connection; 0 reads
   * on a second connection in the server's thread. Unused for `:memory:`. Default 2 (set
   * by loadConfig; optional for configs built in code).
   */
  readWorkers?: number;
}

export interface PgDatabaseConfig {
  /** `pg`: PostgreSQL through node-postgres. */
  client: 'pg';
  /** Connection string (`postgres://user:pw@host:5432/db`) or node-postgres options. Required. */
  connection: string | PgConnectionConfig;
}

export interface PgConnectionConfig {
  /** Server host name. */
  host?: string;
  /** Server port. Default (node-postgres) 5432. */
  port?: number;
  /** User name. */
  user?: string;
  /** Password of that user. */
  password?: string;
  /** Database name. Default (node-postgres): the user name. */
  database?: string;
  /**
   * TLS: `true`/`false` or node-postgres TLS options (passed through). An sslmode string in
   * config is normalized: `disable` -> false, `no-verify` -> `{rejectUnauthorized: false}`,
   * others -> true.
   */
  ssl?: boolean | JsonObject;
}

export interface ReadingConfig {
  /**
   * Hosts, besides configured integrations, that requests users can steer may reach (`url`
   * locations, fetch and publish actions, TechDocs `url` sources), redirects included; see
   * core/reading/allow-list.ts. Default `[]`.
   */
  allow: ReadingAllowRule[];
}

export interface ReadingAllowRule {
  /**
   * Host name, optionally with a port (`example.com:8080`); `*.example.com` matches every
   * subdomain of example.com (not example.com itself), as in Backstage.
   */
  host: string;
  /** If set, only URL paths starting with one of these prefixes are allowed. */
  paths?: string[];
}

export interface CatalogConfig {
  /** Locations read at startup. Default `[]`. */
  locations: CatalogLocationConfig[];
  /**
   * Which kinds locations may emit. `undefined` (the default, key unset) means every kind is
   * allowed from every location — unlike Backstage, whose default allows only Component, API
   * and Location, so that a new user pointing Atrium at their files sees everything. When set
   * it works as in Backstage: only these rules plus per-location `rules` allow kinds.
   */
  rules: CatalogRuleConfig[] | undefined;
  /** Periodic re-reading of locations. */
  refresh: CatalogRefreshConfig;
  /**
   * Entities a location no longer emits: `keep` (default) marks them orphaned with the
   * annotation `backstage.io/orphan: "true"`; `delete` removes them (Backstage's default).
   */
  orphanStrategy: 'keep' | 'delete';
  /** When true, the API refuses to add, change or delete locations. Default false. */
  readonly: boolean;
  /**
   * Custom kinds declared in config (turn into model definitions with `toKindDefinitions`).
   * Default `[]`.
   */
  kinds: CustomKindConfig[];
  /**
   * Location types that may be registered through the API. Default `['url', 'file']`
   * (Backstage allows only `url`); set `['url']` on shared servers so API callers cannot make
   * the server read its own disk.
   */
  locationTypes: ('url' | 'file')[];
  /**
   * Absolute folders below which `file` locations registered through the API may read
   * (their Location children and symlinks included). Default `[]`: none, only `url`
   * locations can be registered through the API. Config locations are not limited.
   */
  locationRoots: string[];
  /** Bounds on what one location read may cost. */
  limits: { globFiles: number; globBytes: number };
  /**
   * Entity history (`GET /api/catalog/history`, `/api/catalog/events`): events are kept
   * `retentionDays` (default 90; 0 keeps them forever) and at most `maxEvents` of them
   * (default 1,000,000; 0 for no limit), pruned daily by one replica. Live streams are capped
   * per caller (`maxStreamsPerCaller`, default 10) and in all (`maxStreams`, default 1000).
   */
  history: {
    retentionDays: number;
    maxEvents: number;
    maxStreamsPerCaller: number;
    maxStreams: number;
  };
  /**
   * Discovery providers' mass-removal guard: a scan removing more than `maxShare` (default 0.1)
   * of a provider's locations, and more than `minCount` (default 10), waits for confirmation.
   */
  removalGuard: { maxShare: number; minCount: number };
  /** Discovery providers (`catalog.providers.*`); each key absent from config is empty. */
  providers: {
    /** `catalog.providers.github` (a map of ids, or one object: id `default`). Default `[]`. */
    github: GithubDiscoveryProviderConfig[];
    /** `catalog.providers.githubOrg` (one object or a list in config). Default `[]`. */
    githubOrg: GithubOrgProviderConfig[];
    /** `catalog.providers.gitlab` (a map of ids, or one object: id `default`). Default `[]`. */
    gitlab: GitlabCatalogProviderConfig[];
  };
}

export interface CatalogLocationConfig {
  /** `file` (local path or glob) or `url`. */
  type: 'file' | 'url';
  /**
   * Target as written in the config. A relative `file` target is relative to `baseDir` (not
   * to the process working directory as in Backstage).
   */
  target: string;
  /** Extra kinds allowed from this location only. */
  rules?: { allow: string[] }[];
  /**
   * Absolute directory of the config file this location was written in (for an `$include`d
   * list, the included file's directory; for an `APP_CONFIG_*` variable, the working directory).
   */
  baseDir: string;
}

export interface CatalogRuleConfig {
  /** Kinds, or `{kind, 'spec.type'}` pairs, this rule allows (case-insensitive). */
  allow: (string | { kind: string; 'spec.type'?: string })[];
  /**
   * Locations the rule applies to (matched against the origin location); absent means all.
   * `exact` and `pattern` (minimatch, case-insensitive) exclude each other.
   */
  locations?: { type: string; exact?: string; pattern?: string }[];
  /** Absolute directory of the config file this rule was written in (for relative `file` targets). */
  baseDir: string;
}

export interface CatalogRefreshConfig {
  /**
   * Milliseconds between re-reads of every location, or `null` when disabled (`false` in
   * config). Default 120 000 (2 minutes). Read from `catalog.refresh.interval`, or Backstage's
   * `catalog.processingInterval` when that is unset.
   */
  intervalMs: number | null;
}

/** A custom kind as declared under `catalog.kinds`. */
export interface CustomKindConfig {
  /** apiVersions accepted for the kind (config accepts one string or a list). */
  apiVersions: string[];
  /** Kind name, matched case-sensitively. */
  kind: string;
  /** JSON Schema for `spec`; when given, entities must have a matching `spec`. */
  schema?: JsonObject;
  /** Ref fields and the relations they produce. Default `[]`. */
  relations: CustomKindRelationConfig[];
}

export interface CustomKindRelationConfig {
  /** Dotted path of the field inside the entity, e.g. `spec.owner`. */
  field: string;
  /** Relation on the entity holding the field, e.g. `ownedBy`. */
  relation: string;
  /** Relation on the entity the ref points at, e.g. `ownerOf`. */
  reverse: string;
  /** Kind assumed when a ref omits it; absent means refs must name their kind. */
  defaultKind?: string;
}

export interface AuthConfig {
  /** Which environment section of provider configs applies. Default `development`. */
  environment: string;
  /**
   * Sign-in providers, each with the section of `auth.environment` only (src/core/config/auth.ts).
   * Default `{}`: guest access when `environment` is `development`, else nobody can sign in.
   */
  providers: AuthProvidersConfig;
  /** Web app sessions (`auth.session`). */
  session: AuthSessionConfig;
  /** Personal access tokens (`auth.personalTokens`). */
  personalTokens: PersonalTokensConfig;
}

export interface PersonalTokensConfig {
  /** Whether tokens may be created and are accepted. Default true. */
  enabled: boolean;
  /** Longest lifetime of a token, ms (`maxDuration`). Default 365 days. */
  maxDurationMs: number;
}

export interface AuthProvidersConfig {
  /** Set when guest access is on (configured, or the development default). */
  guest?: GuestProviderConfig;
  oidc?: OidcProviderConfig;
  github?: GithubProviderConfig;
  gitlab?: GitlabProviderConfig;
}

export interface GuestProviderConfig {
  /** Default `user:default/guest`. */
  userEntityRef: string;
  /** Absent: the user's ownership refs from the catalog. */
  ownershipEntityRefs?: string[];
  /** False when guest access is on only because nothing else is configured (development). */
  configured: boolean;
}

export type SignInResolverName =
  | 'emailMatchingUserEntityProfileEmail'
  | 'emailLocalPartMatchingUserEntityName'
  | 'usernameMatchingUserEntityName';

export interface SignInResolverConfig {
  resolver: SignInResolverName;
  /** Lower-case email domains allowed; absent: any. */
  allowedDomains?: string[];
  dangerouslyAllowSignInWithoutUserInCatalog: boolean;
}

/** What OAuth providers share (Backstage's keys). */
export interface OAuthProviderConfig {
  clientId: string;
  /** Never logged. */
  clientSecret: string;
  /** Absent: `<backend.baseUrl>/api/auth/<provider>/handler/frame`. */
  callbackUrl?: string;
  additionalScopes: string[];
  /** Absent: `auth.session.duration`. */
  sessionDurationMs?: number;
  /** Never empty: defaults are filled in. */
  resolvers: SignInResolverConfig[];
}

export interface OidcProviderConfig extends OAuthProviderConfig {
  metadataUrl: string;
  prompt?: string;
  /** Always includes `openid`. */
  scopes: string[];
  tokenEndpointAuthMethod: 'client_secret_basic' | 'client_secret_post';
}

export interface GithubProviderConfig extends OAuthProviderConfig {
  /** `https://github.com` or a GitHub Enterprise Server URL, without trailing slash. */
  enterpriseInstanceUrl: string;
}

export interface GitlabProviderConfig extends OAuthProviderConfig {
  /** Base URL of the GitLab instance, without trailing slash. */
  audience: string;
}

export interface AuthSessionConfig {
  /** Lifetime of a session cookie; refreshed in its second half. Default 12 h. */
  durationMs: number;
  /** Longest a session lives from sign-in, however used. Default 7 days. */
  maxDurationMs: number;
  /** How long one key signs new sessions. Default 1 day. */
  keyRotationMs: number;
}

export interface PermissionConfig {
  /** Whether permission policies are enforced; when false every caller may do everything. Default false. */
  enabled: boolean;
  /** Atrium's YAML policy, absolute (resolved against the config file that set it). */
  policyFile?: string;
  /** Red Hat Developer Hub's RBAC settings. */
  rbac: RbacConfig;
}

export interface RbacConfig {
  /** RHDH policy CSV, absolute (resolved against the config file that set it). */
  'policies-csv-file'?: string;
  /** RHDH conditional policies YAML, absolute. */
  conditionalPoliciesFile?: string;
  /** Reload the two RHDH files when they change. Default false. */
  policyFileReload: boolean;
  admin: {
    /** Policy administrators: user or group refs, lowercase, namespace filled in. Default []. */
    users: string[];
    /** May do everything: user or group refs, lowercase, namespace filled in. Default []. */
    superUsers: string[];
  };
}

/** What `loadConfig` returns. */
export interface LoadedConfig {
  config: AtriumConfig;
  /** Problems that did not stop loading: unknown keys, missing app-config.yaml, … */
  warnings: string[];
  /** Absolute paths of the config files read, in merge order (not `$include`d files). */
  files: string[];
}

export interface LoadConfigOptions {
  /** `--config` paths (relative to `cwd`), in order; when given (non-empty) they replace the defaults. */
  configPaths?: string[];
  /** Directory holding `app-config.yaml`; base of relative `configPaths`. */
  cwd: string;
  /** Environment for `${VAR}`, `$env` and `APP_CONFIG_*`. Default `process.env`. */
  env?: Record<string, string | undefined>;
}
