import type { JsonObject } from '../../../../../model/entity.ts';

/** Backstage's `commonGitlabConfig`: the host (RepoUrlPicker format) and an optional token. */
export const COMMON_GITLAB_PROPERTIES: JsonObject = {
  repoUrl: {
    title: 'Repository location',
    description: 'host?owner=<group>&repo=<project> (RepoUrlPicker format); the host is used',
    type: 'string',
  },
  token: {
    title: 'Authentication token',
    description: 'OAuth token used instead of integrations.gitlab[].token for this host',
    type: 'string',
  },
};
