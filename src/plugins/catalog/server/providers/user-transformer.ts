/**
 * Renders a User entity from an organisation member's profile with the transformer declared in
 * config (`userTransformer:` on `githubOrg` and GitLab org providers): each key is a template
 * with `{field}` placeholders over the profile and filters (`{login|lower}`,
 * `{email|localpart}`). Written once for every organisation provider.
 */
import type { Entity } from '../../../../model/entity.ts';
import { isValidEntityName } from '../../../../model/validators.ts';
import {
  TEMPLATE_FILTERS,
  type TemplateFilter,
  USER_TRANSFORMER_FIELDS,
  type UserTransformerConfig,
} from '../../../../core/config/user-transformer.ts';

export {
  normalizeUserTransformer,
  userTransformerSchema,
  type UserTransformerConfig,
} from '../../../../core/config/user-transformer.ts';

const FILTERS: Record<TemplateFilter, (value: string) => string> = {
  lower: (v) => v.toLowerCase(),
  upper: (v) => v.toUpperCase(),
  trim: (v) => v.trim(),
  localpart: (v) => {
    const at = v.lastIndexOf('@');
    return at < 0 ? v : v.slice(0, at);
  },
};

/** Renders one template over `profile`; throws naming the placeholder that cannot be rendered. */
export function renderTemplate(template: string, profile: Record<string, unknown>): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i]!;
    if ((c === '{' || c === '}') && template[i + 1] === c) {
      out += c;
      i += 2;
      continue;
    }
    if (c === '}') throw new Error(`a lone '}' at position ${i + 1}; write }} for a brace`);
    if (c !== '{') {
      out += c;
      i++;
      continue;
    }
    const end = template.indexOf('}', i);
    if (end < 0) throw new Error(`'{' at position ${i + 1} is not closed`);
    const [field = '', ...filters] = template.slice(i + 1, end).split('|');
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field))
      throw new Error(`{${template.slice(i + 1, end)}} does not name a field`);
    const raw = profile[field];
    let value = raw === undefined || raw === null ? '' : String(raw);
    for (const filter of filters) {
      if (!(TEMPLATE_FILTERS as readonly string[]).includes(filter))
        throw new Error(
          `{${template.slice(i + 1, end)}} uses the unknown filter '${filter}' (known: ${TEMPLATE_FILTERS.join(', ')})`,
        );
      value = FILTERS[filter as TemplateFilter](value);
    }
    out += value;
    i = end + 1;
  }
  return out;
}

/** Who the profile belongs to, for messages: its login or username, else its email or id. */
function who(profile: Record<string, unknown>): string {
  for (const key of ['login', 'username', 'email', 'id', 'name']) {
    const value = profile[key];
    if (typeof value === 'string' && value) return value;
    if (typeof value === 'number') return String(value);
  }
  return '(unnamed)';
}

/**
 * The User entity for `profile`: the keys of `transformer` override those of `defaults` one by
 * one (annotations merged key by key), empty results are left out, and `metadata.name` must be
 * a valid entity name. `spec.memberOf` is empty: the provider fills it from its groups. On
 * failure `error` says which user and which key.
 */
export function renderUserEntity(
  profile: Record<string, unknown>,
  transformer: UserTransformerConfig | undefined,
  defaults: UserTransformerConfig,
): { entity?: Entity; error?: string } {
  const user = who(profile);
  const rendered: Partial<Record<(typeof USER_TRANSFORMER_FIELDS)[number], string>> = {};
  const annotations: Record<string, string> = {};
  try {
    for (const key of USER_TRANSFORMER_FIELDS) {
      const template = transformer?.[key] ?? defaults[key];
      if (template === undefined) continue;
      try {
        const value = renderTemplate(template, profile).trim();
        if (value) rendered[key] = value;
      } catch (error) {
        throw new Error(`userTransformer.${key} '${template}': ${(error as Error).message}`);
      }
    }
    const templates = { ...defaults.annotations, ...transformer?.annotations };
    for (const [key, template] of Object.entries(templates)) {
      try {
        const value = renderTemplate(template, profile);
        if (value) annotations[key] = value;
      } catch (error) {
        throw new Error(
          `userTransformer.annotations.${key} '${template}': ${(error as Error).message}`,
        );
      }
    }
  } catch (error) {
    return { error: `User ${user}: ${(error as Error).message}` };
  }
  const name = rendered.name;
  const nameTemplate = transformer?.name ?? defaults.name;
  if (!name) {
    return {
      error: `User ${user}: userTransformer.name '${nameTemplate ?? ''}' renders empty; the user is skipped`,
    };
  }
  if (!isValidEntityName(name)) {
    return {
      error: `User ${user}: userTransformer.name '${nameTemplate}' renders '${name}', which is not a valid entity name (1–63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit); the user is skipped`,
    };
  }
  const profileOut: Record<string, string> = {};
  if (rendered.displayName) profileOut.displayName = rendered.displayName;
  if (rendered.email) profileOut.email = rendered.email;
  if (rendered.picture) profileOut.picture = rendered.picture;
  return {
    entity: {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'User',
      metadata: {
        name,
        ...(rendered.description ? { description: rendered.description } : {}),
        ...(Object.keys(annotations).length ? { annotations } : {}),
      },
      spec: { profile: profileOut, memberOf: [] },
    },
  };
}
