/**
 * GitHub organisation data (`catalog.providers.githubOrg`): one provider `githubOrg:<id>` per
 * configured entry, owning one location of type `github-org` per organisation
 * (`<githubUrl>/<org>`). The `github-org` reader turns an organisation's teams and members into
 * one generated catalog file, so the normal ingestion validates, relates and stores the Group
 * and User entities in one transaction. A scan prefetches that file (the catalog skips the read
 * when nothing changed); `membership`, `team` and `organization` webhook events re-read the
 * organisation at once.
 */
import type { GithubOrgProviderConfig } from '../../../../../core/config/github-org-providers.ts';
import {
  type GithubCredentials,
  githubCredentials,
} from '../../../../../core/reading/github-credentials.ts';
import { integrationForHost } from '../../../../../core/reading/integrations.ts';
import { ScmHttpClient } from '../../../../../core/reading/scm-http.ts';
import type { Logger } from '../../../../../core/logger.ts';
import {
  hashText,
  type LocationReader,
  type PrefetchedFiles,
  type ReadResult,
} from '../../ingest/readers.ts';
import type {
  CatalogProvider,
  CatalogProviderFactory,
  DiscoveredLocation,
  ProviderContext,
  ProviderEffect,
  ProviderError,
  ScanResult,
  WebhookEvent,
} from '../types.ts';
import { buildOrgCatalogFile, type OrgCatalogFile } from './entities.ts';
import { fetchOrgData, fetchViewerOrgs, type GraphqlEndpoint, graphqlUrlOf } from './graphql.ts';

export const GITHUB_ORG_LOCATION_TYPE = 'github-org';

/** Webhook actions that change nothing this provider reads. */
const IGNORED_TEAM_ACTIONS = new Set(['added_to_repository', 'removed_from_repository']);
const ORGANIZATION_ACTIONS = new Set(['member_added', 'member_removed']);

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class GithubOrgProvider implements CatalogProvider {
  readonly id: string;
  readonly title: string;
  readonly frequencyMs: number | null;
  readonly timeoutMs: number;
  readonly initialDelayMs: number;
  readonly client: ScmHttpClient;
  private readonly graphqlUrl: string;
  private readonly host: string;
  private readonly credentials: GithubCredentials;
  /** Whether the host authenticates with GitHub App installations (else its token). */
  private readonly viaApp: boolean;
  private readonly apiHost: string;
  /** The organisations of the last scan (all of the token's when `orgs` is not configured). */
  private knownOrgs: string[];
  /** What the last scan built per target, so a read of its prefetched text knows its problems. */
  private readonly built = new Map<
    string,
    { version: string; problems: OrgCatalogFile['problems'] }
  >();

  constructor(
    readonly config: GithubOrgProviderConfig,
    ctx: ProviderContext,
    private readonly logger: Logger,
  ) {
    this.id = `githubOrg:${config.id}`;
    this.title = `GitHub org data ${config.id}`;
    this.frequencyMs = config.schedule.frequencyMs;
    this.timeoutMs = config.schedule.timeoutMs;
    this.initialDelayMs = config.schedule.initialDelayMs;
    this.knownOrgs = [...config.orgs];
    const host = new URL(config.githubUrl).host;
    const key = `catalog.providers.githubOrg (id ${config.id})`;
    const integration = integrationForHost(host, ctx.config.integrations);
    if (integration?.type !== 'github')
      throw new Error(
        `${key}: githubUrl ${config.githubUrl} has no integrations.github entry for host ${host}; add one with a token (the GraphQL API needs one)`,
      );
    this.viaApp = (integration.apps?.length ?? 0) > 0;
    if (!integration.token && !this.viaApp)
      throw new Error(
        `${key}: the integrations.github entry for ${host} has no token and no apps; GitHub's GraphQL API answers only with one`,
      );
    const apiBaseUrl =
      integration.apiBaseUrl ??
      (host === 'github.com' ? 'https://api.github.com' : `https://${host}/api/v3`);
    this.graphqlUrl = graphqlUrlOf(apiBaseUrl);
    this.host = host;
    this.credentials = githubCredentials(ctx.policy, logger);
    this.apiHost = new URL(apiBaseUrl).host.toLowerCase();
    this.client = new ScmHttpClient({ policy: ctx.policy, logger });
  }

  targetOf(org: string): string {
    return `${this.config.githubUrl}/${org}`;
  }

  /** The configured (or last discovered) spelling of `org`, if this provider reads it. */
  orgOf(org: string): string | undefined {
    const wanted = org.toLowerCase();
    return this.knownOrgs.find((o) => o.toLowerCase() === wanted);
  }

  /** Whether this provider reads `target` (`<githubUrl>/<org>`). */
  owns(target: string): string | undefined {
    const prefix = `${this.config.githubUrl}/`;
    if (!target.startsWith(prefix)) return undefined;
    const org = target.slice(prefix.length);
    if (!org || org.includes('/')) return undefined;
    // Unconfigured `orgs`: any organisation of the token, even one not seen by a scan yet.
    return this.orgOf(org) ?? (this.config.orgs.length ? undefined : org);
  }

  /** Queries about `org` carry its installation's token (or the host's token). */
  private endpointFor(org?: string): GraphqlEndpoint {
    return {
      url: this.graphqlUrl,
      credentials: this.credentials,
      target: { host: this.host, ...(org ? { owner: org } : {}) },
    };
  }

  /**
   * The organisations read when `orgs` is not configured: with GitHub Apps those they are
   * installed on (as Backstage's multi-org provider), else those of the token's user.
   */
  private async allOrgs(signal: AbortSignal): Promise<string[]> {
    if (!this.viaApp) return fetchViewerOrgs(this.client, this.endpointFor(), signal);
    const installations = await this.credentials.installations(this.host, { signal });
    const orgs = new Map<string, string>();
    for (const installation of installations) {
      // Several apps may be installed on one organisation: it is read once.
      if (installation.accountType === 'Organization')
        orgs.set(installation.account.toLowerCase(), installation.account);
    }
    return [...orgs.values()];
  }

  /** Reads `org` and builds its catalog file. */
  async build(org: string, signal?: AbortSignal): Promise<OrgCatalogFile> {
    const several = this.knownOrgs.length > 1;
    const data = await fetchOrgData(this.client, this.endpointFor(org), org, {
      withOrganizations: several,
      signal,
    });
    const file = buildOrgCatalogFile(data, {
      target: this.targetOf(org),
      groupNamespace: this.config.groupsInDefaultNamespace ? 'default' : data.org.toLowerCase(),
      userTransformer: this.config.userTransformer,
      teamTransformer: this.config.teamTransformer,
      providerOrgs: several ? this.knownOrgs : undefined,
    });
    this.built.set(this.targetOf(org), { version: file.version, problems: file.problems });
    return file;
  }

  /** The problems of the file the last scan built, if `content` is that file. */
  problemsOf(target: string, content: string): OrgCatalogFile['problems'] | undefined {
    const built = this.built.get(target);
    return built && built.version === hashText(content) ? built.problems : undefined;
  }

  async scan(signal: AbortSignal): Promise<ScanResult> {
    this.client.resetCost();
    const errors: ProviderError[] = [];
    if (!this.config.orgs.length) {
      try {
        this.knownOrgs = await this.allOrgs(signal);
      } catch (error) {
        // Which organisations exist is unknown: list nothing and remove nothing.
        return {
          locations: [],
          repositoriesSeen: 0,
          cost: this.client.cost(),
          errors: [
            {
              source: this.config.githubUrl,
              message: `Listing ${this.viaApp ? 'the organisations the GitHub Apps are installed on' : 'your organisations'} failed: ${describeError(error)}`,
            },
          ],
          complete: false,
        };
      }
    }
    const locations: DiscoveredLocation[] = [];
    for (const org of this.knownOrgs) {
      const location: DiscoveredLocation = {
        type: GITHUB_ORG_LOCATION_TYPE,
        target: this.targetOf(org),
        source: org,
      };
      // An organisation that could not be read is still listed: its entities stay.
      if (!signal.aborted) {
        try {
          const started = Date.now();
          const file = await this.build(org, signal);
          location.prefetched = { content: file.content, version: file.version };
          this.logger.info(`Read GitHub organisation ${org}`, {
            provider: this.id,
            users: file.users,
            groups: file.groups,
            ms: Date.now() - started,
          });
        } catch (error) {
          errors.push({
            source: org,
            message: `Reading the organisation failed: ${describeError(error)}`,
          });
        }
      }
      locations.push(location);
    }
    return {
      locations,
      repositoriesSeen: this.knownOrgs.length,
      cost: this.client.cost(),
      errors,
      complete: true,
    };
  }

  async onEvent(event: WebhookEvent, _signal?: AbortSignal): Promise<ProviderEffect | undefined> {
    if (event.source !== 'github') return undefined;
    const action = typeof event.payload.action === 'string' ? event.payload.action : '';
    if (event.type === 'organization' && !ORGANIZATION_ACTIONS.has(action)) return undefined;
    if (event.type === 'team' && IGNORED_TEAM_ACTIONS.has(action)) return undefined;
    if (!['membership', 'team', 'organization'].includes(event.type)) return undefined;
    const organization = event.payload.organization as
      | { login?: unknown; url?: unknown }
      | undefined;
    if (typeof organization?.login !== 'string') return undefined;
    // Two GitHub instances may have organisations of the same name: the API URL tells them apart.
    if (typeof organization.url === 'string') {
      try {
        const host = new URL(organization.url).host.toLowerCase();
        if (host !== this.apiHost && host !== new URL(this.config.githubUrl).host.toLowerCase())
          return undefined;
      } catch {
        return undefined;
      }
    }
    const org = this.orgOf(organization.login);
    if (!org) return undefined;
    return {
      upsert: [{ type: GITHUB_ORG_LOCATION_TYPE, target: this.targetOf(org), source: org }],
    };
  }
}

/** Reads `github-org` locations for every provider of the factory. */
export class GithubOrgReader implements LocationReader {
  readonly type = GITHUB_ORG_LOCATION_TYPE;

  constructor(
    private readonly providers: GithubOrgProvider[],
    private readonly prefetched?: PrefetchedFiles,
  ) {}

  async read(target: string): Promise<ReadResult> {
    let provider: GithubOrgProvider | undefined;
    let org: string | undefined;
    for (const candidate of this.providers) {
      org = candidate.owns(target);
      if (org) {
        provider = candidate;
        break;
      }
    }
    if (!provider || !org) {
      return {
        files: [],
        problems: [
          {
            level: 'error',
            name: 'InputError',
            message: `No catalog.providers.githubOrg entry reads ${target}`,
            file: target,
          },
        ],
      };
    }
    const prefetched = this.prefetched?.get(target);
    const known = prefetched === undefined ? undefined : provider.problemsOf(target, prefetched);
    let content: string;
    let problems: ReadResult['problems'];
    if (prefetched !== undefined && known) {
      content = prefetched;
      problems = known;
    } else {
      try {
        const file = await provider.build(org, AbortSignal.timeout(provider.timeoutMs));
        content = file.content;
        problems = file.problems;
      } catch (error) {
        // Thrown, not reported as a problem: a read without files would orphan every user and
        // group of the organisation, and an outage must not empty the catalog.
        throw new Error(
          `Reading GitHub organisation ${org} failed (its groups and users stay as they were): ${describeError(error)}`,
        );
      }
    }
    return {
      files: [
        {
          type: GITHUB_ORG_LOCATION_TYPE,
          target,
          // As Backstage's org provider sets managed-by-location: the organisation's URL.
          locationRef: `url:${target}`,
          content,
          hash: hashText(content),
        },
      ],
      problems: [...problems],
    };
  }

  resolve(_base: string, target: string): string {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return new URL(target).toString();
    throw new Error(`${target}: organisation data refers to nothing relative`);
  }

  async readReferenced(base: string): Promise<never> {
    throw new Error(`${base}: organisation data has no referenced files`);
  }
}

/** Creates the `catalog.providers.githubOrg` providers and their `github-org` reader. */
export const githubOrgFactory: CatalogProviderFactory = {
  name: 'githubOrg',
  create(ctx) {
    const configs = ctx.config.catalog.providers.githubOrg;
    if (!configs.length) return { providers: [] };
    const providers = configs.map(
      (config) =>
        new GithubOrgProvider(
          config,
          ctx,
          ctx.logger.child({ provider: `githubOrg:${config.id}` }),
        ),
    );
    return { providers, readers: [new GithubOrgReader(providers, ctx.prefetched)] };
  },
};
