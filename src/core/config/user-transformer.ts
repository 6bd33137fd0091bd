import type { ConfigProblem } from './errors.ts';
import { formatKeyPath, type KeyPath } from './paths.ts';
import { inSources, type Provenance } from './provenance.ts';
import type { SchemaNode } from './schema.ts';

/*
 * The user transformer declared in config on an organisation provider
 * (`catalog.providers.githubOrg[].userTransformer`, `catalog.providers.gitlab.<id>.userTransformer`):
 * which profile fields become the User entity's name, profile and annotations, written as
 * templates instead of code. The renderer is in
 * src/plugins/catalog/server/providers/user-transformer.ts.
 */

/** Filters a placeholder may apply, in order: `{login|lower}`, `{email|localpart|lower}`. */
export const TEMPLATE_FILTERS = ['lower', 'upper', 'trim', 'localpart'] as const;
export type TemplateFilter = (typeof TEMPLATE_FILTERS)[number];

/** A template: text with `{field}` / `{field|filter}` placeholders; `{{` and `}}` are literal braces. */
export const TEMPLATE_PATTERN = `^([^{}]|\\{\\{|\\}\\}|\\{[A-Za-z_][A-Za-z0-9_]*(\\|(${TEMPLATE_FILTERS.join('|')}))*\\})*$`;

const TEMPLATE_VALID = `a template: text with {field} placeholders, each optionally followed by filters (${TEMPLATE_FILTERS.map((f) => `|${f}`).join(', ')}), e.g. '{email|localpart|lower}'; write {{ and }} for literal braces`;

export interface UserTransformerConfig {
  /** `metadata.name`; a user whose name renders empty or invalid is skipped with an error. */
  name?: string;
  /** `spec.profile.displayName`. */
  displayName?: string;
  /** `spec.profile.email`. */
  email?: string;
  /** `spec.profile.picture`. */
  picture?: string;
  /** `metadata.description`. */
  description?: string;
  /** `metadata.annotations`, merged over the provider's defaults; a value rendering empty drops the key. */
  annotations?: Record<string, string>;
}

/** The template-valued keys of a transformer, in the order they are rendered. */
export const USER_TRANSFORMER_FIELDS = [
  'name',
  'displayName',
  'email',
  'picture',
  'description',
] as const;

const template = (description: string): SchemaNode => ({
  type: 'string',
  pattern: TEMPLATE_PATTERN,
  'x-valid': TEMPLATE_VALID,
  description,
});

/**
 * The schema of `userTransformer` for an organisation provider; `fields` names the profile
 * fields that provider offers (shown in the documentation).
 */
export function userTransformerSchema(provider: string, fields: readonly string[]): SchemaNode {
  const list = fields.map((f) => `\`${f}\``).join(', ');
  return {
    type: 'object',
    'x-valid': 'an object {name?, displayName?, email?, picture?, description?, annotations?}',
    description: `How ${provider} users become User entities, declared instead of code: each key is a template over the profile fields ${list}, with filters \`|lower\`, \`|upper\`, \`|trim\` and \`|localpart\` (the part of an email before \`@\`), e.g. \`name: '{email|localpart|lower}'\`. Keys left out keep the provider's default mapping. A user whose name renders empty or is not a valid entity name is skipped, with an error naming the user on the provider's status.`,
    properties: {
      name: template('Template of `metadata.name`.'),
      displayName: template('Template of `spec.profile.displayName`.'),
      email: template('Template of `spec.profile.email`.'),
      picture: template('Template of `spec.profile.picture`.'),
      description: template('Template of `metadata.description`.'),
      annotations: {
        type: 'object',
        additionalProperties: template('Template of the annotation value.'),
        'x-valid': 'a map of annotation key to template',
        description:
          'Annotations to set, key to template, merged over the default ones; a template rendering empty leaves the annotation out.',
      },
    },
  };
}

/** The placeholders of a template (assumed to match {@link TEMPLATE_PATTERN}). */
export function templateFields(text: string): { field: string; filters: string[] }[] {
  const out: { field: string; filters: string[] }[] = [];
  for (const match of text.replace(/\{\{|\}\}/g, '').matchAll(/\{([^{}|]+)((?:\|[^{}|]+)*)\}/g)) {
    out.push({ field: match[1]!, filters: match[2] ? match[2].slice(1).split('|') : [] });
  }
  return out;
}

const ANNOTATION_KEY =
  /^(([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)\/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61}[A-Za-z0-9]|[A-Za-z0-9])$/;

/**
 * Reads a validated `userTransformer` object; placeholders naming a field the provider does not
 * offer, and annotation keys that are not valid, are config problems naming the key.
 */
export function normalizeUserTransformer(
  data: Record<string, unknown> | undefined,
  path: KeyPath,
  fields: readonly string[],
  ctx: { provenance: Provenance; problems: ConfigProblem[] },
): UserTransformerConfig | undefined {
  if (!data) return undefined;
  const problem = (at: KeyPath, message: string) => {
    const sources = ctx.provenance.sourcesOf(at);
    ctx.problems.push({
      key: formatKeyPath(at),
      message: `${formatKeyPath(at)} ${message}${inSources(sources)}`,
      sources,
    });
  };
  const check = (at: KeyPath, text: string) => {
    for (const { field } of templateFields(text)) {
      if (!fields.includes(field))
        problem(
          at,
          `uses {${field}}, which is not a profile field of this provider; it has ${fields.join(', ')}`,
        );
    }
  };
  const out: UserTransformerConfig = {};
  for (const key of USER_TRANSFORMER_FIELDS) {
    const value = data[key];
    if (typeof value !== 'string') continue;
    check([...path, key], value);
    out[key] = value;
  }
  if (data.annotations && typeof data.annotations === 'object') {
    const annotations: Record<string, string> = {};
    for (const [key, value] of Object.entries(data.annotations as Record<string, unknown>)) {
      if (typeof value !== 'string') continue;
      if (!ANNOTATION_KEY.test(key))
        problem(
          [...path, 'annotations', key],
          'is not a valid annotation key: an optional DNS prefix and `/`, then 1–63 letters, digits, `-`, `_` or `.` starting and ending with a letter or digit (e.g. example.com/employee-id)',
        );
      check([...path, 'annotations', key], value);
      annotations[key] = value;
    }
    out.annotations = annotations;
  }
  return out;
}
