/**
 * `GET /api/scaffolder/v2/integrations`: the source-code hosts the form's RepoUrlPicker offers
 * and the kind of each, which decides the parts it asks for (a Bitbucket Cloud workspace, an
 * Azure DevOps organization). Hosts and types only: tokens never leave the server.
 */

/** Backstage's integration types, as `integrations.<type>` in app-config.yaml names them. */
export type ScmHostType =
  | 'github'
  | 'gitlab'
  | 'bitbucketCloud'
  | 'bitbucketServer'
  | 'azure'
  | 'gitea'
  | 'gerrit';

export interface ScmIntegrationSummary {
  host: string;
  type: ScmHostType;
  /** What the host select shows: the host name, as Backstage shows it. */
  title: string;
}

export interface ScmIntegrationsResponse {
  /** Configured integrations in config order, then the hosts known without configuration. */
  items: ScmIntegrationSummary[];
}
