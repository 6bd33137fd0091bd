/**
 * The JSON Schema (draft-07) of every config key Atrium reads. It is the one source of truth
 * for validation (`validate.ts`), defaults (`normalize.ts`) and documentation
 * (`describeConfigKeys()`); `types.ts` mirrors it as TypeScript.
 *
 * Annotations besides standard JSON Schema (registered with ajv as keywords):
 * - `description`, `default`: documentation and the default applied when the key is unset.
 * - `x-type`: the type as shown in docs, when the JSON Schema type alone says too little.
 * - `x-valid`: what is valid, as the end of "… must be <x-valid>" in error messages.
 * - `x-default-text`: the default as shown in docs, when it is not a plain value.
 * - `x-reserved`: accepted and typed, but not used by Atrium yet; setting a non-default value warns.
 * - `x-duration`: the value must be a duration (see `duration.ts`).
 * - `x-url`: the value must be an absolute http(s) URL.
 *
 * Objects with `properties` are closed: keys not listed are reported as unknown (a warning) and
 * dropped. Objects without `properties` (or with `additionalProperties: true`) are opaque.
 */

import { GITHUB_APPS_SCHEMA } from './github-apps.ts';
import { GITHUB_ORG_PROVIDERS_SCHEMA } from './github-org-providers.ts';
import { GITHUB_PROVIDERS_SCHEMA } from './github-providers.ts';
import { GITLAB_PROVIDERS_SCHEMA } from './gitlab-providers.ts';

export type SchemaNode = Record<string, unknown>;

const PORT_VALID = 'an integer between 0 and 65535';
const ALLOWED_HOST_PATTERN =
  '^(\\*|(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:\\d{1,5})?|\\[[0-9A-Fa-f:.]+\\](:\\d{1,5})?)$';
const ALLOWED_HOST_VALID =
  "a host name or IP address, optionally with a port (portal.example.com, portal.example.com:8443, [::1]:7007), a wildcard (*.example.com), or '*'";
const DURATION_VALID =
  'a duration: a number of seconds, an ISO-8601 duration (PT5M), a string like 30s, 5m or 1h, an object like {minutes: 5}, or false to disable';

/** RHDH's `[{ name: user:default/jane }]` lists; the kind is required, the namespace optional. */
const adminList = (description: string): SchemaNode => ({
  type: 'array',
  default: [],
  'x-valid': 'a list of {name: user or group ref}',
  description,
  items: {
    type: 'object',
    required: ['name'],
    'x-valid': 'an object {name}',
    properties: {
      name: {
        type: 'string',
        pattern: '^(?:[Uu][Ss][Ee][Rr]|[Gg][Rr][Oo][Uu][Pp]):(?:[^/:\\s]+/)?[^/:\\s]+$',
        'x-valid': 'a user or group ref, e.g. user:default/jane or group:default/admins',
        description: 'A user or group ref (`user:default/jane`, `group:default/admins`).',
      },
    },
  },
});

const durationSchema = (description: string, extra: SchemaNode = {}): SchemaNode => ({
  'x-duration': true,
  'x-type': 'duration | false',
  'x-valid': DURATION_VALID,
  description,
  ...extra,
});

const stringList = (description: string, extra: SchemaNode = {}): SchemaNode => ({
  type: 'array',
  items: { type: 'string', minLength: 1 },
  'x-valid': 'a list of non-empty strings',
  description,
  ...extra,
});

const SQLITE_CONNECTION: SchemaNode = {
  type: ['string', 'object'],
  minLength: 1,
  'x-type': 'string | object',
  'x-valid':
    "a file name (or ':memory:') or an object {filename} or {directory} for better-sqlite3",
  description:
    "SQLite database: a file name, ':memory:' (nothing kept after exit), or an object `{filename}` / `{directory}` (Backstage's one-file-per-plugin form; Atrium keeps one file, `atrium.sqlite`, in that directory). A relative file name stays as written; it is resolved against `backend.database.baseDir`, the directory of the config file that set it.",
  properties: {
    filename: {
      type: 'string',
      minLength: 1,
      default: './data/atrium.sqlite',
      description:
        "SQLite database file (better-sqlite3), or ':memory:'. Relative to the directory of the config file that sets it (the working directory for the default).",
    },
    directory: {
      type: 'string',
      minLength: 1,
      description:
        'Directory for the SQLite database (Backstage form); Atrium uses `<directory>/atrium.sqlite`. Ignored when `filename` is also given.',
    },
  },
};

const PG_CONNECTION: SchemaNode = {
  type: ['string', 'object'],
  minLength: 1,
  'x-type': 'string | object',
  'x-valid':
    'a PostgreSQL connection string (postgres://user:password@host:5432/db) or an object {host, port, user, password, database, ssl}',
  description:
    'PostgreSQL: a connection string (`postgres://user:password@host:5432/atrium`) or an object for node-postgres. Required when `client` is `pg`.',
  properties: {
    host: { type: 'string', minLength: 1, description: 'PostgreSQL server host name.' },
    port: {
      type: 'integer',
      minimum: 1,
      maximum: 65535,
      'x-valid': 'an integer between 1 and 65535',
      'x-default-text': '5432 (node-postgres default)',
      description: 'PostgreSQL server port.',
    },
    user: { type: 'string', description: 'User name to connect as.' },
    password: { type: 'string', description: 'Password of that user (use `${VAR}` or `$file`).' },
    database: {
      type: 'string',
      minLength: 1,
      description: 'Database name; default as node-postgres (the user name).',
    },
    ssl: {
      type: ['boolean', 'string', 'object'],
      pattern: '^(disable|allow|prefer|require|verify-ca|verify-full|no-verify)$',
      additionalProperties: true,
      'x-type': 'boolean | string | object',
      'x-valid':
        'true, false, an sslmode (disable, allow, prefer, require, verify-ca, verify-full, no-verify), or an object of TLS options',
      description:
        'TLS to the server: `true`/`false`, node-postgres TLS options (`ca`, `rejectUnauthorized`, …) passed through unchanged, or a libpq sslmode string: `disable` becomes false, `no-verify` becomes `{rejectUnauthorized: false}`, the others become true.',
    },
  },
};

const ruleAllowItem: SchemaNode = {
  type: ['string', 'object'],
  minLength: 1,
  required: ['kind'],
  'x-type': 'string | {kind, spec.type?}',
  'x-valid': "a kind name, or an object {kind, 'spec.type'}",
  description:
    'A kind (`Component`), or `{kind, spec.type}` to allow only entities of that kind whose `spec.type` matches; both compared case-insensitively.',
  properties: {
    kind: { type: 'string', minLength: 1, description: 'Kind name, case-insensitive.' },
    'spec.type': {
      type: 'string',
      minLength: 1,
      description: 'Required `spec.type` of the entity, case-insensitive.',
    },
  },
};

const integrationList = (
  what: string,
  apiDefault: string,
  extra: Record<string, SchemaNode> = {},
): SchemaNode => ({
  type: 'array',
  default: [],
  description: `${what} hosts.`,
  items: {
    type: 'object',
    required: ['host'],
    'x-valid': `an object {host, token?, apiBaseUrl?${Object.keys(extra)
      .map((k) => `, ${k}?`)
      .join('')}}`,
    properties: {
      host: { type: 'string', minLength: 1, description: 'Host name, e.g. `github.com`.' },
      token: {
        type: 'string',
        minLength: 1,
        description: 'Access token for the API and git pushes (use `${VAR}`); never logged.',
      },
      apiBaseUrl: {
        type: 'string',
        'x-url': true,
        'x-default-text': apiDefault,
        description: 'Base URL of the REST API.',
      },
      ...extra,
    },
  },
});

/** Backstage's "a string, or a list of strings" (each may hold several values split by `,` or space). */
const stringOrList = (description: string, extra: SchemaNode = {}): SchemaNode => ({
  type: ['string', 'array'],
  minLength: 1,
  items: { type: 'string', minLength: 1 },
  'x-type': 'string | string[]',
  'x-valid': 'a string or a list of strings',
  description,
  ...extra,
});

// `additionalProperties: true` keeps unknown keys for normalize, which refuses them: a
// misspelt restriction must stop the server, not silently widen what a token may do.
const ACCESS_RESTRICTIONS: SchemaNode = {
  type: 'array',
  description:
    "Limits what this caller may do, as Backstage `accessRestrictions`: one entry per plugin it may call, optionally narrowed to some permissions and/or actions. Absent: no limit beyond the permission policy. Unknown keys are errors (as in Backstage), so a typo cannot widen a token's access.",
  items: {
    type: 'object',
    required: ['plugin'],
    additionalProperties: true,
    'x-valid': 'an object {plugin, permission?, permissionAttribute?: {action?}}',
    properties: {
      plugin: {
        type: 'string',
        minLength: 1,
        description: 'Id of a plugin this caller may use (`catalog`, `scaffolder`, …).',
      },
      permission: stringOrList(
        'Only these permissions of that plugin (e.g. `catalog.entity.read`); a string may list several separated by commas or spaces.',
      ),
      permissionAttribute: {
        type: 'object',
        additionalProperties: true,
        description: 'Only permissions with these attributes.',
        properties: {
          action: stringOrList(
            'Only permissions whose action is one of these: `create`, `read`, `update`, `delete`.',
          ),
        },
      },
    },
  },
};

const EXTERNAL_ACCESS: SchemaNode = {
  type: 'array',
  default: [],
  description:
    "Tokens that programs send as `Authorization: Bearer <token>`, read from the same keys as Backstage. `type: static`: a fixed token (`options.token`, at least 8 characters without whitespace) for `options.subject`; the caller is `service:<subject>`. `type: jwks`: a JWT signed by a key published at `options.url`, checked against `options.issuer`, `options.audience` and `options.algorithm` when set; the caller is `service:<subjectPrefix>:<sub>` (or `service:<sub>`). Such callers own nothing and are limited by `accessRestrictions`. The JWKS URL is the operator's, not the caller's, so `backend.reading.allow` does not apply to it.",
  items: {
    type: 'object',
    required: ['type', 'options'],
    'x-valid': 'an object {type: static | jwks, options, accessRestrictions?}',
    properties: {
      type: {
        type: 'string',
        enum: ['static', 'jwks'],
        'x-valid':
          "'static' or 'jwks' (Backstage's 'legacy' shared-secret tokens are not supported)",
        description: '`static` (a fixed token) or `jwks` (JWTs verified with a JSON Web Key Set).',
      },
      options: { type: 'object', description: 'Settings of this entry, by type.' },
      accessRestrictions: ACCESS_RESTRICTIONS,
    },
    allOf: [
      {
        if: { properties: { type: { const: 'static' } }, required: ['type'] },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema if/then/else
        then: {
          properties: {
            options: {
              type: 'object',
              required: ['token', 'subject'],
              'x-valid': 'an object {token, subject}',
              properties: {
                token: {
                  type: 'string',
                  minLength: 1,
                  description:
                    'static: the token callers send (use `${VAR}`); at least 8 characters, no whitespace, as Backstage requires. Never logged.',
                },
                subject: {
                  type: 'string',
                  pattern: '^\\S+$',
                  'x-valid': 'a non-empty string without whitespace',
                  description:
                    'static: who the caller is, e.g. `ci-pipeline`; its identity is `service:<subject>`.',
                },
              },
            },
          },
        },
      },
      {
        if: { properties: { type: { const: 'jwks' } }, required: ['type'] },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema if/then/else
        then: {
          properties: {
            options: {
              type: 'object',
              required: ['url'],
              'x-valid': 'an object {url, issuer?, audience?, algorithm?, subjectPrefix?}',
              properties: {
                url: {
                  type: 'string',
                  'x-url': true,
                  'x-valid': 'an absolute http(s) URL of a JSON Web Key Set',
                  description:
                    'jwks: URL of the JSON Web Key Set whose keys sign the tokens (fetched when needed, cached 10 minutes, fetched again for an unknown key id).',
                },
                issuer: stringOrList('jwks: accepted `iss` claim(s); unset accepts any issuer.'),
                audience: stringOrList(
                  'jwks: accepted `aud` claim(s); unset accepts any audience (a warning at start: any token this key set signs for any application would be accepted).',
                ),
                algorithm: stringOrList(
                  'jwks: accepted signing algorithm(s), e.g. `RS256`, `ES256`, `EdDSA`; unset accepts those of the keys.',
                ),
                subjectPrefix: {
                  type: 'string',
                  pattern: '^\\S+$',
                  'x-valid': 'a non-empty string without whitespace',
                  description:
                    "jwks: put before the `sub` claim in the caller's identity: `service:<subjectPrefix>:<sub>`.",
                },
              },
            },
          },
        },
      },
    ],
  },
};

// ---- auth.providers and auth.session (sign-in; src/core/config/auth.ts normalizes them) ----

/** Defaults of keys inside environment sections, which `schemaDefault` cannot reach. */
export const AUTH_DEFAULTS = {
  oidcScope: 'openid profile email',
  tokenEndpointAuthMethod: 'client_secret_basic',
  githubUrl: 'https://github.com',
  gitlabUrl: 'https://gitlab.com',
} as const;

/** Sign-in resolvers Atrium implements, with Backstage's names. */
export const SIGN_IN_RESOLVERS = [
  'emailMatchingUserEntityProfileEmail',
  'emailLocalPartMatchingUserEntityName',
  'usernameMatchingUserEntityName',
] as const;

const SIGN_IN: SchemaNode = {
  type: 'object',
  description:
    'How a person who signed in with this provider becomes a User entity of the catalog (Backstage `signIn`).',
  properties: {
    resolvers: {
      type: 'array',
      description:
        'Resolvers tried in order; the first that finds a user wins. Default: `emailMatchingUserEntityProfileEmail` alone, the one that cannot mistake a stranger for a colleague (Backstage has no default and refuses sign-in).',
      items: {
        type: 'object',
        required: ['resolver'],
        'x-valid':
          'an object {resolver, allowedDomains?, dangerouslyAllowSignInWithoutUserInCatalog?}',
        properties: {
          resolver: {
            type: 'string',
            enum: [...SIGN_IN_RESOLVERS],
            description:
              '`emailMatchingUserEntityProfileEmail` (the email equals `spec.profile.email` of a User), `emailLocalPartMatchingUserEntityName` (the part before @ equals `metadata.name`), `usernameMatchingUserEntityName` (the provider user name, GitHub login, GitLab username or OIDC `preferred_username`, equals `metadata.name`).',
          },
          allowedDomains: stringList(
            'Only emails of these domains may sign in through this resolver (Backstage `allowedDomains` of `emailLocalPartMatchingUserEntityName`; Atrium accepts it on every email resolver).',
          ),
          dangerouslyAllowSignInWithoutUserInCatalog: {
            type: 'boolean',
            default: false,
            description:
              'When no User entity matches, sign in anyway as `user:default/<name>` owning nothing but itself. Anyone the provider accepts gets in: use only with a provider that admits your organisation alone.',
          },
        },
      },
    },
  },
};

const SESSION_DURATION = (description: string, extra: SchemaNode = {}): SchemaNode => ({
  'x-duration': true,
  not: { const: false },
  'x-type': 'duration',
  'x-valid':
    'a duration: a number of seconds, an ISO-8601 duration (PT12H), a string like 12h or 7d, or an object like {hours: 12}',
  description,
  ...extra,
});

/** Settings every OAuth provider shares (Backstage's names). */
const oauthCommon = (what: string): Record<string, SchemaNode> => ({
  clientId: {
    type: 'string',
    minLength: 1,
    description: `Client id of the OAuth application registered with ${what}. Required.`,
  },
  clientSecret: {
    type: 'string',
    minLength: 1,
    description: `Client secret of that application (use \`\${VAR}\`); never logged. Required.`,
  },
  callbackUrl: {
    type: 'string',
    'x-url': true,
    'x-valid': 'an absolute http(s) URL',
    'x-default-text': '<backend.baseUrl>/api/auth/<provider>/handler/frame',
    description:
      "Where the provider sends the browser back; register this URL with the provider. The default path is Backstage's, so applications registered for Backstage keep working.",
  },
  additionalScopes: {
    type: ['string', 'array'],
    minLength: 1,
    items: { type: 'string', minLength: 1 },
    'x-type': 'string | string[]',
    'x-valid': 'a string or a list of strings',
    description: 'Scopes asked for besides the ones sign-in needs (split at spaces and commas).',
  },
  sessionDuration: SESSION_DURATION(
    'Lifetime of a session started with this provider, instead of `auth.session.duration`.',
  ),
  signIn: SIGN_IN,
});

const OIDC_SECTION: SchemaNode = {
  type: 'object',
  'x-valid': 'an object {metadataUrl, clientId, clientSecret, …}',
  properties: {
    metadataUrl: {
      type: 'string',
      'x-url': true,
      'x-valid': 'an absolute http(s) URL',
      description:
        "The provider's discovery document (`https://id.example.com/.well-known/openid-configuration`) or its issuer URL. Required.",
    },
    ...oauthCommon('the OpenID provider'),
    prompt: {
      type: 'string',
      minLength: 1,
      'x-default-text': 'unset: the provider decides',
      description:
        'OIDC `prompt` sent with the sign-in request (`login`, `consent`, `select_account`, `none`).',
    },
    scope: {
      type: 'string',
      minLength: 1,
      default: AUTH_DEFAULTS.oidcScope,
      description: 'Scopes asked for; `openid` is always added.',
    },
    tokenEndpointAuthMethod: {
      type: 'string',
      enum: ['client_secret_basic', 'client_secret_post'],
      default: AUTH_DEFAULTS.tokenEndpointAuthMethod,
      description: 'How the client secret is sent to the token endpoint.',
    },
  },
};

const byEnvironment = (description: string, section: SchemaNode): SchemaNode => ({
  type: 'object',
  'x-type': 'map of environment name to object',
  'x-valid': 'an object with one section per environment (development, production, …)',
  description: `${description} One section per environment; the one named by \`auth.environment\` is used.`,
  additionalProperties: section,
});

const AUTH_PROVIDERS: SchemaNode = {
  type: 'object',
  default: {},
  'x-default-text': 'none (in development: guest access)',
  'x-type': 'map of provider id to object',
  description:
    'Sign-in providers by id, configured as in Backstage. Atrium implements `guest`, `oidc`, `github` and `gitlab`; other ids are reported at start and ignored.',
  properties: {
    guest: {
      type: ['object', 'null'],
      description:
        'Every visitor who is not signed in is this guest user, without a password. On when set, and in `development` when no other provider is configured for it (so `npm start` needs no sign-in). Refused outside development unless `dangerouslyAllowOutsideDevelopment`. Not keyed by environment (as in Backstage).',
      properties: {
        userEntityRef: {
          type: 'string',
          minLength: 1,
          default: 'user:default/guest',
          description: 'Who the guest is (a full entity ref; the kind defaults to `user`).',
        },
        ownershipEntityRefs: stringList(
          "What the guest owns and which groups it is in. Default: the user's groups in the catalog (parent groups included), or the user alone.",
        ),
        dangerouslyAllowOutsideDevelopment: {
          type: 'boolean',
          default: false,
          'x-default-text': 'false (refused outside development)',
          description:
            'Allows guest access when `auth.environment` is not `development`: everyone who can reach the server is the guest.',
        },
      },
    },
    oidc: byEnvironment(
      'Any OpenID Connect provider (authorization code flow with PKCE and nonce). Keys of a section: `metadataUrl`, `clientId`, `clientSecret` (required), `callbackUrl`, `prompt`, `scope` (default `openid profile email`), `additionalScopes`, `tokenEndpointAuthMethod` (`client_secret_basic` or `client_secret_post`), `sessionDuration`, `signIn.resolvers` (see the README section "Sign-in").',
      OIDC_SECTION,
    ),
    github: byEnvironment(
      'GitHub or GitHub Enterprise OAuth apps. Keys of a section: `clientId`, `clientSecret` (required), `enterpriseInstanceUrl` (default `https://github.com`), `callbackUrl`, `additionalScopes`, `sessionDuration`, `signIn.resolvers`.',
      {
        type: 'object',
        'x-valid': 'an object {clientId, clientSecret, enterpriseInstanceUrl?, …}',
        properties: {
          ...oauthCommon('GitHub'),
          enterpriseInstanceUrl: {
            type: 'string',
            'x-url': true,
            'x-valid': 'an absolute http(s) URL',
            default: AUTH_DEFAULTS.githubUrl,
            description:
              'GitHub Enterprise Server: `https://ghe.example.com`; its API is `<url>/api/v3`. For github.com the API is `https://api.github.com`.',
          },
        },
      },
    ),
    gitlab: byEnvironment(
      'GitLab (gitlab.com or self-managed) OAuth applications. Keys of a section: `clientId`, `clientSecret` (required), `audience` (the instance, default `https://gitlab.com`), `callbackUrl`, `additionalScopes`, `sessionDuration`, `signIn.resolvers`.',
      {
        type: 'object',
        'x-valid': 'an object {clientId, clientSecret, audience?, …}',
        properties: {
          ...oauthCommon('GitLab'),
          audience: {
            type: 'string',
            'x-url': true,
            'x-valid': 'an absolute http(s) URL',
            default: AUTH_DEFAULTS.gitlabUrl,
            description: 'Base URL of the GitLab instance (Backstage `audience`).',
          },
        },
      },
    ),
  },
  additionalProperties: { type: ['object', 'null'], 'x-valid': 'an object (provider settings)' },
};

const AUTH_SESSION: SchemaNode = {
  type: 'object',
  description:
    'Web app sessions: a signed cookie (ES256 JWT; keys live in the database so every replica accepts every session).',
  properties: {
    duration: SESSION_DURATION(
      'How long a session lasts without use. A request in its second half gets a fresh cookie (sliding expiry), up to `maxDuration`.',
      { default: { hours: 12 }, 'x-default-text': '12 hours' },
    ),
    maxDuration: SESSION_DURATION(
      'How long a session may be kept alive by use, counted from sign-in; then the user signs in again.',
      { default: { days: 7 }, 'x-default-text': '7 days' },
    ),
    keyRotation: SESSION_DURATION(
      'How long one signing key signs new sessions; older public keys are kept until every session they signed has expired.',
      { default: { days: 1 }, 'x-default-text': '1 day' },
    ),
    secret: {
      type: 'string',
      description:
        "Backstage's secret for its OAuth flow sessions. Accepted so Backstage configs load; Atrium signs its flow and session cookies with the database keys instead and does not use it.",
    },
  },
};

export const CONFIG_SCHEMA: SchemaNode = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  description: 'Atrium configuration (app-config.yaml).',
  properties: {
    app: {
      type: 'object',
      description: 'The web app.',
      properties: {
        baseUrl: {
          type: 'string',
          'x-url': true,
          'x-valid': 'an absolute http(s) URL such as http://localhost:7007',
          default: 'http://localhost:7007',
          'x-default-text': 'same as backend.baseUrl (http://localhost:7007)',
          description:
            'URL at which people open the web app. Atrium serves the app and the API from one server, so when unset it follows `backend.baseUrl`. Trailing slashes are removed.',
        },
        title: {
          type: 'string',
          minLength: 1,
          default: 'Atrium',
          description: 'Portal name shown in the page title and header.',
        },
      },
    },
    backend: {
      type: 'object',
      description: 'The server: address, database, URL reading.',
      properties: {
        baseUrl: {
          type: 'string',
          'x-url': true,
          'x-valid': 'an absolute http(s) URL such as http://localhost:7007',
          default: 'http://localhost:7007',
          'x-default-text': 'http://localhost:<backend.listen.port> (http://localhost:7007)',
          description:
            'URL that browsers and API clients use to reach the server; plugin APIs live at `<baseUrl>/api/<pluginId>` (catalog: `/api/catalog`). When unset it is `http://localhost:<backend.listen.port>` (7007 when the port is 0). Trailing slashes are removed.',
        },
        allowedHosts: {
          type: 'array',
          items: {
            type: 'string',
            pattern: ALLOWED_HOST_PATTERN,
            'x-valid': ALLOWED_HOST_VALID,
          },
          'x-valid': `a list of host names, each ${ALLOWED_HOST_VALID}`,
          'x-default-text': 'the hosts of app.baseUrl and backend.baseUrl',
          description:
            'Host names that requests may be addressed to (their `Host` header); any other gets `421 Misdirected Request`. This stops DNS rebinding (a web page on a name that resolves to this server, e.g. on 127.0.0.1, reading the portal) and requests routed to the wrong server. An entry without a port allows every port (`portal.example.com`), one with a port only that port (`portal.example.com:8443`); `*.example.com` allows every subdomain, and `*` any host (no check). When `NODE_ENV` is not `production`, `localhost`, `127.0.0.1` and `[::1]` are accepted on any port as well. Behind a reverse proxy, have it pass the original host (nginx: `proxy_set_header Host $host;`) or list the host it sends.',
        },
        listen: {
          type: 'object',
          'x-type': 'object | string',
          'x-valid': "an object {host, port} or a string 'host:port' or ':port'",
          description:
            "Address the HTTP server listens on. Backstage's string form `'host:port'` or `':port'` is accepted too.",
          properties: {
            host: {
              type: 'string',
              minLength: 1,
              default: '127.0.0.1',
              description:
                'Interface to bind. Atrium defaults to 127.0.0.1 (this machine only) so that a fresh install is not reachable from the network; Backstage examples use 0.0.0.0 (all interfaces), which you need in a container or to serve other machines.',
            },
            port: {
              type: 'integer',
              minimum: 0,
              maximum: 65535,
              'x-valid': PORT_VALID,
              default: 7007,
              description: 'TCP port (0 to 65535); 0 picks a free port (for tests).',
            },
          },
        },
        database: {
          type: 'object',
          description:
            'Where Atrium stores its data: an embedded SQLite file (default) or PostgreSQL. Other Backstage keys (`prefix`, `pluginDivisionMode`, `knexConfig`, …) are not used.',
          properties: {
            client: {
              type: 'string',
              enum: ['better-sqlite3', 'sqlite3', 'pg'],
              default: 'better-sqlite3',
              description:
                "Database driver: `better-sqlite3` (embedded SQLite), or `pg` (PostgreSQL). Backstage's `sqlite3` is accepted as a synonym of `better-sqlite3`.",
            },
            connection: {
              'x-type': 'string | object',
              description:
                "For better-sqlite3: a file name, ':memory:', or `{filename}` / `{directory}`; for pg: a connection string or `{host, port, user, password, database, ssl}`.",
            },
            readWorkers: {
              type: 'integer',
              minimum: 0,
              maximum: 64,
              default: 2,
              'x-valid': 'an integer between 0 and 64',
              description:
                "SQLite: worker threads that run read queries (listings, counts, facets, full text, graph walks, search), each with its own read-only connection to the database file (WAL lets them read while the writer writes), so a long read never holds up the thread that answers HTTP. Writes always run on one more connection, in a worker thread of its own (64 MiB of page cache). Reads beyond this many at once wait for a free one. Each costs about 32 MiB of page cache plus a thread. `0` runs reads on a second connection in the server's own thread instead. Not used for `:memory:` (reads go through the one connection) nor PostgreSQL (its connection pool serves reads).",
            },
          },
          allOf: [
            {
              if: { properties: { client: { const: 'pg' } }, required: ['client'] },
              // `connection` is required only for pg (describeConfigKeys ignores then/else `required`).
              // biome-ignore lint/suspicious/noThenProperty: JSON Schema if/then/else
              then: { properties: { connection: PG_CONNECTION }, required: ['connection'] },
              else: { properties: { connection: SQLITE_CONNECTION } },
            },
          ],
        },
        limits: {
          type: 'object',
          description:
            'Bounds on parsed input (catalog YAML, placeholders, mkdocs.yml, JSON request bodies), so that no file or request can exhaust the server. Exceeding one is an error on that document or request that names the key.',
          properties: {
            nestingDepth: {
              type: 'integer',
              minimum: 10,
              maximum: 10000,
              default: 200,
              'x-valid': 'an integer between 10 and 10000',
              description:
                "Deepest nesting of lists and objects in a YAML document or JSON body (YAML documents are also held to js-yaml's own bound of this depth).",
            },
            yamlAliases: {
              type: 'integer',
              minimum: 0,
              default: 1000,
              'x-valid': 'a non-negative integer',
              description: 'Most aliases (`*name`) one YAML document may use; 0 forbids aliases.',
            },
            expandedBytes: {
              type: 'integer',
              minimum: 1024,
              default: 33554432,
              'x-valid': 'an integer of at least 1024 (bytes)',
              description:
                'Largest size of one YAML document or JSON body once its aliases are expanded, in approximate JSON bytes (default 32 MiB). Measured without expanding, so a "billion laughs" file is refused in milliseconds.',
            },
          },
        },
        reading: {
          type: 'object',
          description:
            'Requests users can steer: `url` locations, `$text` placeholders, scaffolder fetch and publish actions, TechDocs `url` sources.',
          properties: {
            allow: {
              type: 'array',
              default: [],
              description:
                'Hosts, besides configured integrations (their `host` and the host of their `apiBaseUrl`), that Atrium may send requests to on behalf of users, as Backstage `backend.reading.allow`: `url` locations and `$text` placeholders, the scaffolder fetch actions, `publish:git` remotes (https and ssh) and TechDocs `url` sources. Every redirect is checked against the same list, and git follows none.',
              items: {
                type: 'object',
                required: ['host'],
                'x-valid': 'an object {host, paths?}',
                properties: {
                  host: {
                    type: 'string',
                    pattern:
                      '^(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:\\d{1,5})?$',
                    'x-valid':
                      'a host name, optionally with a port (example.com:8080) or a leading wildcard (*.example.com)',
                    description:
                      'Host name, optionally with a port (`example.com:8080`); `*.example.com` matches every subdomain (not example.com itself).',
                  },
                  paths: stringList(
                    'If set, only URLs whose path starts with one of these prefixes (e.g. `/docs/`) are allowed.',
                  ),
                },
              },
            },
          },
        },
        auth: {
          type: 'object',
          description:
            'Callers that are not people signed in through the web app: other programs with a static token or a JWT (Backstage `backend.auth`). Other Backstage keys here (`keys`, `dangerouslyDisableDefaultAuthPolicy`, …) are not used.',
          properties: { externalAccess: EXTERNAL_ACCESS },
        },
      },
    },
    catalog: {
      type: 'object',
      description: 'The software catalog.',
      properties: {
        locations: {
          type: 'array',
          default: [],
          description:
            'Locations read at startup. A relative `file` target is resolved against the directory of the config file that lists it (`baseDir`), not the process working directory as in Backstage.',
          items: {
            type: 'object',
            required: ['type', 'target'],
            'x-valid': 'an object {type, target, rules?}',
            properties: {
              type: {
                type: 'string',
                enum: ['file', 'url'],
                description: '`file` (a local path or glob) or `url` (an http(s) URL).',
              },
              target: {
                type: 'string',
                minLength: 1,
                description:
                  'Path (relative to the config file, globs allowed) or URL of a catalog YAML file.',
              },
              rules: {
                type: 'array',
                description:
                  'Extra kinds allowed from this location only (added to `catalog.rules`).',
                items: {
                  type: 'object',
                  required: ['allow'],
                  'x-valid': 'an object {allow: [Kind, …]}',
                  properties: {
                    allow: stringList('Kinds allowed from this location, case-insensitive.'),
                  },
                },
              },
            },
          },
        },
        rules: {
          type: 'array',
          'x-default-text': 'unset: every kind is allowed from every location',
          description:
            'Which kinds locations may emit. Atrium differs from Backstage on purpose: when unset, every kind is allowed from everywhere (Backstage allows only Component, API and Location), so a new user pointed at their files sees everything. When set, it works as in Backstage: only what the rules (plus per-location rules) allow; `[]` allows nothing but per-location rules.',
          items: {
            type: 'object',
            required: ['allow'],
            'x-valid': 'an object {allow, locations?}',
            properties: {
              allow: {
                type: 'array',
                items: ruleAllowItem,
                'x-valid': "a list of kinds or {kind, 'spec.type'} objects",
                description: 'Kinds (or kind + spec.type pairs) this rule allows.',
              },
              locations: {
                type: 'array',
                description:
                  'Restricts the rule to these locations (matched against the origin location); absent means all locations.',
                items: {
                  type: 'object',
                  required: ['type'],
                  not: { required: ['exact', 'pattern'] },
                  'x-valid':
                    'an object {type, exact?} or {type, pattern?} (exact and pattern exclude each other)',
                  properties: {
                    type: {
                      type: 'string',
                      minLength: 1,
                      description: 'Location type, e.g. `url` or `file`.',
                    },
                    exact: { type: 'string', minLength: 1, description: 'Exact location target.' },
                    pattern: {
                      type: 'string',
                      minLength: 1,
                      description: 'Glob (minimatch, case-insensitive) on the location target.',
                    },
                  },
                },
              },
            },
          },
        },
        refresh: {
          type: 'object',
          description: 'Periodic re-reading of locations.',
          properties: {
            interval: durationSchema(
              'How often every location is re-read: seconds (`120`), ISO-8601 (`PT5M`), `30s`/`5m`/`1h`, `{minutes: 5}`, or `false` to read only at startup and on demand. Normalized to `catalog.refresh.intervalMs` (null when disabled). Backstage refreshes every 100-150 s.',
              { default: 120, 'x-default-text': '120 seconds' },
            ),
          },
        },
        processingInterval: durationSchema(
          "Backstage's name for `catalog.refresh.interval`; used when that key is unset.",
        ),
        orphanStrategy: {
          type: 'string',
          enum: ['keep', 'delete'],
          default: 'keep',
          description:
            'What happens to entities a location no longer emits: `keep` marks them orphaned (annotation `backstage.io/orphan: "true"`) until someone deletes them; `delete` removes them. Backstage defaults to `delete`.',
        },
        readonly: {
          type: 'boolean',
          default: false,
          description:
            'When true, the API refuses to register, delete or change locations (as Backstage `catalog.readonly`).',
        },
        locationTypes: {
          type: 'array',
          items: { type: 'string', enum: ['url', 'file'] },
          uniqueItems: true,
          default: ['url', 'file'],
          'x-valid': 'a list containing url and/or file',
          description:
            'Location types that may be registered through the API (`POST /locations`). Backstage allows only `url`; Atrium also allows `file` by default so that a local install can register local files. Set `[url]` on a shared server so API callers cannot make it read its own disk.',
        },
        locationRoots: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          default: [],
          'x-valid': 'a list of folder paths',
          description:
            "Folders below which `file` locations registered through the API (`POST /locations`, `atrium import`, the template action `catalog:register`) may read, including the files their Location entities point to and symbolic links they pass through. Relative to the directory of the config file that sets it. Default `[]`: no `file` location can be registered through the API, only `url` ones; locations listed in config are not limited. The demo's app-config.yaml lists `./examples` and `./data/repos` (where the demo template publishes).",
        },
        removalGuard: {
          type: 'object',
          description:
            "The mass-removal guard of discovery providers (`catalog.providers.*`): a scan that would remove more than `maxShare` of a provider's locations at once removes nothing and waits for someone to confirm the removal on the health page, so an API outage or a wrong filter cannot empty the catalog. Removals from single webhook events are not guarded.",
          properties: {
            maxShare: {
              type: 'number',
              minimum: 0,
              maximum: 1,
              default: 0.1,
              'x-valid': 'a number between 0 and 1',
              description:
                "Largest share of a provider's locations (0.1 = 10%) one scan may remove without confirmation.",
            },
            minCount: {
              type: 'integer',
              minimum: 0,
              default: 10,
              'x-valid': 'a non-negative integer',
              description:
                'A scan removing at most this many locations is never stopped by the guard, whatever the share (a provider of 5 repositories may lose one).',
            },
          },
        },
        providers: {
          type: 'object',
          description:
            'Discovery providers (Backstage `catalog.providers`): they list the locations to read from a source host and keep them current; see the README, "Catalog discovery".',
          properties: {
            github: GITHUB_PROVIDERS_SCHEMA,
            githubOrg: GITHUB_ORG_PROVIDERS_SCHEMA,
            gitlab: GITLAB_PROVIDERS_SCHEMA,
          },
        },
        history: {
          type: 'object',
          description:
            'Entity history: every change to an entity (created, updated with the values before and after, orphaned, deleted) and its cause, recorded in the transaction that made it and served by `GET /api/catalog/history`, the live stream `GET /api/catalog/events` and the History tab of entity pages. Pruned daily (the first time 15 minutes after start) by one replica of those sharing a database.',
          properties: {
            retentionDays: {
              type: 'integer',
              minimum: 0,
              default: 90,
              'x-valid': 'a non-negative integer (days)',
              description: 'Days events are kept; `0` keeps them forever.',
            },
            maxEvents: {
              type: 'integer',
              minimum: 0,
              default: 1000000,
              'x-valid': 'a non-negative integer',
              description:
                'Most events kept, whatever their age: past it the oldest are deleted. `0` for no limit.',
            },
            maxStreamsPerCaller: {
              type: 'integer',
              minimum: 1,
              default: 10,
              'x-valid': 'a positive integer',
              description:
                'Most live streams (`GET /api/catalog/events`) one caller may have open on one server; another answers 429 naming this key. A caller is a signed-in user or token; guests count per address.',
            },
            maxStreams: {
              type: 'integer',
              minimum: 1,
              default: 1000,
              'x-valid': 'a positive integer',
              description:
                'Most live streams (`GET /api/catalog/events`) open on one server in all; another answers 429 naming this key. One reader of the event table serves them all.',
            },
          },
        },
        limits: {
          type: 'object',
          description: 'Bounds on what one location read may cost.',
          properties: {
            globFiles: {
              type: 'integer',
              minimum: 1,
              default: 10000,
              'x-valid': 'a positive integer',
              description:
                'Most files one glob target may match; past it the location gets an error naming this key and reads nothing of that glob. The crawl itself stops after 20 times as many directory entries.',
            },
            globBytes: {
              type: 'integer',
              minimum: 1,
              default: 268435456,
              'x-valid': 'a positive integer (bytes)',
              description:
                'Most bytes read from the files one glob target matches (default 256 MiB); past it the remaining files are skipped with an error naming this key. Files are read and released one at a time.',
            },
          },
        },
        kinds: {
          type: 'array',
          default: [],
          description:
            'Custom kinds: entities of these kinds are validated and related like built-in ones.',
          items: {
            type: 'object',
            required: ['apiVersion', 'kind'],
            'x-valid': 'an object {apiVersion, kind, schema?, relations?}',
            properties: {
              apiVersion: {
                type: ['string', 'array'],
                pattern:
                  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[a-zA-Z0-9]{1,63}$',
                items: {
                  type: 'string',
                  pattern:
                    '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[a-zA-Z0-9]{1,63}$',
                },
                minItems: 1,
                'x-type': 'string | string[]',
                'x-valid': 'an apiVersion such as example.com/v1, or a list of them',
                description: 'apiVersion(s) accepted for this kind, e.g. `example.com/v1`.',
              },
              kind: {
                type: 'string',
                pattern: '^[a-zA-Z][a-zA-Z0-9]{0,62}$',
                'x-valid':
                  'a kind name: a letter followed by letters or digits, at most 63 characters',
                description: 'Kind name, matched case-sensitively as in Backstage.',
              },
              schema: {
                type: 'object',
                'x-type': 'JSON Schema',
                'x-valid': 'a JSON Schema (draft-07) object',
                description:
                  'JSON Schema (draft-07) for `spec`. When given, entities of this kind must have a `spec` that matches it; when absent, any `spec` object (or none) is accepted.',
              },
              relations: {
                type: 'array',
                default: [],
                description: 'Spec fields holding entity refs, and the relations they produce.',
                items: {
                  type: 'object',
                  required: ['field', 'relation', 'reverse'],
                  'x-valid': 'an object {field, relation, reverse, defaultKind?}',
                  properties: {
                    field: {
                      type: 'string',
                      pattern: '^spec(\\.[^.\\s]+)+$',
                      'x-valid': 'a dotted path inside spec, such as spec.owner',
                      description:
                        'Dotted path of the field, e.g. `spec.owner`; a string or a list of refs.',
                    },
                    relation: {
                      type: 'string',
                      minLength: 1,
                      description: 'Relation on the entity holding the field, e.g. `ownedBy`.',
                    },
                    reverse: {
                      type: 'string',
                      minLength: 1,
                      description: 'Relation on the entity the ref points at, e.g. `ownerOf`.',
                    },
                    defaultKind: {
                      type: 'string',
                      pattern: '^[a-zA-Z][a-zA-Z0-9]{0,62}$',
                      'x-valid': 'a kind name',
                      description:
                        'Kind assumed when a ref omits it; when absent, refs must name their kind.',
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    integrations: {
      type: 'object',
      description:
        'Source-code hosts Atrium talks to (Backstage `integrations`): used by the template actions that publish to them (`publish:github`, `publish:github:pull-request`, `publish:gitlab`, `publish:bitbucketCloud`, `publish:azure`, …), by `parseRepoUrl`, and to read folders from these hosts.',
      properties: {
        github: integrationList(
          'GitHub (github.com or GitHub Enterprise)',
          'https://api.github.com for github.com, `https://<host>/api/v3` otherwise',
          { apps: GITHUB_APPS_SCHEMA },
        ),
        gitlab: integrationList('GitLab (gitlab.com or self-managed)', '`https://<host>/api/v4`'),
        bitbucketCloud: {
          type: 'array',
          default: [],
          description:
            'Bitbucket Cloud (bitbucket.org) credentials, for `publish:bitbucketCloud`: `username` with `appPassword` or `token` (basic auth), or `token` alone (bearer).',
          items: {
            type: 'object',
            'x-valid': 'an object {username?, appPassword?, token?}',
            properties: {
              username: { type: 'string', minLength: 1, description: 'Bitbucket user name.' },
              appPassword: {
                type: 'string',
                minLength: 1,
                description: 'App password of that user (use `${VAR}`); never logged.',
              },
              token: {
                type: 'string',
                minLength: 1,
                description: 'API or access token (use `${VAR}`); never logged.',
              },
            },
          },
        },
        bitbucketServer: {
          type: 'array',
          default: [],
          description: 'Bitbucket Server / Data Center hosts, for `publish:bitbucketServer`.',
          items: {
            type: 'object',
            required: ['host'],
            'x-valid': 'an object {host, apiBaseUrl?, token?, username?, password?}',
            properties: {
              host: { type: 'string', minLength: 1, description: 'Host name of the server.' },
              apiBaseUrl: {
                type: 'string',
                'x-url': true,
                'x-default-text': '`https://<host>/rest/api/1.0`',
                description: 'Base URL of the REST API.',
              },
              token: {
                type: 'string',
                minLength: 1,
                description: 'HTTP access token (bearer; use `${VAR}`); never logged.',
              },
              username: { type: 'string', minLength: 1, description: 'User name for basic auth.' },
              password: {
                type: 'string',
                minLength: 1,
                description: 'Password for basic auth (use `${VAR}`); never logged.',
              },
            },
          },
        },
        azure: {
          type: 'array',
          default: [],
          description: 'Azure DevOps hosts (dev.azure.com or a server), for `publish:azure`.',
          items: {
            type: 'object',
            required: ['host'],
            'x-valid': 'an object {host, token?, credentials?}',
            properties: {
              host: {
                type: 'string',
                minLength: 1,
                description: 'Host name, e.g. `dev.azure.com`.',
              },
              token: {
                type: 'string',
                minLength: 1,
                description:
                  'Personal access token for every organisation of the host (use `${VAR}`); never logged.',
              },
              credentials: {
                type: 'array',
                default: [],
                description:
                  'Personal access tokens by organisation (the first whose `organizations` lists the organisation, else one without `organizations`). Service principals and managed identities are not supported.',
                items: {
                  type: 'object',
                  required: ['personalAccessToken'],
                  'x-valid': 'an object {personalAccessToken, organizations?}',
                  properties: {
                    personalAccessToken: {
                      type: 'string',
                      minLength: 1,
                      description: 'The token (use `${VAR}`); never logged.',
                    },
                    organizations: {
                      type: 'array',
                      items: { type: 'string', minLength: 1 },
                      description: 'Organisations it is for (default: all).',
                    },
                  },
                },
              },
            },
          },
        },
        gerrit: {
          type: 'array',
          default: [],
          description: 'Gerrit hosts, for `publish:gerrit`.',
          items: {
            type: 'object',
            required: ['host'],
            'x-valid':
              'an object {host, baseUrl?, cloneUrl?, gitilesBaseUrl?, username?, password?}',
            properties: {
              host: { type: 'string', minLength: 1, description: 'Host name of the server.' },
              baseUrl: {
                type: 'string',
                'x-url': true,
                'x-default-text': '`https://<host>`',
                description: 'Base URL of the Gerrit web UI and REST API.',
              },
              cloneUrl: {
                type: 'string',
                'x-url': true,
                'x-default-text': '`baseUrl`',
                description: 'Base URL repositories are cloned from and pushed to.',
              },
              gitilesBaseUrl: {
                type: 'string',
                'x-url': true,
                'x-default-text': '`<baseUrl>/plugins/gitiles`',
                description: 'Base URL of Gitiles, for links to the published files.',
              },
              username: { type: 'string', minLength: 1, description: 'User name for basic auth.' },
              password: {
                type: 'string',
                minLength: 1,
                description: 'Password or HTTP access token (use `${VAR}`); never logged.',
              },
            },
          },
        },
      },
    },
    scaffolder: {
      type: 'object',
      description: 'Software templates: how template tasks run.',
      properties: {
        defaultAuthor: {
          type: 'object',
          description: 'Git author of the first commit when a template does not name one.',
          properties: {
            name: {
              type: 'string',
              minLength: 1,
              default: 'Scaffolder',
              description: 'Author name.',
            },
            email: {
              type: 'string',
              minLength: 1,
              default: 'scaffolder@atrium.local',
              description: 'Author e-mail.',
            },
          },
        },
        defaultCommitMessage: {
          type: 'string',
          minLength: 1,
          default: 'Initial commit',
          description: 'Commit message of a published repository when a template does not set one.',
        },
        workspaceDir: {
          type: 'string',
          minLength: 1,
          'x-default-text': '`atrium-scaffolder` in the system temp directory',
          description:
            'Directory under which each task gets its own workspace (removed when the task ends). Relative to the directory of the config file that sets it.',
        },
        localRepositoryRoots: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          default: ['./data/repos'],
          'x-valid': 'a list of folder paths',
          description:
            'Folders where `publish:git` may create or push to local bare repositories (a remote given as a path or `file://` URL must be inside one; a relative path like `team/app.git` is placed in the first). Relative to the directory of the config file that sets it (the working directory for the default). `[]` forbids local remotes.',
        },
        concurrency: {
          type: 'integer',
          minimum: 1,
          maximum: 64,
          default: 4,
          'x-valid': 'an integer between 1 and 64',
          description: 'Tasks one server runs at the same time; more wait in the queue as `open`.',
        },
        limits: {
          type: 'object',
          description:
            'Bounds on template rendering (`${{ }}` in step inputs, `if`, `each`, `output`, and skeleton files of `fetch:template`). Rendering runs in worker threads, never on the thread that answers requests; a render that exceeds a bound is stopped and fails its task step (or dry run, or request) with an error naming the key.',
          properties: {
            renderTimeout: {
              'x-duration': true,
              not: { const: false },
              'x-type': 'duration',
              'x-valid':
                'a duration: a number of seconds, an ISO-8601 duration (PT5S), a string like 500ms, 5s or 1m, or an object like {seconds: 5}',
              default: 5,
              'x-default-text': '5 seconds',
              description:
                'Longest one render may take: one step input, `if`, `each` or output value, one skeleton file, one file name. Past it the worker rendering it is stopped (a fresh one takes over) and the render fails. Cannot be disabled.',
            },
            taskRenderTime: durationSchema(
              'Total render time one task (or dry run) may use across all its steps and skeleton files, or `false` for no total (each render is still bounded by `renderTimeout`).',
              { default: 60, 'x-default-text': '60 seconds' },
            ),
            renderOutputBytes: {
              type: 'integer',
              minimum: 1024,
              default: 10485760,
              'x-valid': 'an integer of at least 1024 (bytes)',
              description:
                'Largest output of one render, in UTF-8 bytes (a skeleton file, or a value as JSON; default 10 MiB).',
            },
            workerMemoryMb: {
              type: 'integer',
              minimum: 32,
              maximum: 16384,
              default: 256,
              'x-valid': 'an integer between 32 and 16384 (MB)',
              description:
                'Heap of each rendering worker, in MB. A template that needs more (e.g. builds a huge string) fails its render; the server is unaffected and a fresh worker takes over.',
            },
            renderWorkers: {
              type: 'integer',
              minimum: 1,
              maximum: 64,
              default: 2,
              'x-valid': 'an integer between 1 and 64',
              description:
                'Rendering worker threads per server (one starts with the server, the others when renders wait for one). Renders beyond this many wait in a queue.',
            },
          },
        },
        defaultEnvironment: {
          type: 'object',
          description:
            'Values every template sees as `${{ environment.parameters.x }}` and `${{ environment.secrets.x }}` (Backstage `scaffolder.defaultEnvironment`).',
          properties: {
            parameters: {
              type: 'object',
              additionalProperties: true,
              default: {},
              'x-type': 'object',
              description: 'Plain values, visible in task specs.',
            },
            secrets: {
              type: 'object',
              additionalProperties: { type: 'string' },
              default: {},
              'x-type': 'map of name to string',
              'x-valid': 'an object of string values',
              description: 'Secret values: only step inputs see them, and logs mask them.',
            },
          },
        },
      },
    },
    techdocs: {
      type: 'object',
      description: 'Docs built from `mkdocs.yml` and Markdown beside the code.',
      properties: {
        builder: {
          type: 'string',
          enum: ['local', 'external'],
          default: 'local',
          description:
            "`local`: the server builds an entity's docs when they are first opened or their source changed. `external`: sites are built and published by CI (`atrium docs build` + `atrium docs publish`); the server only serves them.",
        },
        buildOnStart: {
          type: 'boolean',
          default: true,
          description:
            'With the `local` builder: build, in the background after start, the docs of every entity whose docs are a folder on this server (`dir:` refs of `file` locations), so their pages are searchable before anyone opens them. Sources read over the network are built when first opened.',
        },
        searchScanSeconds: {
          type: 'integer',
          minimum: 1,
          maximum: 86400,
          default: 60,
          'x-valid': 'an integer between 1 and 86400',
          description:
            'How often each server looks in the storage for sites published or replaced by CI (`atrium docs publish`) or removed, and puts their pages into search (or takes them out). Sites built by the server itself are indexed at once.',
        },
        publisher: {
          type: 'object',
          description: 'Where built sites are stored.',
          properties: {
            type: {
              type: 'string',
              enum: ['local'],
              default: 'local',
              description:
                '`local`: a folder on the server (object storage can be added behind the same interface).',
            },
            local: {
              type: 'object',
              description: 'The local folder publisher.',
              properties: {
                publishDirectory: {
                  type: 'string',
                  minLength: 1,
                  default: './data/techdocs',
                  description:
                    'Folder holding built sites as `<namespace>/<kind>/<name>/`. Relative to the directory of the config file that sets it (the working directory for the default).',
                },
              },
            },
          },
        },
      },
    },
    search: {
      type: 'object',
      description: 'Search across the catalog and docs.',
      properties: {
        maxTermLength: {
          type: 'integer',
          minimum: 1,
          maximum: 10000,
          default: 100,
          'x-valid': 'an integer between 1 and 10000',
          description: 'Longest search term accepted (longer terms are a 400 error), as Backstage.',
        },
        maxPageLimit: {
          type: 'integer',
          minimum: 1,
          maximum: 1000,
          default: 100,
          'x-valid': 'an integer between 1 and 1000',
          description: 'Largest `pageLimit` a query may ask for.',
        },
        countLimit: {
          type: 'integer',
          minimum: 100,
          maximum: 10000000,
          default: 10000,
          'x-valid': 'an integer between 100 and 10000000',
          description:
            'Matches are counted up to this number (or just past the page asked for); above it `numberOfResults` is a lower bound and `numberOfResultsIsLowerBound` is true. Exact counts of very broad terms (two letters over 100,000 documents) cost tens of milliseconds per query on PostgreSQL.',
        },
      },
    },
    scorecards: {
      type: 'object',
      description:
        'Scorecards: maturity levels and checks declared as `kind: Scorecard` entities, scored for every matching entity (see the README section "Scorecards").',
      properties: {
        historyDays: {
          type: 'integer',
          minimum: 1,
          maximum: 3650,
          default: 365,
          'x-valid': 'an integer between 1 and 3650',
          description:
            'Days of history kept: level changes and the daily per-owner aggregates (trends, campaign progress) older than this are deleted by a job that runs at start and then daily on every server.',
        },
        repoFacts: {
          type: 'object',
          description:
            "The `repo.*` facts (README, CODEOWNERS, LICENSE, CI workflow in an entity's source repository).",
          properties: {
            schedule: durationSchema(
              'How often the source repositories are looked at again (each is read through the usual reading code and cached by commit or content hash; scoring never reads them). `false` reads them only once, at first start. Normalized to `scorecards.repoFacts.scheduleMs` (null when disabled).',
              { default: '1 day', 'x-default-text': '1 day' },
            ),
          },
        },
        demoSeed: {
          type: 'string',
          minLength: 1,
          'x-default-text': 'none (nothing is invented)',
          description:
            "Demo only: a seed file (the demo's is examples/demo-seed/scorecards.yaml) whose facts are stored at start where none is stored yet, and whose `historyDays` days of history are invented for scorecards without history before today, so a first start shows a trend. Relative to the config file. Leave unset in real deployments.",
        },
      },
    },
    mcp: {
      type: 'object',
      description:
        'The MCP server at `/api/mcp` (see the README, "MCP server"): AI assistants connect with a personal access token or a static token and use the tools that plugins contribute, with that token\'s permissions.',
      properties: {
        enabled: {
          type: 'boolean',
          default: true,
          description: 'Whether `/api/mcp` answers; `false` turns the MCP server off.',
        },
        destructiveTools: {
          type: 'boolean',
          default: false,
          description:
            'Whether tools that delete or run something that cannot be taken back (`unregister-entity`, `execute-template`) are offered. Off, they are neither listed nor callable, whatever the caller may do through the API.',
        },
      },
    },
    audit: {
      type: 'object',
      description:
        'The audit log: sign-ins, token changes, policy changes, denials, every change made through the API, and every entity that ingestion creates, updates, orphans or deletes (`GET /api/audit/events`, the Audit page, `atrium audit export`).',
      properties: {
        retention: durationSchema(
          'How long events are kept: older ones are deleted by a job that runs at start and then daily on every server (running it on several replicas is harmless). `false` keeps events forever.',
          { default: '365 days', 'x-default-text': '365 days' },
        ),
      },
    },
    events: {
      type: 'object',
      description:
        'Webhooks from source-code hosts, received at `/api/events/http/github` and `/api/events/http/gitlab` (see the README, "Webhooks"), verified and handed to the catalog\'s discovery providers. Backstage\'s keys.',
      properties: {
        modules: {
          type: 'object',
          description: 'Settings of each webhook source.',
          properties: {
            github: {
              type: 'object',
              description: 'GitHub webhooks (`POST /api/events/http/github`).',
              properties: {
                webhookSecret: {
                  type: 'string',
                  minLength: 1,
                  'x-default-text': 'none (every GitHub delivery is refused with 401)',
                  description:
                    "The secret set on the GitHub webhook: each delivery's `X-Hub-Signature-256` (HMAC-SHA256 of the body) is checked with it. Use `${VAR}` or `$file`; never logged.",
                },
              },
            },
            gitlab: {
              type: 'object',
              description: 'GitLab webhooks (`POST /api/events/http/gitlab`).',
              properties: {
                webhookSecret: {
                  type: 'string',
                  minLength: 1,
                  'x-default-text': 'none (every GitLab delivery is refused with 401)',
                  description:
                    'The secret token set on the GitLab webhook, which GitLab sends as `X-Gitlab-Token`. Use `${VAR}` or `$file`; never logged.',
                },
              },
            },
          },
        },
        http: {
          type: 'object',
          description:
            "Backstage's HTTP ingress settings. Accepted so Backstage configs load: Atrium always serves the `github` and `gitlab` sources.",
          properties: {
            topics: {
              type: 'array',
              items: { type: 'string', minLength: 1 },
              description: "Backstage's list of HTTP event topics; not used.",
            },
          },
        },
      },
    },
    auth: {
      type: 'object',
      description: 'Sign-in (see the README section "Sign-in").',
      properties: {
        environment: {
          type: 'string',
          minLength: 1,
          default: 'development',
          description:
            'Which environment section of each provider config applies (Backstage `auth.environment`). In `development`, guest access is on when no other provider is configured for it.',
        },
        providers: AUTH_PROVIDERS,
        session: AUTH_SESSION,
        personalTokens: {
          type: 'object',
          description:
            "Personal access tokens: signed-in users create them in Settings → Tokens (or `POST /api/auth/tokens`) and send them as `Authorization: Bearer atp_…`. A token acts as its owner with the owner's current permissions, limited to reading when its scope is `read`.",
          properties: {
            enabled: {
              type: 'boolean',
              default: true,
              description:
                'Whether users may create personal access tokens and tokens are accepted. `false` refuses both (existing tokens answer 401 until enabled again).',
            },
            maxDuration: {
              'x-duration': true,
              not: { const: false },
              'x-type': 'duration',
              'x-valid':
                'a duration: a number of seconds, an ISO-8601 duration (P90D), a string like 30d or 1y, or an object like {days: 90}',
              default: { days: 365 },
              'x-default-text': '365 days',
              description:
                'Longest lifetime a user may give a token; every token has an expiry. Normalized to `auth.personalTokens.maxDurationMs`.',
            },
          },
        },
      },
    },
    permission: {
      type: 'object',
      description:
        'Access control: who may do what (see the README, "Access control"). Policy file paths are resolved against the directory of the config file that sets them, not the process working directory as in RHDH.',
      properties: {
        enabled: {
          type: 'boolean',
          default: false,
          description:
            'Whether permission policies are enforced; when false every caller may do everything.',
        },
        policyFile: {
          type: 'string',
          minLength: 1,
          'x-default-text': 'none (no rules from a file)',
          description:
            'Atrium\'s YAML policy: roles with members, and rules that allow or deny permissions, optionally under conditions (format in the README, "Access control"). Reloaded whenever it changes; a version with errors never replaces the last good one.',
        },
        rbac: {
          type: 'object',
          description:
            "Red Hat Developer Hub's RBAC settings, read unchanged (its other keys are not used).",
          properties: {
            'policies-csv-file': {
              type: 'string',
              minLength: 1,
              'x-default-text': 'none (no CSV file)',
              description:
                'RHDH policy CSV: `p, <role>, <permission or resource type>, <action>, <allow|deny>` and `g, <user or group ref>, <role>` lines.',
            },
            conditionalPoliciesFile: {
              type: 'string',
              minLength: 1,
              'x-default-text': 'none (no conditional policies)',
              description:
                'RHDH conditional policies: YAML documents with `result: CONDITIONAL`, `roleEntityRef`, `pluginId`, `resourceType`, `permissionMapping` and `conditions`.',
            },
            policyFileReload: {
              type: 'boolean',
              default: false,
              description:
                'Reload the two RHDH files when they change, as RHDH does with this key. `permission.policyFile` is always reloaded.',
            },
            admin: {
              type: 'object',
              description: 'Policy administrators and super users, as RHDH lists them.',
              properties: {
                users: adminList(
                  'May read and change the policy (the administration page and API), as RHDH `admin.users`.',
                ),
                superUsers: adminList('May do everything, whatever the policy says.'),
              },
            },
          },
        },
      },
    },
    plugins: {
      type: 'array',
      default: [],
      description:
        'External plugins loaded at start, after the built-in ones and in this order (see the README, "External plugins"). Each is an npm package whose package.json has an `atrium` field; `atrium plugin install` adds entries, `atrium plugin list` shows what loads. Tarballs and registry packages are fetched once into `plugins/` beside the config file that lists them (`plugins/plugins-lock.json` records what was fetched, so a restart does not fetch again). A plugin that is missing, incompatible, misconfigured or whose setup throws stops the start with its name.',
      items: {
        type: 'object',
        required: ['package'],
        'x-valid': 'an object {package, integrity?, config?, enabled?}',
        properties: {
          package: {
            type: 'string',
            minLength: 1,
            description:
              "Where the plugin comes from: a folder (loaded in place), a `.tgz` tarball path, an `https://` tarball URL, or an npm registry spec (`@acme/atrium-plugin-links@1.2.0`; fetched with `npm pack`, so the config folder's `.npmrc` applies). Paths are relative to the config file's folder.",
          },
          integrity: {
            type: 'string',
            pattern:
              '^(sha256|sha384|sha512)-[A-Za-z0-9+/]+={0,2}( +(sha256|sha384|sha512)-[A-Za-z0-9+/]+={0,2})*$',
            'x-valid': "npm's Subresource Integrity form, e.g. sha512-<base64>",
            'x-default-text': 'none (not checked)',
            description:
              "Hash of the tarball in npm's form (`sha512-…`, as `npm pack --json` and package-lock.json show it); a tarball that does not match refuses the start. Not for folders.",
          },
          config: {
            type: 'object',
            additionalProperties: true,
            'x-type': 'object',
            'x-default-text': 'none',
            description:
              "The plugin's own settings, validated against the JSON Schema its package declares (`atrium.configSchema`) and handed to it as `env.pluginConfig`.",
          },
          enabled: {
            type: 'boolean',
            default: true,
            description: '`false` keeps the entry without loading (or fetching) the plugin.',
          },
        },
      },
    },
  },
};
