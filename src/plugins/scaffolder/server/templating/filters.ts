import type { JsonObject } from '../../../../model/entity.ts';
import { parseEntityRef } from '../../../../model/ref.ts';
import { InputError } from '../../../../core/errors.ts';
import { parseRepoUrl, type ScmIntegrationsConfig } from './repo-url.ts';
import { safeMemberLookup } from './sandbox.ts';

export type TemplateFilter = (input: unknown, ...args: unknown[]) => unknown;

/** What `GET /v2/templating-extensions` shows for a filter. */
export interface TemplateFilterDoc {
  description: string;
  examples: { description?: string; example: string; notes?: string }[];
  schema?: { input?: JsonObject; arguments?: JsonObject[]; output?: JsonObject };
}

function ownString(obj: unknown, key: string): string | undefined {
  const value = safeMemberLookup(obj, key);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Splits a lodash-style path: `a.b[0]['c.d']` → `a`, `b`, `0`, `c.d`. */
function pathSegments(path: string): string[] {
  const out: string[] = [];
  const re = /([^.[\]]+)|\[(?:(['"])(.*?)\2|([^\]]*))\]/g;
  for (const match of path.matchAll(re)) {
    out.push(match[1] ?? match[3] ?? match[4] ?? '');
  }
  return out;
}

/** The Backstage filters (COMPAT.md §6.2); `integrations` decides which hosts parseRepoUrl accepts. */
export function backstageFilters(
  integrations: ScmIntegrationsConfig | undefined,
): Record<string, TemplateFilter> {
  return {
    parseRepoUrl: (input) => ({ ...parseRepoUrl(input as string, integrations) }),
    parseEntityRef: (input, context) => {
      if (typeof input !== 'string' && (input === null || typeof input !== 'object')) {
        throw new InputError(
          `parseEntityRef expects an entity ref string or {kind, namespace, name}, got ${JSON.stringify(input)}`,
        );
      }
      const ref =
        typeof input === 'string'
          ? input
          : {
              kind: ownString(input, 'kind'),
              namespace: ownString(input, 'namespace'),
              name: ownString(input, 'name') ?? '',
            };
      return {
        ...parseEntityRef(ref, {
          defaultKind: ownString(context, 'defaultKind'),
          defaultNamespace: ownString(context, 'defaultNamespace'),
        }),
      };
    },
    pick: (input, path) => {
      let current: unknown = input;
      for (const segment of pathSegments(String(path ?? ''))) {
        current = safeMemberLookup(current, segment);
        if (current === undefined) return undefined;
      }
      return typeof current === 'function' ? undefined : current;
    },
    projectSlug: (input) => {
      const { owner, repo } = parseRepoUrl(input as string, integrations);
      return `${owner}/${repo}`;
    },
  };
}

export const BACKSTAGE_FILTER_DOCS: Record<string, TemplateFilterDoc> = {
  parseRepoUrl: {
    description:
      'Parses a repository URL in RepoUrlPicker format (host?owner=o&repo=r) into its parts. The host must be a configured SCM integration or a well-known host.',
    examples: [
      {
        example: '${{ parameters.repoUrl | parseRepoUrl }}',
        notes:
          '"github.com?owner=acme&repo=svc" → {host: "github.com", owner: "acme", repo: "svc"}',
      },
    ],
    schema: {
      input: { type: 'string' },
      output: {
        type: 'object',
        required: ['host', 'repo'],
        properties: {
          host: { type: 'string' },
          owner: { type: 'string' },
          repo: { type: 'string' },
          organization: { type: 'string' },
          workspace: { type: 'string' },
          project: { type: 'string' },
        },
      },
    },
  },
  parseEntityRef: {
    description:
      'Parses an entity ref ([kind:][namespace/]name, or an object) into {kind, namespace, name}; optional context {defaultKind, defaultNamespace}.',
    examples: [{ example: "${{ parameters.owner | parseEntityRef({ defaultKind: 'group' }) }}" }],
    schema: {
      input: { oneOf: [{ type: 'string' }, { type: 'object' }] },
      arguments: [
        {
          type: 'object',
          properties: { defaultKind: { type: 'string' }, defaultNamespace: { type: 'string' } },
        },
      ],
      output: {
        type: 'object',
        required: ['kind', 'namespace', 'name'],
        properties: {
          kind: { type: 'string' },
          namespace: { type: 'string' },
          name: { type: 'string' },
        },
      },
    },
  },
  pick: {
    description: 'Picks a value out of an object by a dotted path (own properties only).',
    examples: [{ example: "${{ parameters.owner | parseEntityRef | pick('name') }}" }],
    schema: { input: { type: 'object' }, arguments: [{ type: 'string' }] },
  },
  projectSlug: {
    description: 'Turns a RepoUrlPicker value into "<owner>/<repo>".',
    examples: [{ example: '${{ parameters.repoUrl | projectSlug }}' }],
    schema: { input: { type: 'string' }, output: { type: 'string' } },
  },
};
