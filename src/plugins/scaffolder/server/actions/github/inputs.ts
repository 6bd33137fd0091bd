import type { JsonObject } from '../../../../../model/entity.ts';

/** The input schema properties every github:* action shares (Backstage's names). */
export const REPO_URL: JsonObject = {
  title: 'Repository location',
  description: 'host?owner=<owner>&repo=<repo> (RepoUrlPicker format)',
  type: 'string',
};

export const TOKEN: JsonObject = {
  title: 'Authentication token',
  description: 'Used instead of integrations.github[].token for this host',
  type: 'string',
};
